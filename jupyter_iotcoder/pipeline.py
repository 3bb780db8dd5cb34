"""The three stages in order: requirement -> TaskList -> [TaskSpec] -> [CodeModule].

This is the one API that the CLI, the notebook magic and the chat persona call.
"""

from __future__ import annotations

import threading
import time
import uuid

from .calls import EventSink, ProgressEvent, StageCaller
from .codegen import codegen
from .config import GenerationConfig
from .decompose import decompose
from .requirement import check_requirement
from .runtime import Runtime
from .schema import PipelineResult, StageStats
from .transform import transform


def generate(
    requirement: str,
    runtime: Runtime,
    config: GenerationConfig | None = None,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
) -> PipelineResult:
    """Run all three stages; raises RequirementError before any model call when the input is unusable."""
    config = config or GenerationConfig()
    requirement, warnings = check_requirement(requirement, config)
    adapters = runtime.adapters()
    stats = {stage: StageStats() for stage in ("decompose", "transform", "codegen", "validate")}

    def caller(stage: str) -> StageCaller:
        return StageCaller(runtime, stage, stats[stage], on_event, cancel,
                           adapter=stage if stage in adapters else None)

    start = time.perf_counter()
    tasks = decompose(requirement, caller("decompose"), config)
    specs = transform(tasks, caller("transform"), config)
    modules = codegen(tasks, specs, caller("codegen"), config, validation_stats=stats["validate"])
    if on_event is not None:
        total = sum(s.tokens for s in stats.values())
        elapsed = time.perf_counter() - start
        on_event(ProgressEvent("done", len(tasks.tasks), len(tasks.tasks), total,
                               total / elapsed if elapsed else 0.0, elapsed, "done"))
    return PipelineResult(
        run_id=uuid.uuid4().hex[:12],
        requirement=requirement,
        model=runtime.model_name,
        adapters=adapters,
        tasks=tasks,
        specs=specs,
        modules=modules,
        stats=stats,
        warnings=warnings,
    )
