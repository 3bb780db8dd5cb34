"""`iotcoder bench` / `python -m jupyter_iotcoder.bench`: run configurations side by side and report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

from .tasks import interleave_categories


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..config import GenerationConfig
    from .runner import CONFIGS

    parser.add_argument("--suite", choices=["iot", "sensors", "humaneval", "plans", "validation"], default="iot",
                        help="iot = the IoT task benchmark (pass@k); sensors = task accuracy on real sensor data "
                             "against a hand-crafted reference; humaneval = general-coding regression check; "
                             "plans = the decomposition stage alone on the IoT tasks (plan score); validation = "
                             "the current validator on the code recorded in --out's samples.jsonl, against the "
                             "tasks' tests (no model; configuration `reference` adds the tasks' reference "
                             "solutions, where any failure is a false alarm)")
    parser.add_argument("--configs", default=None,
                        help="comma-separated (default direct,pipeline): "
                             + "; ".join(f"{c.name} = {c.help}" for c in CONFIGS.values())
                             + "; for --suite humaneval and plans: base, base+lora (default both)")
    parser.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores; 1 keeps "
                                                    "a shared machine's other work from stalling it)")
    parser.add_argument("--limit", type=int, help="--suite humaneval: the first N problems only")
    parser.add_argument("--model", help="model name or GGUF path (default: the default model)")
    parser.add_argument("--samples", "-n", type=int, default=1, help="samples per task (5+ for pass@5)")
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tasks", type=int, default=4, help="pipeline decomposition size")
    parser.add_argument("--alternatives", type=int, default=GenerationConfig.alternatives,
                        help="+repair configurations: versions of the user's function written again from the "
                             "whole requirement for the cross-check (the first from the plain prompt)")
    parser.add_argument("--quick", action="store_true", help="one task per category: a smoke check")
    parser.add_argument("--per-category", type=int, default=None,
                        help="the first N tasks of each category (tasks run category by category in turn)")
    parser.add_argument("--tasks", help="comma-separated task ids (default: all)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/iot"), help="results folder")
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from samples.jsonl")


def _machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _select(tasks, args):
    if args.tasks:
        wanted = set(args.tasks.split(","))
        unknown = wanted - {t.id for t in tasks}
        if unknown:
            raise SystemExit(f"unknown task ids: {', '.join(sorted(unknown))}")
        return [t for t in tasks if t.id in wanted]
    per_category = 1 if args.quick else args.per_category
    return interleave_categories(tasks, per_category)


def run(args: argparse.Namespace) -> int:
    from ..config import GenerationConfig, RuntimeConfig
    from ..runtime import load_runtime
    from ..store import resolve_model
    from .report import bar_chart, markdown, summarize, with_and_without_repair
    from .runner import CONFIGS, BenchRun, load_samples, shipped_adapters
    from .tasks import load_tasks

    if args.suite == "validation":
        return run_validation(args)
    if args.suite != "iot":
        return run_suite(args)
    configs = (args.configs or "direct,pipeline").split(",")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; choose from {', '.join(CONFIGS)}")
    tasks = _select(load_tasks(), args)
    args.out.mkdir(parents=True, exist_ok=True)
    resolved = resolve_model(args.model, progress=False)
    model_id = f"{resolved.name}@{resolved.entry.sha256[:12]}" if resolved.entry else resolved.name
    adapters, adapters_id = shipped_adapters(resolved.name)
    started = time.perf_counter()
    bench = BenchRun(None, model_id, configs, tasks, args.out, samples=args.samples, seed=args.seed,
                     temperature=args.temperature, adapters_id=adapters_id,
                     generation=GenerationConfig(max_tasks=args.max_tasks, alternatives=args.alternatives))
    if not args.report_only:
        bench.runtime = load_runtime(args.model, RuntimeConfig(seed=args.seed, n_threads=args.threads, adapters="all"))
        if "pipeline+lora" in configs and not bench.runtime.adapters():
            print("note: no LoRA adapters are shipped for this model; pipeline+lora equals pipeline", file=sys.stderr)
        bench.run()
    wanted = bench.keys()  # only samples made with these adapters and this --max-tasks
    samples = [s for s in load_samples(args.out / "samples.jsonl") if s["key"] in wanted]
    summary = summarize(samples)
    repair = with_and_without_repair(samples)
    results = {
        "command": " ".join(sys.argv),
        "model": {"name": resolved.name, "path": str(resolved.path),
                  "sha256": resolved.entry.sha256 if resolved.entry else None},
        "seed": args.seed, "temperature": args.temperature, "samples_per_task": args.samples,
        "max_tasks": args.max_tasks, "alternatives": args.alternatives, "adapters": {stage: path.name for stage, path in adapters.items()},
        "adapters_id": bench.adapters_id, "machine": _machine(),
        "copilot_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "wall_seconds": time.perf_counter() - started, "summary": summary, "with_and_without_repair": repair,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(summary, repair)
    (args.out / "results.md").write_text(table)
    bar_chart(summary, args.out / "pass_at_1.png")
    print(table)
    print(f"results in {args.out}/ (results.json, results.md, pass_at_1.png)")
    return 0


def run_suite(args: argparse.Namespace) -> int:
    """The sensor-accuracy, HumanEval or plans suite: cached samples, then a markdown and JSON report."""
    from ..config import GenerationConfig, RuntimeConfig
    from ..runtime import load_runtime
    from ..store import resolve_model
    from . import humaneval, plans, sensor_accuracy
    from .runner import CONFIGS, load_samples, shipped_adapters
    from .tasks import load_tasks

    known = {"humaneval": humaneval.CONFIGS, "plans": plans.CONFIGS}.get(args.suite, CONFIGS)
    default = "direct,pipeline" if known is CONFIGS else "base,base+lora"
    configs = (args.configs or default).split(",")
    unknown = [c for c in configs if c not in known]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; choose from {', '.join(known)}")
    resolved = resolve_model(args.model, progress=False)
    model_id = f"{resolved.name}@{resolved.entry.sha256[:12]}" if resolved.entry else resolved.name
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runtime = None if args.report_only else load_runtime(
        args.model, RuntimeConfig(seed=args.seed, n_threads=args.threads, adapters="all"))
    _, adapters_id = shipped_adapters(resolved.name)
    if args.suite == "sensors":
        path = args.out / "sensor_samples.jsonl"
        if runtime is not None:
            path = sensor_accuracy.run_sensor_accuracy(
                runtime, model_id, configs, sensor_accuracy.load_sensor_tasks(), args.out, samples=args.samples,
                seed=args.seed, temperature=args.temperature, generation=GenerationConfig(max_tasks=args.max_tasks))
        table, name = sensor_accuracy.sensor_report(path, model_id), "sensor_accuracy"
    elif args.suite == "plans":
        path = args.out / "plans.jsonl"
        generation = GenerationConfig(max_tasks=args.max_tasks, seed=args.seed, temperature=args.temperature)
        if runtime is not None:
            path = plans.run_plans(runtime, model_id, configs, _select(load_tasks(), args), args.out, generation,
                                   adapters_id=adapters_id)
        table, name = plans.plans_report(path, model_id, adapters_id), "plans"
    else:
        path = args.out / "humaneval.jsonl"
        if runtime is not None:
            path = humaneval.run_humaneval(runtime, model_id, configs, args.out, limit=args.limit, seed=args.seed,
                                           temperature=args.temperature, adapters_id=adapters_id)
        table, name = humaneval.humaneval_report(path, model_id, adapters_id), "humaneval"
    results = {
        "command": " ".join(sys.argv), "suite": args.suite,
        "model": {"name": resolved.name, "path": str(resolved.path),
                  "sha256": resolved.entry.sha256 if resolved.entry else None},
        "seed": args.seed, "temperature": args.temperature, "machine": _machine(),
        "wall_seconds": time.perf_counter() - started,
        "samples": [r for r in load_samples(path) if r["model"] in (model_id, "")] if path.exists() else [],
    }
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=2))
    (args.out / f"{name}.md").write_text(table)
    print(table)
    print(f"results in {args.out}/ ({name}.json, {name}.md)")
    return 0


def run_validation(args: argparse.Namespace) -> int:
    """Validate the recorded samples' code again (`revalidate`), write validation.json and validation.md."""
    from tqdm import tqdm

    from .revalidate import REFERENCE, markdown, reference_sample, revalidate_sample, summarize
    from .runner import load_samples
    from .tasks import load_tasks

    path = args.out / "samples.jsonl"
    configs = set(args.configs.split(",")) if args.configs else None
    references = configs is not None and REFERENCE in configs
    if not path.exists() and not references:
        raise SystemExit(f"no recorded samples in {path}: run the benchmark into --out first")
    tasks = {t.id: t for t in _select(load_tasks(), args)}
    recorded = load_samples(path) if path.exists() else []
    samples = [s for s in recorded if s["task_id"] in tasks and (configs is None or s["config"] in configs)]
    if references:
        samples += [reference_sample(task) for task in tasks.values()]
    started = time.perf_counter()
    rows = [row for sample in tqdm(samples, desc="validation", unit="cell")
            if (row := revalidate_sample(sample, tasks[sample["task_id"]])) is not None]
    summary = summarize(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"command": " ".join(sys.argv), "suite": "validation", "machine": _machine(),
               "wall_seconds": time.perf_counter() - started, "summary": summary,
               "cells": [asdict(row) for row in rows]}
    (args.out / "validation.json").write_text(json.dumps(results, indent=2))
    table = markdown(summary)
    (args.out / "validation.md").write_text(table)
    print(table)
    print(f"results in {args.out}/ (validation.json, validation.md)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iotcoder bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
