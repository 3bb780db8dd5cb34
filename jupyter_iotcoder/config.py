"""Configuration as small dataclasses, and where the package's resource files live."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the `prompts/` or `models/` folder, installed (wheel) or in the source tree."""
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} not found next to {_PACKAGE_DIR}")


def cache_dir() -> Path:
    """Where assembled model files live: $IOTCODER_CACHE_DIR or ~/.cache/jupyter_iotcoder."""
    env = os.environ.get("IOTCODER_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "jupyter_iotcoder"


# Which shipped LoRA adapters a runtime applies: those on by default (adapters.toml), every one, or none.
ADAPTER_CHOICES = ("default", "all", "none")


@dataclass(frozen=True)
class RuntimeConfig:
    """How the llama.cpp model is loaded."""

    n_ctx: int = field(default=4096, metadata={"help": "context window in tokens"})
    n_threads: int | None = field(default=None, metadata={"help": "CPU threads; None = all cores"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    seed: int = field(default=0, metadata={"help": "sampling seed"})
    verbose: bool = field(default=False, metadata={"help": "let llama.cpp log to stderr"})
    adapters: str = field(default="default", metadata={
        "help": "which shipped LoRA adapters to apply: default (adapters.toml) | all | none"})


@dataclass(frozen=True)
class StageLimits:
    """Token budgets per model call; small models loop, so every call is capped."""

    decompose_tokens: int = 700
    target_tokens: int = 160
    io_tokens: int = 420
    code_tokens: int = 900


@dataclass(frozen=True)
class GenerationConfig:
    """What the pipeline does for one requirement."""

    max_tasks: int = 5
    temperature: float = 0.2
    seed: int = 0
    code_attempts: int = field(default=3, metadata={"help": "codegen tries until the module passes static checks"})
    validate: bool = field(default=True, metadata={"help": "run each step on sample inputs in the sandbox"})
    repair_attempts: int = field(default=2, metadata={"help": "repairs per step after a failed validation"})
    repair_budget_s: float = field(default=240.0, metadata={"help": "time per step after which repairs stop"})
    alternatives: int = field(default=2, metadata={
        "help": "with validation: versions of the user's function written again from the whole requirement "
                "(the first from a plain prompt); the one most versions agree with on sample inputs wins (0 = off)"})
    sandbox_timeout_s: float = field(default=20.0, metadata={"help": "time limit of one validation run"})
    available_data: tuple[str, ...] = field(default=(), metadata={
        "help": "example data the notebook can load (names in sensors.DATASETS); the plan and code use it"})
    max_requirement_chars: int = 6000
    allow_off_topic: bool = False
    limits: StageLimits = field(default_factory=StageLimits)


@dataclass(frozen=True)
class ServerConfig:
    """An OpenAI-compatible server that runs the stages instead of the local model (see docs/server.md)."""

    base_url: str = field(metadata={"help": "e.g. http://127.0.0.1:8000/v1; /v1 is added when no path is given"})
    api_key: str | None = field(default=None, repr=False, metadata={"help": "bearer key the server expects"})
    model: str | None = field(default=None, metadata={"help": "base model name; None = the first one /v1/models lists"})
    stage_models: dict[str, str] = field(default_factory=dict, metadata={
        "help": "stage -> model name (vLLM serves each LoRA adapter as a model name)"})
    lora_ids: dict[str, int] = field(default_factory=dict, metadata={
        "help": "stage -> adapter id of llama.cpp's llama-server (--lora a.gguf --lora b.gguf)"})
    timeout: float = field(default=120.0, metadata={"help": "seconds the server may stay silent per attempt"})
    max_retries: int = field(default=2, metadata={"help": "retries on connection errors, timeouts, 429 and 5xx"})
    json_mode: str = field(default="auto", metadata={
        "help": "json_schema (OpenAI, vLLM, llama-server) | json_object (llama-cpp-python's server) | auto"})
