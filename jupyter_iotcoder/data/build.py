"""`iotcoder data build`: knowledge base + curated programs + crawled docs -> JSONL training sets and a card.

Stages: expert decompositions (with IoT augmentation and voices) -> code
candidates (pipeline tasks, curated programs alone, crawled documentation) ->
sandboxed execution filter -> exact and near-duplicate removal ->
decontamination against the benchmark -> split -> JSONL + stats + CARD.md.
Every random choice comes from a generator seeded by (seed, what it is for),
so the same seed gives byte-identical JSONL files.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from . import card
from .codepairs import Candidate, crawled_candidates, pipeline_candidates, standalone_candidates
from .crawler import DEFAULT_TARGETS, crawl
from .curated import load_programs
from .decompositions import Decomposition, generate, utility_decomposition
from .decontaminate import BenchmarkIndex, DecontaminationReport, decontaminate
from .dedup import deduplicate
from .execution import run_jobs
from .knowledge import load_knowledge

HELD_OUT_FAMILIES = ("gait_analysis", "smart_agriculture", "structural_health")


@dataclass(frozen=True)
class BuildConfig:
    """What one build makes; every field is a flag of `iotcoder data build`."""

    seed: int = field(default=0, metadata={"help": "seed of every random choice"})
    out: Path = field(default=Path("data/built"), metadata={"help": "folder for the JSONL files and stats.json"})
    card: Path | None = field(default=Path("data/CARD.md"), metadata={"help": "dataset card to write (None: none)"})
    limit: int | None = field(default=None, metadata={
        "help": "at most this many combinations, curated programs and crawled APIs (quick builds and tests)"})
    decompositions_target: int = field(default=7000, metadata={"help": "decompositions to draw before dedup"})
    held_out_families: tuple[str, ...] = HELD_OUT_FAMILIES
    contexts_per_code: int = field(default=5, metadata={"help": "pipeline contexts kept per distinct module"})
    pipeline_pairs_per_program: int = field(default=900, metadata={
        "help": "cap on pipeline-context pairs of one curated program (sliding windows would otherwise dominate)"})
    variants_per_program: int = field(default=40, metadata={"help": "standalone variants per curated program"})
    utility_plans_per_program: int = field(default=12, metadata={
        "help": "one-utility requirements (the program's technique, then the named function) per curated program"})
    utility_heldout_share: float = 0.1
    near_duplicate_threshold: float = 0.85
    ngram: int = field(default=13, metadata={"help": "n of the benchmark n-gram overlap check"})
    crawl_targets: dict | None = field(default=None, metadata={"help": "module -> names; None = DEFAULT_TARGETS"})
    workers: int = field(default=2, metadata={"help": "sandbox subprocesses at a time"})
    batch_size: int = field(default=25, metadata={"help": "snippets per sandbox subprocess"})
    job_timeout: float = field(default=10.0, metadata={"help": "seconds one snippet may run"})
    knowledge_dir: Path | None = None
    curated_dir: Path | None = None
    count_tokens: Callable[[list[dict]], int] | None = field(default=None, metadata={
        "help": "the model tokenizer's counter; None = characters / 4 (an estimate, labelled so in the card)"})


def _rng(seed: int, *purpose: object) -> random.Random:
    return random.Random(f"{seed}:" + ":".join(map(str, purpose)))


def _stable_fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def draw_decompositions(config: BuildConfig, kb, programs, reserved: set[str], progress: bool) -> list[Decomposition]:
    """Enough draws per combination that every family gets a fair share of the target."""
    combos = sorted(kb.valid_combinations(), key=lambda c: c.key)
    if config.limit:
        combos = sorted(_rng(config.seed, "combos").sample(combos, min(config.limit, len(combos))),
                        key=lambda c: c.key)
    per_family = Counter(c.family.id for c in combos)
    families = len(per_family) or 1
    out = []
    for combo in tqdm(combos, desc="decompositions", unit="combination", disable=not progress):
        draws = max(2, math.ceil(config.decompositions_target / families / per_family[combo.family.id]))
        if config.limit:
            draws = 2
        for i in range(draws):
            made = generate(kb, programs, combo, _rng(config.seed, combo.key, i), reserved)
            if made is not None:
                out.append(made)
    return out


def draw_utility_decompositions(config: BuildConfig, programs, reserved: set[str]) -> list[dict]:
    """Records of one-utility requirements; a stable tenth of the programs is held out whole."""
    records = []
    for program_id in sorted(programs):
        held = _stable_fraction(f"{config.seed}:utility:{program_id}") < config.utility_heldout_share
        for i in range(config.utility_plans_per_program):
            made = utility_decomposition(programs[program_id], _rng(config.seed, "utility", program_id, i), reserved)
            if made is None:
                continue
            records.append({"messages": made.messages(), "meta": {
                "source": "curated-utility", "family": f"utility/{made.category}", "modality": "any",
                "representation": "any", "platform": "any", "voice": f"utility-{made.voice}",
                "tasks": len(made.tasks), "max_tasks": made.max_tasks, "named_function": made.signature,
                "program": made.program, "techniques": [made.program], "utility": True,
                "split": "heldout" if held else "train"}})
    return records


def decomposition_record(d: Decomposition, held_out: tuple[str, ...]) -> dict:
    combo = d.combination
    return {"messages": d.messages(), "meta": {
        "source": "knowledge-base", "family": combo.family.id, "modality": combo.modality.id,
        "representation": combo.representation.id, "platform": combo.platform.id, "voice": d.voice,
        "tasks": len(d.planned), "max_tasks": d.max_tasks, "named_function": d.named_function,
        "techniques": [p.technique for p in d.planned],
        "split": "heldout" if combo.family.id in held_out else "train"}}


def code_candidates(config: BuildConfig, decompositions: list[Decomposition], programs, apis,
                    progress: bool) -> list[Candidate]:
    candidates: list[Candidate] = []
    per_code: Counter = Counter()
    per_program: Counter = Counter()
    for d in tqdm(decompositions, desc="code from plans", unit="plan", disable=not progress):
        split = "heldout" if d.combination.family.id in config.held_out_families else "train"
        for cand in pipeline_candidates(d, split):
            key, program = cand.jobs[0].code, cand.meta["program"]
            if per_code[key] < config.contexts_per_code and per_program[program] < config.pipeline_pairs_per_program:
                per_code[key] += 1
                per_program[program] += 1
                candidates.append(cand)
    for program_id in sorted(programs):
        candidates += standalone_candidates(programs[program_id], _rng(config.seed, "standalone", program_id),
                                            config.variants_per_program)
    for doc in apis:
        for cand in crawled_candidates(doc):
            held = _stable_fraction(f"{config.seed}:{doc.qualified}") < 0.05
            cand.meta["split"] = "heldout" if held else "train"
            candidates.append(cand)
    return candidates


def _write_jsonl(path: Path, records: list[dict]) -> None:
    """One JSON object per line, written to a temporary file first so a crash leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_jsonl(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _lengths(records: list[dict], count_tokens) -> list[int]:
    if count_tokens is not None:
        return [count_tokens(r["messages"]) for r in records]
    return [sum(len(m["content"]) for m in r["messages"]) // 4 for r in records]


def distinct_ngram_ratio(texts: list[str], n: int = 3, sample: int = 500, seed: int = 0) -> float:
    """Distinct n-grams / all n-grams over a seeded sample of the texts (1.0: no phrase is ever repeated).

    The ratio falls as a corpus grows, so it is measured on a fixed-size sample to be comparable between builds.
    """
    if len(texts) > sample:
        texts = random.Random(seed).sample(texts, sample)
    seen, total = set(), 0
    for text in texts:
        words = text.lower().split()
        grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def _percentiles(values: list[int]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"min": ordered[0], "p10": pick(0.1), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99),
            "max": ordered[-1], "mean": round(sum(ordered) / len(ordered), 1)}


def build(config: BuildConfig, progress: bool = True) -> dict:
    """Run the whole build; returns the stats that stats.json and the card are made from."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 1)
        return now

    t = time.perf_counter()
    kb = load_knowledge(config.knowledge_dir)
    programs = load_programs(config.curated_dir)
    if config.limit:
        programs = {k: programs[k] for k in sorted(programs)[: config.limit]}
    index = BenchmarkIndex.build(n=config.ngram)
    reserved = set(index.entry_points)
    t = lap("load", t)

    decompositions = draw_decompositions(config, kb, programs, reserved, progress)
    records = [decomposition_record(d, config.held_out_families) for d in decompositions]
    records += draw_utility_decompositions(config, programs, reserved)
    decomp_kept, decomp_dedup = deduplicate(records, config.near_duplicate_threshold)
    decomp_kept, decomp_contam = decontaminate(decomp_kept, index)
    t = lap("decompositions", t)

    apis = crawl(config.crawl_targets or DEFAULT_TARGETS)
    if config.limit:
        apis = apis[: config.limit]
    t = lap("crawl", t)
    candidates = code_candidates(config, decompositions, programs, apis, progress)
    jobs = [job for cand in candidates for job in cand.jobs]
    distinct = len({job.key for job in jobs})
    bar = tqdm(total=distinct, desc="execution filter", unit="snippet", disable=not progress)
    results = run_jobs(jobs, batch_size=config.batch_size, workers=config.workers, job_timeout=config.job_timeout,
                       on_batch=bar.update)
    bar.close()
    t = lap("execution", t)

    survived: Counter = Counter()
    offered: Counter = Counter()
    failures: Counter = Counter()
    code_records = []
    for cand in candidates:
        group = cand.meta["source"] + ("/" + cand.meta["package"] if cand.meta["source"] == "crawled" else "")
        offered[group] += 1
        passing = next((job for job in cand.jobs if results[job.key].ok), None)
        if passing is None:
            failures[results[cand.jobs[0].key].error.split(":")[0][:40] or "unknown"] += 1
            continue
        survived[group] += 1
        code_records.append(cand.record(passing))
    code_kept, code_dedup = deduplicate(code_records, config.near_duplicate_threshold)
    code_kept, code_contam = decontaminate(code_kept, index)
    t = lap("dedup+decontaminate", t)

    files = {}
    for name, records_ in (("decompose", decomp_kept), ("codegen", code_kept)):
        for split in ("train", "heldout"):
            chosen = [r for r in records_ if r["meta"]["split"] == split]
            path = config.out / name / f"{split}.jsonl"
            _write_jsonl(path, chosen)
            files[f"{name}.{split}"] = {"path": str(path), "count": len(chosen), "bytes": path.stat().st_size}

    stats = {
        "seed": config.seed, "limit": config.limit, "files": files,
        "knowledge": {"families": len(kb.families), "modalities": len(kb.modalities),
                      "representations": len(kb.representations), "platforms": len(kb.platforms),
                      "techniques": len(kb.techniques), "rules": len(kb.rules),
                      "combinations": len(kb.all_combinations()), "valid": len(kb.valid_combinations()),
                      "excluded_by_rule": dict(Counter(e.rule for e in kb.exclusions()).most_common())},
        "decompose": {
            "drawn": len(records), "dedup": vars(decomp_dedup) | {"kept": decomp_dedup.kept},
            "decontamination": _contam(decomp_contam),
            "per_family": dict(sorted(Counter(r["meta"]["family"] for r in decomp_kept).items())),
            "per_voice": dict(sorted(Counter(r["meta"]["voice"] for r in decomp_kept).items())),
            "per_platform": dict(sorted(Counter(r["meta"]["platform"] for r in decomp_kept).items())),
            "per_modality": dict(sorted(Counter(r["meta"]["modality"] for r in decomp_kept).items())),
            "tasks_per_plan": dict(sorted(Counter(r["meta"]["tasks"] for r in decomp_kept).items())),
            "held_out_families": list(config.held_out_families),
            "distinct_3gram_ratio_requirements": round(distinct_ngram_ratio(
                [r["messages"][-2]["content"] for r in decomp_kept]), 3),
            "distinct_3gram_ratio_answers": round(distinct_ngram_ratio(
                [r["messages"][-1]["content"] for r in decomp_kept]), 3),
            "length": _percentiles(_lengths(decomp_kept, config.count_tokens)),
        },
        "codegen": {
            "candidates": len(candidates), "distinct_snippets": distinct,
            "offered": dict(sorted(offered.items())), "survived_execution": dict(sorted(survived.items())),
            "execution_failures": dict(failures.most_common(10)),
            "dedup": vars(code_dedup) | {"kept": code_dedup.kept}, "decontamination": _contam(code_contam),
            "per_source": dict(sorted(Counter(r["meta"]["source"] for r in code_kept).items())),
            "per_package": dict(sorted(Counter(r["meta"]["package"] for r in code_kept
                                               if r["meta"]["source"] == "crawled").items())),
            "per_instruction": dict(sorted(Counter(r["meta"]["instruction"] for r in code_kept
                                                   if r["meta"]["source"] == "crawled").items())),
            "per_category": dict(sorted(Counter(r["meta"]["category"] for r in code_kept
                                                if r["meta"]["source"] != "crawled").items())),
            "curated_programs": len(programs),
            "crawled_apis": len(apis), "crawled_with_examples": sum(bool(a.example_script) for a in apis),
            "packages": _packages(apis),
            "distinct_3gram_ratio_answers": round(distinct_ngram_ratio(
                [r["messages"][-1]["content"] for r in code_kept]), 3),
            "length": _percentiles(_lengths(code_kept, config.count_tokens)),
        },
        "token_counter": ("the default model's tokenizer (Runtime.count_tokens)" if config.count_tokens
                          else "characters / 4 (an estimate, not the tokenizer)"),
        "timings_s": timings | {"total": round(time.perf_counter() - started, 1)},
        "examples": {"decompose": _example(decomp_kept), "codegen_pipeline": _example(code_kept, "curated-pipeline"),
                     "codegen_crawled": _example(code_kept, "crawled")},
    }
    (config.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    if config.card is not None:
        config.card.parent.mkdir(parents=True, exist_ok=True)
        config.card.write_text(card.render(stats, config), encoding="utf-8")
    return stats


def _contam(report: DecontaminationReport) -> dict:
    return {"checked": report.checked, "flagged": report.flagged, "by_task": dict(report.by_task.most_common()),
            "by_reason": dict(report.by_reason), "examples": report.examples}


def _packages(apis) -> dict:
    out: dict[str, dict] = defaultdict(dict)
    for api in apis:
        out[api.distribution] = {"version": api.version, "license": api.license}
    return dict(sorted(out.items()))


def _example(records: list[dict], source: str | None = None) -> dict | None:
    for record in records:
        if source is None or record["meta"].get("source") == source:
            return {"user": record["messages"][-2]["content"], "assistant": record["messages"][-1]["content"],
                    "meta": record["meta"]}
    return None
