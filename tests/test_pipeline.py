"""generate(): the three stages end to end with a scripted model, then the notebook it becomes."""

from __future__ import annotations

import threading

import pytest

from jupyter_iotcoder.calls import ProgressEvent
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.errors import GenerationCancelled, RequirementError
from jupyter_iotcoder.notebook import build_notebook
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.schema import PipelineResult
from scripted_answers import REQUIREMENT, full_run, walking_signal

from conftest import ScriptedRuntime


@pytest.fixture
def result() -> PipelineResult:
    return generate(REQUIREMENT, ScriptedRuntime(full_run()))


def collapse(stages: list[str]) -> list[str]:
    """Consecutive repeats removed: ["a", "a", "b", "a"] -> ["a", "b", "a"]."""
    return [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]


def test_generate_returns_two_tasks_specs_and_modules_without_problems(result):
    assert [t.id for t in result.tasks.tasks] == [1, 2]
    assert [s.task_id for s in result.specs] == [1, 2]
    assert [m.task_id for m in result.modules] == [1, 2]
    assert [m.function_name for m in result.modules] == ["acceleration_magnitude", "count_steps"]
    assert [m.problems for m in result.modules] == [[], []]
    assert [m.attempts for m in result.modules] == [1, 1]
    assert result.requirement == REQUIREMENT
    assert result.model == "scripted"
    assert result.warnings == []


def test_generate_counts_calls_and_tokens_per_stage(result):
    calls = {stage: s.calls for stage, s in result.stats.items()}
    # codegen: two steps and two alternatives of the user's function; validate: each step, then the pipeline's
    # version and the alternative (the two alternatives are the same code, which runs once)
    assert calls == {"decompose": 1, "transform": 4, "codegen": 4, "validate": 4}
    assert all(result.stats[stage].tokens > 0 for stage in ("decompose", "transform", "codegen"))
    assert result.stats["validate"].seconds > 0


def test_generate_uses_every_scripted_answer_once():
    runtime = ScriptedRuntime(full_run())
    generate(REQUIREMENT, runtime)
    assert runtime.queue == []
    assert len(runtime.history) == 9


def test_progress_events_arrive_in_stage_order():
    events: list[ProgressEvent] = []
    generate(REQUIREMENT, ScriptedRuntime(full_run()), on_event=events.append)
    assert collapse([e.stage for e in events]) == ["decompose", "transform", "codegen", "done"]
    assert events[-1].message == "done"
    assert events[-1].tokens > 0


def test_progress_events_of_a_task_carry_its_index_and_the_task_count():
    events: list[ProgressEvent] = []
    generate(REQUIREMENT, ScriptedRuntime(full_run()), on_event=events.append)
    for stage in ("transform", "codegen"):
        assert collapse([e.task_index for e in events if e.stage == stage]) == [1, 2]
        assert {e.task_count for e in events if e.stage == stage} == {2}


def test_requirement_error_is_raised_before_any_model_call():
    runtime = ScriptedRuntime(full_run())
    events: list[ProgressEvent] = []
    with pytest.raises(RequirementError):
        generate("What is the capital of France?", runtime, on_event=events.append)
    assert runtime.history == []
    assert events == []


def test_cancel_set_at_the_first_transform_event_raises_generation_cancelled():
    runtime = ScriptedRuntime(full_run())
    cancel = threading.Event()
    events: list[ProgressEvent] = []

    def on_event(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage == "transform":
            cancel.set()

    with pytest.raises(GenerationCancelled):
        generate(REQUIREMENT, runtime, on_event=on_event, cancel=cancel)
    assert len(runtime.history) == 2  # the decompose call, then the first transform call, which stopped
    assert "codegen" not in {e.stage for e in events}
    assert "done" not in {e.stage for e in events}


def test_pipeline_result_round_trips_through_json(result):
    again = PipelineResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.modules[1].code == result.modules[1].code
    assert again.specs[1].inputs[0].from_requirement  # a revision reloaded from JSON validates as the first run did


def test_notebook_has_plan_two_steps_and_wiring_cells(result):
    nb = build_notebook(result)
    kinds = [(cell.cell_type, cell.metadata["iotcoder"]["kind"]) for cell in nb.cells]
    assert kinds == [
        ("markdown", "plan"),
        ("markdown", "task-markdown"), ("code", "task-code"),
        ("markdown", "task-markdown"), ("code", "task-code"),
        ("code", "wiring"),
    ]


def test_notebook_code_counts_steps_of_a_2_hz_walking_signal(result):
    nb = build_notebook(result)
    namespace: dict = {"__name__": "generated_notebook"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    acc = walking_signal()
    assert acc.shape == (500, 3)
    steps = namespace["run_pipeline"](acc, 50.0)
    assert 15 <= steps <= 25


def test_generate_with_a_config_passes_it_to_every_stage():
    runtime = ScriptedRuntime(full_run())
    generate(REQUIREMENT, runtime, GenerationConfig(seed=11, max_tasks=3))
    assert runtime.history[0].json_schema["properties"]["tasks"]["maxItems"] == 3
    assert {r.seed for r in runtime.history[:7]} == {11}
    assert [r.seed for r in runtime.history[7:]] == [11, 1013]  # the plain answer as a chat gets it; then a seed of its own


def test_sampling_schema_drops_string_length_limits_but_answers_are_still_checked_against_them():
    from jupyter_iotcoder.calls import StageCaller, sampling_schema
    from jupyter_iotcoder.errors import GenerationError
    from jupyter_iotcoder.runtime import ChatRequest
    from jupyter_iotcoder.schema import StageStats

    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5, "minLength": 1}},
              "required": ["name"]}
    assert sampling_schema(schema) == {"type": "object", "properties": {"name": {"type": "string"}},
                                       "required": ["name"]}
    runtime = ScriptedRuntime([{"name": ""}, {"name": ""}])
    caller = StageCaller(runtime, "transform", StageStats())
    with pytest.raises(GenerationError, match="schema"):
        caller.call_json(ChatRequest(({"role": "user", "content": "x"},), max_tokens=20, json_schema=schema))
    assert "maxLength" not in str(runtime.history[0].json_schema)


def test_an_answer_string_over_its_max_length_is_cut_at_a_word_instead_of_failing_the_call():
    from jupyter_iotcoder.calls import StageCaller, clip_to_schema
    from jupyter_iotcoder.runtime import ChatRequest
    from jupyter_iotcoder.schema import StageStats

    schema = {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 12},
        "items": {"type": "array", "items": {"type": "string", "maxLength": 4}}}}
    assert clip_to_schema({"name": "abcdefghijklmnop", "items": ["ok", "toolong"]}, schema) == {
        "name": "abcdefghijkl", "items": ["ok", "tool"]}
    runtime = ScriptedRuntime([{"name": "acceleration magnitude in metres", "items": []}])
    answer = StageCaller(runtime, "transform", StageStats()).call_json(
        ChatRequest(({"role": "user", "content": "x"},), max_tokens=20, json_schema=schema))
    assert answer == {"name": "acceleration", "items": []}


def test_iter_generate_yields_plan_then_each_spec_then_each_module_then_the_result():
    from jupyter_iotcoder.pipeline import iter_generate
    from jupyter_iotcoder.schema import CodeModule, TaskList, TaskSpec

    outputs = list(iter_generate(REQUIREMENT, ScriptedRuntime(full_run())))
    assert [type(o).__name__ for o in outputs] == [
        "TaskList", "TaskSpec", "TaskSpec", "CodeModule", "CodeModule", "PipelineResult"]
    result = outputs[-1]
    assert isinstance(outputs[0], TaskList) and outputs[0] == result.tasks
    assert [o for o in outputs if isinstance(o, TaskSpec)] == result.specs
    assert [o for o in outputs if isinstance(o, CodeModule)] == result.modules


def test_iter_generate_writes_the_same_modules_as_codegen():
    from jupyter_iotcoder.calls import StageCaller
    from jupyter_iotcoder.codegen import codegen
    from jupyter_iotcoder.schema import StageStats

    result = generate(REQUIREMENT, ScriptedRuntime(full_run()))
    stats = StageStats()
    modules = codegen(result.tasks, result.specs, StageCaller(ScriptedRuntime(full_run()[5:]), "codegen",
                                                              StageStats()), GenerationConfig(), stats)
    strip = {"attempt_log"}
    assert [m.model_dump(exclude=strip) for m in modules] == [m.model_dump(exclude=strip) for m in result.modules]
    assert stats.calls == result.stats["validate"].calls
