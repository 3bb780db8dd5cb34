"""Follow-ups: find the step a follow-up means, regenerate that step alone, keep everything else."""

from __future__ import annotations

import pytest

from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.revise import (
    Revision,
    RevisionError,
    find_step,
    iter_revise,
    looks_like_follow_up,
    parse_follow_up,
    revise,
)
from jupyter_iotcoder.schema import CodeModule, PipelineResult, TaskList, TaskSpec
from scripted_answers import ALTERNATIVE, CODE_1, CODE_2, IO_1, IO_2, REQUIREMENT, TARGET_1, TARGET_2, full_run

from conftest import ScriptedRuntime

NO_VALIDATION = GenerationConfig(validate=False)


@pytest.fixture(scope="module")
def result() -> PipelineResult:
    return generate(REQUIREMENT, ScriptedRuntime(full_run()), NO_VALIDATION)


@pytest.mark.parametrize("text, step", [
    ("make step 2 use a Kalman filter", 2),
    ("Step 1: subtract gravity with a high-pass filter", 1),
    ("change task #1 to use float32", 1),
    ("make the second step use hysteresis", 2),
    ("rewrite the first task with numpy only", 1),
    ("make the last step return a dict", 2),
    ("in the 2nd step, raise ValueError on empty input", 2),
    ("use a low-pass filter for the magnitude", 1),
    ("replace the peak detection with autocorrelation", 2),
])
def test_find_step_by_number_position_or_naming_words(result, text, step):
    assert find_step(text, result) == step


def test_find_step_out_of_range_lists_the_steps(result):
    with pytest.raises(RevisionError, match=r"There is no step 5: the plan has 2 steps \(1\. Compute"):
        find_step("make step 5 faster", result)


def test_find_step_that_names_no_step_asks_which_one(result):
    with pytest.raises(RevisionError, match="Which step should change.*1. Compute the acceleration magnitude"):
        find_step("make it faster", result)


@pytest.mark.parametrize("text, follow_up", [
    ("make step 2 use a Kalman filter", True),
    ("use a low-pass filter for the magnitude", True),
    ("Count steps from a wrist-worn accelerometer at 100 Hz", False),
    ("Use an accelerometer at 50 Hz to count steps; write count_steps(acc, fs)", False),
    ("Detect falls from a 3-axis accelerometer and a gyroscope sampled at 100 Hz on an ESP32 and raise an alarm "
     "when the magnitude exceeds 3 g followed by stillness, with a low false alarm rate for daily activities "
     "like sitting down quickly", False),
    ("", False),
])
def test_follow_up_or_new_requirement(result, text, follow_up):
    assert looks_like_follow_up(text, result) is follow_up


def test_no_follow_up_without_an_earlier_result():
    assert looks_like_follow_up("make step 2 use a Kalman filter", None) is False


def test_parse_follow_up_rephrases_the_reference_for_the_task_alone(result):
    assert parse_follow_up("Make the second step use hysteresis", result) == Revision(2, "Make this step use hysteresis")
    assert parse_follow_up("make step 1 subtract gravity", result) == Revision(1, "make this step subtract gravity")


def test_empty_follow_up_is_refused(result):
    with pytest.raises(RevisionError, match="empty"):
        parse_follow_up("   ", result)


def test_revising_the_last_step_calls_the_model_for_that_step_only_and_keeps_the_rest(result):
    new_code = CODE_2.replace("0.3 * fs", "0.25 * fs")
    runtime = ScriptedRuntime([TARGET_2, IO_2, new_code])
    revised = revise(result, "make step 2 keep peaks 0.25 s apart", runtime, NO_VALIDATION)

    assert runtime.queue == [] and len(runtime.history) == 3
    assert revised.run_id != result.run_id
    assert revised.tasks.tasks[0] == result.tasks.tasks[0]
    assert revised.specs[0] == result.specs[0] and revised.modules[0] == result.modules[0]
    assert "0.25 * fs" in revised.modules[1].code
    assert revised.tasks.tasks[1].description == (
        result.tasks.tasks[1].description + " Change requested by the user: make this step keep peaks 0.25 s apart.")
    assert revised.specs[1].signature.render() == "def count_steps(acc, fs)", "the user's signature is kept"
    assert revised.stats["decompose"].calls == 0
    assert revised.stats["transform"].calls == 2 and revised.stats["codegen"].calls == 1


def test_every_prompt_of_the_revision_carries_the_instruction_and_codegen_sees_the_earlier_step(result):
    runtime = ScriptedRuntime([TARGET_2, IO_2, CODE_2])
    revise(result, "make step 2 use hysteresis", runtime, NO_VALIDATION)
    for request in runtime.history:
        assert "Change requested by the user: make this step use hysteresis" in request.messages[-1]["content"]
    assert "def acceleration_magnitude(acc)" in runtime.history[2].messages[-1]["content"]


def test_revised_step_keeps_its_function_name_so_later_steps_still_call_it(result):
    renamed = {**TARGET_1, "function_name": "gravity_free_magnitude"}
    runtime = ScriptedRuntime([renamed, IO_1, CODE_1])
    revised = revise(result, "make step 1 use float32", runtime, NO_VALIDATION)
    assert revised.specs[0].function_name == "acceleration_magnitude"
    assert revised.modules[1] == result.modules[1] and revised.specs[1] == result.specs[1]
    assert revised.warnings == []


def test_revised_step_whose_outputs_change_warns_that_later_steps_were_kept(result):
    io = {**IO_1, "outputs": [{"name": "filtered", "type": "np.ndarray", "description": "low-passed magnitude"}]}
    code = CODE_1.replace("return magnitude - magnitude.mean()", "filtered = magnitude - magnitude.mean()\n"
                          "    return filtered")
    revised = revise(result, "make step 1 low-pass the magnitude", ScriptedRuntime([TARGET_1, io, code]),
                     NO_VALIDATION)
    assert revised.warnings == ["Step 1 now returns (filtered) instead of (magnitude); the later steps were not "
                                "changed and may need the same change."]


def test_revised_step_is_validated_after_the_earlier_steps_and_cross_checked_as_the_users_function(result):
    io_of_the_users_function = {
        "inputs": [{"name": "acc", "type": "np.ndarray, shape (n, 3), m/s^2", "description": "raw samples"},
                   {"name": "fs", "type": "float, Hz", "description": "sampling rate"}],
        "outputs": [{"name": "step_count", "type": "int", "description": "number of steps"}]}
    runtime = ScriptedRuntime([TARGET_2, io_of_the_users_function, CODE_2, ALTERNATIVE, ALTERNATIVE])
    revised = revise(result, "make step 2 use hysteresis", runtime, GenerationConfig())
    assert revised.modules[1].validation == "passed"
    # the step, then its versions side by side: the step's own and the alternatives (the same code, run once)
    assert revised.stats["validate"].calls == 3
    assert "3 of 3" in revised.modules[1].agreement


def test_iter_revise_yields_tasks_then_spec_then_module_then_result(result):
    outputs = list(iter_revise(result, Revision(2, "use hysteresis"), ScriptedRuntime([TARGET_2, IO_2, CODE_2]),
                               NO_VALIDATION))
    assert [type(o) for o in outputs] == [TaskList, TaskSpec, CodeModule, PipelineResult]


def test_revision_of_a_step_that_does_not_exist_is_refused_before_any_model_call(result):
    runtime = ScriptedRuntime([])
    with pytest.raises(RevisionError, match="no step 9"):
        list(iter_revise(result, Revision(9, "x"), runtime))
    assert runtime.history == []
