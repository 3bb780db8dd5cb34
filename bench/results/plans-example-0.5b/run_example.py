"""Does the decompose stage copy its worked example into unrelated plans, and does dropping the example help?

Plans from the base 0.5B model (no adapter) for the first 3 IoT tasks of each category, with the
shipped prompt (one worked example) and with the example left out. Writes rows to example.jsonl
(resumable) and prints the comparison. Run from the repo root:
    .venv/bin/python bench/results/plans-example-0.5b/run_example.py
"""
import json
import sys
from pathlib import Path

from jupyter_iotcoder import decompose as stage
from jupyter_iotcoder.bench.metrics import plan_score
from jupyter_iotcoder.bench.tasks import interleave_categories, load_tasks
from jupyter_iotcoder.calls import StageCaller
from jupyter_iotcoder.config import GenerationConfig, RuntimeConfig
from jupyter_iotcoder.runtime import LlamaRuntime
from jupyter_iotcoder.schema import StageStats
from jupyter_iotcoder.store import resolve_model

OUT = Path(__file__).with_name("example.jsonl")
VARIANTS = {"one example": True, "no example": False}

model = resolve_model(None)
runtime = LlamaRuntime(model.path, RuntimeConfig(n_threads=2), {}, model_name=model.name)
generation = GenerationConfig(max_tasks=int(sys.argv[1]) if len(sys.argv) > 1 else 4)
done = {(r["variant"], r["task_id"]) for r in map(json.loads, OUT.open())} if OUT.exists() else set()
tasks = interleave_categories(load_tasks(), 3)
with OUT.open("a") as out:
    for task in tasks:
        for variant, with_example in VARIANTS.items():
            if (variant, task.id) in done:
                continue
            stats = StageStats()
            # one plan per prompt, without the shipped re-ask, so both prompts are seen as they are
            plan = stage._plan(task.requirement, StageCaller(runtime, "decompose", stats), generation, with_example)
            text = " ".join(f"{t.title} {t.description}" for t in plan)
            row = {"variant": variant, "task_id": task.id, "n_steps": len(plan),
                   "plan_score": plan_score(text, task.reference_plan),
                   "copied": stage.copied_from_example(plan, task.requirement),
                   "seconds": round(stats.seconds, 1), "tasks": [t.model_dump() for t in plan]}
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(variant, task.id, row["plan_score"], len(row["copied"]), row["seconds"], flush=True)

rows = [json.loads(line) for line in OUT.open()]
by_task = {}
for r in rows:
    by_task.setdefault(r["task_id"], {})[r["variant"]] = r
print("| prompt | plans | copies the example | plan score | mean steps | s/plan |")
print("| --- | --- | --- | --- | --- | --- |")
for variant in VARIANTS:
    mine = [r for r in rows if r["variant"] == variant]
    n = len(mine)
    print(f"| {variant} | {n} | {sum(bool(r['copied']) for r in mine) / n:.2f} | "
          f"{sum(r['plan_score'] for r in mine) / n:.2f} | {sum(r['n_steps'] for r in mine) / n:.1f} | "
          f"{sum(r['seconds'] for r in mine) / n:.1f} |")
guarded = [v["no example"] if v["one example"]["copied"] else v["one example"]
           for v in by_task.values() if len(v) == 2]
if guarded:
    print(f"| one example, re-asked without it when copied | {len(guarded)} | "
          f"{sum(bool(r['copied']) for r in guarded) / len(guarded):.2f} | "
          f"{sum(r['plan_score'] for r in guarded) / len(guarded):.2f} | "
          f"{sum(r['n_steps'] for r in guarded) / len(guarded):.1f} | – |")
