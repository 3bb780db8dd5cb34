"""Training configuration: one small TOML file per stage, read into frozen dataclasses.

The shipped files live in `training/configs/<stage>.toml`; a user's own file
replaces one with `--config`. Unknown keys are errors, so a typo cannot
silently leave a default in place.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import IoTCoderError
from ..runtime import STAGES_WITH_ADAPTERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STAGES = STAGES_WITH_ADAPTERS
PRECISIONS = ("bf16", "fp32")
LOSS_ON = ("last", "all")
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


class TrainConfigError(IoTCoderError):
    """A training config file or value cannot be used."""

    exit_code = 2


@dataclass(frozen=True)
class DataConfig:
    train: str
    eval: str | None = None
    max_length: int = 1536
    eval_examples: int = 48
    loss_on: str = "last"
    repeat: dict[str, int] = field(default_factory=dict)  # meta flag -> times a record with it appears per epoch


@dataclass(frozen=True)
class LoraConfig:
    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class OptimConfig:
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 20
    max_steps: int = 400
    grad_accum: int = 4
    tokens_per_batch: int = 2048
    max_grad_norm: float = 1.0


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0
    precision: str = "bf16"
    eval_every: int = 50
    eval_at_start: bool = True
    save_every: int = 10
    keep_checkpoints: int = 2


@dataclass(frozen=True)
class TrainConfig:
    stage: str
    data: DataConfig
    lora: LoraConfig = field(default_factory=LoraConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SECTIONS = {"data": DataConfig, "lora": LoraConfig, "optim": OptimConfig, "run": RunConfig}


def _section(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise TrainConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise TrainConfigError(f"{where}: {exc}") from None


def config_from_dict(stage: str, data: dict[str, Any], where: str = "config") -> TrainConfig:
    """Build and check a TrainConfig from the parsed TOML tables."""
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise TrainConfigError(f"{where}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}")
    if "data" not in data or "train" not in data["data"]:
        raise TrainConfigError(f"{where}: [data] train = \"<path of the training JSONL>\" is required")
    parts = {name: _section(cls, data.get(name, {}), f"{where} [{name}]") for name, cls in _SECTIONS.items()}
    config = TrainConfig(stage=stage, **parts)
    check(config, where)
    return config


def check(config: TrainConfig, where: str = "config") -> None:
    """Reject values that would fail hours into a run, with the reason."""
    problems = []
    if config.stage not in STAGES:
        problems.append(f"stage must be one of {STAGES}, not {config.stage!r}")
    if config.run.precision not in PRECISIONS:
        problems.append(f"[run] precision must be one of {PRECISIONS}")
    if config.data.loss_on not in LOSS_ON:
        problems.append(f"[data] loss_on must be one of {LOSS_ON}")
    positive = {
        "[data] max_length": config.data.max_length, "[lora] r": config.lora.r,
        "[optim] max_steps": config.optim.max_steps, "[optim] grad_accum": config.optim.grad_accum,
        "[optim] tokens_per_batch": config.optim.tokens_per_batch, "[run] eval_every": config.run.eval_every,
        "[run] save_every": config.run.save_every, "[run] keep_checkpoints": config.run.keep_checkpoints,
        "[optim] learning_rate": config.optim.learning_rate,
    }
    problems += [f"{name} must be positive" for name, value in positive.items() if value <= 0]
    if config.optim.tokens_per_batch < config.data.max_length:
        problems.append("[optim] tokens_per_batch must be at least [data] max_length (one example per batch)")
    if not 0 <= config.lora.dropout < 1:
        problems.append("[lora] dropout must be in [0, 1)")
    if any(not isinstance(n, int) or n < 1 for n in config.data.repeat.values()):
        problems.append("[data] repeat: each factor must be a whole number of at least 1")
    if not config.lora.target_modules:
        problems.append("[lora] target_modules is empty")
    if problems:
        raise TrainConfigError(f"{where}: " + "; ".join(problems))


def default_config_path(stage: str) -> Path:
    if stage not in STAGES:
        raise TrainConfigError(f"unknown stage {stage!r}; stages with adapters: {', '.join(STAGES)}")
    return CONFIG_DIR / f"{stage}.toml"


def load_config(stage: str, path: str | Path | None = None) -> TrainConfig:
    """The stage's shipped config, or the file at `path`."""
    path = Path(path) if path is not None else default_config_path(stage)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise TrainConfigError(f"cannot read the training config {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TrainConfigError(f"{path} is not valid TOML: {exc}") from exc
    return config_from_dict(stage, data, where=str(path))


def with_overrides(config: TrainConfig, *, train: str | None = None, eval: str | None = None,
                   max_steps: int | None = None, tokens_per_batch: int | None = None,
                   grad_accum: int | None = None) -> TrainConfig:
    """The few values worth changing from the command line.

    The micro-batch shape is one of them: the configs' 4 x 2,048 tokens suit a CPU's memory, while on
    an H100 one micro-batch of 8,192 tokens trains the same tokens per step 3.9x faster
    (bench/results/train-speed-h100).
    """
    data = replace(config.data, train=train or config.data.train,
                   eval=eval if eval is not None else config.data.eval)
    given = {"max_steps": max_steps, "tokens_per_batch": tokens_per_batch, "grad_accum": grad_accum}
    optim = replace(config.optim, **{name: value for name, value in given.items() if value is not None})
    updated = replace(config, data=data, optim=optim)
    check(updated, "command line")
    return updated
