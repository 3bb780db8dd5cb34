"""pass@k estimator and plan score."""

import math

import pytest

from jupyter_iotcoder.bench.metrics import estimate_pass_at_k, mean_pass_at_k, plan_format_ok, plan_score


def _pass_at_k_by_definition(n, c, k):
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


@pytest.mark.parametrize("n,c,k", [(20, 0, 1), (20, 3, 1), (20, 3, 5), (20, 17, 5), (5, 1, 5), (200, 40, 10)])
def test_estimator_matches_the_combinatorial_definition(n, c, k):
    assert estimate_pass_at_k(n, c, k) == pytest.approx(_pass_at_k_by_definition(n, c, k))


def test_pass_at_1_is_the_share_of_correct_samples():
    assert estimate_pass_at_k(10, 4, 1) == pytest.approx(0.4)


def test_estimator_is_one_when_every_k_subset_has_a_correct_sample():
    assert estimate_pass_at_k(5, 2, 4) == 1.0


def test_estimator_rejects_impossible_counts():
    with pytest.raises(ValueError):
        estimate_pass_at_k(3, 4, 1)


def test_mean_pass_at_k_needs_k_samples_per_task():
    assert mean_pass_at_k([(1, 1), (1, 0)], 1) == pytest.approx(0.5)
    assert mean_pass_at_k([(1, 1), (1, 0)], 5) is None


def test_plan_score_counts_reference_steps_named_in_the_plan():
    reference = [["butterworth", "low-pass"], ["peak"], ["kalman"]]
    assert plan_score("Apply a 4th-order Butterworth filter, then find peaks.", reference) == pytest.approx(2 / 3)
    assert plan_score("Do something unrelated.", reference) == 0.0


@pytest.mark.parametrize("n_steps, max_tasks, ok", [(1, 1, True), (2, 1, False), (1, 4, False), (2, 4, True),
                                                    (5, 4, False), (8, 8, True), (9, 9, False)])
def test_plan_format_asks_for_two_to_eight_steps_within_the_cap_and_one_step_for_a_cap_of_one(n_steps, max_tasks, ok):
    assert plan_format_ok(n_steps, max_tasks) is ok
