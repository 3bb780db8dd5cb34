"""The run log: one JSON line per step and per evaluation, and the loss curve drawn from it.

On resume the lines past the checkpoint's step are dropped, because those
steps are trained again; the log then reads as if the run had never stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class RunLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def truncate_after(self, step: int) -> None:
        """Keep the records of steps <= `step` (the resumed checkpoint), drop the rest."""
        kept = [r for r in self.records() if r.get("step", 0) <= step]
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def write(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")


def losses(records: list[dict[str, Any]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, loss) pairs of the training steps and of the held-out evaluations."""
    train = [(r["step"], r["loss"]) for r in records if r.get("kind") == "train"]
    evals = [(r["step"], r["loss"]) for r in records if r.get("kind") == "eval"]
    return train, evals


def plot_losses(records: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Training loss per step and held-out loss per evaluation as a PNG; None when nothing is logged yet."""
    train, evals = losses(records)
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if train:
        ax.plot(*zip(*train), label="train loss", linewidth=1, alpha=0.8)
    if evals:
        ax.plot(*zip(*evals), "o-", label="held-out loss", linewidth=1.5)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("cross-entropy per answer token")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
