"""The base model for training, de-quantised from the GGUF file that llama.cpp runs, plus LoRA.

transformers reads the GGUF (weights and tokenizer, chat template included), so
the adapter is trained against exactly the weights it will be applied to at
inference, not against some other release of the "same" model.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import IoTCoderError
from .config import LoraConfig

log = logging.getLogger("jupyter_iotcoder")


class TrainingDependencyError(IoTCoderError):
    """torch / transformers / peft are missing."""


def require_training_packages() -> None:
    missing = []
    for module in ("torch", "transformers", "peft"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TrainingDependencyError(
            f"training needs {', '.join(missing)}: pip install 'jupyter-iotcoder[train]' (or `make setup`)"
        )


@dataclass
class BaseModel:
    """A causal LM and its tokenizer; `name` is the model's manifest name (or file stem)."""

    model: object
    tokenizer: object
    name: str
    gguf_path: Path | None = None


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise IoTCoderError("CUDA was requested but torch sees no GPU (is this the CPU build of torch?)")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def load_base(base: str | None, *, device: str = "cpu", threads: int | None = None) -> BaseModel:
    """Resolve `base` (manifest name or .gguf path) like the runtime does, and de-quantise it into fp32."""
    require_training_packages()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..store import resolve_model

    if device == "cpu":
        torch.set_num_threads(threads or os.cpu_count() or 1)
    resolved = resolve_model(base)
    folder, file = str(resolved.path.parent), resolved.path.name
    log.info("loading %s from %s (de-quantising the GGUF weights)", resolved.name, resolved.path)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file, dtype=torch.float32)
    model.to(device)
    return BaseModel(model=model, tokenizer=tokenizer, name=resolved.name, gguf_path=resolved.path)


def add_lora(model, lora: LoraConfig, seed: int):
    """Wrap `model` with fresh LoRA weights (initialised from `seed`); only they are trainable."""
    import torch
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    torch.manual_seed(seed)
    config = PeftLoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules), bias="none", task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def trainable_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
