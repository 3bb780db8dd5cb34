"""Plan A/B: does the decompose prompt add filtering or cleaning the requirement never asks for?

    .venv/bin/python bench/results/plans-method-1.5b-s21/run.py {before,after,notypical} OUT.jsonl

before: the prompt without the "states its method" sentence; after: with it (shipped since session 21);
notypical: with it and without the "Typical IoT steps" line. Resumes an interrupted OUT.jsonl.
"""
import json, re, sys
from pathlib import Path
from jupyter_iotcoder import decompose as dec
from jupyter_iotcoder.config import GenerationConfig, RuntimeConfig
from jupyter_iotcoder.pipeline import stage_callers
from jupyter_iotcoder.runtime import load_runtime
from jupyter_iotcoder.bench.tasks import load_tasks

ROOT = Path(__file__).resolve().parents[3]
variant, out = sys.argv[1], Path(sys.argv[2])
ADDED = ("When the requirement states its method (formulas, thresholds, windows), the tasks follow it "
         "exactly: add no filtering, cleaning or other processing it does not ask for.")
original_render = dec.render
def render(name, **kw):
    text = original_render(name, **kw).replace(" " + ADDED, "")
    if variant == "after" and name == "decompose.system.md":
        anchor = "keep each task focused on one function."
        assert anchor in text
        text = text.replace(anchor, anchor + " " + ADDED)
    if variant == "notypical" and name == "decompose.system.md":
        anchor = "keep each task focused on one function."
        start = text.index("Typical IoT steps")
        end = text.index("Use only the steps")
        text = text[:start] + text[end:]
        text = text.replace(anchor, anchor + " " + ADDED)
        assert "Typical" not in text
    return text
dec.render = render

reqs = {p.stem: p.read_text().strip() for p in (ROOT / "bench/results/multistep-1.5b-s20").glob("*.txt")}
held = (ROOT / "benchmark/heldout-session-19.txt").read_text().split(",")
tasks = {t.id: t for t in load_tasks()}
for tid in held[:30:3]:
    reqs[tid] = tasks[tid.strip()].requirement
runtime = load_runtime("qwen2.5-coder-1.5b", RuntimeConfig(n_threads=2))
done = {json.loads(l)["id"] for l in out.read_text().splitlines()} if out.exists() else set()
for rid, req in reqs.items():
    if rid in done:
        continue
    _, callers = stage_callers(runtime, None, None)
    plan = dec.decompose(req, callers["decompose"], GenerationConfig())
    with out.open("a") as f:
        f.write(json.dumps({"id": rid, "requirement": req, "tasks": [t.model_dump() for t in plan.tasks]}) + "\n")
    print(rid, len(plan.tasks), flush=True)
