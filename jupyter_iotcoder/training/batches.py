"""Length-bucketed micro-batches in an order that is a pure function of (seed, epoch).

Examples of similar length share a micro-batch, so little compute goes to
padding; the batch count per micro-batch is set by a padded-token budget.
Because an epoch's order depends only on the seed and the epoch number, a
resumed run needs nothing but (epoch, index) to continue with exactly the
batches the interrupted run would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

BUCKET_WINDOW = 256  # examples sorted together; larger = less padding, less randomness


@dataclass(frozen=True)
class DataPosition:
    """Where the data stream stands: the next micro-batch is `index` of epoch `epoch`."""

    epoch: int = 0
    index: int = 0


def bucket_batches(lengths: Sequence[int], tokens_per_batch: int, order: Sequence[int]) -> list[list[int]]:
    """Greedy batches over `order` (already sorted by length) with count * longest <= tokens_per_batch."""
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longer = max(longest, lengths[i])
        if current and longer * (len(current) + 1) > tokens_per_batch:
            batches.append(current)
            current, longer = [], lengths[i]
        current.append(i)
        longest = longer
    if current:
        batches.append(current)
    return batches


def epoch_batches(lengths: Sequence[int], tokens_per_batch: int, seed: int, epoch: int) -> list[list[int]]:
    """One epoch: shuffle, sort within windows by length, batch, shuffle the batches."""
    rng = np.random.default_rng([seed, epoch])
    perm = rng.permutation(len(lengths))
    batches: list[list[int]] = []
    for start in range(0, len(perm), BUCKET_WINDOW):
        window = sorted(perm[start:start + BUCKET_WINDOW].tolist(), key=lambda i: (lengths[i], i))
        batches.extend(bucket_batches(lengths, tokens_per_batch, window))
    return [batches[i] for i in rng.permutation(len(batches))]


def eval_batches(lengths: Sequence[int], tokens_per_batch: int) -> list[list[int]]:
    """All examples, once, sorted by length: evaluation order never changes."""
    return bucket_batches(lengths, tokens_per_batch, sorted(range(len(lengths)), key=lambda i: (lengths[i], i)))


def stream(lengths: Sequence[int], tokens_per_batch: int, seed: int,
           start: DataPosition = DataPosition()) -> Iterator[tuple[DataPosition, list[int]]]:
    """Endless micro-batches from `start`; each comes with the position that follows it."""
    if not lengths:
        raise ValueError("no examples to batch")
    epoch, index = start.epoch, start.index
    while True:
        batches = epoch_batches(lengths, tokens_per_batch, seed, epoch)
        while index < len(batches):
            batch = batches[index]
            index += 1
            yield DataPosition(epoch, index), batch
        epoch, index = epoch + 1, 0
