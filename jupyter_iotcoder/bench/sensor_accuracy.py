"""Task accuracy on real sensor data: generated programs against a hand-crafted reference on the same data.

Each task (benchmark/sensor/*.toml) is a requirement a user would type, the
example data it may load, a scorer cell that calls the generated entry point
and prints the metric as JSON, and a reference program (the ceiling). The
harness computes the metric itself, so a program cannot misreport it. Results
are cached per configuration, task and sample in `sensor_samples.jsonl`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ..config import GenerationConfig, resource_dir
from ..runtime import Runtime
from ..sandbox import run_cells
from .runner import Candidate, done_keys, generate_candidate, load_samples

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REFERENCE = "reference"


class SensorTask(BaseModel):
    id: str
    data: list[str]
    entry_point: str
    metric: str
    better: Literal["higher", "lower"]
    requirement: str
    scorer: str
    reference: str
    timeout: float = 120.0


def load_sensor_tasks(folder: Path | None = None) -> list[SensorTask]:
    folder = folder or resource_dir("benchmark") / "sensor"
    return [SensorTask(**tomllib.loads(path.read_text())) for path in sorted(folder.glob("*.toml"))]


def score_program(cells: list[str], task: SensorTask, memory_mb: int = 2048) -> dict:
    """Run the program's cells, then the scorer; the metric comes from the scorer's JSON line."""
    if not cells:
        return {"status": "no-code", "value": None, "reason": "no program", "peak_rss_mb": 0.0, "exec_seconds": 0.0}
    result = run_cells([*cells, task.scorer], timeout=task.timeout, memory_mb=memory_mb)
    row = {"status": "error", "value": None, "reason": result.reason, "peak_rss_mb": result.peak_rss_mb,
           "exec_seconds": round(result.seconds, 3)}
    if result.status == "timeout" or not result.cells:
        return {**row, "status": result.status}
    last = result.cells[-1]
    if len(result.cells) == len(cells) + 1 and last.ok:
        lines = [line for line in last.stdout.splitlines() if line.startswith("{")]
        if lines:
            return {**row, "status": "scored", "value": json.loads(lines[-1])["value"], "reason": ""}
    failed = next((c for c in result.cells if not c.ok), None)
    return {**row, "reason": (failed.error if failed else result.reason)[-500:]}


def run_sensor_accuracy(runtime: Runtime, model_id: str, configs: list[str], tasks: list[SensorTask],
                        out_dir: Path, samples: int = 1, seed: int = 0, temperature: float = 0.2,
                        generation: GenerationConfig | None = None, progress: bool = True) -> Path:
    """Generate and score each (task, sample, configuration) not yet cached; the reference runs once per task."""
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "sensor_samples.jsonl"
    done = done_keys(path)
    generation = generation or GenerationConfig()

    def key(config: str, task: SensorTask, sample: int) -> str:
        model = "" if config == REFERENCE else model_id
        return f"{config}|{model}|{task.id}|{sample}|t={temperature}|seed={seed}"

    todo = [(task, 0, REFERENCE) for task in tasks]
    todo += [(task, sample, config) for task in tasks for sample in range(samples) for config in configs]
    todo = [item for item in todo if key(item[2], item[0], item[1]) not in done]
    with path.open("a") as out:
        for task, sample, config in tqdm(todo, disable=not progress, desc="sensor accuracy"):
            if config == REFERENCE:
                candidate = Candidate([task.reference], 0.0, 0)
            else:
                task_generation = replace(generation, seed=seed + sample, temperature=temperature,
                                          available_data=tuple(task.data))
                candidate = generate_candidate(config, task.requirement, runtime, task_generation)
            row = score_program(candidate.cells, task)
            out.write(json.dumps({
                "key": key(config, task, sample), "config": config, "model": model_id if config != REFERENCE else "",
                "task_id": task.id, "sample": sample, "metric": task.metric, "better": task.better,
                "gen_seconds": round(candidate.seconds, 3), "tokens": candidate.tokens,
                "cells_total": len(candidate.cells), "error": candidate.error[:300], **row, "cells": candidate.cells,
                "steps": candidate.steps,
            }) + "\n")
            out.flush()
    return path


def sensor_report(path: Path, model_id: str) -> str:
    """A markdown table: per task and configuration, the metric (mean over scored samples) and failures."""
    rows = [r for r in load_samples(path) if r["model"] in (model_id, "")]
    tasks = sorted({r["task_id"] for r in rows})
    configs = [REFERENCE] + sorted({r["config"] for r in rows} - {REFERENCE})
    lines = ["| task | metric | " + " | ".join(configs) + " |", "|---|---|" + "---|" * len(configs)]
    for task_id in tasks:
        mine = [r for r in rows if r["task_id"] == task_id]
        cells = []
        for config in configs:
            runs = [r for r in mine if r["config"] == config]
            scored = [r["value"] for r in runs if r["status"] == "scored"]
            if not runs:
                cells.append("-")
                continue
            value = f"{sum(scored) / len(scored):.3g}" if scored else "failed"
            rss = max(r["peak_rss_mb"] for r in runs)
            cells.append(f"{value} ({len(scored)}/{len(runs)} ran, {rss:.0f} MB)")
        metric = f"{mine[0]['metric']} ({mine[0]['better']} is better)"
        lines.append(f"| {task_id} | {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
