"""Follow-ups on a finished run: "make step 3 use a Kalman filter" regenerates only that step.

Pure orchestration over the existing stages. The step the follow-up means is
found by number ("step 3", "the third task", "#3", "the last step") or by the
words that name it ("use a Kalman filter for the smoothing"); its task
description gets the instruction; transform and codegen run again for that one
task, after the earlier steps' specs and modules; every other task, spec and
module is kept as it was. The result is a new PipelineResult with a new run id.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Iterator

from .calls import EventSink
from .codegen import codegen_step
from .config import GenerationConfig
from .errors import IoTCoderError
from .pipeline import StageOutput, emit_done, stage_callers
from .runtime import Runtime
from .schema import PipelineResult, Task, TaskList
from .requirement import find_required_signature
from .transform import transform_task


class RevisionError(IoTCoderError, ValueError):
    """A follow-up whose step cannot be told, or that asks for nothing."""

    exit_code = 2


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10, "last": -1, "final": -1}
_UNIT = r"(?:step|task|part|stage)"
_BY_NUMBER = re.compile(rf"\b{_UNIT}\s*(?:#|no\.?\s*|number\s*)?(\d+)\b|#(\d+)\b|\b(\d+)(?:st|nd|rd|th)\s+{_UNIT}\b", re.I)
_BY_ORDINAL = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+{_UNIT}\b", re.I)
_REVISION_VERBS = set("""
make change use replace switch modify rewrite update redo regenerate improve fix add remove drop let swap instead
convert turn rework tweak adjust
""".split())
_STOP_WORDS = set("""
a an the to of for in on at by with and or it its this that these those step task part stage cell module use
make change using instead please should be is are from into as so can could would then than not no do does
replace switch modify rewrite update redo regenerate improve fix add remove drop let swap convert turn rework
tweak adjust one two three four five first second third fourth fifth last final my your their data value values
""".split())


@dataclass(frozen=True)
class Revision:
    """What a follow-up asks: which task (id) and the instruction, phrased for that task alone."""

    task_id: int
    instruction: str


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "er", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z][a-z0-9]+", text.lower().replace("_", " "))
    return {_stem(w) for w in words if w not in _STOP_WORDS and len(w) > 2}


def _referenced_number(text: str, count: int) -> int | None:
    match = _BY_NUMBER.search(text)
    if match:
        return int(next(g for g in match.groups() if g))
    match = _BY_ORDINAL.search(text)
    if match:
        number = _ORDINALS[match.group(1).lower()]
        return count if number == -1 else number
    return None


def _step_named_by_words(text: str, result: PipelineResult) -> int | None:
    """The one task whose title, description or spec shares the most words with the text; None on a tie."""
    wanted = _content_words(text)
    specs = {spec.task_id: spec for spec in result.specs}
    scores = []
    for task in result.tasks.tasks:
        spec = specs.get(task.id)
        names = [task.title, task.title, task.description]  # the title names a step most clearly
        if spec is not None:
            names += [spec.function_name, spec.target]
        scores.append((sum(len(wanted & _content_words(name)) for name in names), task.id))
    scores.sort(reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][1]


def steps_overview(result: PipelineResult) -> str:
    return "; ".join(f"{t.id}. {t.title}" for t in result.tasks.tasks)


def find_step(text: str, result: PipelineResult) -> int:
    """The task id a follow-up refers to; RevisionError says which steps exist when it cannot be told."""
    count = len(result.tasks.tasks)
    number = _referenced_number(text, count)
    if number is not None:
        if not 1 <= number <= count:
            raise RevisionError(f"There is no step {number}: the plan has {count} steps ({steps_overview(result)}).")
        return number
    named = _step_named_by_words(text, result)
    if named is None:
        raise RevisionError(
            "Which step should change? Name it by number, e.g. 'make step 2 use a Kalman filter'. "
            f"The steps are: {steps_overview(result)}."
        )
    return named


def looks_like_follow_up(text: str, result: PipelineResult | None) -> bool:
    """True when the text revises the last result rather than stating a new requirement.

    A step named by number or position always counts; otherwise a short message
    that starts with a revising verb and names one step by its words does. A
    message that fixes a function signature is a new requirement.
    """
    if result is None or not text.strip():
        return False
    if _referenced_number(text, len(result.tasks.tasks)) is not None:
        return True
    words = re.findall(r"[A-Za-z]+", text)
    if not words or words[0].lower() not in _REVISION_VERBS or len(words) > 30:
        return False
    if find_required_signature(text) is not None:
        return False
    return _step_named_by_words(text, result) is not None


def parse_follow_up(text: str, result: PipelineResult) -> Revision:
    """The step and the instruction, with the reference to the step replaced by 'this step'."""
    instruction = " ".join(text.split())
    if not instruction:
        raise RevisionError("The follow-up is empty: say what to change, e.g. 'make step 2 use a Kalman filter'.")
    task_id = find_step(instruction, result)
    phrased = _BY_NUMBER.sub("this step", _BY_ORDINAL.sub("this step", instruction))
    phrased = re.sub(r"\bthe this step\b", "this step", phrased, flags=re.I)
    return Revision(task_id=task_id, instruction=phrased)


def revised_task(task: Task, instruction: str) -> Task:
    """The task with the user's change written into its description, which both stages read."""
    description = f"{task.description.rstrip()} Change requested by the user: {instruction.rstrip('.')}."
    return task.model_copy(update={"description": description})


def iter_revise(
    result: PipelineResult,
    revision: Revision,
    runtime: Runtime,
    config: GenerationConfig | None = None,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[StageOutput]:
    """Yield the revised TaskList, the step's new TaskSpec, its new CodeModule, then the new PipelineResult."""
    config = config or GenerationConfig()
    ids = [t.id for t in result.tasks.tasks]
    if revision.task_id not in ids:
        raise RevisionError(f"There is no step {revision.task_id}: the plan has steps {ids}.")
    index = ids.index(revision.task_id)
    old_task, old_spec = result.tasks.tasks[index], result.specs[index]
    task = revised_task(old_task, revision.instruction)
    tasks = TaskList(requirement=result.tasks.requirement,
                     tasks=[task if t.id == task.id else t for t in result.tasks.tasks])
    yield tasks

    stats, callers = stage_callers(runtime, on_event, cancel)
    start = time.perf_counter()
    final = index == len(ids) - 1
    required = find_required_signature(tasks.requirement) if final else None
    spec = transform_task(task, tasks, result.specs[:index], callers["transform"].for_task(task.id, len(ids)),
                          config, required)
    # Later steps and the wiring cell call this step's function by its old name.
    spec.signature = spec.signature.model_copy(update={"function_name": old_spec.function_name})
    specs = result.specs[:index] + [spec] + result.specs[index + 1:]
    yield spec

    module = codegen_step(tasks, specs, result.modules[:index], callers["codegen"], config, stats["validate"])
    yield module
    emit_done(on_event, stats, 1, start)

    warnings = list(result.warnings)
    old_outputs = [p.name for p in old_spec.outputs]
    new_outputs = [p.name for p in spec.outputs]
    if index < len(ids) - 1 and new_outputs != old_outputs:
        warnings.append(f"Step {task.id} now returns ({', '.join(new_outputs)}) instead of "
                        f"({', '.join(old_outputs)}); the later steps were not changed and may need the same change.")
    yield result.model_copy(update={
        "run_id": uuid.uuid4().hex[:12],
        "model": runtime.model_name,
        "adapters": runtime.adapters(),
        "tasks": tasks,
        "specs": specs,
        "modules": result.modules[:index] + [module] + result.modules[index + 1:],
        "stats": stats,
        "warnings": warnings,
    })


def revise(result: PipelineResult, instruction: str, runtime: Runtime, config: GenerationConfig | None = None, *,
           on_event: EventSink | None = None, cancel: threading.Event | None = None) -> PipelineResult:
    """Regenerate the one step the follow-up `instruction` refers to; everything else is kept."""
    output: StageOutput | None = None
    for output in iter_revise(result, parse_follow_up(instruction, result), runtime, config,
                              on_event=on_event, cancel=cancel):
        pass
    assert isinstance(output, PipelineResult)
    return output
