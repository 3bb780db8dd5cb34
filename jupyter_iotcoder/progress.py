"""What the %%iotcoder cell shows while it works: a status line, a cancel button, the outcome.

`ProgressState` turns pipeline events into one line of text (pure, tested on its
own). `WidgetProgress` shows it with ipywidgets, which can be updated from the
generation thread after the cell has finished executing; `TextProgress` prints
it in plain IPython.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .calls import ProgressEvent

STAGE_LABELS = {
    "loading": "loading the model",
    "decompose": "decomposing the requirement",
    "transform": "specifying the tasks",
    "codegen": "writing and checking code",
    "validate": "validating",
    "inserting": "inserting the cells",
    "done": "done",
}


@dataclass
class ProgressState:
    """The latest stage, task, note and speed, and when the run started."""

    started: float = field(default_factory=time.perf_counter)
    stage: str = "starting"
    task_index: int = 0
    task_count: int = 0
    tokens_per_second: float = 0.0
    note: str = ""

    def update(self, event: ProgressEvent) -> bool:
        """Apply an event; True when the stage, task or note changed (worth a new text line)."""
        before = (self.stage, self.task_index, self.note)
        if event.stage != self.stage:
            self.note = ""
        self.stage = event.stage
        if event.task_count:
            self.task_index, self.task_count = event.task_index, event.task_count
        if event.message:
            self.note = event.message
        if event.tokens:
            self.tokens_per_second = event.tokens_per_second
        return before != (self.stage, self.task_index, self.note)

    def set_stage(self, stage: str, note: str = "") -> None:
        self.stage, self.note = stage, note

    def step(self) -> str:
        """Where the run is, e.g. "writing and checking code, task 2 of 3"."""
        label = STAGE_LABELS.get(self.stage, self.stage)
        if self.task_count and self.stage not in ("loading", "decompose", "done"):
            label += f", task {self.task_index} of {self.task_count}"
        return label

    def line(self, now: float | None = None) -> str:
        elapsed = (now if now is not None else time.perf_counter()) - self.started
        parts = [self.step()]
        if self.note:
            parts.append(self.note)
        if self.tokens_per_second:
            parts.append(f"{self.tokens_per_second:.1f} tok/s")
        parts.append(f"{elapsed:.0f} s")
        return " · ".join(parts)


class TextProgress:
    """Plain IPython: one printed line whenever the stage, task or note changes."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.state = ProgressState()
        self._write = write

    def event(self, event: ProgressEvent) -> None:
        if self.state.update(event):
            self._write(f"iotcoder: {self.state.line()}")

    def stage(self, stage: str, note: str = "") -> None:
        self.state.set_stage(stage, note)
        self._write(f"iotcoder: {self.state.line()}")

    def finish(self, message: str, link: str | None = None, markdown: str | None = None) -> None:
        if markdown:
            self._write(markdown)
        self._write(f"iotcoder: {message}")

    def fail(self, message: str) -> None:
        self._write(f"iotcoder: {message}")

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Plain IPython cancels with Ctrl-C (KeyboardInterrupt), not a button."""


class WidgetProgress:
    """Status line, elapsed time and a Cancel button as ipywidgets in the magic cell's output.

    Widget state updates travel over comms, so they reach the cell from the
    generation thread; `display` is called once, from the magic's main thread.
    """

    MIN_INTERVAL_S = 0.25

    def __init__(self, display: Callable[[object], None]) -> None:
        import ipywidgets as widgets

        self.state = ProgressState()
        self._lock = threading.Lock()
        self._last = 0.0
        self.status = widgets.HTML(self._status_html(), layout=widgets.Layout(margin="0 8px 0 0"))
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning",
                                            tooltip="Stop generating; nothing is inserted")
        self.result = widgets.Output()
        self.box = widgets.VBox([widgets.HBox([self.cancel_button, self.status]), self.result])
        self.box.add_class("iotcoder-progress")
        display(self.box)

    def _status_html(self, state: str = "running", text: str | None = None) -> str:
        """The status line; `data-state` (running | done | failed) lets tests and styles tell them apart."""
        text = html.escape(self.state.line() if text is None else text)
        color = {"done": "var(--jp-success-color1, #080)", "failed": "var(--jp-error-color1, #c00)"}.get(state)
        style = f" style='color: {color}'" if color else ""
        return f"<span class='iotcoder-status' data-state='{state}'{style}><b>iotcoder</b> {state}: {text}</span>"

    def on_cancel(self, callback: Callable[[], None]) -> None:
        def clicked(_button: object) -> None:
            self.cancel_button.disabled = True
            self.cancel_button.description = "Cancelling…"
            callback()

        self.cancel_button.on_click(clicked)

    def event(self, event: ProgressEvent) -> None:
        with self._lock:
            changed = self.state.update(event)
            now = time.perf_counter()
            if changed or now - self._last >= self.MIN_INTERVAL_S:
                self._last = now
                self.status.value = self._status_html()

    def stage(self, stage: str, note: str = "") -> None:
        with self._lock:
            self.state.set_stage(stage, note)
            self.status.value = self._status_html()

    def _close_button(self) -> None:
        self.cancel_button.layout.display = "none"

    def _show(self, mime: str, content: str, plain: str) -> None:
        """Add one output to the result area (set as widget state, so it works from any thread)."""
        self.result.outputs += ({"output_type": "display_data", "data": {mime: content, "text/plain": plain},
                                 "metadata": {}},)

    def finish(self, message: str, link: str | None = None, markdown: str | None = None) -> None:
        with self._lock:
            self._close_button()
            elapsed = time.perf_counter() - self.state.started
            self.status.value = self._status_html("done", f"in {elapsed:.0f} s")
            text = html.escape(message)
            if link:
                text += f" <a href='{html.escape(link, quote=True)}' target='_blank'>Open {html.escape(link)}</a>"
            self._show("text/html", f"<div class='iotcoder-result'>{text}</div>", message)
            if markdown:
                self._show("text/markdown", markdown, markdown)

    def fail(self, message: str) -> None:
        with self._lock:
            self._close_button()
            self.status.value = self._status_html("failed", f"stopped at {self.state.step()}")
            self._show("text/html", "<pre class='iotcoder-error' style='color: var(--jp-error-color1, #c00); "
                       f"white-space: pre-wrap'>{html.escape(message)}</pre>", message)
