"""Turn benchmark samples into a summary (JSON), a markdown table and a bar chart."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from .metrics import mean_pass_at_k
from .tasks import CATEGORIES


def _counts(rows: list[dict]) -> list[tuple[int, int]]:
    per_task: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        per_task[row["task_id"]].append(row["passed"])
    return [(len(v), sum(v)) for v in per_task.values()]


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def summarize(samples: list[dict]) -> dict:
    """Per configuration: pass@1/5 overall and per category, plan format and quality, steps that run, speed."""
    by_config: dict[str, list[dict]] = defaultdict(list)
    for row in samples:
        by_config[row["config"]].append(row)
    summary = {}
    for config, rows in by_config.items():
        counts = _counts(rows)
        categories = {}
        for category in CATEGORIES:
            in_category = [r for r in rows if r["category"] == category]
            if in_category:
                categories[category] = mean_pass_at_k(_counts(in_category), 1)
        pipeline_rows = [r for r in rows if r["plan_ok"] is not None]
        gen_seconds = sum(r["gen_seconds"] for r in rows)
        summary[config] = {
            "tasks": len(counts),
            "samples": len(rows),
            "pass@1": mean_pass_at_k(counts, 1),
            "pass@5": mean_pass_at_k(counts, 5),
            "per_category_pass@1": categories,
            "plan_format_ok": _mean(float(r["plan_ok"]) for r in pipeline_rows) if pipeline_rows else None,
            "plan_score": _mean(r["plan_score"] for r in pipeline_rows) if pipeline_rows else None,
            "steps_run_ok": _mean(r["cells_ok"] / r["cells_total"] for r in rows if r["cells_total"]),
            "seconds_per_sample": gen_seconds / len(rows),
            "tokens_per_second": sum(r["tokens"] for r in rows) / gen_seconds if gen_seconds else None,
            "exec_peak_rss_mb": max((r["exec_peak_rss_mb"] or 0.0) for r in rows),
            "failure_reasons": _top_reasons(rows),
            "versions": _versions(rows),
        }
    return summary


def with_and_without_repair(samples: list[dict]) -> dict:
    """Each `X+repair` configuration against `X` on the same (task, sample): how many pass in both, in only one,
    the share of generated cells that run in each and of samples whose function runs through the task's test
    without an exception (right or wrong), and the extra time as ratios (of the totals, and the median
    of the per-sample ratios, which a machine paused or shared for a while skews less)."""
    by_config: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for row in samples:
        by_config[row["config"]][(row["task_id"], row.get("sample", 0))] = row
    paired = {}
    for config, rows in by_config.items():
        base = by_config.get(config.removesuffix("+repair")) if config.endswith("+repair") else None
        keys = sorted(set(rows) & set(base)) if base else []
        if not keys:
            continue
        pairs = [(base[key], rows[key]) for key in keys]
        paired[config] = {
            "without": config.removesuffix("+repair"), "pairs": len(pairs),
            "both_pass": sum(a["passed"] and b["passed"] for a, b in pairs),
            "only_with_repair": sum(b["passed"] and not a["passed"] for a, b in pairs),
            "only_without_repair": sum(a["passed"] and not b["passed"] for a, b in pairs),
            "steps_run_ok": [_mean(r["cells_ok"] / r["cells_total"] for r in side if r["cells_total"])
                             for side in zip(*pairs)],
            # the user's function ran through the task's test to its verdict: no exception, hang or missing code
            "ran_through_test": [_mean(float(r["status"] in ("passed", "failed")) for r in side)
                                 for side in zip(*pairs)],
            "time_ratio_total": sum(b["gen_seconds"] for _, b in pairs) / sum(a["gen_seconds"] for a, _ in pairs),
            "time_ratio_median": float(np.median([b["gen_seconds"] / a["gen_seconds"] for a, b in pairs
                                                  if a["gen_seconds"]])),
            "cpu_time_ratio_total": _cpu_ratio(pairs),
        }
    return paired


def _cpu_ratio(pairs: list[tuple[dict, dict]]) -> float | None:
    """The ratio of the generating process's CPU time, with and without repair; None unless every sample of
    the pairs recorded it (samples from before session 21 did not)."""
    cpu = [(a.get("gen_cpu_seconds"), b.get("gen_cpu_seconds")) for a, b in pairs]
    if not cpu or any(a is None or b is None for a, b in cpu) or not sum(a for a, _ in cpu):
        return None
    return sum(b for _, b in cpu) / sum(a for a, _ in cpu)


def _versions(rows: list[dict]) -> dict | None:
    """For cross-checked samples: how often some compared version of the user's function passes the test,
    and how often the chosen one does (the gap is what a better choice would gain)."""
    compared = [r for r in rows if r.get("versions_passed")]
    if not compared:
        return None
    most = max(len(r["versions_passed"]) for r in compared) - 1
    return {"samples": len(compared), "versions_per_sample": _mean(len(r["versions_passed"]) for r in compared),
            "any_passed": sum(any(r["versions_passed"]) for r in compared),
            "chosen_passed": sum(r["passed"] for r in compared),
            "chosen_passed_with_alternatives": {k: sum(_replayed_choice_passes(r, k) for r in compared)
                                                for k in range(most + 1)}}


def _replayed_choice_passes(row: dict, alternatives: int) -> bool:
    """Whether the test passes for the version the cross-check would have chosen from the pipeline's version
    and only the first `alternatives` alternatives. Exact, not a simulation: alternative n is written the
    same way (prompt, seed) whatever the number of alternatives, and its validation does not depend on it."""
    from ..consensus import pick
    from ..validate import Validation

    selection = row["steps"][-1]["selection"]["selection"][: alternatives + 1]
    progresses = [v["progress"] for v in selection] if all("progress" in v for v in selection) else None
    chosen, _ = pick([Validation(v["validation"], fingerprint=v["outputs"]) for v in selection],
                     [v["origin"] for v in selection], progresses, [bool(v.get("lacking")) for v in selection])
    return row["versions_passed"][chosen]


def _top_reasons(rows: list[dict], limit: int = 5) -> dict[str, int]:
    reasons: dict[str, int] = defaultdict(int)
    for row in rows:
        if not row["passed"]:
            reasons[row["status"] + ": " + (row["reason"].split(":")[0] if row["reason"] else "")] += 1
    return dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:limit])


def _fmt(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(summary: dict, repair: dict | None = None) -> str:
    lines = ["| configuration | tasks | samples | pass@1 | pass@5 | plan format ok | plan score | steps run ok "
             "| s/sample | tok/s |", "|" + " --- |" * 10]
    for config, s in summary.items():
        lines.append(f"| {config} | {s['tasks']} | {s['samples']} | {_fmt(s['pass@1'])} | {_fmt(s['pass@5'])} "
                     f"| {_fmt(s['plan_format_ok'])} | {_fmt(s['plan_score'])} | {_fmt(s['steps_run_ok'])} "
                     f"| {_fmt(s['seconds_per_sample'], 1)} | {_fmt(s['tokens_per_second'], 1)} |")
    compared = {config: s["versions"] for config, s in summary.items() if s.get("versions")}
    if compared:
        lines += ["", "Versions of the user's function compared by the cross-check (the task's test run on each):", "",
                  "| configuration | samples | versions per sample | some version passes | the chosen one passes |",
                  "|" + " --- |" * 5]
        lines += [f"| {config} | {v['samples']} | {v['versions_per_sample']:.1f} | {v['any_passed']} "
                  f"| {v['chosen_passed']} |" for config, v in compared.items()]
        lines += ["", "Samples whose chosen version passes, had only the first k alternatives been compared "
                      "(k = 0: the pipeline's version, validated and repaired, alone):", ""]
        lines += [f"- {config}: " + ", ".join(f"k={k}: {n}" for k, n in v["chosen_passed_with_alternatives"].items())
                  for config, v in compared.items()]
    if repair:
        lines += ["", "With and without validation and repair, on the same tasks and samples:", "",
                  "| configuration | without | pairs | both pass | only with repair | only without | steps run ok "
                  "(without / with) | runs through the test (without / with) | time ratio (total / median) "
                  "| CPU time ratio |",
                  "|" + " --- |" * 10]
        lines += [f"| {config} | {r['without']} | {r['pairs']} | {r['both_pass']} | {r['only_with_repair']} "
                  f"| {r['only_without_repair']} | {_fmt(r['steps_run_ok'][0])} / {_fmt(r['steps_run_ok'][1])} "
                  f"| {_fmt(r['ran_through_test'][0])} / {_fmt(r['ran_through_test'][1])} "
                  f"| {r['time_ratio_total']:.2f} / {r['time_ratio_median']:.2f} | {_fmt(r.get('cpu_time_ratio_total'))} |"
                  for config, r in repair.items()]
    categories = [c for c in CATEGORIES if any(c in s["per_category_pass@1"] for s in summary.values())]
    lines += ["", "pass@1 per category:", "", "| category | " + " | ".join(summary) + " |",
              "|" + " --- |" * (len(summary) + 1)]
    for category in categories:
        cells = [_fmt(s["per_category_pass@1"].get(category)) for s in summary.values()]
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bar_chart(summary: dict, path: Path) -> Path:
    """pass@1 per category, one bar per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = [c for c in CATEGORIES if any(c in s["per_category_pass@1"] for s in summary.values())]
    labels = categories + ["overall"]
    width = 0.8 / max(1, len(summary))
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(labels)), 4))
    for i, (config, s) in enumerate(summary.items()):
        values = [s["per_category_pass@1"].get(c) or 0.0 for c in categories] + [s["pass@1"] or 0.0]
        ax.bar(np.arange(len(labels)) + i * width, values, width, label=config)
    ax.set_xticks(np.arange(len(labels)) + width * (len(summary) - 1) / 2)
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("pass@1")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("IoT benchmark: pass@1 by category")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
