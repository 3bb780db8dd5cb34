"""Which known answer a requirement gets: `known_answer` reads what the user's function returns and takes, and
asks the answers of each domain in turn; the first that applies is used."""

from __future__ import annotations

import re
from dataclasses import replace

from ..requirement import (
    COMPARISONS, FEWER, described_return, refusal_clauses, return_phrases, stated_refusals)
from ..schema import Signature
from .base import KnownAnswer, _required
from .geo import (
    _bearing_answer, _circular_mean_answer, _distance_answer, _point_in_polygon_answer, _position_answer)
from .motion import _complementary_tilt_answer, _euler_answer
from .physical import (
    _altitude_answer, _battery_life_answer, _dew_point_answer, _echo_distance_answer, _thermistor_answer)
from .protocols import (
    _clock_sync_answer, _cobs_answer, _crc_answer, _modbus_request_answer, _rto_answer, _slip_answer,
    _topic_match_answer)
from .radio import (
    _fmcw_range_answer, _free_space_loss_answer, _lora_airtime_answer, _range_doppler_answer, _rssi_distance_answer)
from .signals import (
    _beat_peaks_answer, _despike_answer, _filter_answer, _outlier_answer, _rate_answer, _rr_answer,
    _running_rms_answer, _thd_answer)


def known_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """The known-answer inputs for the user's function (`_known_answer`), unless the user says to refuse them.

    Inputs that a simple condition the user states refuses ("raise ValueError if fs < 100") give no answer.
    When no refusal the user states names a setting given here (the rate, a cut-off), a ValueError of the
    function's own on these clean, long, valid inputs is a bug (`refusal_is_a_bug`); the signal is the first
    input, long enough for any minimum the user states.
    """
    answer = _known_answer(requirement, signature)
    if answer is None:
        return None
    values = dict(answer.inputs)
    built = re.match(r"_\w+\((\d+)", answer.inputs[0][1])  # every signal builder takes the count first
    samples = int(built.group(1)) if built else None
    for name, op, bound in stated_refusals(requirement, signature):
        number = re.fullmatch(r"-?\d+(?:\.\d+)?", values.get(name, ""))
        too_few = op == FEWER and samples is not None and samples < bound
        if number and op in COMPARISONS and COMPARISONS[op](float(number.group(0)), bound) or too_few:
            return None
    # the signal is long and clean: only the values set beside it (a rate, a cut-off) may be what a refusal meant
    settings = [name for name, _ in answer.inputs[1:]]
    named = [name for name in settings if any(re.search(rf"\b{re.escape(name)}\b", clause)
                                              for clause in refusal_clauses(requirement))]
    return replace(answer, refusal_is_a_bug=not named)


def _known_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """The known-answer inputs for the user's function, or None when the requirement asks for none of them.

    What the function returns picks the answers asked: a bool (an MQTT topic match, a point in a geofence),
    bytes (a COBS, SLIP or Modbus frame), an array or list (a filtered or despiked signal, flags, indices, a
    position, a running RMS), a tuple (a radar target, a clock offset and delay, Euler angles), a dict (its
    numbers, each as one number) or one number (`_number_answer`: a formula's, a rate's or a count's).
    """
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    phrases = return_phrases(requirement[call.end():] if call else requirement)
    returned = described_return(requirement, signature)
    rto = _rto_answer(requirement, signature, returned)
    if rto:
        return rto
    if returned == "bool":
        return _topic_match_answer(requirement, signature, returned) or _point_in_polygon_answer(
            requirement, signature, phrases[0] if phrases else "", returned)
    if returned in ("bytes", "bytearray"):
        return (_cobs_answer(requirement, signature) or _slip_answer(requirement, signature, returned)
                or _modbus_request_answer(requirement, signature))
    if returned and returned.startswith("list"):
        frames = _slip_answer(requirement, signature, returned)
        if frames:
            return frames
    if phrases and returned in ("np.ndarray", "list"):
        return (_filter_answer(requirement, signature) or _despike_answer(requirement, signature)
                or _position_answer(requirement, signature, phrases[0])
                or _outlier_answer(requirement, signature, phrases[0])
                or _beat_peaks_answer(requirement, signature, phrases[0])
                or _point_in_polygon_answer(requirement, signature, phrases[0])
                or _running_rms_answer(requirement, signature, phrases[0])
                or _complementary_tilt_answer(requirement, signature, phrases[0]))
    said_tuple = bool(phrases and returned is None and re.search(r"\btuple\b", phrases[0]))
    if said_tuple or returned and returned.startswith("tuple"):
        said = phrases[0] if phrases else ""
        several = (_range_doppler_answer(requirement, signature, said)
                   or _clock_sync_answer(requirement, signature, said, returned)
                   or _euler_answer(requirement, signature, said))
        if several or said_tuple:
            return several or _despike_answer(requirement, signature) or _position_answer(requirement, signature, said)
    if phrases and returned == "dict":
        return _dict_answer(requirement, signature, phrases[0])
    if phrases and returned is None:  # "returning a boolean mask that is True below ... or above ...": no one type
        flags = _outlier_answer(requirement, signature, phrases[0])
        if flags:
            return flags
    # what the result is: the first "returns ..." after the signature, else its own sentence ("-> int that computes")
    said = phrases[0] if phrases else re.split(r"[.;](?:\s|$)", requirement[call.end():] if call else "")[0]
    return _number_answer(requirement, signature, said, returned)


def _dict_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """The known answer for one number in a returned dict, read from what the user says of its key: "a dict
    with 'total_m' (float, total distance in metres), ..." or "the floats 'cadence_spm' = 120 * fs / stride lag
    (steps per minute), ...". The first key with an answer is checked (`KnownAnswer.key`)."""
    keys = list(re.finditer(r"['\"](\w+)['\"]", said))
    found = []
    for at, key in enumerate(keys):
        end = keys[at + 1].start() if at + 1 < len(keys) else len(said)
        words = re.sub(r"[,\s]*(?:\band\b)?[,\s]*$", "", said[key.end(): end])
        if re.search(r"\b(?:arrays?|lists?|tuples?|dict\w*|mask)\b", words, re.I):
            continue
        kind = "int" if re.search(r"\bint(?:eger)?\b", words) else "float" if re.search(r"\bfloat", words) else None
        answer = _number_answer(requirement, signature, f"{key.group(1).replace('_', ' ')} {words}", kind)
        if answer:
            found.append((key.group(1), answer))
    if not found:
        return None
    (key, first), rest = found[0], found[1:]
    more = tuple((other, answer.check) for other, answer in rest if answer.inputs == first.inputs and answer.check)
    named = ", ".join(repr(name) for name in [key] + [other for other, _ in more])
    return replace(first, key=key, more_keys=more, what=f"{first.what}, its {named}")


def _number_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """The known answer for one number the user's function returns, which `said` describes (`returned`: its
    type, if the words give one): a formula's (`_formula_answer`) or a rate's or count's from a signal."""
    return _formula_answer(requirement, signature, said, returned) or _rate_answer(requirement, signature, said,
                                                                                   returned)


def _formula_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """A known answer that a formula or a specification fixes for a function that returns one number (`said` is
    what the user says it returns, `returned` its type): a named CRC (an int); a distance, bearing or mean
    direction; a clock offset; heart-rate variability; a radio link's distance, loss or airtime; a physical
    sensor's reading; a THD, a battery's lifetime, an FMCW range."""
    if returned not in ("float", "int", None) or returned is None and _SEVERAL_RESULTS.search(said):
        return None
    needed = _required(signature)
    if returned == "int":
        return _crc_answer(requirement, signature, said, needed)
    return (_distance_answer(requirement, signature, said, needed)
            or _bearing_answer(requirement, signature, said, needed)
            or _circular_mean_answer(requirement, signature, said, needed)
            or _clock_sync_answer(requirement, signature, said, returned)
            or _rr_answer(requirement, signature, said, needed)
            or _rssi_distance_answer(requirement, signature, said) or _altitude_answer(requirement, signature, said)
            or _thermistor_answer(requirement, signature, said) or _echo_distance_answer(requirement, signature, said)
            or _free_space_loss_answer(requirement, signature, said)
            or _lora_airtime_answer(requirement, signature, said)
            or _thd_answer(requirement, signature, said) or _battery_life_answer(requirement, signature, said)
            or _fmcw_range_answer(requirement, signature, said)
            or _dew_point_answer(requirement, signature, said, needed))


_SEVERAL_RESULTS = re.compile(r"\b(?:tuple|dict\w*|arrays?|lists?|pairs?|and|both|bytes|frame)\b", re.I)
