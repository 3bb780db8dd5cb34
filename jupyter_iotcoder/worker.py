"""One model runtime per server process, shared by every chat: requests run one at a time, in order.

The chat persona exists once per chat, but the model is big and llama.cpp runs
one request at a time, so all personas hand their work to one `RuntimeWorker`.
It owns a single thread (the server's event loop never waits on the model) and
loads the runtime lazily on that thread the first time a job needs it; a job
that asks for another model replaces it (only one model is ever in memory).
A request is counted from the moment it is admitted, so a new one can be told
its place in the queue before it starts waiting.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

from .config import RuntimeConfig
from .runtime import Runtime

T = TypeVar("T")
LoadRuntime = Callable[[str | None, RuntimeConfig], Runtime]


def load_local_runtime(model: str | None, config: RuntimeConfig) -> Runtime:
    from .runtime import load_runtime

    return load_runtime(model, config)


class Ticket:
    """One admitted request; `ahead` is how many admitted requests were not finished when it came."""

    def __init__(self, worker: "RuntimeWorker", ahead: int) -> None:
        self.ahead = ahead
        self.submitted = False
        self._worker = worker
        self._released = False

    def release(self) -> None:
        """Leave the queue (idempotent); the worker calls this when the ticket's job has ended."""
        if not self._released:
            self._released = True
            self._worker._leave()

    def withdraw(self) -> None:
        """Leave the queue unless a job was submitted (then it leaves when the job ends)."""
        if not self.submitted:
            self.release()


class RuntimeWorker:
    def __init__(self, load: LoadRuntime = load_local_runtime) -> None:
        self._load = load
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iotcoder-model")
        self._lock = threading.Lock()
        self._admitted = 0
        self._runtime: Runtime | None = None
        self._loaded_as: tuple[str | None, RuntimeConfig] | None = None

    @property
    def pending(self) -> int:
        """Requests admitted and not finished (running or waiting)."""
        with self._lock:
            return self._admitted

    def admit(self) -> Ticket:
        with self._lock:
            ticket = Ticket(self, self._admitted)
            self._admitted += 1
        return ticket

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def submit(self, ticket: Ticket, model: str | None, job: Callable[[Runtime], T],
               config: RuntimeConfig | None = None) -> "Future[T]":
        """Run `job(runtime)` on the worker thread after the jobs submitted before it; the ticket ends with it."""
        ticket.submitted = True
        future = self._executor.submit(self._run, model, config or RuntimeConfig(), job)
        future.add_done_callback(lambda _: ticket.release())
        return future

    def _run(self, model: str | None, config: RuntimeConfig, job: Callable[[Runtime], T]) -> T:
        return job(self._runtime_for(model, config))

    def _runtime_for(self, model: str | None, config: RuntimeConfig) -> Runtime:
        """The loaded runtime, (re)loaded when none is loaded yet or another model or setting is asked for."""
        if self._runtime is None or self._loaded_as != (model, config):
            self._close_runtime()
            self._runtime = self._load(model, config)
            self._loaded_as = (model, config)
        return self._runtime

    def _close_runtime(self) -> None:
        runtime, self._runtime = self._runtime, None
        close = getattr(runtime, "close", None)
        if close is not None:
            close()

    def close(self) -> None:
        """Drop waiting jobs, wait for the running one (if any) to end, and free the model."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._close_runtime()


_shared: RuntimeWorker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> RuntimeWorker:
    """The process's one worker, created on first use (no model is loaded until a job runs)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RuntimeWorker()
        return _shared
