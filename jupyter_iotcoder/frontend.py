"""Kernel side of the cell-insertion protocol with the JupyterLab extension, and its fallback.

The kernel opens a comm on `COMM_TARGET` whose open message carries
`{"action": "insert", "request_id", "magic_cell_id", "replace", "cells"}`.
The extension (labextension/src/index.ts) inserts the cells below the magic
cell in one transaction and replies `{"status": "inserted" | "duplicate" |
"error", "request_id", "count" | "message"}`. Without a reply in time (no
extension, notebook closed, another frontend) the cells are written to a new
notebook next to the current one instead, so nothing is lost.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import OutputPathError
from .notebook import build_notebook, write_notebook
from .schema import PipelineResult

COMM_TARGET = "jupyter_iotcoder.cells"
REPLY_TIMEOUT_S = 10.0
# After an "error" reply, how long another frontend attached to the same kernel may still answer "inserted".
ERROR_GRACE_S = 1.0


@dataclass(frozen=True)
class InsertRequest:
    """One insertion: the generated cells and where they go."""

    request_id: str
    magic_cell_id: str
    replace: bool
    cells: list[dict[str, Any]]

    def message(self) -> dict[str, Any]:
        return {"action": "insert", "request_id": self.request_id, "magic_cell_id": self.magic_cell_id,
                "replace": self.replace, "cells": self.cells}


@dataclass(frozen=True)
class Delivery:
    """Where the generated cells ended up; `message` is what the user is told."""

    status: str  # "inserted" | "duplicate" | "written" | "shown"
    count: int
    message: str
    path: Path | None = None


def source_fingerprint(source: str) -> str:
    """32-bit FNV-1a of the UTF-8 source as 8 hex digits; the extension computes the same in TypeScript.

    `--replace` removes only generated cells whose source still has this fingerprint: a cell the user
    edited is kept.
    """
    value = 0x811C9DC5
    for byte in source.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def generated_cells(result: PipelineResult, magic_cell_id: str | None) -> list[dict[str, Any]]:
    """The notebook builder's cells as plain JSON dicts, tagged with the magic cell and their source's fingerprint."""
    cells = json.loads(json.dumps(build_notebook(result).cells))
    for cell in cells:
        meta = cell["metadata"].setdefault("iotcoder", {})
        meta["magic_cell_id"] = magic_cell_id
        meta["source_fingerprint"] = source_fingerprint(cell["source"])
    return cells


def insert_request(result: PipelineResult, magic_cell_id: str, replace: bool) -> InsertRequest:
    return InsertRequest(uuid.uuid4().hex, magic_cell_id, replace, generated_cells(result, magic_cell_id))


CommFactory = Callable[..., Any]


def _default_comm_factory(**kwargs: Any) -> Any:
    from comm import create_comm

    return create_comm(**kwargs)


def request_insertion(request: InsertRequest, *, timeout: float = REPLY_TIMEOUT_S,
                      comm_factory: CommFactory = _default_comm_factory) -> dict[str, Any] | None:
    """Open the comm, wait (in the calling background thread) for the frontend's reply.

    Returns the first "inserted"/"duplicate" reply, else the last "error" reply,
    else None when nobody answered in `timeout` or the comm was closed first.
    The kernel's main thread must stay free meanwhile: it delivers the reply.
    """
    answered = threading.Event()
    closed = threading.Event()
    replies: list[dict[str, Any]] = []

    def on_msg(msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {})
        if isinstance(data, dict) and data.get("request_id") == request.request_id:
            replies.append(data)
            answered.set()

    comm = comm_factory(target_name=COMM_TARGET, data=request.message())
    comm.on_msg(on_msg)
    comm.on_close(lambda _msg: closed.set())
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not closed.is_set():
            if answered.wait(min(0.1, max(0.0, deadline - time.monotonic()))):
                if any(r.get("status") in ("inserted", "duplicate") for r in replies):
                    break
                deadline = min(deadline, time.monotonic() + ERROR_GRACE_S)
                answered.clear()
    finally:
        if not closed.is_set():
            comm.close()
    for reply in replies:
        if reply.get("status") in ("inserted", "duplicate"):
            return reply
    return replies[-1] if replies else None


def fallback_path(result: PipelineResult, session_name: str | None = None, cwd: str | os.PathLike | None = None) -> Path:
    """A new notebook next to the current one (`JPY_SESSION_NAME`), else in `cwd`; never an existing file."""
    session_name = session_name if session_name is not None else os.environ.get("JPY_SESSION_NAME")
    base = Path(cwd) if cwd is not None else Path.cwd()
    stem = "iotcoder"
    if session_name:
        session = Path(session_name)
        if not session.is_absolute():
            session = base / session
        if session.parent.is_dir():
            base = session.parent
        stem = f"{session.stem}-iotcoder" if session.suffix == ".ipynb" else stem
    candidate = base / f"{stem}-{result.run_id}.ipynb"
    n = 2
    while candidate.exists():
        candidate = base / f"{stem}-{result.run_id}-{n}.ipynb"
        n += 1
    return candidate


def write_fallback(result: PipelineResult, magic_cell_id: str | None, reason: str,
                   session_name: str | None = None, cwd: str | os.PathLike | None = None) -> Delivery:
    """Write the generated cells as a new notebook (never overwriting) and say why."""
    nb = build_notebook(result)
    nb.cells = [copy.deepcopy(cell) for cell in nb.cells]
    for cell in nb.cells:
        cell.metadata.setdefault("iotcoder", {})["magic_cell_id"] = magic_cell_id
    path = fallback_path(result, session_name, cwd)
    try:
        written = write_notebook(nb, path, force=False)
    except OutputPathError as exc:
        raise OutputPathError(f"{reason}, and writing them to a new notebook failed: {exc}") from exc
    return Delivery("written", len(nb.cells), f"{reason}, so the cells were written to {written}", written)


def deliver(result: PipelineResult, magic_cell_id: str | None, *, replace: bool, in_kernel: bool,
            timeout: float | None = None, comm_factory: CommFactory = _default_comm_factory,
            session_name: str | None = None, cwd: str | os.PathLike | None = None) -> Delivery:
    """Insert through the extension when possible; otherwise write a new notebook."""
    if not in_kernel:
        return write_fallback(result, magic_cell_id, "There is no Jupyter kernel frontend here",
                              session_name, cwd)
    if not magic_cell_id:
        return write_fallback(result, magic_cell_id,
                              "This frontend did not say which cell ran the magic", session_name, cwd)
    request = insert_request(result, magic_cell_id, replace)
    reply = request_insertion(request, timeout=REPLY_TIMEOUT_S if timeout is None else timeout,
                              comm_factory=comm_factory)
    if reply is None:
        return write_fallback(result, magic_cell_id, "The JupyterLab extension is not active (no answer from "
                              "the notebook)", session_name, cwd)
    status = reply.get("status")
    if status == "inserted":
        count = int(reply.get("count", len(request.cells)))
        message = f"Inserted {count} cells below this cell (run {result.run_id})."
        removed, kept = int(reply.get("removed", 0)), int(reply.get("kept", 0))
        if removed or kept:
            message += f" Replaced {removed} cells of the earlier run"
            message += f"; kept {kept} that you had edited." if kept else "."
        return Delivery("inserted", count, message)
    if status == "duplicate":
        return Delivery("duplicate", 0, f"The cells of run {result.run_id} are already in the notebook; "
                        "nothing was inserted twice.")
    problem = reply.get("message") or "unknown error"
    return write_fallback(result, magic_cell_id, f"The notebook could not insert the cells ({problem})",
                          session_name, cwd)
