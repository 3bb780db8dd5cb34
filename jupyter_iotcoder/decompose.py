"""Stage 1, task decomposition (TDSLM): requirement -> ordered TaskList.

Base model plus the "decompose" LoRA adapter when one is shipped; the answer
is constrained to `prompts/decompose.schema.json`, so a malformed plan cannot
come out of it.
"""

from __future__ import annotations

import json

from .calls import StageCaller
from .config import GenerationConfig
from .prompts import load_json, render
from .runtime import ChatRequest
from .schema import Task, TaskList

MIN_TASKS = 2


def decompose_schema(max_tasks: int) -> dict:
    schema = load_json("decompose.schema.json")
    tasks = schema["properties"]["tasks"]
    tasks["maxItems"] = max_tasks
    tasks["minItems"] = min(MIN_TASKS, max_tasks)
    return schema


def decompose_messages(requirement: str, max_tasks: int) -> tuple[dict, ...]:
    """System rules, one worked example from another IoT domain, then the user's requirement."""
    example = load_json("decompose.example.json")
    system = render("decompose.system.md", min_tasks=min(MIN_TASKS, max_tasks), max_tasks=max_tasks)
    return (
        {"role": "system", "content": system},
        {"role": "user", "content": render("decompose.user.md", requirement=example["requirement"])},
        {"role": "assistant", "content": json.dumps(example["answer"])},
        {"role": "user", "content": render("decompose.user.md", requirement=requirement)},
    )


def decompose(requirement: str, caller: StageCaller, config: GenerationConfig) -> TaskList:
    request = ChatRequest(
        messages=decompose_messages(requirement, config.max_tasks),
        max_tokens=config.limits.decompose_tokens,
        temperature=config.temperature,
        seed=config.seed,
        json_schema=decompose_schema(config.max_tasks),
    )
    caller.notify("decomposing the requirement into tasks")
    answer = caller.call_json(request)
    tasks = [Task(id=i, **item) for i, item in enumerate(answer["tasks"], start=1)]
    return TaskList(requirement=requirement, tasks=tasks)
