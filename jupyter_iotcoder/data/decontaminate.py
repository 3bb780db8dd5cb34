"""Decontamination against the IoT benchmark: no training pair may overlap a benchmark task.

A pair (its final user message and its answer: the fixed one-shot example of
the decomposition prompt is not part of what it teaches) is flagged when it shares an n-gram of `n` tokens (words and
punctuation, lower-cased; 13 as in the GPT-3 and Llama reports) with a
benchmark task's requirement, reference solution or test, or when its code
defines a function named like a benchmark entry point. Flagged pairs are
dropped and reported with the task they overlap.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field

from ..bench.tasks import BenchTask, load_tasks
from .dedup import pair_text

_TOKEN = re.compile(r"\w+")
_FENCED = re.compile(r"```(?:python)?\n(.*?)```", re.S)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = tokens(text)
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@dataclass
class BenchmarkIndex:
    n: int
    owner: dict[tuple[str, ...], str]
    entry_points: dict[str, str]
    tasks: int

    @classmethod
    def build(cls, tasks: list[BenchTask] | None = None, n: int = 13) -> "BenchmarkIndex":
        tasks = load_tasks() if tasks is None else tasks
        owner: dict[tuple[str, ...], str] = {}
        for task in tasks:
            for part in (task.requirement, task.reference, task.test):
                for gram in ngrams(part, n):
                    owner.setdefault(gram, task.id)
        return cls(n=n, owner=owner, entry_points={t.entry_point: t.id for t in tasks}, tasks=len(tasks))

    def overlaps(self, text: str) -> Counter:
        """Benchmark task id -> number of shared n-grams."""
        return Counter(self.owner[g] for g in ngrams(text, self.n) if g in self.owner)

    def defined_entry_points(self, text: str) -> list[str]:
        names = []
        for block in _FENCED.findall(text):
            try:
                tree = ast.parse(block)
            except SyntaxError:
                continue
            names += [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                      and n.name in self.entry_points]
        return names


@dataclass
class DecontaminationReport:
    checked: int = 0
    flagged: int = 0
    by_task: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


def decontaminate(records: list[dict], index: BenchmarkIndex, report: DecontaminationReport | None = None
                  ) -> tuple[list[dict], DecontaminationReport]:
    """Drop every record that overlaps the benchmark; the report says which tasks were hit and why."""
    report = report or DecontaminationReport()
    kept = []
    for record in records:
        report.checked += 1
        text = pair_text(record)
        hits = index.overlaps(text)
        names = index.defined_entry_points(record["messages"][-1]["content"])
        if not hits and not names:
            kept.append(record)
            continue
        report.flagged += 1
        for task_id in hits:
            report.by_task[task_id] += 1
            report.by_reason[f"{index.n}-gram overlap"] += 1
        for name in names:
            report.by_task[index.entry_points[name]] += 1
            report.by_reason["defines a benchmark entry point"] += 1
        if len(report.examples) < 5:
            report.examples.append(f"{record['meta'].get('source')}:{record['meta'].get('program') or record['meta'].get('api') or record['meta'].get('family')} -> {sorted(hits) or names}")
    return kept, report
