"""Benchmark task records (benchmark/tasks/*.jsonl) and the check that they are sound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

CATEGORIES = (
    "signal processing", "sensor fusion", "activity recognition", "health sensing", "wireless sensing",
    "localisation", "networking/protocols", "edge deployment", "anomaly detection", "data pipelines",
)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]

# Candidates that must fail every task's test: a test they pass proves nothing.
TRIVIAL_CANDIDATES = {
    "returns None": "def {entry}(*args, **kwargs):\n    return None\n",
    "returns 0": "def {entry}(*args, **kwargs):\n    return 0\n",
    "returns an empty list": "def {entry}(*args, **kwargs):\n    return []\n",
    "identity": "def {entry}(*args, **kwargs):\n    return args[0] if args else None\n",
}


class BenchTask(BaseModel):
    """One IoT application task: what the user types, how it is tested, and a reference that passes."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    category: Category
    requirement: str = Field(min_length=40)
    entry_point: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    reference: str
    test: str = Field(description="Python source defining check(candidate) with assert statements")
    reference_plan: list[list[str]] = Field(
        min_length=2, description="expected steps, each a list of keywords any of which names its technique")
    timeout: float = 30.0

    def model_post_init(self, _context) -> None:
        if self.entry_point not in self.requirement:
            raise ValueError(f"task {self.id}: the requirement must name the entry point {self.entry_point}")
        if "def check(" not in self.test:
            raise ValueError(f"task {self.id}: the test must define check(candidate)")


def tasks_dir() -> Path:
    from ..config import resource_dir

    return resource_dir("benchmark") / "tasks"


def load_tasks(paths: list[Path] | None = None) -> list[BenchTask]:
    """All tasks, in file then line order; duplicate ids are an error. `_*.jsonl` files are examples."""
    files = paths or sorted(p for p in tasks_dir().glob("*.jsonl") if not p.name.startswith("_"))
    tasks, seen = [], set()
    for path in files:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                task = BenchTask.model_validate(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
            if task.id in seen:
                raise ValueError(f"{path}:{number}: duplicate task id {task.id}")
            seen.add(task.id)
            tasks.append(task)
    return tasks


def interleave_categories(tasks: list[BenchTask], per_category: int | None = None) -> list[BenchTask]:
    """The first `per_category` tasks of each category (all when None), taken one category at a time in turn.

    A run cut short then still covers every category instead of the first few.
    """
    by_category: dict[str, list[BenchTask]] = {}
    for task in tasks:
        by_category.setdefault(task.category, []).append(task)
    columns = [group[:per_category] for group in by_category.values()]
    return [group[i] for i in range(max(map(len, columns), default=0)) for group in columns if i < len(group)]


def validate_task(task: BenchTask, memory_mb: int = 2048) -> list[str]:
    """Problems with one task: its reference must pass, every trivial candidate must fail."""
    from ..sandbox import run_cells

    problems = []
    result = run_cells([task.reference], test_code=task.test, entry_point=task.entry_point,
                       timeout=task.timeout, memory_mb=memory_mb)
    if not result.passed:
        problems.append(f"the reference does not pass: {result.status} {result.reason}")
    for name, template in TRIVIAL_CANDIDATES.items():
        trivial = run_cells([template.format(entry=task.entry_point)], test_code=task.test,
                            entry_point=task.entry_point, timeout=task.timeout, memory_mb=memory_mb)
        if trivial.passed:
            problems.append(f"a trivial candidate ({name}) passes the test")
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m jupyter_iotcoder.bench.tasks [files]`: validate tasks, print problems."""
    import argparse

    parser = argparse.ArgumentParser(description="Check that every benchmark task is sound.")
    parser.add_argument("files", nargs="*", type=Path, help="task JSONL files (default: all)")
    args = parser.parse_args(argv)
    tasks = load_tasks(args.files or None)
    bad = 0
    for task in tasks:
        problems = validate_task(task)
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {task.id}" + "".join(f"\n     - {p}" for p in problems))
    print(f"{len(tasks) - bad} of {len(tasks)} tasks sound")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
