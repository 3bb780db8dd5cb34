"""Model card of a shipped adapter, written from its training run's own records.

Everything in the card is read from the run folder (config.json, summary.json,
log.jsonl, loss.png), so the card says what the run did, not what it was meant
to do. The benchmark's before/after numbers are added where they were measured
(the adapters' README), not here.
"""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path
from typing import Any

from .config import TrainConfigError, default_config_path, load_config
from .runlog import RunLog, losses


def _hardware(summary: dict[str, Any]) -> str:
    if summary.get("device") == "cuda":
        return "CUDA GPU"
    threads = summary.get("torch_threads")
    machine = summary.get("machine") or platform.machine()  # runs before the trainer recorded it: this machine
    return f"CPU ({machine}, {threads} torch threads)" if threads else f"CPU ({machine})"


def config_differences(stage: str, config: dict[str, Any]) -> list[str]:
    """`section.key = value` for each setting of the run that the stage's shipped config does not have."""
    try:
        shipped = json.loads(json.dumps(load_config(stage).to_dict()))
    except TrainConfigError:
        return []
    return [f"{section}.{key} = {value!r}"
            for section, values in config.items() if isinstance(values, dict) and isinstance(shipped.get(section), dict)
            for key, value in values.items()
            if (section, key) != ("optim", "max_steps") and shipped[section].get(key) != value]


def _reproduce(stage: str, config: dict[str, Any], summary: dict[str, Any]) -> str:
    line = f"Reproduce with `iotcoder train --stage {stage} --max-steps {summary['max_steps']}`"
    differences = config_differences(stage, config)
    if differences:
        line += (f" and a copy of `{default_config_path(stage).name}` changed to {', '.join(differences)} "
                 "(`--config`)")
    return line + ", then `iotcoder models export <run folder> --install`."


def model_card(run_dir: Path, stage: str, adapter_file: Path) -> str:
    """The card's markdown: data, hyper-parameters, steps, tokens, wall time, hardware and losses."""
    config = json.loads((run_dir / "config.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    train, evals = losses(RunLog(run_dir / "log.jsonl").records())
    optim, lora, data = config["optim"], config["lora"], config["data"]
    hours = summary["train_seconds"] / 3600
    tokens_per_step = optim["grad_accum"] * optim["tokens_per_batch"]
    window = train[-10:]
    lines = [
        f"# {summary['base_model']} · {stage} LoRA adapter",
        "",
        f"`{adapter_file.name}` ({adapter_file.stat().st_size / 1e6:.1f} MB): a GGUF LoRA adapter that llama.cpp "
        f"applies on top of `{summary['base_model']}` for the {stage} stage. The runtime loads it automatically.",
        "",
        "## Training data",
        "",
        f"- train: `{data['train']}` ({summary['examples']} examples; {summary['dropped_too_long']} dropped "
        f"as longer than {data['max_length']} tokens), built by `iotcoder data build` (see data/CARD.md)",
        f"- held-out: `{data['eval']}` (a fixed subset of {data['eval_examples']} examples scored at each evaluation)",
        f"- loss on: the {'final' if data['loss_on'] == 'last' else 'every'} assistant turn only",
        *([f"- repeated: records flagged {', '.join(f'`{k}` x{n}' for k, n in data['repeat'].items())} per epoch "
           "(counted in the examples above)"] if data.get("repeat") else []),
        "",
        "## Hyper-parameters",
        "",
        f"- LoRA r={lora['r']}, alpha={lora['alpha']}, dropout={lora['dropout']}, on "
        f"{', '.join(lora['target_modules'])}",
        f"- AdamW, learning rate {optim['learning_rate']:g}, cosine schedule, {optim['warmup_steps']} warm-up steps, "
        f"weight decay {optim['weight_decay']:g}, gradient clipping {optim['max_grad_norm']:g}",
        f"- {optim['grad_accum']} micro-batches of up to {optim['tokens_per_batch']} padded tokens per step "
        f"(at most {tokens_per_step} tokens), {config['run']['precision']}, seed {config['run']['seed']}",
        "",
        "## The run",
        "",
        f"- steps: {summary['steps']} of {summary['max_steps']}"
        + (" (interrupted)" if summary["interrupted"] else ""),
        f"- tokens seen: {summary['tokens_seen']:,} (prompts and answers; about "
        f"{summary['tokens_seen'] / max(1, summary['steps']):.0f} per step)",
        f"- trainable parameters: {summary['trainable_parameters']:,}",
        f"- training time: {hours:.2f} h on {_hardware(summary)}, "
        f"{summary['train_tokens_per_second']:.0f} tokens/s",
    ]
    if train:
        lines.append(f"- training loss: {train[0][1]:.3f} at step {train[0][0]}, "
                     f"{sum(l for _, l in window) / len(window):.3f} averaged over the last {len(window)} steps")
    if evals:
        lines.append("- held-out loss: " + ", ".join(f"{loss:.3f} (step {step})" for step, loss in evals))
    lines += ["", f"![loss curve]({stage}.loss.png)", "",
              f"The per-step log is `{stage}.log.jsonl`. {_reproduce(stage, config, summary)}", ""]
    return "\n".join(lines)


def write_model_card(run_dir: Path, stage: str, adapter_file: Path) -> Path:
    """Write <stage>.md, <stage>.loss.png and <stage>.log.jsonl next to the installed adapter."""
    folder = adapter_file.parent
    card = folder / f"{stage}.md"
    card.write_text(model_card(run_dir, stage, adapter_file))
    for name, target in (("loss.png", f"{stage}.loss.png"), ("log.jsonl", f"{stage}.log.jsonl")):
        if (run_dir / name).is_file():
            shutil.copyfile(run_dir / name, folder / target)
    return card
