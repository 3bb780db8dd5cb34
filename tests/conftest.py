"""Shared test helpers: a scripted stand-in for the model runtime."""

from __future__ import annotations

import json
from typing import Callable, Iterator

import pytest

from jupyter_iotcoder.runtime import ChatRequest

Answer = str | dict | Callable[[ChatRequest], str] | BaseException


class ScriptedRuntime:
    """Answers queued in advance, in order; records every request it got (like llm's MockModel)."""

    model_name = "scripted"

    def __init__(self, answers: list[Answer] | None = None, adapters: dict[str, str] | None = None,
                 n_ctx: int = 4096) -> None:
        self.queue: list[Answer] = list(answers or [])
        self.history: list[ChatRequest] = []
        self._adapters = dict(adapters or {})
        self.n_ctx = n_ctx

    def enqueue(self, *answers: Answer) -> "ScriptedRuntime":
        self.queue.extend(answers)
        return self

    def stream(self, request: ChatRequest) -> Iterator[str]:
        self.history.append(request)
        if not self.queue:
            raise AssertionError(f"unexpected model call #{len(self.history)}")
        answer = self.queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, dict):
            answer = json.dumps(answer)
        for i in range(0, len(answer), 4):
            yield answer[i: i + 4]

    def count_tokens(self, messages) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 3

    def adapters(self) -> dict[str, str]:
        return dict(self._adapters)


class Loads:
    """A load_runtime stand-in that counts loads and hands out scripted runtimes (a full scripted run by default)."""

    def __init__(self, make: Callable[[], ScriptedRuntime] | None = None) -> None:
        from scripted_answers import full_run

        self.models: list = []
        self.make = make or (lambda: ScriptedRuntime(full_run()))

    def __call__(self, model, config=None) -> ScriptedRuntime:
        self.models.append(model)
        return self.make()


@pytest.fixture
def scripted() -> ScriptedRuntime:
    return ScriptedRuntime()
