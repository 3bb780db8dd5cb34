"""Selection by agreement: independently written versions of the user's function are compared on sample inputs."""

from jupyter_iotcoder.codegen import codegen_step
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.consensus import (PIPELINE, PLAIN_PROMPT, WHOLE_REQUIREMENT, Candidate, agreement_note,
                                        choose_users_function, pick)
from jupyter_iotcoder.schema import CodeModule, Param, Signature, StageStats, Task, TaskList, TaskSpec
from jupyter_iotcoder.validate import Validation, validate_steps
from jupyter_iotcoder.calls import StageCaller

from conftest import ScriptedRuntime

REQUIREMENT = "Remove the offset of a sensor signal: write centre(x) returning x minus its mean."
TASK = Task(id=1, title="Centre", description="Subtract the mean.", inputs=["x"], outputs=["centred"])
SPEC = TaskSpec(task_id=1, target="Centre a signal.",
                signature=Signature(function_name="centre", parameters=["x"], required=True),
                inputs=[Param(name="x", type="np.ndarray, shape (n_samples,)", from_requirement=True)],
                outputs=[Param(name="centred", type="np.ndarray, shape (n_samples,)")])
RIGHT = "import numpy as np\n\ndef centre(x):\n    x = np.asarray(x, float)\n    return x - x.mean()\n"
RIGHT_AS_LIST = "def centre(x):\n    m = sum(x) / len(x)\n    return [v - m + 1e-13 for v in x]\n"
WRONG = "import numpy as np\n\ndef centre(x):\n    x = np.asarray(x, float)\n    return x - np.median(x) * 2\n"


def _module(code: str) -> CodeModule:
    return CodeModule(task_id=1, function_name="centre", code=code)


def _validated(code: str) -> Validation:
    return validate_steps([(TASK, SPEC, _module(code))], timeout=10, call_last=True)


def _validation(fingerprint: str, status: str = "passed") -> Validation:
    return Validation(status, fingerprint=fingerprint)


def _candidate(fingerprint: str, status: str = "passed") -> Candidate:
    return Candidate(_module(RIGHT), _validation(fingerprint, status), "x")


ORIGINS = [PIPELINE, PLAIN_PROMPT, WHOLE_REQUIREMENT, WHOLE_REQUIREMENT]


def _pick(*validations: Validation) -> tuple[int, int]:
    """pick() over the candidates in the order the cross-check writes them."""
    return pick(list(validations), ORIGINS[:len(validations)])


def test_the_largest_group_of_agreeing_validated_candidates_wins():
    assert _pick(_validation("a"), _validation("b"), _validation("b")) == (1, 2)
    assert _pick(_validation("a"), _validation("b"), _validation("a")) == (0, 2)
    assert _pick(_validation("a"), _validation("b"), _validation("c"), _validation("c")) == (2, 2)


def test_on_a_tie_the_plain_prompts_answer_wins_then_the_pipelines_and_failed_candidates_have_no_vote():
    assert _pick(_validation("a"), _validation("b"), _validation("c")) == (1, 1)
    assert _pick(_validation("a"), _validation("b", "failed"), _validation("c")) == (0, 1)
    assert _pick(_validation("a"), _validation("b"), _validation("a"), _validation("b")) == (1, 2)
    assert _pick(_validation("", "failed"), _validation("b"), _validation("b", "failed")) == (1, 1)
    assert _pick(_validation("", "failed"), _validation("", "inconclusive")) == (0, 0)
    assert pick([_validation("a"), _validation("b")], ["elsewhere", WHOLE_REQUIREMENT]) == (1, 1)


def test_the_pipelines_module_stays_when_the_plain_answer_agrees_with_it():
    assert _pick(_validation("a"), _validation("a"), _validation("c")) == (0, 2)


def test_empty_outputs_agree_with_nothing_so_detectors_that_find_no_event_in_noise_do_not_outvote():
    empty = _validated("def centre(x):\n    return []\n").fingerprint
    assert empty.startswith("empty")
    assert _validated("def centre(x):\n    return ((), [])\n").fingerprint.startswith("empty")
    assert not _validated("def centre(x):\n    return [0]\n").fingerprint.startswith("empty")
    instance = "class centre:\n    def __init__(self, x):\n        self.x = x\n"  # a class: its repr has an address
    assert _validated(instance).fingerprint == _validated(instance.replace("self.x = x", "pass")).fingerprint
    assert _validated(instance).fingerprint.startswith("empty")
    assert _pick(_validation(empty), _validation(empty), _validation(empty)) == (1, 1)
    assert _pick(_validation("", "failed"), _validation(empty), _validation(empty)) == (1, 1)
    assert _pick(_validation("a"), _validation(empty), _validation(empty)) == (1, 1)
    assert _pick(_validation(empty), _validation("b"), _validation("b")) == (1, 2)
    candidates = [_candidate(empty), _candidate(empty)]
    assert agreement_note(candidates, 0, 1).startswith("*Not cross-checked: on sample inputs this function's result "
                                                       "was empty")
    assert agreement_note(candidates, 1, 1).endswith("does not call the steps above.*")


def test_outputs_that_agree_to_four_digits_share_a_digest_whatever_their_container():
    right, as_list, wrong = _validated(RIGHT), _validated(RIGHT_AS_LIST), _validated(WRONG)
    assert right.status == as_list.status == wrong.status == "passed"
    assert right.fingerprint == as_list.fingerprint != wrong.fingerprint and len(right.fingerprint) == 16


def test_the_pipelines_wrong_function_is_outvoted_by_two_agreeing_alternatives():
    written = iter([RIGHT, RIGHT_AS_LIST])
    chosen = choose_users_function(_module(WRONG), [], TASK, SPEC, lambda n, validator: _module(next(written)),
                                   GenerationConfig(alternatives=2, sandbox_timeout_s=10), StageStats())
    assert chosen.code.strip() == RIGHT.strip() and chosen.validation == "passed"
    assert "2 of 3" in chosen.agreement and "does not call the steps above" in chosen.agreement
    summary = chosen.attempt_log[-1]
    assert summary["chosen"] == 1 and [c["origin"] for c in summary["selection"]] == [
        "pipeline", "plain prompt", "whole requirement"]
    assert [c["code"] for c in summary["selection"]] == [WRONG, RIGHT, RIGHT_AS_LIST]


def test_a_pipeline_function_that_fails_validation_gives_way_to_a_lone_validated_alternative():
    written = iter(["def centre(x):\n    return undefined_name\n", RIGHT])
    chosen = choose_users_function(_module("def centre(x):\n    return x[10**9]\n"), [], TASK, SPEC,
                                   lambda n, validator: _module(next(written)),
                                   GenerationConfig(alternatives=2, sandbox_timeout_s=10), StageStats())
    assert chosen.code.strip() == RIGHT.strip() and chosen.agreement.startswith("*Rewritten")
    assert [c["validation"] for c in chosen.attempt_log[-1]["selection"]] == ["failed", "failed", "passed"]


def test_a_lone_disagreeing_pipeline_function_is_kept_and_flagged_for_review():
    written = iter(["def centre(x):\n    return undefined_name\n", WRONG.replace("* 2", "* 3")])
    chosen = choose_users_function(_module(RIGHT), [], TASK, SPEC, lambda n, validator: _module(next(written)),
                                   GenerationConfig(alternatives=2, sandbox_timeout_s=10), StageStats())
    assert chosen.code.strip() == RIGHT.strip()
    assert chosen.agreement.startswith("*Not confirmed") and chosen.attempt_log[-1]["agreeing"] == 1


def test_the_plain_answer_kept_on_a_tie_with_the_pipelines_says_so():
    written = iter([RIGHT, "def centre(x):\n    return undefined_name\n"])
    chosen = choose_users_function(_module(WRONG), [], TASK, SPEC, lambda n, validator: _module(next(written)),
                                   GenerationConfig(alternatives=2, sandbox_timeout_s=10), StageStats())
    assert chosen.code.strip() == RIGHT.strip() and chosen.attempt_log[-1]["chosen"] == 1
    assert chosen.agreement.startswith("*Not confirmed: the 3 versions") and "plain prompt" in chosen.agreement
    assert "does not call the steps above" in chosen.agreement


def test_the_last_step_is_written_again_with_the_plain_prompt_and_the_code_prompt_and_the_choice_reaches_the_notebook():
    answer = f"```python\n{RIGHT}```"
    runtime = ScriptedRuntime([f"```python\n{WRONG}```", answer, answer])
    tasks = TaskList(requirement=REQUIREMENT, tasks=[TASK])
    caller = StageCaller(runtime, "codegen", StageStats())
    config = GenerationConfig(alternatives=2)
    module = codegen_step(tasks, [SPEC], [], caller, config, StageStats())
    assert len(runtime.history) == 3
    step, plain, code_prompt = runtime.history
    assert plain.messages[1]["content"] == REQUIREMENT and "helpful coding assistant" in plain.messages[0]["content"]
    assert (plain.seed, plain.temperature) == (step.seed, step.temperature) == (config.seed, config.temperature)
    assert REQUIREMENT in code_prompt.messages[1]["content"] and "`def centre(x)`" in code_prompt.messages[1]["content"]
    assert code_prompt.seed != plain.seed
    assert module.code.strip() == RIGHT.strip() and "2 of 3" in module.agreement


def test_without_alternatives_or_validation_the_step_is_written_once():
    for config in (GenerationConfig(alternatives=0), GenerationConfig(validate=False)):
        runtime = ScriptedRuntime([f"```python\n{RIGHT}```"])
        tasks = TaskList(requirement=REQUIREMENT, tasks=[TASK])
        module = codegen_step(tasks, [SPEC], [], StageCaller(runtime, "codegen", StageStats()), config, StageStats())
        assert len(runtime.history) == 1 and module.agreement == ""


def test_an_alternative_that_crashes_on_sample_inputs_is_repaired_once_and_then_takes_part():
    crashing = "import numpy as np\n\ndef centre(x):\n    return np.asarray(x)[10**9]\n"
    runtime = ScriptedRuntime([f"```python\n{WRONG}```", f"```python\n{crashing}```", f"```python\n{RIGHT}```",
                               f"```python\n{RIGHT_AS_LIST}```"])
    tasks = TaskList(requirement=REQUIREMENT, tasks=[TASK])
    caller = StageCaller(runtime, "codegen", StageStats())
    module = codegen_step(tasks, [SPEC], [], caller, GenerationConfig(alternatives=2, sandbox_timeout_s=10),
                          StageStats())
    assert len(runtime.history) == 4
    repair_prompt = runtime.history[2].messages[1]["content"]
    assert REQUIREMENT in repair_prompt and "10**9" in repair_prompt and "IndexError" in repair_prompt
    assert module.code.strip() == RIGHT.strip() and "2 of 3" in module.agreement
    first_alternative = [e for e in module.attempt_log if e.get("alternative") == 1]
    assert [e["validation"] for e in first_alternative] == ["failed", "passed"]


def test_an_alternative_gets_one_repair_at_most_and_a_failing_one_has_no_vote():
    crashing = "import numpy as np\n\ndef centre(x):\n    return np.asarray(x)[10**9]\n"
    runtime = ScriptedRuntime([f"```python\n{RIGHT}```"] + [f"```python\n{crashing}```"] * 4)
    tasks = TaskList(requirement=REQUIREMENT, tasks=[TASK])
    module = codegen_step(tasks, [SPEC], [], StageCaller(runtime, "codegen", StageStats()),
                          GenerationConfig(alternatives=2, repair_attempts=3, sandbox_timeout_s=10), StageStats())
    assert len(runtime.history) == 5
    assert module.code.strip() == RIGHT.strip()
    assert [c["validation"] for c in module.attempt_log[-1]["selection"]] == ["passed", "failed", "failed"]


def test_with_no_validated_version_the_one_that_got_furthest_is_kept_and_not_called_validated():
    assert _pick(_validation("", "failed"), _validation("", "failed"), _validation("", "inconclusive")) == (0, 0)
    progresses = ["static", "ran", "ran"]
    assert pick([_validation("", "failed")] * 3, ORIGINS[:3], progresses) == (1, 0)
    assert pick([_validation("", "failed")] * 3, ORIGINS[:3], ["ran", "static", "inconclusive"]) == (2, 0)
    assert pick([_validation("", "failed")] * 3, ORIGINS[:3], ["ran", "static", "ran"]) == (0, 0)
    imports_a_missing_name = _module("from scipy.signal import dwt\n\ndef centre(x):\n    return dwt(x)\n")
    imports_a_missing_name = imports_a_missing_name.model_copy(update={"problems": ["`scipy.signal` has no `dwt`"]})
    crashing = _module("def centre(x):\n    return x[10**9]\n").model_copy(
        update={"validation": "failed", "problems": ["on sample inputs, IndexError"]})
    chosen = choose_users_function(imports_a_missing_name, [], TASK, SPEC, lambda n, validator: crashing,
                                   GenerationConfig(alternatives=2, sandbox_timeout_s=10), StageStats())
    assert "10**9" in chosen.code and chosen.validation == "failed" and chosen.problems
    assert [v["progress"] for v in chosen.attempt_log[-1]["selection"]] == ["static", "ran", "ran"]
    assert chosen.agreement.startswith("*None of the 3 versions") and "ran, but failed" in chosen.agreement


def test_versions_lacking_the_named_technique_cannot_outvote_one_that_has_it():
    one_way, zero_phase = _validation("lagged"), _validation("aligned")
    assert pick([one_way, zero_phase, one_way], ORIGINS[:3], lacking=[True, False, True]) == (1, 1)
    assert pick([one_way, one_way], ORIGINS[:2], lacking=[True, True]) == (0, 2)  # none has it: votes count
    failed = _validation("", "failed")
    assert pick([failed, failed], ORIGINS[:2], ["ran", "ran"], lacking=[True, False]) == (1, 0)
