"""bench/revalidate.py: the current validator on recorded code, against the tasks' tests."""

from __future__ import annotations

import json

from jupyter_iotcoder.bench.__main__ import main as bench_main
from jupyter_iotcoder.bench.revalidate import Revalidation, summarize
from jupyter_iotcoder.bench.tasks import load_tasks

TASK = next(t for t in load_tasks() if t.id == "dp-clock-skew-correction")
# the reference with one line that treats a list input as an array: the tests pass lists, so it fails them
ON_LISTS = TASK.reference.replace('    x = np.asarray(device_ts, dtype=float)\n',
                                  '    first = device_ts.min()\n    x = np.asarray(device_ts, dtype=float)\n')


def _sample(code: str, passed: bool, number: int) -> dict:
    return {"key": f"pipeline+repair|m|{TASK.id}|{number}", "config": "pipeline+repair", "task_id": TASK.id,
            "passed": passed, "cells": [code]}


def test_the_validation_suite_sets_the_validators_verdicts_beside_the_tests_and_applies_the_fixes(tmp_path):
    assert ON_LISTS != TASK.reference
    samples = [_sample(TASK.reference, True, 0), _sample(ON_LISTS, False, 1)]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    assert bench_main(["--suite", "validation", "--tasks", TASK.id, "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "validation.json").read_text())
    reference, on_lists = results["cells"]
    assert reference["validation"] == "passed" and not reference["fixes"], reference
    assert on_lists["validation"] == "failed" and "'list' object has no attribute 'min'" in on_lists["problem"]
    assert on_lists["fixes"] and on_lists["tests_passed_after_fixes"] is True, on_lists
    summary = results["summary"]["pipeline+repair"]
    assert (summary["false_alarms"], summary["caught"], summary["fixed_to_pass"]) == (0, 1, 1)
    assert "| pipeline+repair | 2 | 1 | 1 | 0 | 0 | 1 | 1 | 0 |" in (tmp_path / "validation.md").read_text()


def test_the_reference_configuration_validates_each_tasks_reference_without_recorded_samples(tmp_path):
    out = tmp_path / "references"
    assert bench_main(["--suite", "validation", "--configs", "reference", "--tasks", TASK.id, "--out", str(out)]) == 0
    results = json.loads((out / "validation.json").read_text())
    (row,) = results["cells"]
    assert (row["config"], row["task_id"], row["tests_passed"]) == ("reference", TASK.id, True)
    assert row["validation"] == "passed" and results["summary"]["reference"]["false_alarms"] == 0, row


def test_false_alarms_misses_and_fixes_that_break_working_code_are_counted():
    rows = [Revalidation("a", "t", "c", True, "failed", fixes=("f",), tests_passed_after_fixes=False),
            Revalidation("b", "t", "c", False, "passed"), Revalidation("d", "t", "c", False, "inconclusive")]
    summary = summarize(rows)["c"]
    assert (summary["false_alarms"], summary["missed"], summary["caught"], summary["fixed_broke"]) == (1, 1, 0, 1)
