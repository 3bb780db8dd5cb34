"""Decontamination against the benchmark tasks."""

from jupyter_iotcoder.bench.tasks import load_tasks
from jupyter_iotcoder.data.decontaminate import BenchmarkIndex, decontaminate


def _record(user: str, answer: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}],
            "meta": {"source": "test"}}


def test_example_that_copies_a_benchmark_requirement_is_flagged():
    task = load_tasks()[0]
    index = BenchmarkIndex.build()
    copied = _record("Please help: " + task.requirement, "```python\npass\n```")
    clean = _record("Smooth a CO2 series with an exponential moving average.", "```python\npass\n```")
    kept, report = decontaminate([copied, clean], index)
    assert kept == [clean]
    assert report.flagged == 1 and report.by_task[task.id] >= 1


def test_example_that_reuses_a_benchmark_solution_is_flagged():
    task = load_tasks()[5]
    index = BenchmarkIndex.build()
    kept, report = decontaminate([_record("write it", f"```python\n{task.reference}\n```")], index)
    assert kept == [] and task.id in report.by_task


def test_defining_a_benchmark_entry_point_is_flagged():
    task = load_tasks()[0]
    index = BenchmarkIndex.build()
    answer = f"```python\ndef {task.entry_point}(a):\n    return a\n```"
    kept, report = decontaminate([_record("unrelated words here", answer)], index)
    assert kept == [] and report.by_reason["defines a benchmark entry point"] == 1
