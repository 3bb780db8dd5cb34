"""One generation at a time per kernel, on a background thread, with one lazily loaded runtime.

The magic returns as soon as the job has started, so the kernel stays idle:
it processes the Cancel button's click and the frontend's reply to the
insertion request while the model works.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from typing import Callable, Protocol

from .calls import ProgressEvent
from .config import GenerationConfig, RuntimeConfig
from .errors import GenerationCancelled, IoTCoderError
from .frontend import Delivery
from .runtime import Runtime
from .schema import PipelineResult
from .worker import LoadRuntime, load_local_runtime


class GeneratorBusyError(IoTCoderError):
    """A %%iotcoder run was started while another one in the same kernel still generates."""


class ProgressView(Protocol):
    def event(self, event: ProgressEvent) -> None: ...
    def stage(self, stage: str, note: str = "") -> None: ...
    def finish(self, message: str, link: str | None = None, markdown: str | None = None) -> None: ...
    def fail(self, message: str) -> None: ...
    def on_cancel(self, callback: Callable[[], None]) -> None: ...


@dataclass(frozen=True)
class MagicRequest:
    """Everything one %%iotcoder cell asked for."""

    requirement: str
    config: GenerationConfig
    model: str | None = None
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    insert: bool = True
    replace: bool = False
    magic_cell_id: str | None = None


Deliver = Callable[[PipelineResult, MagicRequest], Delivery]


@dataclass
class Job:
    """One running generation; `cancel` is the event `pipeline.generate` checks between tokens."""

    request: MagicRequest
    view: ProgressView
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    result: PipelineResult | None = None
    delivery: Delivery | None = None
    error: str | None = None

    def step(self) -> str:
        return self.view.state.step() if hasattr(self.view, "state") else "working"

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class KernelGenerator:
    """Per kernel: the one runtime (loaded on first use, reloaded only for another model) and the busy guard."""

    def __init__(self, load_runtime: LoadRuntime = load_local_runtime) -> None:
        self._load_runtime = load_runtime
        self._runtime: Runtime | None = None
        self._runtime_key: tuple[str | None, RuntimeConfig] | None = None
        self._lock = threading.Lock()
        self.active: Job | None = None
        self.last: Job | None = None  # the latest finished job: its result, delivery or error

    def runtime(self, model: str | None, config: RuntimeConfig | None = None) -> Runtime:
        """The loaded runtime for `model` (None = the default); loaded again only when model or settings change."""
        config = config or RuntimeConfig()
        if self._runtime is None or (model, config) != self._runtime_key:
            self._runtime = None  # drop the old model before loading another one
            self._runtime = self._load_runtime(model, config)
            self._runtime_key = (model, config)
        return self._runtime

    def check_idle(self) -> None:
        """Raise GeneratorBusyError, naming the step it is at, while a run is in progress."""
        job = self.active
        if job is not None:
            raise GeneratorBusyError(
                f"%%iotcoder is already generating ({job.step()}); "
                "wait for it to finish or press its Cancel button.")

    def start(self, request: MagicRequest, view: ProgressView, deliver: Deliver, *, background: bool = True) -> Job:
        """Run load -> generate -> deliver; in a daemon thread, or here when `background` is False."""
        with self._lock:
            self.check_idle()
            job = Job(request, view)
            self.active = job
        view.on_cancel(job.cancel.set)
        if background:
            job.thread = threading.Thread(target=self._run, args=(job, deliver), name="iotcoder-generate",
                                          daemon=True)
            job.thread.start()
        else:
            self._run(job, deliver)
        return job

    def _run(self, job: Job, deliver: Deliver) -> None:
        from .pipeline import generate

        view = job.view
        try:
            view.stage("loading", job.request.model or "default model")
            runtime = self.runtime(job.request.model, job.request.runtime)
            if job.cancel.is_set():
                raise GenerationCancelled("generation cancelled")
            job.result = generate(job.request.requirement, runtime, job.request.config,
                                  on_event=view.event, cancel=job.cancel)
            if not job.request.insert:
                view.finish(f"Generated {len(job.result.tasks.tasks)} steps (run {job.result.run_id}); "
                            "--no-insert: shown here only.", markdown=result_markdown(job.result))
                return
            view.stage("inserting")
            job.delivery = deliver(job.result, job.request)
            link = job.delivery.path.name if job.delivery.path is not None else None
            view.finish(job.delivery.message, link=link)
        except GenerationCancelled:
            job.error = "Cancelled: nothing was inserted and no cell was changed."
            view.fail(job.error)
        except KeyboardInterrupt:
            job.cancel.set()
            job.error = "Cancelled: nothing was inserted and no cell was changed."
            view.fail(job.error)
        except IoTCoderError as exc:
            job.error = str(exc)
            view.fail(job.error)
        except Exception as exc:  # a bug must reach the user, not die silently in a thread
            job.error = f"Unexpected error: {exc!r}\n{traceback.format_exc()}"
            view.fail(job.error)
        finally:
            with self._lock:
                self.last = job
                if self.active is job:
                    self.active = None


def result_markdown(result: PipelineResult) -> str:
    """The generated cells as one markdown text: markdown cells as they are, code in fences."""
    from .notebook import build_notebook

    parts = []
    for cell in build_notebook(result).cells:
        parts.append(cell.source if cell.cell_type == "markdown" else f"```python\n{cell.source}\n```")
    return "\n\n".join(parts)
