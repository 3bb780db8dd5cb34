"""Length-bucketed batches: within budget, every example once per epoch, resumable order."""

from __future__ import annotations

import itertools

from jupyter_iotcoder.training.batches import DataPosition, epoch_batches, eval_batches, stream

LENGTHS = [(i * 37) % 300 + 20 for i in range(500)]


def test_every_example_appears_once_per_epoch_and_batches_respect_the_token_budget():
    batches = epoch_batches(LENGTHS, 1024, seed=3, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(len(LENGTHS)))
    assert all(len(b) * max(LENGTHS[i] for i in b) <= 1024 for b in batches)


def test_bucketing_keeps_padding_small():
    batches = epoch_batches(LENGTHS, 1024, seed=0, epoch=0)
    padded = sum(len(b) * max(LENGTHS[i] for i in b) for b in batches)
    assert padded < 1.15 * sum(LENGTHS)


def test_epochs_differ_and_the_same_seed_and_epoch_give_the_same_order():
    assert epoch_batches(LENGTHS, 1024, 1, 0) == epoch_batches(LENGTHS, 1024, 1, 0)
    assert epoch_batches(LENGTHS, 1024, 1, 0) != epoch_batches(LENGTHS, 1024, 1, 1)


def test_stream_resumed_from_a_position_continues_with_the_same_batches_across_epochs():
    straight = list(itertools.islice(stream(LENGTHS, 1024, 5), 400))
    position = straight[149][0]
    resumed = list(itertools.islice(stream(LENGTHS, 1024, 5, position), 250))
    assert resumed == straight[150:]
    assert straight[-1][0].epoch >= 1  # the test crossed an epoch boundary


def test_an_example_longer_than_the_budget_gets_a_batch_of_its_own():
    assert eval_batches([10, 5000, 10], 1024) == [[0, 2], [1]]
    assert next(stream([10], 1024, 0, DataPosition(0, 0)))[1] == [0]
