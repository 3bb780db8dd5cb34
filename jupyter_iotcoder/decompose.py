"""Stage 1, task decomposition (TDSLM): requirement -> ordered TaskList.

Base model plus the "decompose" LoRA adapter when one is shipped; the answer
is sampled under `prompts/decompose.schema.json` and validated against it. A
model that still gives no valid plan (a title cut off, a loop to the token cap)
does not end the run: the requirement becomes a one-step plan, marked as such.
"""

from __future__ import annotations

import json
import re

from .calls import StageCaller
from .config import GenerationConfig
from .errors import GenerationError
from .prompts import load_json, render
from .runtime import ChatRequest
from .requirement import find_required_signature
from .schema import Task, TaskList

MIN_TASKS = 2
COPY_SPAN_WORDS = 5


def decompose_schema(max_tasks: int) -> dict:
    schema = load_json("decompose.schema.json")
    tasks = schema["properties"]["tasks"]
    tasks["maxItems"] = max_tasks
    tasks["minItems"] = min(MIN_TASKS, max_tasks)
    return schema


def decompose_messages(requirement: str, max_tasks: int, with_example: bool = True) -> tuple[dict, ...]:
    """System rules, one worked example from another IoT domain, then the user's requirement."""
    system = {"role": "system",
              "content": render("decompose.system.md", min_tasks=min(MIN_TASKS, max_tasks), max_tasks=max_tasks)}
    user = {"role": "user", "content": render("decompose.user.md", requirement=requirement)}
    if not with_example:
        return (system, user)
    example = load_json("decompose.example.json")
    return (
        system,
        {"role": "user", "content": render("decompose.user.md", requirement=example["requirement"])},
        {"role": "assistant", "content": json.dumps(example["answer"])},
        user,
    )


def decompose(requirement: str, caller: StageCaller, config: GenerationConfig) -> TaskList:
    """The plan; asked again without the worked example when the first one pastes the example's techniques.

    Measured on the base 0.5B (bench/results/plans-example-0.5b): 14 of 30 plans copied the example;
    without the example none did, but the plans drift more, so the example stays for the first try.
    """
    try:
        tasks = _plan(requirement, caller, config, with_example=True)
        if copied_from_example(tasks, requirement):
            caller.notify("the plan copied the worked example; planning again without it")
            tasks = _plan(requirement, caller, config, with_example=False)
    except GenerationError as first:
        caller.notify(f"no valid plan ({first}); planning again without the worked example")
        try:
            tasks = _plan(requirement, caller, config, with_example=False)
        except GenerationError as second:
            caller.notify("no valid plan again; the requirement becomes one step")
            return one_step_plan(requirement, f"{second}")
    return TaskList(requirement=requirement, tasks=without_input_checks(tasks))


_INPUT_CHECK = re.compile(
    r"^\s*(?:(?:check|validate|verify|ensure)\b[^.]*\b(?:inputs?|parameters?|arguments?|conditions?)\b"
    r"|(?:handle|raise|return)\b[^.]*\b(?:errors?|valueerror|exceptions?)\b)", re.I)
_VALIDITY_FLAG = re.compile(r"valid|(?:^|_)ok$|^ok(?:_|$)|check|error|^none$", re.I)  # `valid_inputs`, `is_ok`, "None"


def without_input_checks(tasks: list[Task]) -> list[Task]:
    """The plan without steps that only check the inputs or handle errors, and feed no later step.

    The 1.5B planned a door-sensor function as four steps and then "Check for valid inputs" last, which
    became the user's function (the last step is): its spec asked for a `valid_inputs` flag instead of
    the door's open intervals. It also plans "Check the input parameters" producing "None", "Return
    ValueError if conditions are not met", and "Handle errors" passing on the result an earlier step
    computed. Each step checks its own inputs; the user's function also gets the requirement's "Raise
    ValueError if ..." in full. Such a step goes when what it produces beyond the earlier steps' results
    is validity flags at most, used by no later step. A step that checks and cleans, whose cleaned data a
    later step consumes, stays, and so does one that produces something else ("Check the input for
    saturation" -> `saturated`). The rest are renumbered.
    """
    kept = []
    for index, task in enumerate(tasks):
        produced_before = {name for earlier in tasks[:index] for name in earlier.outputs}
        fresh = [name for name in task.outputs if name not in produced_before]
        used_later = {name for later in tasks[index + 1:] for name in later.inputs}
        flags_only = all(_VALIDITY_FLAG.search(name) for name in fresh)
        if len(tasks) > 1 and _INPUT_CHECK.search(task.title) and flags_only and not set(fresh) & used_later:
            continue
        kept.append(task)
    return [task.model_copy(update={"id": i}) for i, task in enumerate(kept or tasks, start=1)]


def one_step_plan(requirement: str, reason: str) -> TaskList:
    """The whole requirement as the only task: what a plan that the model could not give falls back to."""
    signature = find_required_signature(requirement)
    first_sentence = re.split(r"(?<=[.!?])\s", requirement.strip(), maxsplit=1)[0]
    title = f"Implement {signature.function_name}" if signature else " ".join(first_sentence.split()[:12])
    return TaskList(requirement=requirement, fallback_reason=reason,
                    tasks=[Task(id=1, title=title, description=requirement.strip())])


def _plan(requirement: str, caller: StageCaller, config: GenerationConfig, with_example: bool) -> list[Task]:
    request = ChatRequest(
        messages=decompose_messages(requirement, config.max_tasks, with_example),
        max_tokens=config.limits.decompose_tokens,
        temperature=config.temperature,
        seed=config.seed,
        json_schema=decompose_schema(config.max_tasks),
    )
    caller.notify("decomposing the requirement into tasks")
    answer = caller.call_json(request)
    return [Task(id=i, **item) for i, item in enumerate(answer["tasks"], start=1)]


def _word_ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


_CODE_NAME = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _plan_text(tasks: list[dict]) -> str:
    return " ".join(f"{t['title']} {t['description']} {' '.join(t['inputs'])} {' '.join(t['outputs'])}" for t in tasks)


def copied_from_example(tasks: list[Task], requirement: str) -> list[str]:
    """What the plan took from the worked example and the requirement lacks: 5-word spans and code names.

    A small model tends to paste the example's techniques into plans for unrelated sensors: whole
    phrases (the old Wi-Fi example's band-pass "per subcarrier"), or a single API or variable name
    (`numpy.polyfit` in an EWMA control chart, `volume_l`); such a plan describes another application.
    """
    example = _plan_text(load_json("decompose.example.json")["answer"]["tasks"])
    plan = _plan_text([t.model_dump() for t in tasks])
    foreign = _word_ngrams(example, COPY_SPAN_WORDS) - _word_ngrams(requirement, COPY_SPAN_WORDS)
    spans = sorted(" ".join(span) for span in _word_ngrams(plan, COPY_SPAN_WORDS) & foreign)
    names = _code_names(example) - _code_names(requirement)
    return spans + sorted(names & (_code_names(plan) | set(re.findall(r"\w+", plan.lower()))))


def _code_names(text: str) -> set[str]:
    """Dotted and snake_case names, and the last part of each dotted one (a plan writes bare "polyfit")."""
    names = {name.lower() for name in _CODE_NAME.findall(text)}
    return names | {name.rsplit(".", 1)[1] for name in names if "." in name}
