"""The one shared model worker: lazy load, one job at a time in order, queue positions, model switches."""

from __future__ import annotations

import threading

import pytest

from jupyter_iotcoder.errors import ModelNotFoundError
from jupyter_iotcoder.worker import RuntimeWorker

from conftest import ScriptedRuntime


class Loader:
    def __init__(self) -> None:
        self.loaded: list[str | None] = []
        self.runtimes: list[ScriptedRuntime] = []

    def __call__(self, model, config):
        if model == "missing":
            raise ModelNotFoundError("unknown model 'missing'")
        self.loaded.append(model)
        runtime = ScriptedRuntime()
        runtime.closed = False
        runtime.close = lambda: setattr(runtime, "closed", True)
        self.runtimes.append(runtime)
        return runtime


def test_no_model_is_loaded_until_a_job_runs_and_then_only_once():
    loader = Loader()
    worker = RuntimeWorker(load=loader)
    assert loader.loaded == []
    first = worker.submit(worker.admit(), None, lambda rt: rt).result(5)
    second = worker.submit(worker.admit(), None, lambda rt: rt).result(5)
    assert first is second and loader.loaded == [None]
    worker.close()


def test_jobs_run_one_at_a_time_in_submission_order_and_tickets_count_the_queue():
    worker = RuntimeWorker(load=Loader())
    gate, order, running = threading.Event(), [], []

    def job(name):
        def run(runtime):
            running.append(name)
            assert len(running) == 1, "two jobs ran at once"
            if name == "a":
                assert gate.wait(5)
            order.append(name)
            running.remove(name)
        return run

    tickets = [worker.admit() for _ in range(3)]
    assert [t.ahead for t in tickets] == [0, 1, 2] and worker.pending == 3
    futures = [worker.submit(t, None, job(n)) for t, n in zip(tickets, "abc")]
    gate.set()
    for future in futures:
        future.result(5)
    assert order == ["a", "b", "c"] and worker.pending == 0
    worker.close()


def test_a_withdrawn_ticket_leaves_the_queue_and_a_submitted_one_leaves_when_its_job_ends():
    worker = RuntimeWorker(load=Loader())
    unused = worker.admit()
    unused.withdraw()
    unused.withdraw()
    assert worker.pending == 0
    ticket = worker.admit()
    future = worker.submit(ticket, None, lambda rt: None)
    ticket.withdraw()
    future.result(5)
    assert worker.pending == 0
    worker.close()


def test_another_model_replaces_the_loaded_one():
    loader = Loader()
    worker = RuntimeWorker(load=loader)
    worker.submit(worker.admit(), "a", lambda rt: None).result(5)
    worker.submit(worker.admit(), "b", lambda rt: None).result(5)
    assert loader.loaded == ["a", "b"] and loader.runtimes[0].closed and not loader.runtimes[1].closed
    worker.close()
    assert loader.runtimes[1].closed


def test_other_runtime_settings_reload_the_model():
    from jupyter_iotcoder.config import RuntimeConfig

    loader = Loader()
    worker = RuntimeWorker(load=loader)
    worker.submit(worker.admit(), "a", lambda rt: None, RuntimeConfig(n_threads=1)).result(5)
    worker.submit(worker.admit(), "a", lambda rt: None, RuntimeConfig(n_threads=1)).result(5)
    worker.submit(worker.admit(), "a", lambda rt: None, RuntimeConfig(n_threads=2)).result(5)
    assert loader.loaded == ["a", "a"] and loader.runtimes[0].closed
    worker.close()


def test_a_model_that_cannot_load_fails_the_job_and_the_next_job_can_still_load():
    loader = Loader()
    worker = RuntimeWorker(load=loader)
    with pytest.raises(ModelNotFoundError):
        worker.submit(worker.admit(), "missing", lambda rt: None).result(5)
    assert worker.submit(worker.admit(), "a", lambda rt: "ok").result(5) == "ok"
    assert worker.pending == 0
    worker.close()
