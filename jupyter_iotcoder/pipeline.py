"""The three stages in order: requirement -> TaskList -> [TaskSpec] -> [CodeModule].

This is the one API that the CLI, the notebook magic and the chat persona call:
`generate()` returns the whole result; `iter_generate()` yields each stage's
output as soon as it exists, for front-ends that show work as it completes.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Iterator, Union

from .calls import EventSink, ProgressEvent, StageCaller
from .codegen import codegen_step
from .config import GenerationConfig
from .decompose import decompose
from .requirement import check_requirement, with_available_data
from .runtime import Runtime
from .schema import CodeModule, PipelineResult, StageStats, TaskList, TaskSpec
from .transform import iter_transform

StageOutput = Union[TaskList, TaskSpec, CodeModule, PipelineResult]


def stage_callers(runtime: Runtime, on_event: EventSink | None, cancel: threading.Event | None
                  ) -> tuple[dict[str, StageStats], dict[str, StageCaller]]:
    """Fresh per-stage stats and the callers that count into them, each with its stage's adapter if loaded."""
    adapters = runtime.adapters()
    stats = {stage: StageStats() for stage in ("decompose", "transform", "codegen", "validate")}
    callers = {stage: StageCaller(runtime, stage, stats[stage], on_event, cancel,
                                  adapter=stage if stage in adapters else None)
               for stage in ("decompose", "transform", "codegen")}
    return stats, callers


def emit_done(on_event: EventSink | None, stats: dict[str, StageStats], task_count: int, started: float) -> None:
    if on_event is not None:
        total = sum(s.tokens for s in stats.values())
        elapsed = time.perf_counter() - started
        on_event(ProgressEvent("done", task_count, task_count, total,
                               total / elapsed if elapsed else 0.0, elapsed, "done"))


def iter_generate(
    requirement: str,
    runtime: Runtime,
    config: GenerationConfig | None = None,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[StageOutput]:
    """Yield the TaskList, then each TaskSpec, then each CodeModule, and last the PipelineResult.

    Raises RequirementError on the first `next()`, before any model call, when the input is unusable.
    """
    config = config or GenerationConfig()
    requirement, warnings = check_requirement(requirement, config)
    stats, callers = stage_callers(runtime, on_event, cancel)
    start = time.perf_counter()
    tasks = decompose(with_available_data(requirement, config.available_data), callers["decompose"], config)
    if tasks.fallback_reason:
        warnings = [*warnings, f"the planning model gave no valid plan ({tasks.fallback_reason}), so the "
                               "requirement is one step"]
    yield tasks
    specs: list[TaskSpec] = []
    for spec in iter_transform(tasks, callers["transform"], config):
        specs.append(spec)
        yield spec
    modules: list[CodeModule] = []
    while len(modules) < len(tasks.tasks):
        modules.append(codegen_step(tasks, specs, modules, callers["codegen"], config, stats["validate"]))
        yield modules[-1]
    emit_done(on_event, stats, len(tasks.tasks), start)
    yield PipelineResult(
        run_id=uuid.uuid4().hex[:12],
        requirement=requirement,
        model=runtime.model_name,
        adapters=runtime.adapters(),
        tasks=tasks,
        specs=specs,
        modules=modules,
        stats=stats,
        warnings=warnings,
        available_data=list(config.available_data),
    )


def generate(
    requirement: str,
    runtime: Runtime,
    config: GenerationConfig | None = None,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
) -> PipelineResult:
    """Run all three stages; raises RequirementError before any model call when the input is unusable."""
    output: StageOutput | None = None
    for output in iter_generate(requirement, runtime, config, on_event=on_event, cancel=cancel):
        pass
    assert isinstance(output, PipelineResult)
    return output
