"""Benchmark metrics as small pure functions."""

from __future__ import annotations

import re

import numpy as np


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct (Chen et al. 2021), numerically stable form."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(counts: list[tuple[int, int]], k: int) -> float | None:
    """Mean pass@k over tasks given (n, c) per task; None when some task has fewer than k samples."""
    if not counts or any(n < k for n, _ in counts):
        return None
    return float(np.mean([estimate_pass_at_k(n, c, k) for n, c in counts]))


def plan_score(plan_text: str, reference_plan: list[list[str]]) -> float:
    """Share of the reference steps whose technique the generated plan names (any keyword, whole words)."""
    text = plan_text.lower()
    hits = sum(
        any(re.search(rf"(?<![a-z0-9]){re.escape(word.lower())}", text) for word in step)
        for step in reference_plan
    )
    return hits / len(reference_plan) if reference_plan else 0.0


def plan_format_ok(n_steps: int, max_tasks: int) -> bool:
    """Whether a plan has the 2-8 steps the decomposition format asks for, within the user's cap
    (`--max-tasks`); a cap of 1 asks for exactly one step."""
    return 2 <= n_steps <= min(8, max_tasks) or n_steps == max_tasks == 1
