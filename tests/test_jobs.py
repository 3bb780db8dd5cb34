"""KernelGenerator: one lazily loaded runtime per kernel, a busy guard, cancellation, clear failures."""

from __future__ import annotations

import threading

import pytest

from jupyter_iotcoder.config import GenerationConfig, RuntimeConfig
from jupyter_iotcoder.errors import ModelNotFoundError
from jupyter_iotcoder.frontend import Delivery
from jupyter_iotcoder.jobs import GeneratorBusyError, KernelGenerator, MagicRequest
from jupyter_iotcoder.progress import ProgressState
from scripted_answers import PLAN, REQUIREMENT, full_run

from conftest import Loads, ScriptedRuntime

CONFIG = GenerationConfig(validate=False)


class RecordingView:
    """A ProgressView that remembers what the user would have seen."""

    def __init__(self):
        self.state = ProgressState()
        self.stages: list[str] = []
        self.finished: list[tuple] = []
        self.failed: list[str] = []
        self.cancel_callback = None

    def event(self, event):
        self.state.update(event)

    def stage(self, stage, note=""):
        self.state.set_stage(stage, note)
        self.stages.append(stage)

    def finish(self, message, link=None, markdown=None):
        self.finished.append((message, link, markdown))

    def fail(self, message):
        self.failed.append(message)

    def on_cancel(self, callback):
        self.cancel_callback = callback


def gated_runtime(gate: threading.Event, started: threading.Event) -> ScriptedRuntime:
    """The first model call blocks until `gate` is set (a long generation)."""
    def slow(request):
        started.set()
        gate.wait(10)
        return PLAN
    return ScriptedRuntime([slow] + full_run(validated=False)[1:])


def delivered(result, request):
    return Delivery("inserted", 6, f"Inserted 6 cells below this cell (run {result.run_id}).")


def test_a_run_loads_the_runtime_once_generates_and_delivers():
    loads = Loads()
    generator = KernelGenerator(loads)
    view = RecordingView()
    job = generator.start(MagicRequest(REQUIREMENT, CONFIG), view, delivered, background=False)
    assert loads.models == [None]
    assert job.result is not None and len(job.result.tasks.tasks) == 2
    assert view.stages == ["loading", "inserting"] and view.failed == []
    assert view.finished[0][0].startswith("Inserted 6 cells")
    assert generator.active is None


def test_the_runtime_is_reused_and_reloaded_only_for_another_model_or_thread_count():
    loads = Loads()
    generator = KernelGenerator(loads)
    for model, threads in ((None, None), (None, None), ("other", None), ("other", None), ("other", 1)):
        generator.start(MagicRequest(REQUIREMENT, CONFIG, model=model, runtime=RuntimeConfig(n_threads=threads)),
                        RecordingView(), delivered, background=False)
    assert loads.models == [None, "other", "other"]


def test_no_insert_shows_the_result_in_the_output_and_delivers_nothing():
    calls = []
    view = RecordingView()
    KernelGenerator(Loads()).start(MagicRequest(REQUIREMENT, CONFIG, insert=False), view,
                                   lambda r, q: calls.append(r), background=False)
    assert calls == []
    message, link, markdown = view.finished[0]
    assert "--no-insert" in message and link is None
    assert "## Step 1: Compute the acceleration magnitude" in markdown and "```python" in markdown


def test_a_second_run_while_one_generates_is_refused_with_the_current_step():
    gate, started = threading.Event(), threading.Event()
    generator = KernelGenerator(Loads(lambda: gated_runtime(gate, started)))
    job = generator.start(MagicRequest(REQUIREMENT, CONFIG), RecordingView(), delivered)
    assert started.wait(10)
    with pytest.raises(GeneratorBusyError, match=r"already generating \(decomposing the requirement\).*Cancel"):
        generator.start(MagicRequest(REQUIREMENT, CONFIG), RecordingView(), delivered)
    gate.set()
    job.thread.join(20)
    assert job.result is not None
    generator.check_idle()  # free again


def test_cancel_stops_generation_and_delivers_nothing():
    gate, started = threading.Event(), threading.Event()
    runtime_holder = []

    def make():
        runtime_holder.append(gated_runtime(gate, started))
        return runtime_holder[-1]

    calls = []
    view = RecordingView()
    generator = KernelGenerator(Loads(make))
    job = generator.start(MagicRequest(REQUIREMENT, CONFIG), view, lambda r, q: calls.append(r))
    assert started.wait(10)
    view.cancel_callback()  # what the Cancel button does
    gate.set()
    job.thread.join(20)
    assert not job.thread.is_alive()
    assert job.result is None and calls == []
    assert view.failed == ["Cancelled: nothing was inserted and no cell was changed."]
    assert len(runtime_holder[0].history) == 1  # no model call after the cancel
    assert generator.active is None


def test_a_missing_model_is_shown_with_the_stores_message_and_the_kernel_stays_usable():
    def missing(model, config):
        raise ModelNotFoundError("No model file for qwen-0.5b: run `iotcoder models fetch`.")

    view = RecordingView()
    generator = KernelGenerator(missing)
    generator.start(MagicRequest(REQUIREMENT, CONFIG), view, delivered, background=False)
    assert view.failed == ["No model file for qwen-0.5b: run `iotcoder models fetch`."]
    assert generator.active is None


def test_an_unexpected_error_reaches_the_user_with_its_traceback():
    view = RecordingView()
    KernelGenerator(Loads(lambda: ScriptedRuntime([RuntimeError("llama exploded")]))).start(
        MagicRequest(REQUIREMENT, CONFIG), view, delivered, background=False)
    assert view.failed[0].startswith("Unexpected error: RuntimeError('llama exploded')")
    assert "Traceback" in view.failed[0]
