"""The model runtime: one small interface, and the llama.cpp implementation behind it.

Stages only see `Runtime.stream(ChatRequest) -> Iterator[str]` and the helper
`complete()`, which adds what every call needs on a small model: a token cap,
repetition detection, early stop, cancellation and timing. Nothing outside this
module imports llama_cpp.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .config import ADAPTER_CHOICES, RuntimeConfig, ServerConfig, cache_dir
from .errors import ContextOverflowError, GenerationCancelled, RuntimeLoadError

log = logging.getLogger("jupyter_iotcoder")

STAGES_WITH_ADAPTERS = ("decompose", "codegen")


@dataclass(frozen=True)
class ChatRequest:
    """One model call: chat messages plus how to sample and constrain the answer."""

    messages: tuple[dict, ...]
    max_tokens: int
    adapter: str | None = None
    temperature: float = 0.2
    seed: int | None = 0
    json_schema: dict | None = None
    stop: tuple[str, ...] = ()


@dataclass
class Completion:
    text: str
    tokens: int
    seconds: float
    finish_reason: str  # "stop" | "length" | "repetition" | "until"

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class Runtime(Protocol):
    """What the pipeline needs from a model backend."""

    model_name: str
    n_ctx: int

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """Yield the answer's text piece by piece (about one token each)."""

    def count_tokens(self, messages: tuple[dict, ...]) -> int:
        """Tokens the messages take in the prompt (close upper bound is fine)."""

    def adapters(self) -> dict[str, str]:
        """Stage name -> adapter file of every LoRA adapter that is loaded."""


def is_looping(text: str, max_period: int = 8, repeats: int = 3) -> bool:
    """True when the last lines are one block of 1..max_period lines repeated `repeats` times.

    Small models fall into loops (the same test line or `if` check again and
    again until the token cap); stopping early saves most of that time.
    """
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    for period in range(1, max_period + 1):
        span = period * repeats
        if len(lines) < span:
            break
        tail = lines[-span:]
        block = tail[:period]
        if all(tail[i] == block[i % period] for i in range(span)):
            return True
    return False


def complete(
    runtime: Runtime,
    request: ChatRequest,
    *,
    on_token: Callable[[int, float], None] | None = None,
    cancel: threading.Event | None = None,
    until: Callable[[str], str | None] | None = None,
) -> Completion:
    """Run one request to the end and return its text.

    `until(text)` may return the final text to stop early (for example at the
    closing code fence); `on_token(tokens, elapsed_s)` reports progress;
    setting `cancel` stops generation and raises GenerationCancelled.
    """
    prompt_tokens = runtime.count_tokens(request.messages)
    room = runtime.n_ctx - prompt_tokens
    if room < 32:
        raise ContextOverflowError(
            f"the prompt takes {prompt_tokens} tokens of a {runtime.n_ctx}-token context: "
            "shorten the requirement or raise the context size (--n-ctx)"
        )
    if request.max_tokens > room:
        request = ChatRequest(**{**request.__dict__, "max_tokens": room})
    text, tokens, finish = "", 0, "stop"
    start = time.perf_counter()
    pieces = runtime.stream(request)
    try:
        for piece in pieces:
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled("generation cancelled")
            text += piece
            tokens += 1
            if on_token is not None:
                on_token(tokens, time.perf_counter() - start)
            if until is not None:
                final = until(text)
                if final is not None:
                    text, finish = final, "until"
                    break
            if piece.endswith("\n") and is_looping(text):
                finish = "repetition"
                break
        else:
            if tokens >= request.max_tokens:
                finish = "length"
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
    return Completion(text=text, tokens=tokens, seconds=time.perf_counter() - start, finish_reason=finish)


# --- llama.cpp -------------------------------------------------------------

_LOAD_LOCK = threading.Lock()


def _cpu_has_amx() -> bool:
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def _build_has_amx(llama_cpp) -> bool:
    return b"AMX" in llama_cpp.llama_print_system_info()


def probe_default_load(model_path: str, command: list[str] | None = None, timeout: float = 180) -> bool:
    """Load the model with llama.cpp's defaults in a child process; False if it crashes.

    Some CPUs report AMX but fault in llama.cpp's AMX kernels (SIGSEGV in
    ggml_backend_amx_mul_mat). A crash there would kill the user's kernel,
    so it is tried once in a throw-away process and the verdict is cached.
    """
    command = command or [sys.executable, "-c", _PROBE_SCRIPT, model_path]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


_PROBE_SCRIPT = """
import sys, llama_cpp
llm = llama_cpp.Llama(sys.argv[1], n_ctx=256, verbose=False)
llm.create_completion("def add(a, b):", max_tokens=4)
"""


def extra_buffer_types_safe(model_path: str, llama_cpp) -> bool:
    """Whether llama.cpp's extra (AMX/repack) buffer types can be used on this CPU."""
    if not (_cpu_has_amx() and _build_has_amx(llama_cpp)):
        return True
    key = f"{llama_cpp.__version__}|{llama_cpp.llama_print_system_info().decode(errors='replace')}"
    verdict_file = cache_dir() / "amx_probe.json"
    try:
        cached = json.loads(verdict_file.read_text())
        if cached.get("key") == key:
            return bool(cached["safe"])
    except (OSError, ValueError, KeyError):
        pass
    safe = probe_default_load(model_path)
    verdict_file.parent.mkdir(parents=True, exist_ok=True)
    verdict_file.write_text(json.dumps({"key": key, "safe": safe}))
    if not safe:
        log.warning(
            "llama.cpp's AMX kernels crash on this CPU: loading without extra buffer types "
            "(slower). Rebuild llama-cpp-python without AMX for full speed: see README."
        )
    return safe


@contextlib.contextmanager
def _without_extra_buffer_types(llama_cpp):
    """`use_extra_bufts` is a model parameter that `Llama.__init__` does not expose."""
    original = llama_cpp.llama_model_default_params

    def patched():
        params = original()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_model_default_params = patched
    try:
        yield
    finally:
        llama_cpp.llama_model_default_params = original


def choose_gpu_layers(device: str, gpu_available: bool) -> tuple[int, str]:
    """n_gpu_layers for a device request, and the one log line that says what happens."""
    if device == "cpu":
        return 0, "running on CPU (as requested)"
    if gpu_available:
        return -1, "CUDA offload: all layers on the GPU"
    if device == "cuda":
        return 0, (
            "CUDA was requested but this llama-cpp-python build has no usable GPU: running on CPU. "
            "For NVIDIA GPUs reinstall with CMAKE_ARGS=-DGGML_CUDA=on (see README)."
        )
    return 0, "running on CPU (no GPU offload available)"


@dataclass
class LlamaRuntime:
    """Owns the one llama.cpp model; LoRA adapters are loaded once and switched per request."""

    model_path: Path
    config: RuntimeConfig = field(default_factory=RuntimeConfig)
    adapter_paths: dict[str, Path] = field(default_factory=dict)
    model_name: str = ""
    adapter_scales: dict[str, float] = field(default_factory=dict)  # by stage; 1.0 where absent

    def __post_init__(self) -> None:
        import llama_cpp  # heavy: imported only when a model is really loaded
        import llama_cpp.llama_cpp as bindings

        self._bindings = bindings
        self._lock = threading.Lock()
        self.model_name = self.model_name or Path(self.model_path).stem
        n_gpu_layers, where = choose_gpu_layers(self.config.device, bindings.llama_supports_gpu_offload())
        log.info("%s: %s", self.model_name, where)
        self.device = "cuda" if n_gpu_layers else "cpu"
        kwargs = dict(
            model_path=str(self.model_path),
            n_ctx=self.config.n_ctx,
            n_threads=self.config.n_threads or os.cpu_count() or 1,
            n_threads_batch=self.config.n_threads or os.cpu_count() or 1,
            n_gpu_layers=n_gpu_layers,
            seed=self.config.seed,
            verbose=self.config.verbose,
        )
        with _LOAD_LOCK:
            safe = self.device == "cuda" or extra_buffer_types_safe(str(self.model_path), llama_cpp)
            with contextlib.nullcontext() if safe else _without_extra_buffer_types(bindings):
                try:
                    self._llm = llama_cpp.Llama(**kwargs)
                except (ValueError, RuntimeError) as exc:
                    raise RuntimeLoadError(
                        f"llama.cpp could not load {self.model_path}: {exc}. "
                        "Run `iotcoder models verify` to check the file."
                    ) from exc
        self.n_ctx = self._llm.n_ctx()
        self._adapters: dict[str, object] = {}
        for stage, path in self.adapter_paths.items():
            self._load_adapter(stage, Path(path))
        self._active: str | None = None

    def _load_adapter(self, stage: str, path: Path) -> None:
        from .store import check_gguf

        check_gguf(path)
        from llama_cpp._utils import suppress_stdout_stderr

        # llama.cpp warns once per tensor that a LoRA cannot use the repacked CPU buffer; in a notebook that is
        # dozens of red lines under the magic cell, so its output is kept back unless verbose is asked for
        with suppress_stdout_stderr(disable=self.config.verbose):
            handle = self._bindings.llama_adapter_lora_init(self._llm.model, str(path).encode())
        if not handle:
            log.warning("LoRA adapter %s could not be loaded: stage %s uses the base model", path, stage)
            return
        self._adapters[stage] = handle
        log.info("LoRA adapter for %s: %s", stage, path.name)

    def adapters(self) -> dict[str, str]:
        return {stage: Path(self.adapter_paths[stage]).name for stage in self._adapters}

    def _activate(self, stage: str | None) -> None:
        """Switch adapters on the one context; the KV cache is dropped when they change."""
        wanted = stage if stage in self._adapters else None
        if wanted == self._active:
            return
        if wanted is None:
            status = self._bindings.llama_set_adapters_lora(self._llm.ctx, None, 0, None)
        else:
            handles = (self._bindings.llama_adapter_lora_p_ctypes * 1)(self._adapters[wanted])
            scales = (ctypes.c_float * 1)(self.adapter_scales.get(wanted, 1.0))
            status = self._bindings.llama_set_adapters_lora(self._llm.ctx, handles, 1, scales)
        if status != 0:
            raise RuntimeLoadError(f"llama.cpp refused to switch to the {wanted or 'base'} adapter")
        self._llm.reset()
        self._active = wanted

    def count_tokens(self, messages: tuple[dict, ...]) -> int:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return len(self._llm.tokenize(text.encode(), add_bos=False, special=True)) + 3

    def next_token_logits(self, prompt: str, adapter: str | None = None) -> list[float]:
        """Raw logits for the token after `prompt` (chat markup included), with a stage's adapter or none.

        For checking an exported adapter against the PyTorch model it was trained as; generation uses stream().
        """
        with self._lock:
            self._activate(adapter)
            tokens = self._llm.tokenize(prompt.encode(), add_bos=False, special=True)
            self._llm.reset()
            self._llm.eval(tokens)
            logits = self._bindings.llama_get_logits_ith(self._llm.ctx, -1)
            return logits[: self._llm.n_vocab()]

    def stream(self, request: ChatRequest) -> Iterator[str]:
        with self._lock:
            self._activate(request.adapter)
            kwargs = dict(
                messages=list(request.messages),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
                stop=list(request.stop) or None,
                stream=True,
            )
            if request.json_schema is not None:
                kwargs["response_format"] = {"type": "json_object", "schema": request.json_schema}
            try:
                for chunk in self._llm.create_chat_completion(**kwargs):
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextOverflowError(f"{exc}: shorten the requirement or raise --n-ctx") from exc
                raise

    def close(self) -> None:
        with self._lock:
            for handle in self._adapters.values():
                self._bindings.llama_adapter_lora_free(handle)
            self._adapters.clear()
            self._llm.close()


def load_runtime(model: str | None = None, config: RuntimeConfig | None = None, *,
                 allow_download: bool | None = None, server: ServerConfig | None = None) -> Runtime:
    """The runtime the user configured: a server when one is set, else the local model.

    `server`, else IOTCODER_SERVER_CONFIG / IOTCODER_BASE_URL (see remote.py), picks
    an OpenAI-compatible server; `model` then names a model it serves. Otherwise the
    model is resolved by name or path (see store.py) and loaded with the stage
    adapters that `config.adapters` picks (see `stage_adapters`), each at its policy's scale.
    """
    from .remote import OpenAIRuntime, load_server_config
    from .store import resolve_model

    config = config or RuntimeConfig()
    adapters = config.adapters
    check_adapter_choice(adapters)
    server = server or load_server_config()
    if server is not None:
        return OpenAIRuntime.connect(server, model=model, n_ctx=config.n_ctx, use_adapters=adapters != "none")
    resolved = resolve_model(model, allow_download=allow_download)
    paths = stage_adapters(resolved.name, adapters)
    return LlamaRuntime(resolved.path, config, paths, model_name=resolved.name,
                        adapter_scales=adapter_scales(resolved.name, paths))


def check_adapter_choice(choice: str) -> None:
    if choice not in ADAPTER_CHOICES:
        raise ValueError(f"adapters must be one of {', '.join(ADAPTER_CHOICES)}, not {choice!r}")


def stage_adapters(model_name: str, choice: str = "default") -> dict[str, Path]:
    """Shipped LoRA adapters of `model_name`, by stage: those on by default (adapters.toml), all, or none."""
    from .store import adapter_policy, find_adapter

    check_adapter_choice(choice)
    if choice == "none":
        return {}
    found = {stage: find_adapter(model_name, stage) for stage in STAGES_WITH_ADAPTERS}
    return {stage: path for stage, path in found.items()
            if path is not None and (choice == "all" or adapter_policy(model_name, stage).default)}


def adapter_scales(model_name: str, adapters: dict[str, Path]) -> dict[str, float]:
    """Each loaded adapter's LoRA scale from its policy."""
    from .store import adapter_policy

    return {stage: adapter_policy(model_name, stage).scale for stage in adapters}
