"""The execution filter: snippets run batched in the sandbox; broken ones are dropped, good ones kept."""

from jupyter_iotcoder.data.execution import Job, run_batch, run_jobs

GOOD = "import numpy as np\n\ndef mean_of(x):\n    return float(np.mean(x))\n"
TEST = "def check(f):\n    assert f([1, 2, 3]) == 2.0\n"


def test_good_example_is_kept_and_broken_ones_are_dropped():
    jobs = [Job(GOOD, TEST, "mean_of"), Job("def mean_of(x):\n    return undefined_name\n", TEST, "mean_of"),
            Job("def mean_of(x):\n    return 3\n", TEST, "mean_of"), Job("x = (\n")]
    results = run_jobs(jobs, batch_size=4)
    assert [results[j.key].ok for j in jobs] == [True, False, False, False]
    assert "NameError" in results[jobs[1].key].error
    assert "AssertionError" in results[jobs[2].key].error
    assert "SyntaxError" in results[jobs[3].key].error


def test_each_snippet_runs_in_a_fresh_namespace():
    first = Job("shared = 1\n")
    second = Job("print(shared)\n")
    assert [r.ok for r in run_batch([first, second])] == [True, False]


def test_a_snippet_past_its_time_limit_fails_alone():
    slow = Job("while True:\n    pass\n")
    fine = Job("print('ok')\n")
    results = run_batch([slow, fine], job_timeout=1.0)
    assert not results[0].ok and "time limit" in results[0].error
    assert results[1].ok and results[1].stdout.strip() == "ok"


def test_a_batch_that_dies_is_rerun_one_job_at_a_time():
    crash = Job("import os\nos._exit(3)\n")
    fine = Job("print(1)\n")
    results = run_batch([crash, fine])
    assert [r.ok for r in results] == [False, True]


def test_identical_jobs_run_once():
    seen = []
    jobs = [Job(GOOD, TEST, "mean_of")] * 3
    results = run_jobs(jobs, on_batch=seen.append)
    assert len(results) == 1 and sum(seen) == 1
