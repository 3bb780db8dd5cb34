"""`iotcoder serve`: llama-cpp-python's own OpenAI-compatible server for the local model.

We do not write a server: this builds the config file of `python -m llama_cpp.server`
(one model alias for the base model, one per shipped LoRA adapter) and runs it, so
notebooks, Jupyternaut or `%%ai` can share one loaded model. It binds loopback
unless the user asks for more, and then only with an API key: the server runs code
generation for anyone who can reach it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .errors import IoTCoderError
from .runtime import adapter_scales, stage_adapters

log = logging.getLogger(__name__)

# llama_cpp.server lets these variables override the config file (HOST would
# bypass the loopback check), so the child never inherits them.
_OVERRIDING_ENV = ("HOST", "PORT", "CONFIG_FILE")


class ServeError(IoTCoderError):
    """The server cannot be started as asked."""

    exit_code = 2


@dataclass(frozen=True)
class ServeOptions:
    """What `iotcoder serve` was asked for."""

    model: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = field(default=None, repr=False)
    allow_remote: bool = False
    n_ctx: int = 4096
    n_threads: int | None = None
    adapters: str = "default"  # default | all | none, as for `iotcoder generate`


@dataclass(frozen=True)
class ServePlan:
    """The llama_cpp.server config file content and how to start it."""

    settings: dict
    extra_bufts_safe: bool = True

    @property
    def base_url(self) -> str:
        host = self.settings["host"]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.settings['port']}/v1"

    @property
    def aliases(self) -> list[str]:
        return [m["model_alias"] for m in self.settings["models"]]

    def command(self, config_file: str | os.PathLike, python: str = sys.executable) -> list[str]:
        module = "llama_cpp.server" if self.extra_bufts_safe else "jupyter_iotcoder.serve"
        return [python, "-m", module, "--config_file", str(config_file)]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool, api_key: str | None) -> None:
    """Loopback is always fine; any other address needs --allow-remote AND an API key."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise ServeError(f"refusing to listen on {host}: other machines could use the server. "
                         "Add --allow-remote and an API key (--api-key or IOTCODER_API_KEY), or use 127.0.0.1.")
    if not api_key:
        raise ServeError(f"--allow-remote on {host} needs an API key: pass --api-key or set IOTCODER_API_KEY")


def build_plan(model_name: str, model_path: Path, adapters: dict[str, Path], options: ServeOptions, *,
               gpu_layers: int = 0, extra_bufts_safe: bool = True) -> ServePlan:
    """The server settings: the base model first (the default), then one alias per stage adapter.

    llama-cpp-python's server keeps ONE model loaded and reloads when a request
    names another alias, so switching stages costs a model load per switch.
    """
    check_bind(options.host, options.allow_remote, options.api_key)
    threads = options.n_threads or os.cpu_count() or 1
    common = dict(model=str(model_path), n_ctx=options.n_ctx, n_threads=threads, n_threads_batch=threads,
                  n_gpu_layers=gpu_layers, logits_all=False, verbose=False)
    models = [dict(common, model_alias=model_name)]
    models += [dict(common, model_alias=stage, lora_path=str(path)) for stage, path in sorted(adapters.items())]
    settings = dict(host=options.host, port=options.port, interrupt_requests=False, models=models)
    if options.api_key:
        settings["api_key"] = options.api_key
    return ServePlan(settings, extra_bufts_safe)


def plan_server(options: ServeOptions) -> ServePlan:
    """Resolve the local model and its adapters, and check how llama.cpp may load it here."""
    import llama_cpp
    import llama_cpp.llama_cpp as bindings

    from .runtime import choose_gpu_layers, extra_buffer_types_safe

    check_bind(options.host, options.allow_remote, options.api_key)
    resolved = store.resolve_model(options.model)
    adapters = stage_adapters(resolved.name, options.adapters)
    for stage, scale in adapter_scales(resolved.name, adapters).items():
        if scale != 1.0:  # llama_cpp.server has no per-model LoRA scale setting
            log.warning("the %s adapter's policy scale %.2f is not applied by the server: it runs at 1.0",
                        stage, scale)
    gpu_layers, _ = choose_gpu_layers("auto", bindings.llama_supports_gpu_offload())
    safe = bool(gpu_layers) or extra_buffer_types_safe(str(resolved.path), llama_cpp)
    return build_plan(resolved.name, resolved.path, adapters, options, gpu_layers=gpu_layers, extra_bufts_safe=safe)


def write_config(plan: ServePlan, directory: str | os.PathLike) -> Path:
    """The config file, readable by its owner only: it may hold the API key."""
    path = Path(directory) / "llama_cpp_server.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(plan.settings, f, indent=2)
    return path


def server_env(environ: dict | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    for name in _OVERRIDING_ENV:
        env.pop(name, None)
    return env


def start_server(plan: ServePlan, directory: str | os.PathLike, log_file=None) -> subprocess.Popen:
    """Start the server in a child process; `log_file` (an open file) receives its output."""
    config = write_config(plan, directory)
    return subprocess.Popen(plan.command(config), env=server_env(), stdout=log_file,
                            stderr=subprocess.STDOUT if log_file is not None else None)


def wait_until_ready(base_url: str, proc: subprocess.Popen | None = None, *, api_key: str | None = None,
                     timeout: float = 300.0) -> None:
    """Poll /v1/models until it answers; fail early if the server process exits."""
    request = urllib.request.Request(base_url.rstrip("/") + "/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"the server exited with code {proc.returncode} before it was ready: see its output")
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise ServeError(f"the server at {base_url} was not ready after {timeout:.0f} s")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def stop_server(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_server(plan: ServePlan, directory: str | os.PathLike, log_file=None,
                   timeout: float = 300.0) -> Iterator[subprocess.Popen]:
    """The server, started and ready, for the `with` block; stopped however the block ends."""
    proc = start_server(plan, directory, log_file)
    try:
        wait_until_ready(plan.base_url, proc, api_key=plan.settings.get("api_key"), timeout=timeout)
        yield proc
    finally:
        stop_server(proc)


def run_foreground(plan: ServePlan, announce=print) -> int:
    """`iotcoder serve`: run until Ctrl-C, saying how to point notebooks at it once it is ready."""
    if threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) must stop the server child too, not leave it running.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="iotcoder-serve-") as directory:
        try:
            with running_server(plan, directory) as proc:
                announce(f"Serving {', '.join(plan.aliases)} at {plan.base_url}\n"
                         f"Point notebooks at it: export IOTCODER_BASE_URL={plan.base_url}"
                         + ("  (and IOTCODER_API_KEY)" if "api_key" in plan.settings else ""))
                return proc.wait()
        except KeyboardInterrupt:
            return 0


def _main_without_extra_buffer_types() -> None:
    """The server child where llama.cpp's AMX kernels crash: same server, extra buffer types off."""
    import llama_cpp.llama_cpp as bindings
    from llama_cpp.server.__main__ import main

    from .runtime import _without_extra_buffer_types

    with _without_extra_buffer_types(bindings):
        main()


if __name__ == "__main__":
    _main_without_extra_buffer_types()
