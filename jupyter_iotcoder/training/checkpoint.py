"""Checkpoints that let an interrupted run continue bit for bit.

A checkpoint holds the LoRA weights (PEFT format), the optimiser and schedule
state, every random-number generator's state and the data position. It is
written to a temporary folder and renamed into place, so a crash while saving
leaves the previous checkpoint intact; only the newest `keep` are kept.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batches import DataPosition

_STEP_DIR = re.compile(r"step-(\d{6,})")
STATE_FILE = "trainer_state.pt"
ADAPTER_DIR = "adapter"


@dataclass
class TrainerState:
    """Counters that travel with a checkpoint."""

    step: int = 0
    position: DataPosition = DataPosition()
    tokens_seen: int = 0
    train_seconds: float = 0.0


def checkpoint_dirs(folder: Path) -> list[Path]:
    """Complete checkpoints under `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _STEP_DIR.fullmatch(p.name)) and (p / STATE_FILE).is_file()]
    return [p for _, p in sorted(found)]


def _rng_states() -> dict:
    import torch

    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _restore_rng(states: dict) -> None:
    import torch

    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(folder: Path, model, optimizer, scheduler, state: TrainerState, config: dict,
                    keep: int, rng_states: dict | None = None) -> Path:
    """Write checkpoint `step-NNNNNN` under `folder` and prune old ones; returns its path.

    `rng_states` are the generator states to resume from (default: the current ones).
    """
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"step-{state.step:06d}"
    tmp = folder / f".{final.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save_pretrained(tmp / ADAPTER_DIR)
    torch.save({
        "step": state.step,
        "position": (state.position.epoch, state.position.index),
        "tokens_seen": state.tokens_seen,
        "train_seconds": state.train_seconds,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": rng_states if rng_states is not None else _rng_states(),
        "config": config,
    }, tmp / STATE_FILE)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in checkpoint_dirs(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, model, optimizer, scheduler) -> tuple[TrainerState, dict]:
    """Restore weights, optimiser, schedule and RNGs from `path`; returns the counters and saved config."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    saved = torch.load(path / STATE_FILE, map_location="cpu", weights_only=False)
    weights = load_file(str(path / ADAPTER_DIR / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model, weights)
    if getattr(result, "unexpected_keys", None):
        raise ValueError(f"checkpoint {path} does not fit this model: unexpected {result.unexpected_keys[:3]}")
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    _restore_rng(saved["rng"])
    state = TrainerState(step=saved["step"], position=DataPosition(*saved["position"]),
                         tokens_seen=saved["tokens_seen"], train_seconds=saved["train_seconds"])
    return state, saved["config"]


def current_rng_states() -> dict:
    return _rng_states()
