"""The child side of sandbox.py: set limits and guards, run cells, report as JSON on a pipe.

Run as `python -I _sandbox_child.py` with a JSON payload on stdin. Not imported
by the package.
"""

import builtins
import contextlib
import inspect
import io
import json
import os
import re
import resource
import sys
import traceback


def _peak_rss_mb() -> float:
    """This program's own peak RSS: VmHWM starts afresh at exec, while ru_maxrss keeps the forking parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _limit(cpu_seconds, memory_bytes):
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _guard(workdir):
    """Refuse network sockets, process spawning and writes outside `workdir`."""
    import socket
    import subprocess

    def refuse(*args, **kwargs):
        raise PermissionError("not allowed in the iotcoder sandbox")

    class NoSocket(socket.socket):
        def __init__(self, family=-1, *args, **kwargs):
            if family in (socket.AF_INET, socket.AF_INET6, -1):
                refuse()
            super().__init__(family, *args, **kwargs)

    socket.socket = NoSocket
    socket.create_connection = refuse
    subprocess.Popen = refuse
    for name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execvp", "spawnv", "spawnve",
                 "kill", "killpg", "setuid", "chroot"):
        if hasattr(os, name):
            setattr(os, name, refuse)

    real_open = builtins.open
    root = os.path.realpath(workdir)

    def inside(path):
        if isinstance(path, int):
            return True
        full = os.path.realpath(os.path.join(root, os.fsdecode(path)))
        return full == root or full.startswith(root + os.sep) or full == os.devnull

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+") and not inside(file):
            raise PermissionError(f"writing outside the sandbox directory is not allowed: {file}")
        return real_open(file, mode, *args, **kwargs)

    def guarded(func):
        def wrapper(path, *args, **kwargs):
            if not inside(path):
                raise PermissionError(f"changing files outside the sandbox directory is not allowed: {path}")
            return func(path, *args, **kwargs)
        return wrapper

    builtins.open = guarded_open
    io.open = guarded_open
    for name in ("remove", "unlink", "rmdir", "mkdir", "makedirs", "rename", "replace", "chmod", "truncate",
                 "symlink", "link"):
        if hasattr(os, name):
            setattr(os, name, guarded(getattr(os, name)))


_SOURCES = {}  # "<cell k>" -> its source, to tell a deliberate `raise` from an operation that failed


def _short_error(exc, filename):
    """`Type: message (line n)`, plus `in <cell k>` when the deepest frame of our code is in another cell.

    Marked `[raised in <library file>]` when a library raised it and `[from an operation, not a raise]`
    when a line of the generated code that is not a `raise` statement did (numpy refusing to broadcast):
    either way not a deliberate rejection of the input.
    """
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<")]
    own = [f for f in frames if f.filename == filename]
    where = f" (line {own[-1].lineno})" if own else ""
    if frames and frames[-1].filename != filename:
        where += f" in {frames[-1].filename} line {frames[-1].lineno}"
    deepest = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    if deepest and not deepest[0].filename.startswith("<"):
        where += f" [raised in {_library_file(deepest[0].filename)}]"
    elif deepest and deepest[0].filename in _SOURCES:
        lines = _SOURCES[deepest[0].filename].splitlines()
        line = lines[deepest[0].lineno - 1].strip() if 0 < deepest[0].lineno <= len(lines) else ""
        if not line.startswith(("raise", "assert")):
            where += " [from an operation, not a raise]"
    hint = _call_hint(exc)
    return f"{type(exc).__name__}: {exc}{where}"[: 600 - len(hint)] + hint


_CALL_ERROR = re.compile(r"^([\w.]+)\(\) (?:got an unexpected keyword argument|got multiple values|missing \d+ required"
                         r"|takes (?:from )?\d+ (?:to \d+ )?positional)")


def _call_hint(exc):
    """`; `kmeans` takes (obs, k_or_guess, iter=20, ...)` when a call passed arguments the callee does not
    take: small models guess library signatures (`kmeans(..., maxiter=20)`), and a repair needs the real one."""
    match = _CALL_ERROR.match(str(exc)) if isinstance(exc, TypeError) else None
    if not match:
        return ""
    parts = match.group(1).split(".")
    name = parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]
    frame, lineno, tb = None, 0, exc.__traceback__
    while tb is not None:  # the deepest line of generated code: the call was made there
        if tb.tb_frame.f_code.co_filename in _SOURCES:
            frame, lineno = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return ""
    lines = _SOURCES[frame.f_code.co_filename].splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    scope = {**vars(builtins), **frame.f_globals, **frame.f_locals}
    for dotted in re.findall(rf"\b((?:[A-Za-z_]\w*\.)*{re.escape(name)})\s*\(", line):
        head, *attributes = dotted.split(".")
        target = scope.get(head)
        for attribute in attributes:
            target = getattr(target, attribute, None)
        try:
            signature = str(inspect.signature(target))
        except (TypeError, ValueError):
            continue
        return f"; `{dotted}` takes {signature[:300]}"
    return ""


def _library_file(path):
    """`.../site-packages/scipy/signal/_signaltools.py` -> `scipy/signal/_signaltools.py`."""
    parts = path.replace("\\", "/").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1:])
    return "/".join(parts[-2:])


def main():
    payload = json.loads(sys.stdin.read())
    out_fd = int(os.environ["IOTCODER_SANDBOX_RESULT_FD"])
    _limit(payload["cpu_seconds"], payload["memory_bytes"])
    limit = payload["max_output_chars"]
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    cells = []
    result = {"status": "no-test", "reason": "", "cells": cells}
    try:
        import numpy  # noqa: F401  (imported before the guards: its loaders open files)
    except ImportError:
        pass
    _guard(os.getcwd())
    for index, source in enumerate(payload["cells"], start=1):
        filename = f"<cell {index}>"
        _SOURCES[filename] = source
        buffer = io.StringIO()
        try:
            code = compile(source, filename, "exec")
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                exec(code, namespace)
            cells.append({"ok": True, "error": "", "stdout": buffer.getvalue()[-limit:]})
        except MemoryError:
            cells.append({"ok": False, "error": "MemoryError", "stdout": buffer.getvalue()[-limit:]})
        except BaseException as exc:  # the step failed; later steps still run, as in a notebook
            cells.append({"ok": False, "error": _short_error(exc, filename), "stdout": buffer.getvalue()[-limit:]})
    failed = [i for i, c in enumerate(cells, start=1) if not c["ok"]]
    if failed:
        result.update(status="error", reason=f"cell {failed[0]}: {cells[failed[0] - 1]['error']}")
    test_code, entry = payload["test_code"], payload["entry_point"]
    if test_code is not None:
        candidate = namespace.get(entry)
        if not callable(candidate):
            cause = f" ({result['reason']})" if failed else ""  # a SyntaxError or import error hid it
            result.update(status="error", reason=f"the code does not define `{entry}`{cause}")
        else:
            test_namespace = {"__name__": "__test__", "__builtins__": builtins}
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(test_code, "<test>", "exec"), test_namespace)
                    test_namespace["check"](candidate)
                result.update(status="passed", reason="")
            except AssertionError as exc:
                result.update(status="failed", reason=f"test failed: {_short_error(exc, '<test>')}")
            except MemoryError:
                result.update(status="memory", reason="MemoryError while testing")
            except BaseException as exc:
                result.update(status="error", reason=f"while testing: {_short_error(exc, '<test>')}")
    result["peak_rss_mb"] = _peak_rss_mb()
    with os.fdopen(out_fd, "w") as pipe:
        json.dump(result, pipe)


if __name__ == "__main__":
    main()
