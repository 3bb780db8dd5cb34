"""Task accuracy on real sensor data: the harness scores programs itself, references set the ceiling."""

from __future__ import annotations

import json

import pytest

from jupyter_iotcoder.bench.sensor_accuracy import load_sensor_tasks, run_sensor_accuracy, score_program, sensor_report

from conftest import ScriptedRuntime

TASKS = {task.id: task for task in load_sensor_tasks()}


def test_both_real_data_tasks_ship():
    assert set(TASKS) == {"har-basic-motions", "hr-ppg"}
    for task in TASKS.values():
        assert task.entry_point in task.requirement


def test_har_reference_classifies_basic_motions_well():
    row = score_program([TASKS["har-basic-motions"].reference], TASKS["har-basic-motions"])
    assert row["status"] == "scored" and row["value"] >= 0.9 and row["peak_rss_mb"] > 0


def test_hr_reference_matches_heartpy_within_two_bpm():
    row = score_program([TASKS["hr-ppg"].reference], TASKS["hr-ppg"])
    assert row["status"] == "scored" and row["value"] < 2.0


def test_a_program_with_the_wrong_number_of_predictions_is_an_error_not_a_score():
    wrong = "import numpy as np\n\ndef classify_activities(x_train, y_train, x_test):\n    return np.array(['Walking'])\n"
    row = score_program([wrong], TASKS["har-basic-motions"])
    assert row["status"] == "error" and row["value"] is None and "expected 40 predictions" in row["reason"]


def test_a_constant_guess_scores_chance_level():
    constant = ("import numpy as np\n\ndef classify_activities(x_train, y_train, x_test):\n"
                "    return np.array(['Walking'] * len(x_test))\n")
    row = score_program([constant], TASKS["har-basic-motions"])
    assert row["status"] == "scored" and row["value"] == pytest.approx(0.25)


def test_a_crashing_cell_is_reported_with_its_error():
    row = score_program(["raise RuntimeError('sensor unplugged')"], TASKS["hr-ppg"])
    assert row["status"] == "error" and "sensor unplugged" in row["reason"]


def test_run_scores_the_reference_and_each_configuration_once_and_resumes(tmp_path):
    task = TASKS["hr-ppg"]
    runtime = ScriptedRuntime([f"```python\n{task.reference}\n```"])
    path = run_sensor_accuracy(runtime, "scripted", ["direct"], [task], tmp_path, progress=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["config"], r["status"]) for r in rows] == [("reference", "scored"), ("direct", "scored")]
    assert "load_ppg()" in runtime.history[0].messages[-1]["content"]
    run_sensor_accuracy(runtime, "scripted", ["direct"], [task], tmp_path, progress=False)
    assert len(path.read_text().splitlines()) == 2
    table = sensor_report(path, "scripted")
    assert "| hr-ppg |" in table and "(1/1 ran" in table
