"""Helpers shared by the tests of `jupyter_iotcoder.known_answers`: the answer a requirement gets, the signal
an answer builds, and what its check says of a result."""

import numpy as np

from jupyter_iotcoder.known_answers import SIGNALS, KnownAnswer, known_answer
from jupyter_iotcoder.requirement import find_required_signature


def known_answer_for(requirement: str) -> KnownAnswer | None:
    """The known answer for the function the requirement names."""
    return known_answer(requirement, find_required_signature(requirement))


def built_signal(source: str) -> np.ndarray:
    """The input that an answer's source builds, as the sandbox builds it."""
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    return eval(source, namespace)


def check_problem(answer: KnownAnswer, result) -> str:
    """What the answer's check says of `result` ("" when right)."""
    namespace = {"_np": np, "_result": result}
    exec(SIGNALS, namespace)
    return eval(answer.check, namespace)
