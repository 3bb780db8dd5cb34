"""The benchmark runner and report, with a scripted model: right code passes, wrong fails, runs resume."""

import json
import os
import time

import pytest

from jupyter_iotcoder.bench.report import bar_chart, markdown, summarize, with_and_without_repair
from jupyter_iotcoder.bench.runner import BenchRun, load_samples
from jupyter_iotcoder.bench.tasks import BenchTask, interleave_categories, load_tasks, tasks_dir, validate_task
from jupyter_iotcoder.config import GenerationConfig
from scripted_answers import IO_2, REQUIREMENT, TARGET_2, full_run

from conftest import ScriptedRuntime

STEP_TASK = BenchTask(
    id="ar-test-steps", category="activity recognition", requirement=REQUIREMENT, entry_point="count_steps",
    reference="", reference_plan=[["magnitude", "norm"], ["peak"]],
    test=("import numpy as np\n\ndef check(candidate):\n    fs = 50.0\n    t = np.arange(500) / fs\n"
          "    acc = np.zeros((500, 3))\n    acc[:, 2] = 9.81 + 3.0 * np.sin(2 * np.pi * 2.0 * t)\n"
          "    assert 15 <= candidate(acc, fs) <= 25\n"),
)
RIGHT = "```python\nimport numpy as np\nfrom scipy.signal import find_peaks\n\ndef count_steps(acc, fs):\n" \
        "    m = np.linalg.norm(acc, axis=1)\n    m = m - m.mean()\n" \
        "    return int(len(find_peaks(m, height=1.0, distance=max(1, int(0.3 * fs)))[0]))\n```"
WRONG = "```python\ndef count_steps(acc, fs):\n    return len(acc)\n```"


def _run(tmp_path, runtime, configs, samples=1):
    return BenchRun(runtime, "scripted", configs, [STEP_TASK], tmp_path, samples=samples,
                    generation=GenerationConfig(max_tasks=2))


def test_direct_right_answer_passes_and_wrong_answer_fails(tmp_path):
    run = _run(tmp_path, ScriptedRuntime([RIGHT, WRONG]), ["direct"], samples=2)
    assert run.run(progress=False) == 2
    rows = load_samples(tmp_path / "samples.jsonl")
    assert [r["passed"] for r in sorted(rows, key=lambda r: r["sample"])] == [True, False]
    assert summarize(rows)["direct"]["pass@1"] == 0.5
    assert all(isinstance(r["gen_cpu_seconds"], float) and r["gen_cpu_seconds"] >= 0 for r in rows)


def test_direct_with_the_code_prompt_sends_the_pipelines_whole_requirement_prompt(tmp_path):
    runtime = ScriptedRuntime([RIGHT])
    _run(tmp_path, runtime, ["direct+code-prompt"]).run(progress=False)
    (row,) = load_samples(tmp_path / "samples.jsonl")
    system, user = runtime.history[0].messages
    assert row["passed"] and "IoT" in system["content"]
    assert "`def count_steps(acc, fs)`" in user["content"] and REQUIREMENT in user["content"]


def test_an_interrupted_run_resumes_without_redoing_samples(tmp_path):
    _run(tmp_path, ScriptedRuntime([RIGHT]), ["direct"]).run(progress=False)
    again = ScriptedRuntime([])
    assert _run(tmp_path, again, ["direct"]).run(progress=False) == 0
    assert again.history == []


def test_samples_land_in_the_results_file_even_when_it_is_replaced_during_a_run(tmp_path):
    """A `git checkout` or `git stash pop` of committed samples replaces the file while a long run appends to it."""
    samples = tmp_path / "samples.jsonl"

    def replace_the_file_then_answer(request):
        for _ in range(300):  # the first sample is scored on another thread
            if samples.exists() and samples.read_text().count("\n") == 1:
                break
            time.sleep(0.1)
        copy = tmp_path / "checked-out.jsonl"
        copy.write_text(samples.read_text())
        os.replace(copy, samples)
        return RIGHT

    _run(tmp_path, ScriptedRuntime([RIGHT, replace_the_file_then_answer]), ["direct"], samples=2).run(progress=False)
    assert sorted(row["sample"] for row in load_samples(samples)) == [0, 1]


def test_pipeline_config_runs_the_notebook_cells_and_scores_the_plan(tmp_path):
    run = _run(tmp_path, ScriptedRuntime(full_run(validated=False)), ["pipeline"])
    run.run(progress=False)
    (row,) = load_samples(tmp_path / "samples.jsonl")
    assert row["passed"], row["reason"]
    assert row["plan_ok"] and row["plan_score"] == 1.0 and row["cells_total"] == 3 and row["cells_ok"] == 3
    assert [(s["step"], s["attempts"], s["problems"]) for s in row["steps"]] == [(1, 1, []), (2, 1, [])]


def test_a_fallback_one_step_plan_counts_as_a_format_failure_but_its_code_is_still_tested(tmp_path):
    runtime = ScriptedRuntime(["not json"] * 4 + [TARGET_2, IO_2, RIGHT])
    _run(tmp_path, runtime, ["pipeline"]).run(progress=False)
    (row,) = load_samples(tmp_path / "samples.jsonl")
    assert row["passed"] and row["plan_ok"] is False and row["n_steps"] == 1


def test_the_repair_config_records_how_the_users_function_was_chosen(tmp_path):
    runtime = ScriptedRuntime(full_run())
    _run(tmp_path, runtime, ["pipeline+repair"]).run(progress=False)
    (row,) = load_samples(tmp_path / "samples.jsonl")
    assert runtime.queue == [] and row["steps"][0]["selection"] is None
    selection = row["steps"][1]["selection"]
    assert [c["origin"] for c in selection["selection"]] == ["pipeline", "plain prompt", "whole requirement"]
    assert row["passed"] and row["versions_passed"] == [True, True, True]


def test_each_compared_version_is_tested_in_the_chosen_ones_cell(tmp_path):
    # wrong, yet right on validation's synthetic walk (108 steps): validation passes it, the task's test does not
    wrong_alternative = WRONG.replace("return len(acc)", "return 108")
    runtime = ScriptedRuntime(full_run()[:-2] + [RIGHT, wrong_alternative])
    _run(tmp_path, runtime, ["pipeline+repair"]).run(progress=False)
    (row,) = load_samples(tmp_path / "samples.jsonl")
    assert runtime.queue == []
    assert row["versions_passed"][1:] == [True, False]
    assert row["versions_passed"][row["steps"][1]["selection"]["chosen"]] == row["passed"]


def test_the_report_counts_samples_where_some_version_passes_beside_the_chosen_one():
    base = {"config": "pipeline+repair", "category": "signal processing", "status": "failed", "reason": "",
            "plan_ok": True, "plan_score": 1.0, "cells_total": 1, "cells_ok": 1, "gen_seconds": 10.0, "tokens": 1,
            "exec_peak_rss_mb": 1.0}

    def compared(passed: list[bool], outputs: list[str], chosen: int) -> dict:
        versions = [{"origin": "x", "validation": "passed" if digest else "failed", "outputs": digest, "code": ""}
                    for digest in outputs]
        return {"passed": passed[chosen], "versions_passed": passed,
                "steps": [{"selection": {"selection": versions, "chosen": chosen}}]}

    rows = [{**base, "task_id": "a", **compared([False, True, True], ["p", "q", "q"], 1)},
            {**base, "task_id": "b", **compared([True, False, True], ["p", "", "r"], 0)},
            {**base, "task_id": "c", **compared([False, False, False], ["p", "s", "s"], 1)},
            {**base, "task_id": "d", "passed": False, "versions_passed": None, "steps": []}]
    summary = summarize(rows)
    assert summary["pipeline+repair"]["versions"] == {
        "samples": 3, "versions_per_sample": 3.0, "any_passed": 2, "chosen_passed": 2,
        # k=0 keeps every pipeline version (1 passes); with one alternative the tie keeps them too; the second
        # alternative outvotes the pipeline's version on a (right) and c (wrong)
        "chosen_passed_with_alternatives": {0: 1, 1: 1, 2: 2}}
    table = markdown(summary)
    assert "| pipeline+repair | 3 | 3.0 | 2 | 2 |" in table and "pipeline+repair: k=0: 1, k=1: 1, k=2: 2" in table


def test_report_has_a_row_per_config_and_a_chart(tmp_path):
    rows = [
        {"config": "direct", "task_id": "a", "category": "signal processing", "passed": False, "status": "error",
         "reason": "cell 1: NameError", "plan_ok": None, "plan_score": None, "cells_total": 1, "cells_ok": 0,
         "gen_seconds": 10.0, "tokens": 200, "exec_peak_rss_mb": 30.0},
        {"config": "pipeline", "task_id": "a", "category": "signal processing", "passed": True, "status": "passed",
         "reason": "", "plan_ok": True, "plan_score": 0.5, "cells_total": 3, "cells_ok": 3,
         "gen_seconds": 40.0, "tokens": 800, "exec_peak_rss_mb": 40.0},
    ]
    summary = summarize(rows)
    table = markdown(summary)
    assert "| direct | 1 | 1 | 0.00 |" in table and "| pipeline | 1 | 1 | 1.00 |" in table
    assert summary["direct"]["failure_reasons"] == {"error: cell 1": 1}
    assert bar_chart(summary, tmp_path / "chart.png").stat().st_size > 1000


def test_repair_is_compared_with_the_same_configuration_without_it_on_the_same_samples():
    def row(config: str, task: str, passed: bool, seconds: float, cells_ok: int = 2) -> dict:
        return {"config": config, "task_id": task, "sample": 0, "category": "signal processing", "passed": passed,
                "status": "passed" if passed else "failed", "reason": "", "plan_ok": True, "plan_score": 1.0,
                "cells_total": 2, "cells_ok": cells_ok, "gen_seconds": seconds, "tokens": 10, "exec_peak_rss_mb": 1.0}

    samples = [row("pipeline", "a", False, 10.0, 1), row("pipeline+repair", "a", True, 30.0),
               row("pipeline", "b", True, 10.0), row("pipeline+repair", "b", True, 20.0),
               row("pipeline", "c", True, 20.0), {**row("pipeline+repair", "c", False, 100.0), "status": "error"},
               row("pipeline", "d", False, 10.0), row("direct", "a", True, 5.0),
               row("pipeline+repair", "e", True, 50.0)]
    (compared,) = with_and_without_repair(samples).values()
    assert compared["without"] == "pipeline" and compared["pairs"] == 3, "d and e have no partner"
    assert (compared["both_pass"], compared["only_with_repair"], compared["only_without_repair"]) == (1, 1, 1)
    assert compared["steps_run_ok"] == [pytest.approx(5 / 6), 1.0]
    assert compared["ran_through_test"] == [1.0, pytest.approx(2 / 3)], "c raised on the test's inputs"
    assert compared["time_ratio_total"] == pytest.approx(150 / 40) and compared["time_ratio_median"] == 3.0
    table = markdown(summarize(samples), with_and_without_repair(samples))
    assert "| pipeline+repair | pipeline | 3 | 1 | 1 | 1 | 0.83 / 1.00 | 1.00 / 0.67 | 3.75 / 3.00 | – |" in table
    assert compared["cpu_time_ratio_total"] is None, "samples without CPU time give no CPU ratio"


def test_the_cpu_time_ratio_is_immune_to_a_paused_sample():
    def row(config: str, task: str, wall: float, cpu: float) -> dict:
        return {"config": config, "task_id": task, "sample": 0, "category": "signal processing", "passed": True,
                "status": "passed", "reason": "", "plan_ok": True, "plan_score": 1.0, "cells_total": 1,
                "cells_ok": 1, "gen_seconds": wall, "gen_cpu_seconds": cpu, "tokens": 10, "exec_peak_rss_mb": 1.0}

    samples = [row("pipeline", "a", 10.0, 18.0), row("pipeline+repair", "a", 3600.0, 40.0),
               row("pipeline", "b", 20.0, 38.0), row("pipeline+repair", "b", 40.0, 80.0)]
    (compared,) = with_and_without_repair(samples).values()
    assert compared["time_ratio_total"] == pytest.approx(3640 / 30), "the paused sample's wall time counts"
    assert compared["cpu_time_ratio_total"] == pytest.approx(120 / 56)
    assert "| 2.14 |" in markdown(summarize(samples), with_and_without_repair(samples))


def test_example_task_is_sound():
    (example,) = load_tasks([tasks_dir() / "_example.jsonl"])
    assert validate_task(example) == []


def test_a_task_whose_test_a_trivial_candidate_passes_is_rejected():
    weak = BenchTask(id="weak", category="data pipelines", entry_point="f",
                     requirement="Write f(x) that returns x unchanged for a stream of readings.",
                     reference="def f(x):\n    return x\n", reference_plan=[["a"], ["b"]],
                     test="def check(candidate):\n    assert candidate(3) == 3\n")
    assert any("identity" in p for p in validate_task(weak))


def test_shipped_tasks_load_with_unique_ids():
    tasks = load_tasks()
    assert len({t.id for t in tasks}) == len(tasks)
    json.dumps([t.model_dump() for t in tasks])


def test_every_shipped_task_is_sound():
    """Each reference passes its test; None, 0, [] and the identity fail it."""
    tasks = load_tasks()
    assert len(tasks) >= 140
    problems = {t.id: p for t in tasks if (p := validate_task(t))}
    assert problems == {}


def test_interleave_categories_takes_each_category_in_turn_and_limits_each():
    tasks = [STEP_TASK.model_copy(update={"id": f"{c}{i}", "category": c}) for c in "ab" for i in range(3)]
    assert [t.id for t in interleave_categories(tasks)] == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert [t.id for t in interleave_categories(tasks, 2)] == ["a0", "b0", "a1", "b1"]


def test_pending_samples_are_task_major_so_a_cut_short_run_compares_configurations(tmp_path):
    run = BenchRun(ScriptedRuntime([]), "scripted", ["direct", "pipeline"],
                   [STEP_TASK, STEP_TASK.model_copy(update={"id": "second"})], tmp_path)
    assert [(c, t.id) for c, t, _ in run.pending()] == [
        ("direct", "ar-test-steps"), ("pipeline", "ar-test-steps"), ("direct", "second"), ("pipeline", "second")]


def test_a_sample_is_cached_per_adapter_and_task_cap_so_new_adapters_are_measured_afresh(tmp_path):
    tasks = [STEP_TASK]
    run = BenchRun(None, "scripted", ["direct", "pipeline", "pipeline+lora"], tasks, tmp_path,
                   generation=GenerationConfig(max_tasks=3), adapters_id="aaaa")
    retrained = BenchRun(None, "scripted", run.configs, tasks, tmp_path,
                         generation=GenerationConfig(max_tasks=3), adapters_id="bbbb")
    other_cap = BenchRun(None, "scripted", run.configs, tasks, tmp_path,
                         generation=GenerationConfig(max_tasks=5), adapters_id="aaaa")
    key = run.key
    assert key("pipeline+lora", STEP_TASK.id, 0) != retrained.key("pipeline+lora", STEP_TASK.id, 0)
    assert key("pipeline", STEP_TASK.id, 0) == retrained.key("pipeline", STEP_TASK.id, 0)  # no adapter in it
    assert key("pipeline", STEP_TASK.id, 0) != other_cap.key("pipeline", STEP_TASK.id, 0)
    assert key("direct", STEP_TASK.id, 0) == other_cap.key("direct", STEP_TASK.id, 0)  # no plan in it
    more_versions = BenchRun(None, "scripted", ["direct", "pipeline+repair"], tasks, tmp_path,
                             generation=GenerationConfig(max_tasks=3, alternatives=4))
    two_versions = BenchRun(None, "scripted", ["direct", "pipeline+repair"], tasks, tmp_path,
                            generation=GenerationConfig(max_tasks=3, alternatives=2))
    assert more_versions.key("pipeline+repair", STEP_TASK.id, 0).endswith("|alternatives=4")
    assert "alternatives" not in two_versions.key("pipeline+repair", STEP_TASK.id, 0)  # the keys of older runs
    assert more_versions.key("direct", STEP_TASK.id, 0) == two_versions.key("direct", STEP_TASK.id, 0)
    run.samples_file.write_text("".join(json.dumps({"key": k}) + "\n" for k in run.keys()))
    assert run.pending() == []
    assert [c for c, _, _ in retrained.pending()] == ["pipeline+lora"]


def test_adapters_fingerprint_changes_with_the_adapter_bytes(tmp_path):
    from jupyter_iotcoder.bench.runner import adapters_fingerprint

    adapter = tmp_path / "codegen.gguf"
    adapter.write_bytes(b"one")
    first = adapters_fingerprint({"codegen": adapter})
    adapter.write_bytes(b"two")
    assert adapters_fingerprint({"codegen": adapter}) != first and len(first) == 12
    assert adapters_fingerprint({}) == ""


def test_adapters_fingerprint_changes_with_a_scale_other_than_one(tmp_path):
    from jupyter_iotcoder.bench.runner import adapters_fingerprint

    adapter = tmp_path / "codegen.gguf"
    adapter.write_bytes(b"one")
    plain = adapters_fingerprint({"codegen": adapter})
    assert adapters_fingerprint({"codegen": adapter}, {"codegen": 1.0}) == plain
    assert adapters_fingerprint({"codegen": adapter}, {"codegen": 0.25}) != plain
