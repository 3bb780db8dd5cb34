"""Decomposition quality alone: the plan stage on the IoT tasks, with and without the decompose adapter.

The IoT suite needs minutes per sample because it writes and runs code; the
plan is the first stage and the decompose adapter changes nothing else, so
scoring plans alone measures that adapter on many more tasks in the same time.
Each plan is scored against the task's reference plan (`metrics.plan_score`),
checked for its size, for whether its last task names the function the
requirement asks for, and for text pasted from the prompt's worked example.
Results are cached per configuration, task and seed in `plans.jsonl`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..calls import StageCaller
from ..config import GenerationConfig
from ..decompose import copied_from_example, decompose
from ..errors import GenerationError
from ..requirement import find_required_signature
from ..runtime import Runtime
from ..schema import StageStats
from .metrics import plan_format_ok, plan_score
from .runner import done_keys, load_samples
from .tasks import BenchTask

CONFIGS = {"base": None, "base+lora": "decompose"}


def sample_key(config: str, model_id: str, task_id: str, generation: GenerationConfig, adapters_id: str = "") -> str:
    key = (f"{config}|{model_id}|{task_id}|t={generation.temperature}|seed={generation.seed}"
           f"|max_tasks={generation.max_tasks}")
    return key + (f"|adapters={adapters_id}" if CONFIGS[config] and adapters_id else "")


def score_plan(task: BenchTask, runtime: Runtime, adapter: str | None, generation: GenerationConfig) -> dict:
    """One plan for the task's requirement and what it is worth."""
    stats = StageStats()
    caller = StageCaller(runtime, "decompose", stats, adapter=adapter)
    try:
        plan = decompose(task.requirement, caller, generation)
    except GenerationError as exc:
        return {"plan_ok": False, "plan_score": 0.0, "n_steps": 0, "names_function": False, "copies_example": False,
                "error": str(exc)[:300],
                "titles": [], "gen_seconds": round(stats.seconds, 3), "tokens": stats.tokens}
    tasks = plan.tasks
    text = " ".join(f"{t.title} {t.description}" for t in tasks)
    required = find_required_signature(task.requirement)
    last = f"{tasks[-1].title} {tasks[-1].description}"
    names_function = bool(required) and re.search(rf"\b{re.escape(required.function_name)}\b", last) is not None
    return {"plan_ok": plan_format_ok(len(tasks), generation.max_tasks) and not plan.fallback_reason,
            "plan_score": plan_score(text, task.reference_plan), "n_steps": len(tasks),
            "names_function": names_function, "copies_example": bool(copied_from_example(tasks, task.requirement)),
            "error": "", "titles": [t.title for t in tasks],
            "gen_seconds": round(stats.seconds, 3), "tokens": stats.tokens}


def run_plans(runtime: Runtime, model_id: str, configs: list[str], tasks: list[BenchTask], out_dir: Path,
              generation: GenerationConfig, progress: bool = True, adapters_id: str = "") -> Path:
    """Plan every task not yet cached; a configuration whose adapter is not loaded is skipped."""
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "plans.jsonl"
    done = done_keys(path)
    available = [c for c in configs if CONFIGS[c] is None or CONFIGS[c] in runtime.adapters()]
    todo = [(task, config) for task in tasks for config in available
            if sample_key(config, model_id, task.id, generation, adapters_id) not in done]
    with path.open("a") as out:
        for task, config in tqdm(todo, disable=not progress, desc="plans"):
            row = score_plan(task, runtime, CONFIGS[config], generation)
            out.write(json.dumps({
                "key": sample_key(config, model_id, task.id, generation, adapters_id),
                "adapters_id": adapters_id if CONFIGS[config] else "", "config": config, "model": model_id,
                "task_id": task.id, "category": task.category, **row}) + "\n")
            out.flush()
    return path


def plans_report(path: Path, model_id: str, adapters_id: str = "") -> str:
    """Per configuration: plans, size within the cap, mean plan score, last task naming the function, time."""
    rows = [r for r in load_samples(path) if r["model"] == model_id
            and (not CONFIGS[r["config"]] or r.get("adapters_id", "") == adapters_id)]
    lines = ["| configuration | plans | format ok | plan score vs reference | last task names the function "
             "| copies the worked example | mean steps | s/plan |", "|---|---|---|---|---|---|---|---|"]
    for config in CONFIGS:
        mine = [r for r in rows if r["config"] == config]
        if not mine:
            continue
        n = len(mine)

        def mean(field: str) -> float:
            return sum(float(r.get(field, 0)) for r in mine) / n

        lines.append(f"| {config} | {n} | {mean('plan_ok'):.2f} | {mean('plan_score'):.2f} | "
                     f"{mean('names_function'):.2f} | {mean('copies_example'):.2f} | {mean('n_steps'):.1f} | "
                     f"{mean('gen_seconds'):.1f} |")
    return "\n".join(lines) + "\n"
