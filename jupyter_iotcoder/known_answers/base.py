"""What every known answer shares: the answer itself, the sandbox code that builds its inputs and checks its
result, and the readers of the user's signature (parameters, units, numbers) that the answers use."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..requirement import parameter_parts
from ..schema import Signature


RATE_HZ = 50  # the sampling rate of every known-answer signal
SECONDS = 60.0  # its length, unless the user asks for a longer minimum


# Builders of the signals and checks of the results, run in the validation sandbox (`sandbox.py` as source: its
# code is exec'd there, never imported here).
SIGNALS = Path(__file__).with_name("sandbox.py").read_text()


@dataclass(frozen=True)
class KnownAnswer:
    """Inputs whose right result is known, and how close the function must come to it."""

    what: str  # "a synthetic pulse signal at 72 beats per minute (50 Hz, 60 s)"
    inputs: tuple[tuple[str, str], ...]  # (parameter, Python source of its value)
    expected: float
    tolerance: float
    unit: str
    hint: str = "check the units, the band and how the beats, breaths or steps are counted"
    # For an array result: Python source of an expression on `_result` that gives "" or what is wrong.
    check: str = ""
    # Whether the function's own ValueError on these inputs is a bug: they are valid, and the user's words
    # say nothing about refusing the values set here (`known_answer` decides).
    refusal_is_a_bug: bool = False
    # For a returned dict: the key whose value is checked, and other keys checked on the same inputs
    # (key, check source on `_result` as that key's value).
    key: str = ""
    more_keys: tuple[tuple[str, str], ...] = ()


_RATE_NAME = re.compile(r"^fs(?:_\w+)?$|_fs$|^(?:sampling_|sample_)?rate(?:_hz)?$|^sample_?rate\w*$", re.I)
_MATRIX = re.compile(r"shape\s*\(\s*\w+\s*,\s*(\w+)\s*\)")


def _parameters(signature: Signature) -> list[tuple[str, str]]:
    """(name, default source) of each parameter of the user's function; "" where it has no default."""
    return [(name, default) for name, _, default in map(parameter_parts, signature.parameters) if name]


def _required(signature: Signature) -> list[str]:
    """The parameters of the user's function that have no default: the inputs an answer must set."""
    return [name for name, default in _parameters(signature) if not default]


_TIME_UNITS = ((r"(?:^|_)us$|micro|µs", 1e-6), (r"(?:^|_)ms$|milli", 1e-3), (r"(?:^|_)s$|seconds?\b", 1.0))
_TIME_NAMES = ((1e-6, "µs"), (1e-3, "ms"), (1.0, "s"))
_TIME_WORDS = ((r"\bmicroseconds?\b|\bus\b|µs", 1e-6), (r"\bmilliseconds?\b|\bms\b", 1e-3), (r"\bseconds?\b|(?<!')\bs\b", 1.0))
_LENGTH_UNITS = ((r"\bcm\b|centimet", 0.01), (r"\bmm\b|millimet", 0.001), (r"\bmet(?:re|er)s?\b|\bm\b", 1.0))


def _unit_of(words: str, units: tuple[tuple[str, float], ...]) -> float | None:
    """The one unit among `units` (pattern, size) that `words` use; None when none or several."""
    said = {size for pattern, size in units if re.search(pattern, words, re.I)}
    return said.pop() if len(said) == 1 else None


_FREQUENCY_UNITS = ((r"ghz", 1e9), (r"mhz", 1e6), (r"khz", 1e3), (r"(?:^|_)hz$|\bHz\b", 1.0))
_DISTANCE_UNITS = ((r"km|kilomet", 1000.0), (r"(?:^|_)m$|\bmet(?:re|er)s?\b", 1.0))


def _unit_near(requirement: str, name: str, units: tuple[tuple[str, float], ...]) -> float | None:
    """The one unit of `units` said in the clauses that name the parameter `name` (the SI unit, 1.0, when none
    says one); None when they say several."""
    clauses = [re.split(r"[,;]|\.(?:\s|$)", requirement[m.start():])[0]
               for m in re.finditer(rf"\b{re.escape(name)}\b", requirement)]
    said = {size for pattern, size in units for clause in clauses if re.search(pattern, clause, re.I)}
    return said.pop() if len(said) == 1 else 1.0 if not said else None


def _literal_number(source: str) -> float | None:
    """The number a default's source is (`125000.0`, `125e3`, `8`), else None."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _words_about(requirement: str, name: str) -> str:
    """The sentence part that follows the first mention of `name` after the signature, up to the next comma."""
    call = requirement.find(")")
    mention = re.search(rf"\b{re.escape(name)}\b", requirement[call + 1:]) if call >= 0 else None
    return re.split(r"[,.;](?:\s|$)", requirement[call + 1 + mention.start():])[0] if mention else ""


def _two_roles(needed: list[str], first: re.Pattern, second: re.Pattern) -> tuple[str, str] | None:
    """The two required parameters told apart by their names (`first` is tried first: `topic_filter` is the filter,
    `topic` the topic), or None unless there are exactly two and each pattern names one."""
    firsts = [name for name in needed if first.search(name)]
    seconds = [name for name in needed if second.search(name) and name not in firsts]
    return (firsts[0], seconds[0]) if len(needed) == 2 and len(firsts) == 1 and len(seconds) == 1 else None


def _number_check(expected: float, tolerance: float, truth: str, hint: str, as_hex: bool = False) -> str:
    """Harness source of the check that `_result` is `expected`, saying what the right answer is and why."""
    return f"_not_the_number(_result, {expected!r}, {tolerance!r}, {truth!r}, {hint!r}, {as_hex})"


def check_source(answer: KnownAnswer) -> str:
    """A harness line that fails, saying by how much, unless `_result` is within the answer's tolerance; a
    rate per minute that came out 60 times too small is named as the rate in Hz. For a dict's key, `_result` is
    that key's value during the check."""
    if answer.key:
        keys = [answer.key] + [key for key, _ in answer.more_keys]
        lines = [f"assert isinstance(_result, dict) and all(_key in _result for _key in {keys!r}), "
                 f"f'it returned {{type(_result).__name__}} {{_result!r:.200}}, not a dict with the keys "
                 f"{', '.join(keys)}'",
                 f"_whole, _result = _result, _result[{answer.key!r}]",
                 check_source(replace(answer, key="", more_keys=()))]
        for key, check in answer.more_keys:
            lines += [f"_result = _whole[{key!r}]", f"_wrong = {check}", f"assert not _wrong, {key!r} + ': ' + _wrong"]
        return "\n".join(lines + ["_result = _whole"])
    if answer.check:
        return f"_wrong = {answer.check}\nassert not _wrong, _wrong"
    expected, tolerance = answer.expected, answer.tolerance
    scalar = "_np.ndim(_result) == 0 and _np.isreal(_result)"
    in_hz = (f"{scalar} and abs(60 * float(_result) - {expected!r}) <= {tolerance!r}"
             if "per minute" in answer.unit else "False")
    return (f"assert {scalar} and abs(float(_result) - {expected!r}) <= {tolerance!r}, "
            f"f'it returned {{_result!r}}, but the signal has {expected:g} {answer.unit} (within {tolerance:g})' + ("
            f"': that is the rate in Hz, and 60 times it is the rate per minute' if {in_hz} else "
            f"{': ' + answer.hint!r})")
