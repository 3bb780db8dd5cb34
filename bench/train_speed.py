#!/usr/bin/env python
"""LoRA training speed of `iotcoder train` for a Qwen2.5-Coder size, on this machine's CPU or GPU.

Runs the real trainer (`training.trainer.train`) for a few optimiser steps with a stage's own
config (LoRA rank and targets, tokens per micro-batch, gradient accumulation, bf16 autocast) on a
randomly initialised model of the named size's exact architecture, so it needs no model file and
runs where the weights cannot be copied. Examples are synthetic chats as long as the built codegen
data's (about 1,000 tokens each). Random weights cost the same arithmetic as real ones, so the step
time is the real run's; the loss is meaningless. Prints seconds per step, tokens/s, peak memory and
the projected time of the stage's `max_steps`.

A benchmark, not a test: it asserts nothing. From the repository root:

    .venv/bin/python bench/train_speed.py --size 0.5b --steps 6
    python3 bench/train_speed.py --size 1.5b --device cuda --steps 20 --json speed.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # tiny_qwen's byte-level ChatML tokenizer: no tokenizer file needed

# Qwen2.5-Coder architectures (config.json of each Hugging Face repository).
SIZES = {
    "0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "3b": dict(hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16,
               num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
               num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False),
}


def synthetic_records(n: int, seed: int = 0) -> list[dict]:
    """Chats of 600-1,500 bytes (one token per byte here), like a spec -> module pair of the built data."""
    rng = random.Random(seed)
    words = "signal window sample rate filter sensor array peak mean threshold return float numpy".split()

    def text(size: int) -> str:
        return " ".join(rng.choice(words) for _ in range(size // 7))

    return [{"messages": [{"role": "system", "content": text(200)},
                          {"role": "user", "content": text(rng.randint(150, 400))},
                          {"role": "assistant", "content": text(rng.randint(250, 900))}]} for _ in range(n)]


def measure(size: str, stage: str, device: str, steps: int, tokens_per_batch: int | None = None,
            grad_accum: int | None = None) -> dict:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from jupyter_iotcoder.training.config import load_config, with_overrides
    from jupyter_iotcoder.training.model import BaseModel, pick_device
    from jupyter_iotcoder.training.trainer import train
    from tiny_qwen import tiny_tokenizer

    device = pick_device(device)
    config = load_config(stage)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in synthetic_records(4000)))
        config = with_overrides(config, train=str(data), eval="", max_steps=steps,
                                tokens_per_batch=tokens_per_batch, grad_accum=grad_accum)
        torch.manual_seed(0)
        model = Qwen2ForCausalLM(Qwen2Config(max_position_embeddings=32768, **SIZES[size]))
        base = BaseModel(model=model, tokenizer=tiny_tokenizer(), name=f"random-qwen2.5-coder-{size}")
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        result = train(config, base, Path(tmp) / "run", device=device, progress=False)
        wall = time.perf_counter() - started
        log = [json.loads(line) for line in (Path(tmp) / "run" / "log.jsonl").read_text().splitlines()]
    timed = [r for r in log if r["kind"] == "train"][1:] or [r for r in log if r["kind"] == "train"]
    seconds = sum(r["seconds"] for r in timed) / len(timed)  # the first step warms up kernels and allocators
    tokens = sum(r["tokens"] for r in timed) / len(timed)
    full_steps = load_config(stage).optim.max_steps
    peak = (torch.cuda.max_memory_allocated() / 2**30 if device == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    return {
        "size": size, "stage": stage, "device": device, "tokens_per_batch": config.optim.tokens_per_batch,
        "grad_accum": config.optim.grad_accum,
        "device_name": torch.cuda.get_device_name() if device == "cuda" else platform.processor() or platform.machine(),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "steps_run": result.steps, "steps_timed": len(timed), "wall_seconds": round(wall, 1),
        "seconds_per_step": round(seconds, 3), "tokens_per_step": round(tokens),
        "tokens_per_second": round(tokens / seconds), "trainable_parameters": result.trainable_parameters,
        "peak_memory_gib": round(peak, 2), "peak_memory_kind": "GPU allocated" if device == "cuda" else "RSS",
        "config_max_steps": full_steps, "projected_hours_for_max_steps": round(full_steps * seconds / 3600, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), action="append", help="repeatable; default 0.5b")
    parser.add_argument("--stage", default="codegen", choices=["decompose", "codegen"])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=6, help="optimiser steps; the first is not timed")
    parser.add_argument("--tokens-per-batch", type=int, help="padded tokens per micro-batch (default: the config's)")
    parser.add_argument("--grad-accum", type=int, help="micro-batches per step (default: the config's)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    rows = [measure(size, args.stage, args.device, args.steps, args.tokens_per_batch, args.grad_accum)
            for size in args.size or ["0.5b"]]
    for row in rows:
        print(f"{row['size']:>5} {row['stage']} on {row['device']} ({row['device_name']}), "
              f"{row['grad_accum']} x {row['tokens_per_batch']} tokens: "
              f"{row['seconds_per_step']} s/step, {row['tokens_per_second']} tokens/s, "
              f"peak {row['peak_memory_gib']} GiB ({row['peak_memory_kind']}), "
              f"{row['config_max_steps']} steps ~ {row['projected_hours_for_max_steps']} h", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
