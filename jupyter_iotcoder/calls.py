"""How a pipeline stage calls the model: progress events, per-stage stats, JSON answers.

A stage gets a `StageCaller` and never sees the runtime's details. JSON answers
are validated against their schema even though sampling was constrained:
llama-cpp-python falls back to a generic JSON grammar when it cannot convert a
schema, and a token cap can cut an answer short.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

import jsonschema

from .errors import GenerationError
from .runtime import ChatRequest, Completion, Runtime, complete
from .schema import StageStats


def sampling_schema(schema: Any) -> Any:
    """The schema without minLength/maxLength.

    llama.cpp turns a string-length limit into a grammar with one state per
    character, and sampling under it was measured at 0.3-4 s per token on
    some prompts; the limits are checked after sampling instead.
    """
    if isinstance(schema, dict):
        return {k: sampling_schema(v) for k, v in schema.items() if k not in ("minLength", "maxLength")}
    if isinstance(schema, list):
        return [sampling_schema(v) for v in schema]
    return schema


def clip_to_schema(data: Any, schema: Any) -> Any:
    """`data` with every string longer than its schema's maxLength cut at a word boundary.

    Sampling ignores length limits (see `sampling_schema`), and a small model
    sometimes copies a long sentence into a short field; cutting it keeps an
    otherwise good answer instead of failing the whole call.
    """
    if not isinstance(schema, dict):
        return data
    if isinstance(data, str) and isinstance(schema.get("maxLength"), int) and len(data) > schema["maxLength"]:
        cut = data[: schema["maxLength"]]
        return cut.rsplit(" ", 1)[0] if " " in cut[len(cut) // 2:] else cut
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        return {key: clip_to_schema(value, properties.get(key)) for key, value in data.items()}
    if isinstance(data, list):
        return [clip_to_schema(item, schema.get("items")) for item in data]
    return data


@dataclass(frozen=True)
class ProgressEvent:
    """What the CLI, the notebook widget and the chat persona show while the pipeline works."""

    stage: str  # "decompose" | "transform" | "codegen" | "done"
    task_index: int = 0  # 1-based; 0 when the event is not about one task
    task_count: int = 0
    tokens: int = 0
    tokens_per_second: float = 0.0
    elapsed: float = 0.0
    message: str = ""


EventSink = Callable[[ProgressEvent], None]


@dataclass
class StageCaller:
    runtime: Runtime
    stage: str
    stats: StageStats
    emit: EventSink | None = None
    cancel: threading.Event | None = None
    task_index: int = 0
    task_count: int = 0
    adapter: str | None = None

    def for_task(self, index: int, count: int) -> "StageCaller":
        return replace(self, task_index=index, task_count=count)

    def notify(self, message: str) -> None:
        if self.emit is not None:
            self.emit(ProgressEvent(self.stage, self.task_index, self.task_count, message=message))

    def call(self, request: ChatRequest, until: Callable[[str], str | None] | None = None) -> Completion:
        request = replace(request, adapter=self.adapter)

        def on_token(tokens: int, elapsed: float) -> None:
            if self.emit is not None and (tokens % 8 == 0 or tokens == 1):
                rate = tokens / elapsed if elapsed > 0 else 0.0
                self.emit(ProgressEvent(self.stage, self.task_index, self.task_count, tokens, rate, elapsed))

        result = complete(self.runtime, request, on_token=on_token, cancel=self.cancel, until=until)
        self.stats.seconds += result.seconds
        self.stats.tokens += result.tokens
        self.stats.calls += 1
        return result

    def call_json(self, request: ChatRequest, retries: int = 1) -> dict[str, Any]:
        """A schema-constrained call whose answer is parsed and validated; retried with a new seed.

        Sampling uses the schema without string-length limits (see `sampling_schema`); the answer
        is still validated against the full schema. An answer cut off at its token cap is retried
        with twice the cap: a signature of six parameters needs a longer spec than the cap allows.
        """
        schema = request.json_schema
        problem = ""
        max_tokens = request.max_tokens
        for attempt in range(retries + 1):
            seed = None if request.seed is None else request.seed + attempt
            answer = self.call(replace(request, seed=seed, max_tokens=max_tokens, json_schema=sampling_schema(schema)))
            try:
                data = clip_to_schema(json.loads(answer.text), schema)
                jsonschema.validate(data, schema)
                return data
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON ({exc.msg}; finish: {answer.finish_reason})"
                if answer.finish_reason == "length":
                    max_tokens *= 2
            except jsonschema.ValidationError as exc:
                problem = f"does not match its schema: {exc.message}"
        raise GenerationError(f"the {self.stage} model's answer {problem}")
