"""`iotcoder train`, `iotcoder models export` and `iotcoder models merge`: arguments and what they run."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import IoTCoderError
from .config import STAGES

log = logging.getLogger("jupyter_iotcoder")

ADAPTER_FILE = "adapter.gguf"


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, choices=STAGES, help="which stage's adapter to train")
    parser.add_argument("--base", help="base model: a name from `iotcoder models list` or a .gguf path "
                                       "(default: the default model)")
    parser.add_argument("--config", help="training config TOML (default: the stage's shipped config)")
    parser.add_argument("--data", help="training JSONL (default: the config's [data] train)")
    parser.add_argument("--eval-data", help="held-out JSONL (default: the config's [data] eval)")
    parser.add_argument("--out", type=Path, help="run folder (default: out/train/<model>/<stage>)")
    parser.add_argument("--max-steps", type=int, help="optimiser steps (default: the config's)")
    parser.add_argument("--tokens-per-batch", type=int,
                        help="padded tokens per micro-batch (default: the config's; 8192 with --grad-accum 1 on a GPU)")
    parser.add_argument("--grad-accum", type=int, help="micro-batches per optimiser step (default: the config's)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: all cores)")
    parser.add_argument("--no-export", action="store_true", help="do not write <out>/adapter.gguf at the end")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("adapter", type=Path, help="a run folder of `iotcoder train`, or a PEFT LoRA adapter folder")
    parser.add_argument("-o", "--output", type=Path, help="GGUF adapter to write (default: <run>/adapter.gguf)")
    parser.add_argument("--base", help="base model name or .gguf path to check the adapter against "
                                       "(default: the run's base model)")
    parser.add_argument("--dtype", choices=["f16", "f32"], default="f16")
    parser.add_argument("--install", action="store_true",
                        help="also copy it to models/adapters/<model>/<stage>.gguf, where the runtime loads it")
    parser.add_argument("--stage", choices=STAGES, help="stage for --install (default: the run's stage)")


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, choices=STAGES, help="whose adapter to merge into the base")
    parser.add_argument("--adapter", type=Path, help="GGUF LoRA adapter (default: the one shipped for the stage)")
    parser.add_argument("--model", help="base model name or .gguf path (default: the default model)")
    parser.add_argument("-o", "--output", type=Path,
                        help="merged GGUF to write (default: out/merged/<model>-<stage>-<quant>.gguf)")
    parser.add_argument("--quant", default="Q4_K_M", help="llama.cpp quantisation: Q4_K_M, Q5_K_M, Q8_0, F16, ...")
    parser.add_argument("--threads", type=int, help="quantiser threads (default: all cores)")


def run_train(args: argparse.Namespace) -> int:
    from .config import load_config, with_overrides
    from .model import load_base, pick_device, require_training_packages
    from .trainer import train

    require_training_packages()
    config = with_overrides(load_config(args.stage, args.config), train=args.data, eval=args.eval_data,
                            max_steps=args.max_steps, tokens_per_batch=args.tokens_per_batch,
                            grad_accum=args.grad_accum)
    for path in (config.data.train, config.data.eval):
        if path and not Path(path).is_file():
            raise IoTCoderError(f"training data {path} does not exist: build it with `iotcoder data build`, "
                                "or pass --data / --eval-data")
    device = pick_device(args.device)
    base = load_base(args.base, device=device, threads=args.threads)
    out_dir = args.out or Path("out") / "train" / base.name / args.stage
    result = train(config, base, out_dir, resume=args.resume, device=device, progress=not args.quiet)
    hours = result.train_seconds / 3600
    print(f"{result.steps}/{result.max_steps} steps, {result.tokens_seen:,} tokens in {hours:.2f} h "
          f"({result.tokens_seen / max(result.train_seconds, 1e-9):.0f} tokens/s); "
          f"last train loss {result.last_train_loss}, held-out loss {result.last_eval_loss}; run in {out_dir}",
          file=sys.stderr)
    if result.interrupted:
        print(f"Interrupted: continue with `iotcoder train --stage {args.stage} --out {out_dir} --resume` "
              "(and the same --base/--config/--data)", file=sys.stderr)
        return 130
    if not args.no_export and base.gguf_path is not None:
        from .export import export_adapter

        report = export_adapter(result.adapter_dir, out_dir / ADAPTER_FILE, base_gguf=base.gguf_path,
                                name=f"{base.name} {args.stage} LoRA")
        print(f"GGUF adapter: {report.path} ({report.bytes / 1e6:.1f} MB). Ship it with "
              f"`iotcoder models export {out_dir} --install`", file=sys.stderr)
    return 0


def _run_info(folder: Path) -> tuple[Path, dict, dict]:
    """(PEFT folder, saved config, summary) of a run folder, or of a bare PEFT folder."""
    from .trainer import CONFIG_FILE, FINAL_ADAPTER_DIR, SUMMARY_FILE

    if (folder / FINAL_ADAPTER_DIR / "adapter_config.json").is_file():
        config = json.loads((folder / CONFIG_FILE).read_text()) if (folder / CONFIG_FILE).is_file() else {}
        summary = json.loads((folder / SUMMARY_FILE).read_text()) if (folder / SUMMARY_FILE).is_file() else {}
        return folder / FINAL_ADAPTER_DIR, config, summary
    if (folder / "adapter_config.json").is_file():
        return folder, {}, {}
    raise IoTCoderError(f"{folder} is neither a finished training run (no adapter/ inside) nor a PEFT adapter folder")


def run_export(args: argparse.Namespace) -> int:
    from ..store import resolve_model
    from .card import write_model_card
    from .export import export_adapter, install_adapter

    peft_dir, config, summary = _run_info(args.adapter)
    base = resolve_model(args.base or summary.get("base_gguf") or summary.get("base_model"))
    output = args.output or (args.adapter / ADAPTER_FILE if peft_dir != args.adapter else None)
    if output is None:
        raise IoTCoderError("give -o/--output for a bare PEFT adapter folder")
    stage = args.stage or config.get("stage")
    report = export_adapter(peft_dir, output, base_gguf=base.path, dtype=args.dtype,
                            name=f"{base.name} {stage or ''} LoRA".replace("  ", " "))
    print(f"{report.path}: {report.tensors} tensors, r={report.rank}, alpha={report.alpha:g}, "
          f"{report.bytes / 1e6:.1f} MB")
    if args.install:
        if stage is None:
            raise IoTCoderError("--install needs --stage for a bare PEFT adapter folder")
        target = install_adapter(report.path, base.name, stage)
        print(f"installed as {target}: `iotcoder generate` now uses it for the {stage} stage of {base.name}")
        if summary:
            print(f"model card: {write_model_card(args.adapter, stage, target)}")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from ..store import find_adapter, resolve_model
    from .merge import merge_adapter

    base = resolve_model(args.model)
    adapter = args.adapter or find_adapter(base.name, args.stage)
    if adapter is None:
        raise IoTCoderError(f"no {args.stage} adapter ships for {base.name}: pass --adapter <file.gguf>")
    output = args.output or Path("out") / "merged" / f"{base.name}-{args.stage}-{args.quant.lower()}.gguf"
    report = merge_adapter(base.path, adapter, output, quant=args.quant, threads=args.threads)
    print(f"{report.path}: {report.merged_tensors} weights merged, {report.quant}, "
          f"{report.bytes / 1e6:.0f} MB, {report.seconds:.0f} s. Run it with "
          f"`iotcoder generate --model {report.path} ...` (no adapters are applied on top)")
    return 0
