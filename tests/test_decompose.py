"""Stage 1: requirement -> TaskList, with a scripted model."""

from __future__ import annotations

import copy

import pytest

from jupyter_iotcoder.calls import StageCaller
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.decompose import copied_from_example, decompose, without_input_checks
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.prompts import load_json
from jupyter_iotcoder.schema import StageStats, Task
from scripted_answers import ALTERNATIVE, IO_2, PLAN, REQUIREMENT, TARGET_2, full_run

from conftest import ScriptedRuntime


def run(answers, config: GenerationConfig | None = None, requirement: str = REQUIREMENT):
    runtime = ScriptedRuntime(answers)
    caller = StageCaller(runtime, "decompose", StageStats())
    return decompose(requirement, caller, config or GenerationConfig()), runtime, caller


def plan_with(n: int) -> dict:
    task = copy.deepcopy(PLAN["tasks"][0])
    return {"tasks": [dict(task, title=f"Task number {i}") for i in range(1, n + 1)]}


def test_decompose_returns_tasks_numbered_from_1_with_inputs_and_outputs():
    tasks, _, _ = run([PLAN])
    assert tasks.requirement == REQUIREMENT
    assert [t.id for t in tasks.tasks] == [1, 2]
    assert [t.title for t in tasks.tasks] == [t["title"] for t in PLAN["tasks"]]
    assert tasks.tasks[0].inputs == ["acc"] and tasks.tasks[0].outputs == ["magnitude"]
    assert tasks.tasks[1].inputs == ["magnitude", "fs"] and tasks.tasks[1].outputs == ["step_count"]


def test_decompose_numbers_a_longer_plan_1_to_n():
    tasks, _, _ = run([plan_with(4)])
    assert [t.id for t in tasks.tasks] == [1, 2, 3, 4]


@pytest.mark.parametrize("max_tasks", [3, 5, 7])
def test_decompose_schema_sent_has_max_items_equal_to_max_tasks(max_tasks):
    _, runtime, _ = run([PLAN], GenerationConfig(max_tasks=max_tasks))
    schema = runtime.history[0].json_schema
    assert schema["properties"]["tasks"]["maxItems"] == max_tasks
    assert schema["properties"]["tasks"]["minItems"] == 2


def test_decompose_uses_the_configured_token_cap_and_seed():
    config = GenerationConfig(seed=7)
    _, runtime, _ = run([PLAN], config)
    assert runtime.history[0].max_tokens == config.limits.decompose_tokens
    assert runtime.history[0].seed == 7


def test_requirement_appears_only_inside_requirement_tags_in_the_last_user_message():
    marker = "Count steps with a unique marker zq7x from accelerometer data."
    _, runtime, _ = run([PLAN], requirement=marker)
    messages = runtime.history[0].messages
    assert messages[-1]["role"] == "user"
    assert messages[-1]["content"].strip() == f"<requirement>\n{marker}\n</requirement>"
    for message in messages[:-1]:
        assert "zq7x" not in message["content"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]


def test_a_non_json_first_answer_is_retried_with_seed_plus_1():
    tasks, runtime, caller = run(["this is not json {", PLAN], GenerationConfig(seed=3))
    assert len(tasks.tasks) == 2
    assert [r.seed for r in runtime.history] == [3, 4]
    assert caller.stats.calls == 2


def test_a_first_answer_with_too_many_tasks_is_retried_with_seed_plus_1():
    tasks, runtime, _ = run([plan_with(6), PLAN], GenerationConfig(max_tasks=5, seed=0))
    assert len(tasks.tasks) == 2
    assert [r.seed for r in runtime.history] == [0, 1]
    assert runtime.history[0].messages == runtime.history[1].messages


@pytest.mark.parametrize("second", ["still not json", plan_with(6)], ids=["not-json", "too-many-tasks"])
def test_two_invalid_answers_are_followed_by_a_plan_without_the_worked_example(second):
    tasks, runtime, _ = run(["not json", second, PLAN], GenerationConfig(max_tasks=5))
    assert [t.title for t in tasks.tasks] == [t["title"] for t in PLAN["tasks"]] and not tasks.fallback_reason
    assert [m["role"] for m in runtime.history[2].messages] == ["system", "user"]


def test_a_model_that_never_gives_a_valid_plan_leaves_the_requirement_as_one_marked_step():
    requirement = "Write count_steps(acc, fs) that counts steps in an (N, 3) accelerometer array sampled at fs Hz."
    cut_off = {"tasks": [dict(PLAN["tasks"][0], description="Build a "), PLAN["tasks"][1]]}
    tasks, runtime, _ = run(["not json", cut_off, "not json", cut_off], requirement=requirement)
    assert len(runtime.history) == 4
    assert "decompose" in tasks.fallback_reason and "too short" in tasks.fallback_reason
    assert [(t.id, t.title, t.description) for t in tasks.tasks] == [(1, "Implement count_steps", requirement)]


def test_the_pipeline_goes_on_after_a_fallback_plan_and_says_so():
    runtime = ScriptedRuntime(["not json"] * 4 + [TARGET_2, IO_2] + [ALTERNATIVE] * 3)
    result = generate(REQUIREMENT, runtime)
    assert result.tasks.fallback_reason and [m.function_name for m in result.modules] == ["count_steps"]
    assert result.modules[0].validation == "passed"
    assert any("no valid plan" in warning for warning in result.warnings)


def test_pipeline_requests_the_decompose_adapter_when_the_runtime_has_one():
    runtime = ScriptedRuntime(full_run(), adapters={"decompose": "x.gguf"})
    result = generate(REQUIREMENT, runtime)
    assert runtime.history[0].adapter == "decompose"
    assert [r.adapter for r in runtime.history[1:]] == [None] * 8  # transform, codegen and its alternatives
    assert result.adapters == {"decompose": "x.gguf"}


def test_pipeline_requests_no_adapter_when_the_runtime_has_none():
    runtime = ScriptedRuntime(full_run())
    result = generate(REQUIREMENT, runtime)
    assert [r.adapter for r in runtime.history] == [None] * 9
    assert result.adapters == {}


def _task(description: str) -> Task:
    return Task(id=1, title="Filter the signal", description=description)


def _example_description(i: int) -> str:
    return load_json("decompose.example.json")["answer"]["tasks"][i]["description"]


def test_a_plan_pasting_the_worked_examples_technique_is_flagged():
    pasted = _task(_example_description(1))
    spans = copied_from_example([pasted], "Count steps from a wrist accelerometer sampled at 50 Hz.")
    assert len(spans) >= 5  # every 5-word window of the pasted sentence


def test_a_plan_using_an_api_or_variable_name_of_the_worked_example_is_flagged():
    plan = [_task("Compute the EWMA with lambda 0.2 and fit the trend with numpy.polyfit."),
            Task(id=2, title="Flag", description="Flag points outside the control limits.", inputs=["volume_l"],
                 outputs=["alarms"])]
    assert copied_from_example(plan, "Write ewma_chart(x, lam) for turbidity in NTU.") == ["numpy.polyfit", "polyfit",
                                                                                         "volume_l"]
    assert copied_from_example(plan, "Fit the drift with numpy.polyfit; volume_l is the tank volume.") == []
    bare = [_task("Remove the trend of each axis with polyfit before computing features.")]
    assert copied_from_example(bare, "Write classify_activities(x_train, y_train, x_test) for IMU windows.") == ["polyfit"]


def test_words_the_user_wrote_themselves_are_not_a_copy():
    requirement = f"Estimate how long the tank lasts: {_example_description(0)} Then report the days left."
    own_words = _task(_example_description(0))
    assert copied_from_example([own_words], requirement) == []


def test_a_plan_in_its_own_words_is_not_a_copy():
    plan = [_task("Low-pass the magnitude with a 2nd-order Butterworth at 3 Hz using sosfiltfilt."),
            _task("Detect peaks at least 0.3 s apart with scipy.signal.find_peaks and count them.")]
    assert copied_from_example(plan, "Count steps from a wrist accelerometer sampled at 50 Hz.") == []


def test_a_plan_that_pastes_the_worked_example_is_asked_again_without_it():
    pasted = copy.deepcopy(PLAN)
    pasted["tasks"][0]["description"] = _example_description(1)
    tasks, runtime, caller = run([pasted, PLAN])
    assert [t.description for t in tasks.tasks] == [t["description"] for t in PLAN["tasks"]]
    assert [m["role"] for m in runtime.history[0].messages] == ["system", "user", "assistant", "user"]
    assert [m["role"] for m in runtime.history[1].messages] == ["system", "user"]
    assert runtime.history[1].messages[-1] == runtime.history[0].messages[-1]
    assert caller.stats.calls == 2


def test_a_plan_in_its_own_words_is_kept_after_one_call():
    _, runtime, _ = run([PLAN])
    assert len(runtime.history) == 1


def _planned(i: int, title: str, inputs: list[str], outputs: list[str]) -> Task:
    return Task(id=i, title=title, description=title + ".", inputs=inputs, outputs=outputs)


def test_a_step_that_only_checks_the_inputs_is_dropped_and_the_plan_renumbered():
    plan = [_planned(1, "Compute the baseline", ["mag_ut", "fs"], ["median_ut"]),
            _planned(2, "Find the open intervals", ["mag_ut", "median_ut"], ["intervals"]),
            _planned(3, "Check for valid inputs", ["mag_ut", "fs"], ["valid_inputs"])]
    kept = without_input_checks(plan)
    assert [(t.id, t.title) for t in kept] == [(1, "Compute the baseline"), (2, "Find the open intervals")]


def test_steps_that_check_inputs_or_raise_errors_and_produce_nothing_new_are_dropped():
    plan = [_planned(1, "Check the input", ["acc", "fs"], ["None"]),
            _planned(2, "Estimate gravity", ["acc", "fs"], ["gravity"]),
            _planned(3, "Return ValueError if conditions are not met", ["acc", "fs"], ["None"]),
            _planned(4, "Calculate the radial speed", ["gravity"], ["radial_speed"]),
            _planned(5, "Handle errors", ["acc", "fs"], ["radial_speed"])]
    kept = without_input_checks(plan)
    assert [(t.id, t.title) for t in kept] == [(1, "Estimate gravity"), (2, "Calculate the radial speed")]


def test_an_error_handling_step_that_produces_a_new_result_stays():
    plan = [_planned(1, "Compute the heading", ["mag"], ["heading"]),
            _planned(2, "Handle errors in the heading", ["heading"], ["heading_deg"])]
    assert without_input_checks(plan) == plan


def test_a_check_whose_result_a_later_step_uses_stays():
    plan = [_planned(1, "Validate and clean the raw data", ["acc"], ["clean_acc"]),
            _planned(2, "Count the steps", ["clean_acc"], ["steps"])]
    assert without_input_checks(plan) == plan
    saturation = [_planned(1, "Remove the offset", ["acc"], ["acc0"]),
                  _planned(2, "Check the input for saturation", ["acc0"], ["saturated"])]
    assert without_input_checks(saturation) == saturation, "a result other than a validity flag is a step"
    only = [_planned(1, "Validate the inputs", ["acc"], ["ok"])]
    assert without_input_checks(only) == only, "a one-step plan is kept whatever it says"
