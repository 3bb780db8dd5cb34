"""Known-answer inputs for validation: synthetic sensor signals whose right result is known.

Random sample inputs show that a function runs and what shape it returns, not whether its number is
right. For the rates that IoT requirements most often ask for, a signal built with a known rate is an
oracle: a heart rate from a pulse signal, a breathing rate from a chest or Wi-Fi CSI signal, a step
count from an accelerometer, the strongest line of a vibration; and for functions that return a signal,
two tones for a low-pass or high-pass filter, isolated spikes for a despiker. A function that returns
the rate in Hz instead of per minute, counts each pulse twice, or reads the wrong band misses the known
answer, and the repair model is told by how much. Where a formula fixes the answer, that formula is the
oracle: a CRC the user names gives the catalogue's check value on b"123456789"; a great-circle distance, an
RSSI path-loss distance, a dew point, a barometric altitude, a thermistor's temperature, an ultrasonic echo's
distance and a free-space path loss are known for fixed inputs; so is the position that exact ranges from
anchors give a trilateration, and which readings a point-wise z-score, IQR or MAD rule must flag.

`known_answer` reads the requirement: the user's function must return one number described as such a
rate or count (or the filtered signal), and take the signal and its sampling rate (any other parameter
needs a default, except a filter's cut-off). The signals are Python source run inside the validation
sandbox (`SIGNALS` defines their builders).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, replace

from .requirement import (COMPARISONS, DURATION, FEWER, described_return, parameter_parts, refusal_clauses,
                          return_phrases, stated_refusals, stated_result_dtype, user_types)
from .schema import Signature

RATE_HZ = 50  # the sampling rate of every known-answer signal
SECONDS = 60.0  # its length, unless the user asks for a longer minimum


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


# Builders of the signals, run in the sandbox with numpy as `_np`. Each is deterministic (its own seed),
# realistic enough for a correct method (a dicrotic wave after each pulse, baseline wander, noise,
# gravity in an unknown orientation), and plain enough that the right answer is not in doubt.
SIGNALS = '''
def _beat_times(end_s, per_minute, breaths_per_minute, rng):
    """The times (s) of the beats of `_pulse_signal`: from 0.4 s, at the rate with 1 % jitter, breathing swinging it."""
    beats, at = [], 0.4
    while at < end_s:
        beats.append(at)
        swing = _np.sin(2 * _np.pi * breaths_per_minute / 60.0 * at) if breaths_per_minute else 0.0
        at += 60.0 / per_minute * (1 + 0.04 * swing + rng.normal(0, 0.01))
    return beats


def _beats_found_wrongly(result, n, fs, per_minute, ecg, tolerance_s):
    """What is wrong with `result` as the sample indices of the beats of `_pulse_signal(n, fs, per_minute, 0, ecg)`
    (R peaks or systolic peaks): each beat found within `tolerance_s`, nothing else; "" when right."""
    beats = _np.array(_beat_times((n - 1) / fs, per_minute, 0.0, _np.random.default_rng(7)))
    found = _np.asarray(result).ravel()
    if found.dtype.kind not in "iuf" or (found.size and not _np.all(_np.isfinite(found))):
        return f"it returned {result!r:.80}, not sample indices"
    if found.size and (_np.all(found < 1.0) or _np.any(found != _np.round(found))):
        return f"it returned {found[:5].tolist()}..., not whole sample indices (times in seconds?)"
    times = found / fs
    inner = beats[(beats > 0.5) & (beats < (n - 1) / fs - 0.5)]  # a beat at either edge may be cut off
    missed = [b for b in inner if not _np.any(_np.abs(times - b) <= tolerance_s)]
    extra = [f for f in times if _np.min(_np.abs(beats - f)) > 2 * tolerance_s]
    if not missed and not extra:
        return ""
    problems = ([f"{len(missed)} beats missed (the first at {missed[0]:.2f} s)"] if missed else []) + (
        [f"{len(extra)} detections that are no beat (the first at {extra[0]:.2f} s)"] if extra else [])
    if found.size and missed:  # one delay for every detection: the peaks of a filter's delayed output
        offsets = [times[_np.argmin(_np.abs(times - b))] - b for b in inner]
        lag = float(_np.median(offsets))
        if abs(lag) > tolerance_s and _np.std(offsets) < tolerance_s / 2:
            problems.append(f"the detections are {abs(lag) * 1000:.0f} ms {'after' if lag > 0 else 'before'} the beats "
                            f"(a causal filter's delay? use a zero-phase filter or look for the peak in the input)")
    return (f"it found {len(found)} {'R peaks' if ecg else 'pulse peaks'}, but the signal has {len(beats)} beats at "
            f"{per_minute:g} per minute: {' and '.join(problems)}; band-pass filter, find the peaks at least a "
            f"refractory period apart above a threshold relative to the filtered signal, and return indices into the "
            f"input signal")


def _inside_wrongly(function, result, points, polygon, inside, points_first):
    """What is wrong with the point-in-polygon answers for `points`: `result` for an array of points, else `function`
    called on each point (`points_first`: the point is the first argument); "" when every answer is `inside`'s."""
    if result is None or _np.ndim(result) == 0:  # one point per call
        result = [function(*((p, polygon) if points_first else (polygon, p))) for p in points]
    got = _np.asarray(result).ravel()
    if got.shape != (len(points),) or got.dtype.kind not in "biu":
        return f"it returned {result!r:.80}, not one bool per point ({len(points)} points)"
    wrong = [i for i, (g, w) in enumerate(zip(got.astype(bool), inside)) if g != w]
    if not wrong:
        return ""
    shown = ", ".join(f"{tuple(points[i])} is {'inside' if inside[i] else 'outside'}" for i in wrong[:3])
    vertices = _np.asarray(polygon).tolist()
    return (f"{len(wrong)} of {len(points)} points are on the wrong side of the U-shaped polygon {vertices}: {shown}; "
            f"cast a ray from the point and count the edges it crosses (odd: inside), every edge including the one "
            f"from the last vertex back to the first")


def _pulse_signal(n, fs, per_minute, breaths_per_minute=0.0, ecg=False):
    """Raw PPG-like counts: a systolic pulse and a dicrotic shoulder per beat, wander and noise. With
    `breaths_per_minute`, breathing modulates the pulse amplitude, the baseline and the beat intervals;
    `ecg`: a narrow R spike and a broad T wave per beat instead (millivolts)."""
    rng = _np.random.default_rng(7)
    t = _np.arange(n) / fs
    breath = _np.sin(2 * _np.pi * breaths_per_minute / 60.0 * t) if breaths_per_minute else _np.zeros(n)
    beats = _beat_times(t[-1], per_minute, breaths_per_minute, rng)
    wave = _np.zeros(n)
    for beat in beats:
        if ecg:
            wave += _np.exp(-0.5 * ((t - beat) / 0.012) ** 2) + 0.3 * _np.exp(-0.5 * ((t - beat - 0.25) / 0.04) ** 2)
        else:
            wave += _np.exp(-0.5 * ((t - beat) / 0.08) ** 2) + 0.15 * _np.exp(-0.5 * ((t - beat - 0.25) / 0.1) ** 2)
    wave *= 1 + 0.2 * breath
    wander = 0.3 * _np.sin(2 * _np.pi * 0.05 * t) + 0.2 * breath
    if ecg:
        return wave + 0.1 * wander + rng.normal(0, 0.01, n)
    return 20000.0 + 400.0 * (wave + wander + rng.normal(0, 0.03, n))


def _breath_signal(n, fs, per_minute, columns=0):
    """Chest movement at the breathing rate with a weaker harmonic, drift and noise; with `columns`, that
    many channels (CSI subcarriers) that carry it at different gains and offsets, a third of them only noise."""
    rng = _np.random.default_rng(11)
    t = _np.arange(n) / fs
    f = per_minute / 60.0
    chest = _np.sin(2 * _np.pi * f * t) + 0.2 * _np.sin(4 * _np.pi * f * t + 0.5) + 0.002 * t
    if not columns:
        return 5.0 + chest + rng.normal(0, 0.1, n)
    gains = _np.where(_np.arange(columns) % 3 == 2, 0.0, rng.uniform(0.2, 1.0, columns))
    return 10.0 + rng.uniform(0, 5, columns) + _np.outer(chest, gains) + rng.normal(0, 0.05, (n, columns))


def _walk_signal(n, fs, per_minute, axes=3, unit=1.0):
    """A phone in a pocket, walking: gravity along a tilted axis and a bounce at the step rate (m/s^2, or g
    with `unit` 9.81)."""
    rng = _np.random.default_rng(13)
    t = _np.arange(n) / fs
    f = per_minute / 60.0
    bounce = 2.5 * _np.sin(2 * _np.pi * f * t) + 0.8 * _np.sin(4 * _np.pi * f * t + 1.0)
    down = _np.array([0.3, 0.5, 0.81]) / _np.linalg.norm([0.3, 0.5, 0.81])
    acc = _np.outer(9.81 + bounce, down) + rng.normal(0, 0.2, (n, 3))
    acc = acc / unit
    return acc if axes == 3 else _np.linalg.norm(acc, axis=1)


def _vibration_signal(n, fs, hz):
    """A machine's vibration (m/s^2): a DC offset, the strongest line at `hz`, a weaker one at 2.6 times it, noise."""
    rng = _np.random.default_rng(17)
    t = _np.arange(n) / fs
    return 1.5 + _np.sin(2 * _np.pi * hz * t) + 0.4 * _np.sin(2 * _np.pi * 2.6 * hz * t) + rng.normal(0, 0.2, n)


def _mains_signal(n, fs, f0):
    """Mains voltage as an ADC front end gives it: a 1.2 V peak at f0 on a 1.65 V offset, with 5 % third and 3 %
    fifth harmonic (THD 5.831 %) and a little noise."""
    rng = _np.random.default_rng(23)
    t = _np.arange(n) / fs
    wave = sum(share * _np.sin(2 * _np.pi * h * f0 * t + 0.3 * h) for h, share in ((1, 1.0), (3, 0.05), (5, 0.03)))
    return 1.65 + 1.2 * wave + rng.normal(0, 0.0005, n)


def _beat_signal(n, fs, f_beat, iq):
    """One FMCW chirp's beat (IF) signal: a target's tone at f_beat (complex I/Q when `iq`, else real) on an ADC's
    DC offset, with a little noise."""
    rng = _np.random.default_rng(31)
    t = _np.arange(n) / fs
    tone = _np.exp(2j * _np.pi * f_beat * t) if iq else _np.cos(2 * _np.pi * f_beat * t + 0.4)
    return 0.5 + tone + rng.normal(0, 0.05, n) + (1j * rng.normal(0, 0.05, n) if iq else 0)


def _range_doppler_frame(n_chirps, n_samples, fs, slope, chirp_period, wavelength, range_m, velocity):
    """One FMCW frame (chirps x samples, complex beat samples): a target at range_m moving away at velocity, a
    weaker static reflector at 5 m, and noise."""
    rng = _np.random.default_rng(37)
    n, m = _np.arange(n_samples)[None, :], _np.arange(n_chirps)[:, None]
    frame = 0.1 * (rng.standard_normal((n_chirps, n_samples)) + 1j * rng.standard_normal((n_chirps, n_samples)))
    for amplitude, r, v in ((1.0, range_m, velocity), (0.4, 5.0, 0.0)):
        phase = (2 * slope * r / 3e8) * n / fs + (2 * v / wavelength) * m * chirp_period
        frame = frame + amplitude * _np.exp(2j * _np.pi * phase + 1j * rng.uniform(0, 2 * _np.pi))
    return frame


def _range_velocity_wrongly(result, range_m, velocity, range_tolerance, velocity_tolerance):
    """What is wrong with `result` as the (range, radial velocity) of `_range_doppler_frame`'s target; the
    velocity's sign is the user's convention, its size is checked."""
    try:
        got_range, got_velocity = (float(value) for value in result)
    except (TypeError, ValueError):
        return f"it returned {result!r:.120}, not a (range, velocity) pair of numbers"
    if abs(got_range - range_m) <= range_tolerance and abs(abs(got_velocity) - abs(velocity)) <= velocity_tolerance:
        return ""
    return (f"it returned ({got_range:.4g}, {got_velocity:.4g}), but the strongest target is {range_m:.4g} m away, "
            f"at a radial speed of {abs(velocity):.4g} m/s: range = c * f_beat / (2 * slope) from the FFT over each chirp's samples, "
            f"velocity = f_doppler * wavelength / 2 from the FFT over the chirps (fftshift it, bins of "
            f"1 / (n_chirps * chirp_period) Hz)")


def _offset_sine(n, fs):
    """A 50 Hz sine of amplitude 4 on an offset of 3 (RMS sqrt(3**2 + 4**2 / 2) = 4.123; its standard deviation
    alone is 2.828) and a little noise."""
    rng = _np.random.default_rng(29)
    return 3.0 + 4.0 * _np.sin(2 * _np.pi * 50.0 * _np.arange(n) / fs) + rng.normal(0, 0.01, n)


def _running_rms_wrongly(result, n):
    """What is wrong with `result` as a running RMS of `_offset_sine(n, ...)` over whole periods: "" when right."""
    values = _np.asarray(result, dtype=float).ravel() if _np.ndim(result) == 1 else None
    if values is None or not 0 < len(values) <= n:
        return f"it returned {result!r:.80}, not one running RMS per window position"
    middle = _np.median(values[_np.isfinite(values)]) if _np.any(_np.isfinite(values)) else _np.nan
    if abs(middle - RUNNING_RMS) <= 0.02 * RUNNING_RMS:
        return ""
    return (f"its values are {middle:.4g} in the middle of the signal, but 3 + 4 sin(2 pi 50 t) has an RMS of "
            f"{RUNNING_RMS:.4g} over whole periods: the square root of the mean of the squared samples in each window "
            f"(the offset counts; the standard deviation would give 2.828)")


RUNNING_RMS = float(_np.sqrt(9.0 + 8.0))


def _two_tones(n, fs, f_pass, a_pass, f_stop, a_stop):
    """A DC offset, a tone a filter must pass, one it must remove, and a little noise."""
    rng = _np.random.default_rng(19)
    t = _np.arange(n) / fs
    return (2.0 + a_pass * _np.sin(2 * _np.pi * f_pass * t) + a_stop * _np.sin(2 * _np.pi * f_stop * t + 0.7)
            + rng.normal(0, 0.02, n))


def _spiky(n, columns=0):
    """A slow wave with noise and isolated spikes of 15 (one in 60 samples, none near the
    ends or near each other); with `columns`, that many channels (CSI subcarriers) at other phases."""
    rng = _np.random.default_rng(23)
    t = _np.arange(n)[:, None]
    phases = rng.uniform(0, 2 * _np.pi, max(columns, 1))[None, :]
    smooth = 20.0 + 4.0 * _np.sin(2 * _np.pi * t / 80.0 + phases)
    x = smooth + 0.2 * rng.normal(size=smooth.shape)
    spikes = _np.zeros(smooth.shape, bool)
    for column in range(spikes.shape[1]):
        spikes[rng.choice(_np.arange(12, n - 12, 12), n // 60, replace=False) + column % 5, column] = True
    x[spikes] += _np.where(rng.random(spikes.sum()) < 0.5, -15.0, 15.0)
    if not columns:
        return x[:, 0], smooth[:, 0], spikes[:, 0]
    return x, smooth, spikes


def _despiked_wrongly(result, n, columns):
    """What is wrong with `result` (or the array of its shape among a tuple's) as `_spiky` despiked."""
    x, smooth, spikes = _spiky(n, columns)
    if isinstance(result, tuple):
        result = next((item for item in result if _np.shape(item) == x.shape), result)
    y = _np.asarray(result, dtype=float) if _np.shape(result) == x.shape else None
    if y is None:
        return f"it returned shape {_np.shape(result)}, not the signal's {x.shape}"
    left = _np.abs(y[spikes] - smooth[spikes]) > 1.5
    if left.any():
        first = _np.argwhere(spikes)[left.argmax()][0]
        return f"{left.sum()} of the {spikes.sum()} spikes of 15 are still there (the first at sample {first})"
    error = float(_np.sqrt(_np.mean((y - smooth) ** 2)))
    if error > 0.5:
        return f"it strays from the clean signal (RMS {error:.2f}) though only the spikes should change"
    return ""


def _filtered_wrongly(result, n, fs, f_pass, a_pass, f_stop, a_stop, zero_phase):
    """What is wrong with `result` as `_two_tones` filtered: its shape, the tone to pass (amplitude within
    20 %, and no phase shift when zero phase was asked for), the tone to remove (at most 30 % left)."""
    y = _np.asarray(result, dtype=float)
    if y.shape != (n,):
        return f"it returned shape {y.shape}, not the signal's ({n},)"
    if not _np.all(_np.isfinite(y)):
        return "it returned NaN or infinite values for a clean signal"
    t = _np.arange(n) / fs
    middle = slice(n // 10, n - n // 10)

    def tone(f):
        z = y[middle] - _np.mean(y[middle])
        return 2 * _np.mean(z * _np.exp(-2j * _np.pi * f * t[middle]))

    kept, left = tone(f_pass), tone(f_stop)
    problems = []
    if not 0.8 <= abs(kept) / a_pass <= 1.2:
        problems.append(f"the {f_pass:g} Hz tone it should pass came out at {abs(kept) / a_pass:.0%} of its amplitude")
    if abs(left) / a_stop > 0.3:
        problems.append(f"the {f_stop:g} Hz tone it should remove kept {abs(left) / a_stop:.0%} of its amplitude")
    shift = (_np.angle(kept) + _np.pi / 2 + _np.pi) % (2 * _np.pi) - _np.pi
    if zero_phase and abs(shift) > 0.1 and not problems:
        problems.append(f"it delays the {f_pass:g} Hz tone by {-shift / (2 * _np.pi * f_pass):.3f} s, but the "
                        f"requirement asks for zero phase (filter forwards and backwards, scipy.signal.filtfilt)")
    return "; ".join(problems)


_SPIKES_AT = (137, 402, 555, 731, 918)


def _outlier_readings(n):
    """A sensor's slow daily swing (21 +- 2) with a little bounded noise, no tail that a z-score, IQR or MAD
    rule would flag, and five isolated glitches of 9 to 13 times the swing at `_SPIKES_AT`."""
    rng = _np.random.default_rng(29)
    x = 21.0 + 2.0 * _np.sin(2 * _np.pi * _np.arange(n) / 200.0) + rng.uniform(-0.1, 0.1, n)
    x[list(_SPIKES_AT)] += _np.array([20.0, -18.0, 25.0, -22.0, 19.0])
    return x


def _flags_wrongly(result, n):
    """What is wrong with `result` (a boolean mask of length n, or indices) as the glitches of `_outlier_readings`."""
    flags = _np.asarray(result)
    if flags.dtype == bool and flags.shape == (n,):
        found = set(_np.flatnonzero(flags).tolist())
    elif flags.ndim == 1 and (flags.size == 0 or _np.issubdtype(flags.dtype, _np.integer)):
        found = set(flags.tolist())
    else:
        return f"it returned {result!r:.120}, not a boolean mask of the {n} readings or their indices"
    missed, extra = sorted(set(_SPIKES_AT) - found), sorted(found - set(_SPIKES_AT))
    if not missed and not extra:
        return ""
    return (f"of the 5 glitches (at {list(_SPIKES_AT)}) it missed {len(missed)}{f' {missed}' if missed else ''} and "
            f"flagged {len(extra)} normal readings{f' (first {extra[:5]})' if extra else ''}: check the statistic, "
            f"the threshold's direction (both tails) and that the flags index the readings")


def _position_wrongly(result, truth, anchors):
    """What is wrong with `result` as the position `truth` that exact ranges to `anchors` give: "" when right."""
    truth = _np.asarray(truth, dtype=float)
    try:
        y = _np.asarray(result, dtype=float).ravel()
    except (TypeError, ValueError):
        y = None
    if y is None or y.shape != truth.shape:
        return f"it returned {result!r}, not a position of {truth.size} coordinates"
    off = float(_np.linalg.norm(y - truth))
    if off <= 0.05:
        return ""
    return (f"it returned {_np.round(y, 3).tolist()}, but exact ranges from the {len(anchors)} anchors put the tag at "
            f"{truth.tolist()} ({off:.2f} m away): subtract the first anchor's range equation from the others and "
            f"solve the linear system by least squares (np.linalg.lstsq), or minimise the range residuals")


def _not_the_number(result, expected, tolerance, truth, hint, as_hex=False):
    """What is wrong with `result` as one number that must be `expected` (within `tolerance`): "" when right."""
    number = (isinstance(result, (int, float, _np.integer, _np.floating)) and not isinstance(result, bool)
              or isinstance(result, _np.ndarray) and result.ndim == 0 and result.dtype.kind in "iuf")
    if number and abs(float(result) - expected) <= tolerance:
        return ""
    plain = result.item() if number and hasattr(result, "item") else result  # 935.2, not np.float64(935.2)
    shown = f"{plain!r} (0x{int(result):X})" if as_hex and number and float(result).is_integer() else repr(plain)
    return f"it returned {shown}, but {truth}: {hint}"


def _not_the_numbers(result, expected, tolerance, truth, hint):
    """What is wrong with `result` as a tuple of numbers that must be `expected` (each within `tolerance`)."""
    try:
        got = [float(value) for value in result]
    except (TypeError, ValueError):
        return f"it returned {result!r:.120}, not a tuple of {len(expected)} numbers, but {truth}"
    if len(got) == len(expected) and all(abs(a - b) <= tolerance for a, b in zip(got, expected)):
        return ""
    return f"it returned {tuple(round(value, 6) for value in got)!r}, but {truth}: {hint}"


def _topic_matches_wrongly(match, cases, filter_first):
    """The first of the (filter, topic, matches) `cases` on which `match` is wrong, said in words; "" if none."""
    for topic_filter, topic, expected in cases:
        args = (topic_filter, topic) if filter_first else (topic, topic_filter)
        rule = f"{topic_filter!r} {'matches' if expected else 'does not match'} {topic!r}"
        try:
            got = match(*args)
        except Exception as error:
            return f"{match.__name__}{args!r} raised {type(error).__name__}: {error}, but under MQTT's rules {rule}"
        if not isinstance(got, (bool, _np.bool_)) or bool(got) != expected:
            return (f"{match.__name__}{args!r} returned {got!r}, but under MQTT's rules {rule}: split both on '/', "
                    f"'+' stands for exactly one level (which may be empty), '#' for all the remaining levels")
    return ""


def _stuffed_wrongly(function, cases, decode):
    """The first (raw, encoded) COBS case on which `function` (an encoder, or a decoder when `decode`) is wrong,
    said in words; "" if none. The frame's trailing 0x00 delimiter may be there or not: users want either."""
    for raw, encoded in cases:
        given, wanted = (encoded, raw) if decode else (raw, encoded)
        right = (wanted,) if decode else (wanted, wanted + bytes(1))
        for argument in (given, given + bytes(1)) if decode else (given,):
            try:
                got = function(argument)
            except Exception as error:
                got = error
            if isinstance(got, (bytes, bytearray)) and bytes(got) in right:
                break
        else:
            def brief(data):
                return repr(data) if len(data) <= 16 else f"<{len(data)} bytes: {bytes(data[:8])!r}...>"
            shown = (f"raised {type(got).__name__}: {got}" if isinstance(got, Exception) else
                     f"returned {brief(got)}" if isinstance(got, (bytes, bytearray)) else f"returned {got!r:.80}")
            return (f"{function.__name__}({brief(given)}) {shown}, but COBS {'decodes' if decode else 'encodes'} it to "
                    f"{brief(wanted)}: each block is a code byte (1 + the number of non-zero bytes up to the next "
                    f"zero, which is dropped) and those bytes; 0xFF is a run of 254 non-zero bytes with no zero after")
    return ""


def _slipped_wrongly(function, cases, mode):
    """The first (frame, escaped) SLIP case on which `function` is wrong, said in words; "" if none. `mode`:
    "encode" (a frame -> its escaped bytes, with END after them, and before them too, or neither: the user's
    call), "decode" (one frame's escaped bytes, with or without END -> the frame) or "stream" (the frames, each
    ended by END after one leading END, in one buffer -> the list of frames; an empty first frame is allowed)."""
    end = bytes([0xC0])
    rule = ("each 0xC0 (END) in a frame is sent as 0xDB 0xDC and each 0xDB (ESC) as 0xDB 0xDD, every other byte "
            "(0xDC and 0xDD too) as itself, and END ends the frame")

    def outcome(argument):
        try:
            return function(argument)
        except Exception as error:
            return error

    def shown(got):
        return f"raised {type(got).__name__}: {got}" if isinstance(got, Exception) else f"returned {got!r:.120}"

    if mode == "stream":
        stream = end + b"".join(escaped + end for _, escaped in cases)
        frames = [raw for raw, _ in cases]
        got = outcome(stream)
        try:
            decoded = [bytes(frame) for frame in got]
        except Exception:
            decoded = None
        if decoded in (frames, [b""] + frames):
            return ""
        return (f"{function.__name__}(<{len(stream)} bytes: {len(frames)} frames>) {shown(got)}, but SLIP decodes it "
                f"to {frames!r:.160}: {rule}")
    for raw, escaped in cases:
        if mode == "encode":
            given, right, arguments = raw, (escaped, escaped + end, end + escaped + end), (raw,)
        else:
            given, right, arguments = escaped + end, (raw,), (escaped + end, escaped, end + escaped + end)
        results = [outcome(argument) for argument in arguments]
        if not any(isinstance(got, (bytes, bytearray)) and bytes(got) in right for got in results):
            wanted = right[1] if mode == "encode" else raw
            return (f"{function.__name__}({given!r:.60}) {shown(results[0])}, but SLIP "
                    f"{'encodes' if mode == 'encode' else 'decodes'} it to {wanted!r:.60}: {rule}")
    return ""


def _rto_wrongly(result, samples, expected):
    """What is wrong with `result` as RFC 6298's RTO after each of the RTT `samples` (`expected`, a list), or after
    the last of them (`expected`, one number); "" if nothing."""
    try:
        got = [float(value) for value in result] if _np.ndim(result) else [float(result)]
    except (TypeError, ValueError):
        return f"it returned {result!r:.120}, not the retransmission timeout"
    wanted = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    if len(got) == len(wanted) and _np.allclose(got, wanted, rtol=1e-6, atol=1e-9):
        return ""
    shown = [round(value, 4) for value in got][:12]
    return (f"for the RTT samples {list(samples)!r} it returned {shown!r}, but RFC 6298 gives "
            f"{[round(value, 4) for value in wanted]!r}: the first sample R sets SRTT = R and RTTVAR = R / 2; each "
            f"later one sets RTTVAR = (1 - beta) * RTTVAR + beta * |SRTT - R| with the old SRTT, then SRTT = (1 - "
            f"alpha) * SRTT + alpha * R; RTO = SRTT + max(G, K * RTTVAR), clamped to its bounds")
'''

_RATE_NAME = re.compile(r"^fs(?:_\w+)?$|_fs$|^(?:sampling_|sample_)?rate(?:_hz)?$|^sample_?rate\w*$", re.I)
_HEART = re.compile(r"\b(?:heart|pulse) rate\b|\bbeats per minute\b|\bbpm\b", re.I)
_BREATHING = re.compile(r"\b(?:breathing|respiration|respiratory) rate\b|\bbreaths per minute\b", re.I)
_PER_MINUTE = re.compile(r"\bper minute\b|\bbpm\b|\bbrpm\b|\b/\s?min\b", re.I)
_DOMINANT = re.compile(r"\b(?:dominant|strongest|peak|fundamental|main)\b[^.;]*\bfrequency\b"
                       r"|\bfrequency\b[^.;]*\b(?:dominant|strongest|largest)\b", re.I)
_LOW_PASS = re.compile(r"\blow[- ]?pass\b", re.I)
_HIGH_PASS = re.compile(r"\bhigh[- ]?pass\b", re.I)
_ZERO_PHASE = re.compile(r"\bzero[- ]phase\b|\bfiltfilt\b|\bforward[- ]backward\b|\bno (?:phase )?lag\b", re.I)
# a filter inside a longer computation: its output is not the filtered signal
_MORE_THAN_A_FILTER = re.compile(r"integrat|velocity|displacement|derivative|envelope|decimat|downsampl|resampl"
                                 r"|detrend|rectif|spectrum|\bpeaks?\b", re.I)
_DESPIKE = re.compile(r"hampel|\bdespik|\bspikes?\b|\bglitch|\boutliers?\b", re.I)
_CUTOFF_NAME = re.compile(r"cut|corner|^f_?c(?:_hz)?$", re.I)
_SEVERAL = re.compile(r"\b(?:arrays?|lists?|series|tuple|dict|each|every|per (?:window|frame|segment|epoch))\b",
                      re.I)
_CADENCE = re.compile(r"\b(?:cadence|step rate|steps per minute)\b", re.I)
_STEPS = re.compile(r"\b(?:number of steps|step count|steps taken)\b", re.I)
_ECG_NAME = re.compile(r"ecg|ekg", re.I)
_ECG_WORDS = re.compile(r"\b(?:ECG|EKG|electrocardiogram|R[- ]peaks?|QRS)\b")
_IN_G = re.compile(r"\bin g\b|\(g\)|\bg units\b|\bunits of g\b")  # acceleration in g, not m/s^2
_CHANNELS_FIRST = re.compile(r"subcarrier|channel|antenna|sensor|ax[ie]s", re.I)
_PULSE_NAME = re.compile(r"ppg|pulse|bvp|pleth", re.I)
_MATRIX = re.compile(r"shape\s*\(\s*\w+\s*,\s*(\w+)\s*\)")


def _parameters(signature: Signature) -> list[tuple[str, str]]:
    """(name, default source) of each parameter of the user's function; "" where it has no default."""
    return [(name, default) for name, _, default in map(parameter_parts, signature.parameters) if name]


def _required(signature: Signature) -> list[str]:
    """The parameters of the user's function that have no default: the inputs an answer must set."""
    return [name for name, default in _parameters(signature) if not default]


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

    "returns the heart rate in beats per minute (float)" from (ppg, fs): a pulse signal at 72 per minute,
    within 6 (an ECG, named so, at 250 Hz); "the breathing rate in breaths per minute" from a 1-D signal or
    an (n_samples, n_subcarriers) array: 15 per minute, within 2 (from a PPG or ECG: pulses that breathing
    modulates); "the number of steps as an int" from an (N, 3) or 1-D accelerometer signal: 108 steps a
    minute, within 10 % (a cadence in steps per minute: 108, within 6); "the frequency in Hz of the
    strongest spectral component": a vibration at 12.5 Hz (200 Hz, 10 s), within 0.5. A filtered array:
    see `_filter_answer`.
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
    if returned and returned.startswith("list") and _slip_answer(requirement, signature, returned):
        return _slip_answer(requirement, signature, returned)
    if phrases and returned in ("np.ndarray", "list"):
        return (_filter_answer(requirement, signature) or _despike_answer(requirement, signature)
                or _position_answer(requirement, signature, phrases[0])
                or _outlier_answer(requirement, signature, phrases[0])
                or _beat_peaks_answer(requirement, signature, phrases[0])
                or _point_in_polygon_answer(requirement, signature, phrases[0])
                or _running_rms_answer(requirement, signature, phrases[0]))
    said_tuple = bool(phrases and returned is None and re.search(r"\btuple\b", phrases[0]))
    if said_tuple or returned and returned.startswith("tuple"):
        said = phrases[0] if phrases else ""
        pair = _range_doppler_answer(requirement, signature, said) or _clock_sync_answer(requirement, signature, said,
                                                                                         returned)
        if pair or said_tuple:
            return pair or _despike_answer(requirement, signature) or _position_answer(requirement, signature, said)
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
    formula = _formula_answer(requirement, signature, said, returned)
    if formula:
        return formula
    if not said or returned not in ("float", "int", None) or returned is None and _SEVERAL.search(said):
        return None  # one number: typed, or "the number of steps" with no word of arrays or windows
    needed = _required(signature)
    rates = [name for name in needed if _RATE_NAME.search(name)]
    signals = [name for name in needed if name not in rates]
    if len(rates) != 1 or len(signals) != 1:
        return None
    signal, rate = signals[0], rates[0]
    shape = _MATRIX.search(user_types(requirement, signature).get(signal, ""))
    if shape and _CHANNELS_FIRST.search(shape.group(0).split(",")[0]):
        return None  # channels by samples: the signals here are samples by channels
    tri_axial = not shape or shape.group(1) == "3"
    per_minute = bool(_PER_MINUTE.search(said))
    kind = ("breathing" if _BREATHING.search(said) and per_minute
            else "heart" if _HEART.search(said) and per_minute and not shape
            else "cadence" if _CADENCE.search(said) and per_minute and tri_axial
            else "steps" if _STEPS.search(said) and tri_axial
            else "vibration" if _DOMINANT.search(said) and re.search(r"\bHz\b", said) and not shape
            else None)
    if kind is None:
        return None
    ecg = bool(_ECG_NAME.search(signal) or _ECG_WORDS.search(requirement) and not _PULSE_NAME.search(requirement))
    fs = 250 if ecg else 200 if kind == "vibration" else RATE_HZ
    unit = 9.81 if _IN_G.search(requirement) else 1.0
    seconds = max([10.0 if kind == "vibration" else SECONDS] + [
        1.5 * bound for _, op, bound in stated_refusals(requirement, signature) if op == DURATION])
    n = int(seconds * fs)
    span = f"{fs} Hz, {seconds:g} s"
    inputs = lambda source: ((signal, source), (rate, str(fs)))  # noqa: E731 - the two inputs every answer sets
    axes = 3 if shape else 1
    if kind == "breathing" and (ecg or _PULSE_NAME.search(signal)):
        what = f"synthetic {'ECG' if ecg else 'pulse'} beats that breathing at 15 per minute modulates ({span})"
        return KnownAnswer(what, inputs(f"_pulse_signal({n}, {fs}, 72.0, 15.0, {ecg})"), 15.0, 2.0,
                           "breaths per minute")
    if kind == "breathing":
        columns = _columns(shape, 12)
        what = (f"a synthetic breathing signal at 15 breaths per minute ({span}"
                f"{f', {columns} channels' if columns else ''})")
        return KnownAnswer(what, inputs(f"_breath_signal({n}, {fs}, 15.0, {columns})"), 15.0, 2.0,
                           "breaths per minute")
    if kind == "heart":
        what = f"a synthetic {'ECG' if ecg else 'pulse signal'} at 72 beats per minute ({span})"
        return KnownAnswer(what, inputs(f"_pulse_signal({n}, {fs}, 72.0, 0.0, {ecg})"), 72.0, 6.0,
                           "beats per minute")
    if kind == "cadence":
        what = f"a synthetic walk at 108 steps per minute ({span})"
        return KnownAnswer(what, inputs(f"_walk_signal({n}, {fs}, 108.0, {axes}, {unit})"), 108.0, 6.0,
                           "steps per minute")
    if kind == "steps":
        steps = 1.8 * seconds
        what = f"a synthetic walk at 108 steps per minute ({span}, {steps:g} steps)"
        return KnownAnswer(what, inputs(f"_walk_signal({n}, {fs}, 108.0, {axes}, {unit})"), steps,
                           round(0.1 * steps), "steps")
    what = f"a synthetic vibration whose strongest line is at 12.5 Hz, beside a DC offset ({span})"
    return KnownAnswer(what, inputs(f"_vibration_signal({n}, {fs}, 12.5)"), 12.5, 0.5, "Hz",
                       "check the frequency axis (np.fft.rfftfreq(len(x), 1 / fs), not the bin index) and that "
                       "the DC offset is removed or its bin skipped")


def _columns(shape: re.Match | None, otherwise: int) -> int:
    """The channel count of a (samples, channels) input: the number the user gave, else `otherwise`; 0 for 1-D."""
    if not shape:
        return 0
    return int(shape.group(1)) if shape.group(1).isdigit() else otherwise


def _filter_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """Two tones for a low-pass or high-pass filter of one signal with a cut-off parameter: one a sixth of
    the cut-off below it (low-pass) or six times above, which must keep its amplitude, and one eight times
    beyond the cut-off on the other side, which must lose most of it; no delay where zero phase is asked."""
    low, high = bool(_LOW_PASS.search(requirement)), bool(_HIGH_PASS.search(requirement))
    if low == high or not re.search(r"\bfilter", requirement, re.I) or _MORE_THAN_A_FILTER.search(requirement):
        return None
    parts = _parameters(signature)
    rates = [name for name, default in parts if not default and _RATE_NAME.search(name)]
    cutoffs = [(name, default) for name, default in parts if _CUTOFF_NAME.search(name)]
    signals = [name for name, default in parts if not default and name not in rates + [c for c, _ in cutoffs]]
    if len(rates) != 1 or len(cutoffs) != 1 or len(signals) != 1 or \
            _MATRIX.search(user_types(requirement, signature).get(signals[0], "")):
        return None
    (cutoff_name, default), signal, rate = cutoffs[0], signals[0], rates[0]
    try:
        cutoff = float(default) if default else 3.0
    except ValueError:
        return None
    if cutoff <= 0:
        return None
    fs = int(max(100, 20 * cutoff))
    f_pass, f_stop = (cutoff / 6, cutoff * 8) if low else (cutoff * 6, cutoff / 8)
    a_pass, a_stop = (1.0, 0.5) if low else (0.5, 1.0)
    seconds = min(600.0, max(20.0, 10 / min(f_pass, f_stop)))
    n = int(seconds * fs)
    zero_phase = bool(_ZERO_PHASE.search(requirement))
    inputs = ((signal, f"_two_tones({n}, {fs}, {f_pass!r}, {a_pass}, {f_stop!r}, {a_stop})"), (rate, str(fs)))
    if not default:
        inputs += ((cutoff_name, repr(cutoff)),)
    what = (f"a {f_pass:g} Hz tone to pass and a {f_stop:g} Hz tone to remove, cut-off {cutoff:g} Hz "
            f"({fs} Hz, {seconds:g} s)")
    check = f"_filtered_wrongly(_result, {n}, {fs}, {f_pass!r}, {a_pass}, {f_stop!r}, {a_stop}, {zero_phase})"
    return KnownAnswer(what, inputs, 0.0, 0.0, "", check=check)


def _despike_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """Isolated spikes on a slow wave, for a function that replaces spikes or outliers by a median (a Hampel
    filter, a median despiker) in one signal or one array of channels: the spikes must go, the wave stay."""
    if not (_DESPIKE.search(requirement) and re.search(r"\bmedian", requirement, re.I)
            and re.search(r"\breplac", requirement, re.I)) or stated_result_dtype(requirement, signature) in (
            "bool", "integer"):
        return None  # a detector that returns a mask or indices of spikes is no despiker
    needed = _required(signature)
    rates = [name for name in needed if _RATE_NAME.search(name)]
    signals = [name for name in needed if name not in rates]
    if len(signals) != 1 or len(rates) > 1:
        return None
    shape = _MATRIX.search(user_types(requirement, signature).get(signals[0], ""))
    if shape and _CHANNELS_FIRST.search(shape.group(0).split(",")[0]):
        return None
    columns = _columns(shape, 8)
    n = 1200
    inputs = ((signals[0], f"_spiky({n}, {columns})[0]"),) + tuple((rate, str(RATE_HZ)) for rate in rates)
    what = f"a slow wave with {n // 60} isolated spikes of 15{f' in each of {columns} channels' if columns else ''}"
    return KnownAnswer(what, inputs, 0.0, 0.0, "", check=f"_despiked_wrongly(_result, {n}, {columns})")


# ------------------------------------------------------------------ answers that a formula fixes

# (width, polynomial, initial value, reflected, final XOR) of the CRCs IoT protocols and sensors use, by
# catalogue name (reveng.sourceforge.io/crc-catalogue), and the words that name each one.
CRCS = {
    "CRC-8/SMBUS": (8, 0x07, 0x00, False, 0x00),
    "CRC-8/NRSC-5": (8, 0x31, 0xFF, False, 0x00),  # Sensirion SHT3x/SHT4x/SCD4x, SGP
    "CRC-8/MAXIM-DOW": (8, 0x31, 0x00, True, 0x00),  # Dallas/Maxim 1-Wire, DS18B20
    "CRC-16/ARC": (16, 0x8005, 0x0000, True, 0x0000),
    "CRC-16/MODBUS": (16, 0x8005, 0xFFFF, True, 0x0000),
    "CRC-16/IBM-3740": (16, 0x1021, 0xFFFF, False, 0x0000),  # "CCITT-FALSE"
    "CRC-16/XMODEM": (16, 0x1021, 0x0000, False, 0x0000),
    "CRC-16/KERMIT": (16, 0x1021, 0x0000, True, 0x0000),
    "CRC-16/IBM-SDLC": (16, 0x1021, 0xFFFF, True, 0xFFFF),  # X.25, HDLC
    "CRC-32/ISO-HDLC": (32, 0x04C11DB7, 0xFFFFFFFF, True, 0xFFFFFFFF),  # zlib, Ethernet
    "CRC-32/ISCSI": (32, 0x1EDC6F41, 0xFFFFFFFF, True, 0xFFFFFFFF),  # CRC-32C
}
_CRC_WORDS = (
    (r"\bSMBus\b|\bPEC\b|CRC-?8/SMBUS", "CRC-8/SMBUS"),
    (r"sensirion|\bSHT(?:[234]\d|C\d)|\bSCD[34]\d|\bSGP[34]\d|\bSTS3\d|NRSC-5", "CRC-8/NRSC-5"),
    (r"\bdallas\b|\bmaxim\b|1-wire|one-wire|\bDS18B20\b|MAXIM-DOW", "CRC-8/MAXIM-DOW"),
    (r"CRC-?16/ARC\b|\bCRC-16-IBM\b", "CRC-16/ARC"),
    (r"\bmodbus\b", "CRC-16/MODBUS"),
    (r"CCITT[-_ ]?FALSE|IBM-3740", "CRC-16/IBM-3740"),
    (r"\b[XZ]MODEM\b", "CRC-16/XMODEM"),
    (r"\bkermit\b", "CRC-16/KERMIT"),
    (r"\bX[-.]?25\b|IBM-SDLC", "CRC-16/IBM-SDLC"),
    (r"\bCRC[-_ ]?32(?![-_ ]?C\b)|\bzlib\.crc32\b", "CRC-32/ISO-HDLC"),
    (r"\bCRC[-_ ]?32[-_ ]?C\b|castagnoli|\biSCSI\b", "CRC-32/ISCSI"),
)
_CRC_ALIASES = {"CRC-16/CCITT", "CRC-16/CCITT-FALSE", "CRC-16/X-25", "CRC-16/X25", "CRC-8/SENSIRION", "CRC-8/MAXIM",
                "CRC-8/DALLAS", "CRC-16/ZMODEM", "CRC-32/ZLIB"}  # other names of catalogue CRCs, as users write them
_CHECK_DATA = b"123456789"  # the catalogue's check input
_CRC_NAME = re.compile(r"\bCRC|checksum", re.I)


def crc(data: bytes, name: str) -> int:
    """The catalogue CRC `name` of `data`, bit by bit (the definition, not a fast table)."""
    width, poly, value, reflected, xor_out = CRCS[name]
    top, mask = 1 << (width - 1), (1 << width) - 1
    for byte in data:
        byte = int(f"{byte:08b}"[::-1], 2) if reflected else byte
        value ^= byte << (width - 8)
        for _ in range(8):
            value = ((value << 1) ^ poly if value & top else value << 1) & mask
    if reflected:
        value = int(f"{value:0{width}b}"[::-1], 2)
    return value ^ xor_out


def _named_crc(requirement: str) -> str | None:
    """The one catalogue CRC the requirement names: by name or device ("CRC-16/MODBUS", "the SHT31's CRC-8"),
    or by its polynomial and initial value ("CRC-8, polynomial 0x31, initialisation 0xFF"); None if none or several."""
    written = {f"CRC-{width}/{alias}".upper() for width, alias in re.findall(r"\bCRC-?(\d+)/([\w-]+)", requirement)}
    if written - {name.upper() for name in CRCS} - _CRC_ALIASES or \
            re.search(r"\bSTM32\b|MPEG-?2|BZIP2|AUTOSAR|\bLRC\b|Modbus ASCII|\bNMEA\b", requirement, re.I):
        return None  # a CRC outside this catalogue (the STM32 unit's CRC-32/MPEG-2) or no CRC (Modbus ASCII's LRC)
    named = {name for pattern, name in _CRC_WORDS if re.search(pattern, requirement, re.I)}
    hexes = {int(h, 16) for h in re.findall(r"\b0x([0-9A-Fa-f]+)\b", requirement)}
    if re.search(r"\bCCITT\b", requirement) and not named:  # CCITT alone does not say which initial value
        named = {"CRC-16/IBM-3740"} if 0xFFFF in hexes else {"CRC-16/XMODEM"} if re.search(
            r"\binit\w*\s*(?:value\s*)?(?:of\s+|to\s+|=\s*|:\s*)?(?:0x0+|0)\b", requirement, re.I) else set()
    if not named and re.search(r"\bCRC-?8\b", requirement) and 0x31 in hexes and 0xFF in hexes:
        named = {"CRC-8/NRSC-5"}
    if not named and re.search(r"\bCRC-?16\b", requirement) and hexes & {0x8005, 0xA001} and 0xFFFF in hexes:
        named = {"CRC-16/MODBUS"}
    name = named.pop() if len(named) == 1 else None
    return name if name and _consistent(name, requirement) else None


def _consistent(name: str, requirement: str) -> bool:
    """Whether the polynomial and initial value the words give (if any) are the catalogue CRC's: "the Sensirion
    CRC-8 with initial value 0x00" is not CRC-8/NRSC-5."""
    width, poly, init, _, _ = CRCS[name]
    reflected_poly = int(f"{poly:0{width}b}"[::-1], 2)
    given_poly = re.search(r"\bpoly(?:nomial)?\b\D{0,12}?0x([0-9A-Fa-f]+)\b", requirement, re.I)
    given_init = re.search(r"\binit(?:ial(?:i[sz]ation|i[sz]ed?)?)?\b(?:\s+value)?\D{0,12}?(0x[0-9A-Fa-f]+|\b0\b)",
                           requirement, re.I)
    return (not given_poly or int(given_poly.group(1), 16) in (poly, reflected_poly)) and \
        (not given_init or int(given_init.group(1), 0) == init)


def _crc_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The catalogue check value for a function that returns a named CRC of its one input: the CRC of b"123456789"."""
    name = _named_crc(requirement)
    if not name or len(needed) != 1 or not _CRC_NAME.search(said):
        return None
    kind = user_types(requirement, signature).get(needed[0], "").lower()
    data = ("list(b'123456789')" if re.search(r"\blist\b", kind) else "'123456789'" if re.search(r"\bstr\b", kind)
            else "_np.frombuffer(b'123456789', dtype=_np.uint8)" if re.search(r"ndarray|array", kind)
            else "b'123456789'")
    expected = crc(_CHECK_DATA, name)
    truth = f"the {name} of b'123456789' is {expected} (0x{expected:X}), the catalogue's check value"
    hint = "check the polynomial, the initial value, bit reflection of input and output, and the final XOR"
    return KnownAnswer("the bytes b'123456789' (the CRC catalogue's check input)", ((needed[0], data),),
                       float(expected), 0.0, "", check=_number_check(float(expected), 0.0, truth, hint, as_hex=True))


EARTH_RADIUS_M = 6371000.0
# a cycle ride through Zurich: latitudes and longitudes in degrees
_TRACK = ((47.3769, 8.5417), (47.3780, 8.5480), (47.3722, 8.5520), (47.3650, 8.5455), (47.3700, 8.5380))
_LAT, _LON = re.compile(r"lat", re.I), re.compile(r"lon|lng", re.I)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two fixes in degrees, on a sphere of the mean Earth radius."""
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _distance_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """A known distance for a function that returns the great-circle distance between two fixes in metres or km
    (four scalars lat1, lon1, lat2, lon2) or the length of a track (a latitude and a longitude array); within
    0.5 %, which any Earth radius in use (6371 km, 6378.137 km, an ellipsoid) meets and degrees taken as
    radians, a radius in the wrong unit or a missing segment do not."""
    if not re.search(r"haversine|great[- ]circle|geodesic|\bGPS\b|latitude|\blat\b", requirement, re.I) or \
            not re.search(r"\bdistance|\blength\b", said, re.I):
        return None
    scale = 1000.0 if re.search(r"\bkm\b|kilomet", said, re.I) else 1.0 if re.search(
        r"\bmet(?:re|er)s?\b|\bin m\b|\(m\)", said, re.I) else None
    lats, lons = [n for n in needed if _LAT.search(n)], [n for n in needed if _LON.search(n) and not _LAT.search(n)]
    if scale is None or len(lats) + len(lons) != len(needed):
        return None
    unit = "km" if scale == 1000.0 else "m"
    (a_lat, a_lon), (b_lat, b_lon) = _TRACK[0], _TRACK[2]
    if len(lats) == 2 and len(lons) == 2:
        inputs = tuple(zip(lats + lons, map(repr, (a_lat, b_lat, a_lon, b_lon))))
        metres = haversine_m(a_lat, a_lon, b_lat, b_lon)
        what = f"two fixes, ({a_lat}, {a_lon}) and ({b_lat}, {b_lon}) in degrees"
    elif len(lats) == 1 and len(lons) == 1 and re.search(r"track|path|route|total|trip", said, re.I) and (
            re.search(r"\b(?:arrays|lists|sequences)\b", requirement, re.I) or all(
                re.search(r"array|list|sequence|series", user_types(requirement, signature).get(name, ""), re.I)
                for name in lats + lons)):
        inputs = ((lats[0], f"_np.array({[lat for lat, _ in _TRACK]})"),
                  (lons[0], f"_np.array({[lon for _, lon in _TRACK]})"))
        metres = sum(haversine_m(*a, *b) for a, b in zip(_TRACK, _TRACK[1:]))
        what = f"a track of {len(_TRACK)} fixes (latitude {inputs[0][1]}, longitude {inputs[1][1]}, degrees)"
    else:
        return None
    expected = metres / scale
    truth = f"its great-circle length is {expected:.4g} {unit}"
    hint = "convert degrees to radians before the trigonometry and keep the Earth radius in the unit returned"
    return KnownAnswer(what, inputs, expected, 0.005 * expected, unit,
                       check=_number_check(expected, 0.005 * expected, truth, hint))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial great-circle bearing (forward azimuth) from the first fix to the second, degrees from north."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y, x = math.sin(dl) * math.cos(p2), math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def _bearing_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The initial bearing between two fixes (four scalars lat1, lon1, lat2, lon2 in degrees): 124.0 degrees from
    north (south-east, so 0..360 and -180..180 agree), within 0.5 degrees, or in radians where the words say so."""
    if not re.search(r"\b(?:bearing|heading|azimuth|course)\b", said, re.I) or re.search(r"\bfinal\b", said, re.I):
        return None
    lats, lons = [n for n in needed if _LAT.search(n)], [n for n in needed if _LON.search(n) and not _LAT.search(n)]
    if len(lats) != 2 or len(lons) != 2 or len(needed) != 4:
        return None
    radians = bool(re.search(r"\bradians?\b", said, re.I))
    if not radians and not re.search(r"\bdeg(?:rees?)?\b|°", said, re.I):
        return None
    (a_lat, a_lon), (b_lat, b_lon) = _TRACK[0], _TRACK[2]
    inputs = tuple(zip(lats + lons, map(repr, (a_lat, b_lat, a_lon, b_lon))))
    degrees = initial_bearing_deg(a_lat, a_lon, b_lat, b_lon)
    expected, tolerance, unit = (math.radians(degrees), math.radians(0.5), "rad") if radians else (degrees, 0.5, "deg")
    truth = f"the initial bearing from ({a_lat}, {a_lon}) to ({b_lat}, {b_lon}) is {expected:.4g} {unit} from north"
    hint = ("bearing = atan2(sin(dlon) cos(lat2), cos(lat1) sin(lat2) - sin(lat1) cos(lat2) cos(dlon)) in radians, "
            "then degrees, clockwise from north")
    return KnownAnswer(f"two fixes, ({a_lat}, {a_lon}) and ({b_lat}, {b_lon}) in degrees", inputs, expected, tolerance,
                       unit, check=_number_check(expected, tolerance, truth, hint))


_CLOCK_SYNC_WORDS = re.compile(r"\bS?NTP\b|\bPTP\b|IEEE ?1588|clock (?:offset|sync)|time sync|Cristian", re.I)
# RFC 5905's names for the four timestamps of one exchange, and a client's and server's.
_EXCHANGE_ROLES = ((r"^(?:t_?)?org$|orig", r"^(?:t_?)?rec(?:v|eive)?(?:_\w+)?$", r"^(?:t_?)?(?:xmt|transmit)",
                    r"^(?:t_?)?(?:dst|dest)"),
                   (r"client_?(?:send|tx|sent)", r"server_?(?:recv|rx|receive)", r"server_?(?:send|tx|sent|transmit)",
                    r"client_?(?:recv|rx|receive)"))
# T1..T4 (s): the server's clock 0.5 s ahead, 30 ms out, 10 ms in the server, 50 ms back.
EXCHANGE = (1000.0, 1000.53, 1000.54, 1000.09)


def _exchange_order(needed: list[str]) -> list[str] | None:
    """The four timestamp parameters in exchange order (client sends, server receives, server sends, client
    receives): by their digits (t1..t4, t0..t3) or by RFC 5905's or client/server names; None if unclear."""
    digits = [re.fullmatch(r"t_?(\d)", name, re.I) for name in needed]
    if len(needed) == 4 and all(digits):
        numbers = [int(d.group(1)) for d in digits]
        if sorted(numbers) in ([0, 1, 2, 3], [1, 2, 3, 4]):
            return [name for _, name in sorted(zip(numbers, needed))]
    for patterns in _EXCHANGE_ROLES:
        named = [[name for name in needed if re.search(pattern, name, re.I)] for pattern in patterns]
        if len(needed) == 4 and all(len(names) == 1 for names in named) and len({n[0] for n in named}) == 4:
            return [names[0] for names in named]
    return None


def _clock_sync_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """NTP's (or PTP's) clock offset and delay from one exchange's four timestamps: offset ((T2 - T1) + (T3 - T4))
    / 2 = 0.49 s with asymmetric paths; delay (T4 - T1) - (T3 - T2) = 0.08 s round trip (NTP), or half of it as
    PTP's mean path delay; as one number, or a tuple in the order the words name them; in the unit said."""
    offset_at, delay_at = (re.search(pattern, said, re.I) for pattern in (r"\boffset", r"\bdelay|round[- ]trip"))
    if not _CLOCK_SYNC_WORDS.search(requirement) or not (offset_at or delay_at) or \
            re.search(r"64-bit|fraction|\bera\b|\bbytes\b|packet", requirement, re.I):
        return None
    order = _exchange_order(_required(signature))
    if order is None or len(_parameters(signature)) != 4:
        return None
    stamps = _unit_near(requirement, order[0], _TIME_WORDS)
    out = _unit_of(said, _TIME_WORDS) or stamps
    if stamps is None or out is None:
        return None
    t1, t2, t3, t4 = EXCHANGE
    one_way = bool(re.search(r"one[- ]way|mean path|\bPTP\b|IEEE ?1588", said + " " + requirement, re.I)) and \
        not re.search(r"round[- ]trip", said, re.I)
    values = {"offset": ((t2 - t1) + (t3 - t4)) / 2 / out,
              "delay": ((t4 - t1) - (t3 - t2)) / (2 if one_way else 1) / out}
    if returned and returned.startswith("tuple") or re.search(r"\btuple\b|\bpair\b", said, re.I):
        if not (offset_at and delay_at):
            return None
        names = sorted(values, key=lambda name: (offset_at if name == "offset" else delay_at).start())
    elif returned in ("float", None) and bool(offset_at) != bool(delay_at):
        names = ["offset" if offset_at else "delay"]
    else:
        return None
    expected = [round(values[name], 12) for name in names]
    tolerance = 1e-6 / out
    inputs = tuple((name, repr(round(t / stamps, 9))) for name, t in zip(order, EXCHANGE))
    truth = (f"the offset is {values['offset']:.6g} and the {'mean path' if one_way else 'round-trip'} delay "
             f"{values['delay']:.6g} {dict(_TIME_NAMES).get(out, 's')}")
    hint = ("offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2) (halved for a one-way delay), with "
            "T1 the client's send, T2 the server's receive, T3 the server's send, T4 the client's receive")
    check = (_number_check(expected[0], tolerance, truth, hint) if len(expected) == 1 else
             f"_not_the_numbers(_result, {tuple(expected)!r}, {tolerance!r}, {truth!r}, {hint!r})")
    return KnownAnswer("one time-sync exchange (server 0.5 s ahead, 30 ms out, 50 ms back)", inputs,
                       expected[0], tolerance, "", check=check)


_RSSI = re.compile(r"rssi", re.I)
_REFERENCE_POWER = re.compile(r"tx_?power|measured_?power|ref\w*_?(?:rssi|power)|rssi_?(?:at_?)?(?:1|one)_?m|rssi_?0"
                              r"|^p_?0$|^a$|power_?1m|^rssi_?d0$", re.I)
_EXPONENT = re.compile(r"^n$|exponent|^gamma$|^eta$|^path_?loss_?n$", re.I)
_REFERENCE_DISTANCE = re.compile(r"^d_?0$|ref\w*_?dist", re.I)


def _rssi_distance_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """10 m for a log-distance path-loss model: RSSI 20 dB below the power at the reference distance (1 m) with
    exponent 2, i.e. d = d0 * 10 ** ((P0 - rssi) / (10 * n)); every one of these must be a parameter."""
    if not re.search(r"path[- ]loss|log[- ]distance|10\s*(?:\*\*|\^)", requirement, re.I) or \
            not re.search(r"\bdistance", said, re.I) or re.search(r"\bkm\b|kilomet|\bcm\b", said, re.I):
        return None
    parts = _parameters(signature)
    roles = {"rssi": [n for n, _ in parts if _RSSI.search(n) and not _REFERENCE_POWER.search(n)],
             "power": [n for n, _ in parts if _REFERENCE_POWER.search(n)],
             "exponent": [n for n, _ in parts if _EXPONENT.search(n)]}
    distances = [n for n, _ in parts if _REFERENCE_DISTANCE.search(n)]
    known = {n for names in roles.values() for n in names} | set(distances)
    if any(len(names) != 1 for names in roles.values()) or len(distances) > 1 or \
            any(not default and name not in known for name, default in parts):
        return None
    inputs = ((roles["rssi"][0], "-79.0"), (roles["power"][0], "-59.0"), (roles["exponent"][0], "2.0"))
    inputs += tuple((name, "1.0") for name in distances)
    truth = ("RSSI 20 dB below the 1 m reference power with path-loss exponent 2 is 10 m "
             "(d = 10 ** ((P0 - rssi) / (10 n)))")
    return KnownAnswer("RSSI -79 dBm, reference power -59 dBm at 1 m, exponent 2", inputs, 10.0, 0.1, "m",
                       check=_number_check(10.0, 0.1, truth, "check the sign of (P0 - rssi) and the factor 10 * n"))


_TEMPERATURE = re.compile(r"temp|^t$|^t_?c$|celsius", re.I)
_HUMIDITY = re.compile(r"^rh|_rh$|humid", re.I)


def dew_point_c(temp_c: float, rh_percent: float) -> float:
    """The Magnus-formula dew point in degrees Celsius (Sonntag's coefficients 17.62 and 243.12 C)."""
    gamma = math.log(rh_percent / 100.0) + 17.62 * temp_c / (243.12 + temp_c)
    return 243.12 * gamma / (17.62 - gamma)


def _dew_point_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The dew point at 25 C and 60 % relative humidity (16.7 C, within 0.5 C, which every Magnus variant and the
    simple T - (100 - RH) / 5 rule meet) for a function of the temperature in Celsius and the humidity, in per
    cent or as a fraction as the user says."""
    if not re.search(r"dew[- ]?point", said, re.I) or re.search(r"fahrenheit|kelvin|°F|\bdeg ?F\b", requirement, re.I):
        return None
    temps, hums = [n for n in needed if _TEMPERATURE.search(n)], [n for n in needed if _HUMIDITY.search(n)]
    if len(temps) != 1 or len(hums) != 1 or len(needed) != 2:
        return None
    fraction = re.search(r"\bfraction\b|\b0(?:\.0)?\s*(?:-|–|to|\.\.)\s*1(?:\.0)?\b", requirement)
    if not fraction and not re.search(r"%|per ?cent", requirement, re.I):
        return None
    expected = dew_point_c(25.0, 60.0)
    truth = f"the dew point at 25 C and 60 % relative humidity is {expected:.1f} C"
    inputs = ((temps[0], "25.0"), (hums[0], "0.6" if fraction else "60.0"))
    hint = "check the Magnus formula and the humidity's scale"
    return KnownAnswer("25 C and 60 % relative humidity", inputs, expected, 0.5, "C",
                       check=_number_check(expected, 0.5, truth, hint))


_PRESSURE = re.compile(r"press|^p$|hpa|mbar|baro", re.I)
_SEA_LEVEL = re.compile(r"sea|^p_?0$|qnh|ref", re.I)


def altitude_m(pressure: float, sea_level: float) -> float:
    """The international barometric formula: altitude in metres at `pressure` below a sea-level pressure."""
    return 44330.0 * (1.0 - (pressure / sea_level) ** (1 / 5.255))


def _altitude_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """989 m at 900 hPa under 1013.25 hPa at sea level (within 2 %, which the hypsometric formula at 15 C meets and a
    pressure in the wrong unit does not), in hPa, Pa or kPa as the parameter's name, default or the words say."""
    if not re.search(r"\baltitude|\bheight|\belevation", said, re.I) or \
            not re.search(r"pressure|barometr", requirement, re.I) or not re.search(r"\bmet(?:re|er)s?\b|\bm\b", said):
        return None
    parts = _parameters(signature)
    pressures = [n for n, _ in parts if _PRESSURE.search(n) and not _SEA_LEVEL.search(n)]
    levels = [(n, d) for n, d in parts if _SEA_LEVEL.search(n)]
    if len(pressures) != 1 or len(levels) > 1 or any(not d and n not in pressures + [n for n, _ in levels]
                                                     for n, d in parts):
        return None
    default = float(levels[0][1]) if levels and re.fullmatch(r"\d+(?:\.\d+)?", levels[0][1]) else None
    scale = _pressure_scale(pressures[0], default, requirement)
    if scale is None or not levels and _other_sea_level(requirement):
        return None
    inputs = ((pressures[0], repr(900.0 * scale)),) + tuple((n, repr(1013.25 * scale)) for n, _ in levels)
    expected = altitude_m(900.0, 1013.25)
    truth = f"900 hPa under 1013.25 hPa at sea level is {expected:.0f} m above it"
    hint = "check the pressure's unit (hPa, Pa) and the barometric formula 44330 * (1 - (p / p0) ** (1 / 5.255))"
    unit = {1.0: "hPa", 100.0: "Pa", 0.1: "kPa"}[scale]
    return KnownAnswer(f"a pressure of {900.0 * scale:g} {unit}", inputs, expected, 0.02 * expected, "m",
                       check=_number_check(expected, 0.02 * expected, truth, hint))


_RESISTANCE = re.compile(r"^r$|resist|ohm|^r_?(?:ntc|t|therm)$", re.I)
_NOMINAL_R = re.compile(r"^r_?(?:0|25|nom\w*|ref)$|nominal_?r|r_?nominal", re.I)
_NOMINAL_T = re.compile(r"^t_?(?:0|25|nom\w*|ref)(?:_?[ck])?$|nominal_?t", re.I)
_BETA = re.compile(r"beta|^b$|^b_?(?:25|value)$", re.I)


_UNITS_OF_PRESSURE = ((r"\bhPa\b|\bmbar\b|millibar", 1.0), (r"\bkPa\b", 0.1), (r"\bPa\b|pascals?\b", 100.0))


def _pressure_scale(name: str, sea_level: float | None, requirement: str) -> float | None:
    """The pressure unit as units per hPa (Pa: 100): by the sea-level default's size, else the pressure's name
    (`pressure_hpa`, `p_pa`), else the one unit the words use; None when nothing says."""
    if sea_level:
        return 100.0 if sea_level > 50000 else 1.0 if sea_level > 500 else 0.1 if sea_level > 50 else None
    for pattern, scale in ((r"hpa|mbar", 1.0), (r"kpa", 0.1), (r"(?:^|_)pa(?:$|_)|pascal", 100.0)):
        if re.search(pattern, name, re.I):
            return scale
    said = {scale for pattern, scale in _UNITS_OF_PRESSURE if re.search(pattern, requirement)}
    return said.pop() if len(said) == 1 else None


def _other_sea_level(requirement: str) -> bool:
    """Whether the words give a sea-level pressure other than the standard 1013.25 hPa (a local QNH)."""
    return any(900 <= float(number) <= 1100 and float(number) not in (1013.0, 1013.25) or
               90000 <= float(number) <= 110000 and float(number) != 101325.0
               for number in re.findall(r"\b\d{3,6}(?:\.\d+)?\b", requirement))


def _thermistor_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """50 C for an NTC thermistor's resistance by the Beta equation (R0 10 kOhm at 25 C, B 3950): the resistance
    exp(B (1/T - 1/T0)) times R0 at 50 C; the resistance, R0 and B must be parameters."""
    if not re.search(r"\bNTC\b|thermistor", requirement, re.I) or not re.search(r"temperature", said, re.I) or \
            re.search(r"kelvin|fahrenheit|°F", said, re.I):
        return None
    parts = _parameters(signature)
    roles = {role: [n for n, _ in parts if pattern.search(n)] for role, pattern in
             (("nominal_t", _NOMINAL_T), ("nominal_r", _NOMINAL_R), ("beta", _BETA))}
    roles["resistance"] = [n for n, _ in parts if _RESISTANCE.search(n) and n not in roles["nominal_r"]]
    if any(len(roles[role]) != 1 for role in ("resistance", "nominal_r", "beta")) or len(roles["nominal_t"]) > 1:
        return None
    named = {n for names in roles.values() for n in names}
    if any(not default and name not in named for name, default in parts):
        return None
    defaults = dict(parts)
    in_kelvin = [n for n in roles["nominal_t"] if re.fullmatch(r"\d+(?:\.\d+)?", defaults[n]) and
                 float(defaults[n]) > 200 or re.search(r"_?k(?:elvin)?$", n, re.I)]
    resistance = 10000.0 * math.exp(3950.0 * (1 / 323.15 - 1 / 298.15))
    inputs = ((roles["resistance"][0], repr(round(resistance, 3))), (roles["nominal_r"][0], "10000.0"),
              (roles["beta"][0], "3950.0"))
    inputs += tuple((n, "298.15" if n in in_kelvin else "25.0") for n in roles["nominal_t"])
    truth = "by the Beta equation 1/T = 1/T0 + ln(R/R0)/B (in kelvin) that is 50.0 C"
    hint = "work in kelvin (T0 = 25 + 273.15) and convert the result back to degrees Celsius"
    return KnownAnswer(f"R = {resistance:.1f} ohm with R0 = 10 kOhm at 25 C and B = 3950", inputs, 50.0, 0.3, "C",
                       check=_number_check(50.0, 0.3, truth, hint))


_ECHO = re.compile(r"echo|pulse|duration|time|tof|^t(?:_\w+)?$|_us$|_ms$", re.I)
_AIR_TEMPERATURE = re.compile(r"temp|celsius|^t_?c$", re.I)
_TIME_UNITS = ((r"(?:^|_)us$|micro|µs", 1e-6), (r"(?:^|_)ms$|milli", 1e-3), (r"(?:^|_)s$|seconds?\b", 1.0))
_TIME_NAMES = ((1e-6, "µs"), (1e-3, "ms"), (1.0, "s"))
_TIME_WORDS = ((r"\bmicroseconds?\b|\bus\b|µs", 1e-6), (r"\bmilliseconds?\b|\bms\b", 1e-3), (r"\bseconds?\b|(?<!')\bs\b", 1.0))
_LENGTH_UNITS = ((r"\bcm\b|centimet", 0.01), (r"\bmm\b|millimet", 0.001), (r"\bmet(?:re|er)s?\b|\bm\b", 1.0))


def _unit_of(words: str, units: tuple[tuple[str, float], ...]) -> float | None:
    """The one unit among `units` (pattern, size) that `words` use; None when none or several."""
    said = {size for pattern, size in units if re.search(pattern, words, re.I)}
    return said.pop() if len(said) == 1 else None


def _echo_distance_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """An ultrasonic ranger (HC-SR04): a 5.83 ms round trip at 20 C is 1.0 m to the target (sound at 343 m/s,
    331.3 + 0.606 T, or the speed the words give), within 1 %; the echo time's unit from its name or the words,
    the distance's from `said`."""
    if not re.search(r"ultrason|\becho\b|HC-SR04|sonar", requirement, re.I) or not re.search(r"\bdistance", said, re.I):
        return None
    parts = _parameters(signature)
    echoes = [n for n, _ in parts if _ECHO.search(n) and not _AIR_TEMPERATURE.search(n)]
    temperatures = [n for n, _ in parts if _AIR_TEMPERATURE.search(n)]
    if len(echoes) != 1 or len(temperatures) > 1 or any(not d and n not in echoes + temperatures for n, d in parts):
        return None
    seconds = _unit_of(echoes[0], _TIME_UNITS) or _unit_of(_words_about(requirement, echoes[0]), _TIME_UNITS)
    metres = _unit_of(said, _LENGTH_UNITS)
    if seconds is None or metres is None:
        return None
    speed = re.search(r"\b(3[2-5]\d(?:\.\d+)?)\s*m/s\b", requirement)
    if not temperatures and not speed and re.search(r"\d\s*(?:°\s*C|degC|degrees C)", requirement):
        return None  # a temperature in the words, not as a parameter: its speed of sound is not known here
    speed = float(speed.group(1)) if speed and not temperatures else 331.3 + 0.606 * 20.0
    round_trip = 2.0 / speed
    inputs = ((echoes[0], repr(round(round_trip / seconds, 9))),) + tuple((n, "20.0") for n in temperatures)
    expected = 1.0 / metres
    unit = {0.01: "cm", 0.001: "mm", 1.0: "m"}[metres]
    truth = f"a {round_trip * 1e3:.2f} ms echo at {speed:.1f} m/s is {expected:g} {unit} away"
    hint = "sound travels to the target and back (halve the round trip); check the time unit"
    what = f"an echo of {inputs[0][1]} {dict(_TIME_NAMES)[seconds]} (round trip){' at 20 C' if temperatures else ''}"
    return KnownAnswer(what, inputs, expected, 0.01 * expected, unit,
                       check=_number_check(expected, 0.01 * expected, truth, hint))


_FREQUENCY_UNITS = ((r"ghz", 1e9), (r"mhz", 1e6), (r"khz", 1e3), (r"(?:^|_)hz$|\bHz\b", 1.0))
_DISTANCE_UNITS = ((r"km|kilomet", 1000.0), (r"(?:^|_)m$|\bmet(?:re|er)s?\b", 1.0))


def _free_space_loss_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """Free-space path loss 20 log10(4 pi d f / c): 100.05 dB over 1 km at 2.4 GHz, within 0.1 dB, in the units of
    distance and frequency the parameters' names (or the words) give."""
    if not re.search(r"free[- ]space|\bFSPL\b|friis", requirement, re.I) or not re.search(r"\bdB\b|loss", said):
        return None
    needed = _required(signature)
    distances = [n for n in needed if re.search(r"dist|^d(?:_\w+)?$|range", n, re.I)]
    frequencies = [n for n in needed if re.search(r"freq|^f(?:_\w+)?$", n, re.I)]
    if len(needed) != 2 or len(distances) != 1 or len(frequencies) != 1:
        return None
    metres = _unit_of(distances[0], _DISTANCE_UNITS) or _unit_of(_words_about(requirement, distances[0]),
                                                                   _DISTANCE_UNITS)
    hertz = _unit_of(frequencies[0], _FREQUENCY_UNITS) or _unit_of(_words_about(requirement, frequencies[0]),
                                                                    _FREQUENCY_UNITS)
    if metres is None or hertz is None:
        return None
    expected = 20 * math.log10(4 * math.pi * 1000.0 * 2.4e9 / 299792458.0)
    inputs = ((distances[0], repr(1000.0 / metres)), (frequencies[0], repr(2.4e9 / hertz)))
    truth = f"the free-space path loss over 1 km at 2.4 GHz is {expected:.2f} dB"
    hint = "FSPL = 20 log10(d) + 20 log10(f) + 20 log10(4 pi / c) with d in m and f in Hz; check the units' constant"
    return KnownAnswer("1 km at 2.4 GHz", inputs, expected, 0.1, "dB", check=_number_check(expected, 0.1, truth, hint))


_FMCW_ROLES = (("rate", _RATE_NAME.pattern), ("slope", r"slope|chirp_?rate|sweep_?rate"),
               ("bandwidth", r"^b$|^bw|bandwidth|sweep_?band"),
               ("chirp_time", r"chirp_?(?:time|dur\w*|len\w*|period)|^t_?c(?:hirp)?$|sweep_?time|ramp_?time|^t_?sweep$"),
               ("c", r"^c$|speed|light"), ("option", r"window|n_?fft|pad"))
_SLOPE_UNITS = ((r"mhz_?(?:per_?|/\s*)?(?:us|µs)|MHz\s*/\s*(?:us|µs)", 1e12), (r"hz_?(?:per_?|/\s*)?s$|Hz\s*/\s*s\b", 1.0))


def _unit_near(requirement: str, name: str, units: tuple[tuple[str, float], ...]) -> float | None:
    """The one unit of `units` said in the clauses that name the parameter `name` (the SI unit, 1.0, when none
    says one); None when they say several."""
    clauses = [re.split(r"[,;]|\.(?:\s|$)", requirement[m.start():])[0]
               for m in re.finditer(rf"\b{re.escape(name)}\b", requirement)]
    said = {size for pattern, size in units for clause in clauses if re.search(pattern, clause, re.I)}
    return said.pop() if len(said) == 1 else 1.0 if not said else None


def _fmcw_range_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """An FMCW radar's target range from one chirp's beat signal, R = c f_b / (2 slope): a target at 3.0 m under a
    4 GHz sweep over 40 us (slope 1e14 Hz/s, f_b = 2 MHz) sampled at 10 MHz, within 2 %; the slope given as such
    or as bandwidth and chirp time, each in the unit its name or words give (SI when none)."""
    if not re.search(r"\bFMCW\b|\bchirps?\b", requirement, re.I) or not re.search(r"\brange\b|\bdistance\b", said, re.I):
        return None
    roles: dict[str, str] = {}
    signals = []
    for name, default in _parameters(signature):
        role = next((role for role, pattern in _FMCW_ROLES if re.search(pattern, name, re.I)), None)
        if role is None and not default:
            signals.append(name)
        elif role in roles or role in ("c", "option") and not default or role is None:
            return None
        elif role not in ("c", "option"):
            roles[role] = name
    if len(signals) != 1 or "rate" not in roles or ("slope" in roles) == ({"bandwidth", "chirp_time"} <= roles.keys()) \
            or len(roles) != (2 if "slope" in roles else 3):
        return None
    metres = _unit_of(said, _LENGTH_UNITS) or 1.0
    hertz = _unit_of(roles["rate"], _FREQUENCY_UNITS) or 1.0
    fs, n, slope, target_m = 10e6, 400, 1e14, 3.0
    inputs = [(signals[0], f"_beat_signal({n}, {fs!r}, {2 * target_m * slope / 3e8!r}, "
                           f"{bool(re.search(r'complex|I/?Q', requirement))})"), (roles["rate"], repr(fs / hertz))]
    if "slope" in roles:
        scale = _unit_of(roles["slope"], _SLOPE_UNITS) or _unit_near(requirement, roles["slope"], _SLOPE_UNITS)
        inputs.append((roles["slope"], repr(slope / scale) if scale else ""))
    else:
        band = _unit_of(roles["bandwidth"], _FREQUENCY_UNITS) or _unit_near(requirement, roles["bandwidth"],
                                                                             _FREQUENCY_UNITS)
        seconds = _unit_of(roles["chirp_time"], _TIME_UNITS) or _unit_near(requirement, roles["chirp_time"], _TIME_WORDS)
        inputs += [(roles["bandwidth"], repr(4e9 / band) if band else ""),
                   (roles["chirp_time"], repr(round(40e-6 / seconds, 12)) if seconds else "")]
    if any(not source for _, source in inputs):
        return None  # a unit the words leave in doubt
    order = [name for name, _ in _parameters(signature)]
    inputs.sort(key=lambda item: order.index(item[0]))
    expected = target_m / metres
    unit = {0.01: "cm", 0.001: "mm", 1.0: "m"}[metres]
    truth = f"a 2 MHz beat under a 1e14 Hz/s chirp (4 GHz over 40 us) is a target {expected:g} {unit} away"
    hint = ("R = c * f_b / (2 * slope) with slope = bandwidth / chirp time; f_b is the strongest bin's frequency "
            "(bin * fs / n_fft) away from DC; check the units")
    return KnownAnswer("a beat signal of a target at 3 m (4 GHz over 40 us, 10 MHz)", tuple(inputs), expected,
                       0.02 * expected, unit, check=_number_check(expected, 0.02 * expected, truth, hint))


_RANGE_DOPPLER_ROLES = (("rate", _RATE_NAME.pattern), ("slope", r"slope|chirp_?rate|sweep_?rate"),
                        ("chirp_period", r"period|interval|^pri$|repetition|^t_?c$|^t_?chirp$"),
                        ("wavelength", r"wavelength|lambda|^lam"), ("carrier", r"^f_?c$|carrier|^f_?0$|cent(?:er|re)_?f"),
                        ("c", r"^c$|speed|light"), ("option", r"window|n_?fft|pad"))


def _range_doppler_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """The range and radial velocity of the strongest target in one FMCW frame (chirps x samples): 11.72 m and
    1.367 m/s towards the radar at 60 GHz (64 chirps 200 us apart, 256 samples at 2 MHz, slope 4e12 Hz/s), both on
    a bin, within half a bin; the velocity's sign is left to the user's convention (negative Doppler bins must
    wrap round: fftshift)."""
    if not re.search(r"\bFMCW\b|\bchirps?\b", requirement, re.I) or not re.search(r"\brange", said, re.I) \
            or not re.search(r"velocit|speed", said, re.I) or re.search(r"\bbins?\b|_bin\b|\bind(?:ex|ices)\b", said, re.I):
        return None
    roles: dict[str, str] = {}
    frames = []
    for name, default in _parameters(signature):
        role = next((role for role, pattern in _RANGE_DOPPLER_ROLES if re.search(pattern, name, re.I)), None)
        if role is None and not default:
            frames.append(name)
        elif role in roles or role in ("c", "option") and not default or role is None:
            return None
        elif role not in ("c", "option"):
            roles[role] = name
    if len(frames) != 1 or roles.keys() - {"wavelength", "carrier"} != {"rate", "slope", "chirp_period"} \
            or len(roles) != 4:
        return None
    fs, slope, chirp_period, wavelength, n_chirps, n_samples = 2e6, 4e12, 200e-6, 5e-3, 64, 256
    range_bin, velocity_bin = 3e8 * fs / (2 * slope * n_samples), wavelength / (2 * n_chirps * chirp_period)
    range_m, velocity = 40 * range_bin, -7 * velocity_bin
    slope_unit = _unit_of(roles["slope"], _SLOPE_UNITS) or _unit_near(requirement, roles["slope"], _SLOPE_UNITS)
    seconds = _unit_of(roles["chirp_period"], _TIME_UNITS) or _unit_near(requirement, roles["chirp_period"], _TIME_WORDS)
    inputs = [(frames[0], f"_range_doppler_frame({n_chirps}, {n_samples}, {fs!r}, {slope!r}, {chirp_period!r}, "
                          f"{wavelength!r}, {range_m!r}, {velocity!r})"),
              (roles["rate"], repr(fs / (_unit_of(roles["rate"], _FREQUENCY_UNITS) or 1.0))),
              (roles["slope"], repr(slope / slope_unit) if slope_unit else ""),
              (roles["chirp_period"], repr(round(chirp_period / seconds, 12)) if seconds else "")]
    if "wavelength" in roles:
        inputs.append((roles["wavelength"], repr(wavelength / (_unit_of(roles["wavelength"], _LENGTH_UNITS) or 1.0))))
    else:
        hertz = _unit_of(roles["carrier"], _FREQUENCY_UNITS) or _unit_near(requirement, roles["carrier"],
                                                                             _FREQUENCY_UNITS)
        inputs.append((roles["carrier"], repr(6e10 / hertz) if hertz else ""))
    if any(not source for _, source in inputs):
        return None  # a unit the words leave in doubt
    order = [name for name, _ in _parameters(signature)]
    inputs.sort(key=lambda item: order.index(item[0]))
    check = f"_range_velocity_wrongly(_result, {range_m!r}, {velocity!r}, {range_bin / 2!r}, {velocity_bin / 2!r})"
    return KnownAnswer(f"a 60 GHz FMCW frame with a target at {range_m:.4g} m approaching at {-velocity:.4g} m/s",
                       tuple(inputs), 0.0, 0.0, "", check=check)


_LORA_WORDS = re.compile(r"\bLoRa", re.I)
_AIRTIME_WORDS = re.compile(r"time[- ]on[- ]air|air[- ]?time|\bToA\b", re.I)
_LORA_ROLES = (("sf", r"^sf$|spreading"), ("payload", r"payload|^pl$|n_?bytes|size"), ("bw", r"^bw|bandwidth"),
               ("cr", r"^cr$|coding"), ("preamble", r"preamble"), ("header", r"header"), ("crc", r"crc"),
               ("ldro", r"ldro|low_?data|^de$"))


def lora_time_on_air_s(payload: int, sf: int, bw_hz: float, cr: int, preamble: int, explicit_header: bool,
                       crc_on: bool, ldro: bool) -> float:
    """Semtech's SX127x time on air (AN1200.13): the preamble plus the payload symbols; `cr` 1..4 is 4/5..4/8."""
    symbol = 2 ** sf / bw_hz
    bits = 8 * payload - 4 * sf + 28 + 16 * crc_on - 20 * (not explicit_header)
    payload_symbols = 8 + max(math.ceil(bits / (4 * (sf - 2 * ldro))) * (cr + 4), 0)
    return (preamble + 4.25) * symbol + payload_symbols * symbol


def _lora_airtime_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """A LoRa packet's time on air: 20 bytes at SF7, 125 kHz, 4/5, 8 preamble symbols, explicit header and CRC is
    56.576 ms (Semtech's calculator), within 0.1 %; settings the user gave defaults keep them, in the units and
    coding-rate convention the names, defaults or words give."""
    if not _LORA_WORDS.search(requirement) or not _AIRTIME_WORDS.search(requirement + said):
        return None
    seconds = _unit_of(re.split(r"[(,;]", said)[0], _TIME_WORDS)
    roles: dict[str, tuple[str, str]] = {}
    for name, default in _parameters(signature):
        role = next((role for role, pattern in _LORA_ROLES if re.search(pattern, name, re.I)), None)
        if role is None or role in roles:
            return None  # a setting this formula does not know, or two of one kind
        roles[role] = (name, default)
    if seconds is None or not {"sf", "payload"} <= roles.keys():
        return None
    settings = {"sf": 7, "payload": 20, "bw_hz": 125000.0, "cr": 1, "preamble": 8, "explicit_header": True,
                "crc_on": True, "ldro": False}
    inputs = [(roles["sf"][0], "7"), (roles["payload"][0], "20")]
    if "bw" in roles:
        name, default = roles["bw"]
        khz = bool(re.search(r"khz", name, re.I) or re.search(r"\bkHz\b", _words_about(requirement, name)))
        if default:
            value = _literal_number(default)
            if value is None:
                return None
            settings["bw_hz"] = value if value >= 1000 else value * 1000.0
        elif khz or re.search(r"hz", name, re.I):
            inputs.append((name, "125.0" if khz else "125000.0"))
        else:
            return None  # a bandwidth in Hz or kHz, the words do not say
    if "cr" in roles:
        name, default = roles["cr"]
        value = _literal_number(default) if default else None
        if value in (1, 2, 3, 4) or not default and re.search(r"\b1\s*(?:\.\.|-|to)\s*4\b", requirement):
            settings["cr"] = int(value or 1)
            inputs += [] if default else [(name, "1")]
        elif value in (5, 6, 7, 8) or not default and re.search(r"\b5\s*(?:\.\.|-|to)\s*8\b", requirement):
            settings["cr"] = int(value or 5) - 4
            inputs += [] if default else [(name, "5")]
        else:
            return None
    for role, key in (("preamble", "preamble"), ("header", "explicit_header"), ("crc", "crc_on"), ("ldro", "ldro")):
        if role not in roles:
            continue
        name, default = roles[role]
        implicit = role == "header" and re.search(r"implicit", name, re.I)
        if not default:
            value = 8 if role == "preamble" else (not settings[key] if implicit else settings[key])
            inputs.append((name, repr(value)))
        elif role == "preamble" and _literal_number(default) is not None:
            settings[key] = int(_literal_number(default))
        elif default in ("True", "False"):
            settings[key] = (default == "True") != bool(implicit)
        elif not (role == "ldro" and default == "None"):  # None: automatic, off at SF7
            return None
    expected = lora_time_on_air_s(**settings) / seconds
    unit = dict(_TIME_NAMES)[seconds]
    truth = (f"{settings['payload']} bytes at SF7, {settings['bw_hz'] / 1000:g} kHz, coding rate 4/{settings['cr'] + 4}, "
             f"{settings['preamble']} preamble symbols, {'explicit' if settings['explicit_header'] else 'implicit'} "
             f"header, CRC {'on' if settings['crc_on'] else 'off'} take {expected:.6g} {unit} on air")
    hint = ("T_sym = 2**sf / bw; preamble (n + 4.25) symbols; payload 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) "
            "/ (4 (SF - 2 DE))) (CR + 4), 0) symbols")
    tolerance = 0.001 * expected
    return KnownAnswer(f"a {settings['payload']}-byte LoRa packet at SF7", tuple(inputs), expected, tolerance, unit,
                       check=_number_check(expected, tolerance, truth, hint))


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


_OUTLIER_RULE = re.compile(r"z-?scores?|\bIQR\b|interquartile|median absolute deviation|\bMAD\b", re.I)
_NOT_POINTWISE = re.compile(r"rolling|moving|window|EWMA|CUSUM|season|hour|group|trend|drift|previous|neighbo|"
                            r"rate of change|consecutive|persist", re.I)
_THRESHOLD = re.compile(r"^k$|thresh|^z\w*|sigma|factor|^n_?std|cutoff|limit", re.I)
# Tests that remove the most extreme value while it is significant: global, so only windows and groups change them.
_OUTLIER_TEST = re.compile(r"generali[sz]ed ESD|\bGESD\b|extreme studenti[sz]ed deviate|\bGrubbs\b|\bRosner\b", re.I)
_NOT_GLOBAL = re.compile(r"rolling|moving|window|season|group|trend", re.I)
_OUTLIER_COUNT = re.compile(r"max_?(?:out|anom|n)|^r$|^k_?max$|n_?outliers", re.I)
_SIGNIFICANCE = re.compile(r"alpha|signif|^p$", re.I)


_BEAT_PEAKS = re.compile(r"\bR[- ]?peaks?\b|\bQRS\b|\bheart ?beats?\b|\bbeats\b|\bsystolic peaks?\b|\bpulse peaks?\b"
                         r"|\bPPG peaks?\b", re.I)
_INDICES = re.compile(r"\bindices\b|\bindexes\b|\bsample index", re.I)


def _beat_peaks_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """The sample indices of the beats in one ECG (R peaks) or PPG (systolic peaks) signal: 72 beats per minute,
    each found within 75 ms (ECG, 250 Hz) or 150 ms (PPG, 50 Hz), and no other detection; 60 s."""
    if not _BEAT_PEAKS.search(said) or not _INDICES.search(said):
        return None
    needed = _required(signature)
    rates = [name for name in needed if _RATE_NAME.search(name)]
    signals = [name for name in needed if name not in rates]
    if len(rates) != 1 or len(signals) != 1 or _MATRIX.search(user_types(requirement, signature).get(signals[0], "")):
        return None
    ecg = bool(_ECG_NAME.search(signals[0]) or _ECG_WORDS.search(requirement) and not _PULSE_NAME.search(requirement))
    fs, tolerance = (250, 0.075) if ecg else (RATE_HZ, 0.15)
    n = int(SECONDS * fs)
    what = f"a synthetic {'ECG' if ecg else 'pulse signal'} at 72 beats per minute ({fs} Hz, {SECONDS:g} s)"
    return KnownAnswer(what, ((signals[0], f"_pulse_signal({n}, {fs}, 72.0, 0.0, {ecg})"), (rates[0], str(fs))),
                       0.0, 0.0, "", check=f"_beats_found_wrongly(_result, {n}, {fs}, 72.0, {ecg}, {tolerance})")


# A U-shaped (concave) polygon, open at the top, and points clear of its edges: inside the arms and the base, in
# the notch between the arms, and around it.
U_POLYGON = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (7.0, 10.0), (7.0, 3.0), (3.0, 3.0), (3.0, 10.0), (0.0, 10.0))
U_POINTS = (((1.0, 1.0), True), ((5.0, 1.5), True), ((8.5, 8.0), True), ((1.5, 9.0), True), ((5.0, 6.0), False),
            ((5.0, 9.5), False), ((11.0, 5.0), False), ((-1.0, 5.0), False), ((5.0, -1.0), False), ((12.0, 12.0), False))
_POLYGON_NAME = re.compile(r"poly|fence|boundary|vertices|paddock|zone|area|region|ring", re.I)
_POINTS_NAME = re.compile(r"^p$|^pt|point|fix|position|^pos|xy|location|coord", re.I)
_INSIDE = re.compile(r"\binside\b|\bwithin\b|\bcontain", re.I)


def _point_in_polygon_answer(requirement: str, signature: Signature, said: str,
                             returned: str | None = None) -> KnownAnswer | None:
    """Whether points lie inside a polygon (a geofence): a concave U shape and ten points clear of its edges, given
    as an (N, 2) array, or one point per call for a function of one point that returns a bool (`returned`, from
    its annotation, or words in `said`)."""
    if not _INSIDE.search(requirement) or not (returned == "bool" or re.search(r"\bbool|True\b", said)):
        return None
    needed = _required(signature)
    roles = _two_roles(needed, _POLYGON_NAME, _POINTS_NAME)
    if roles is None:
        return None
    polygon_name, points_name = roles
    closed = bool(re.search(r"GeoJSON|closed ring|first (?:vertex|point) (?:is )?repeated", requirement, re.I)) and \
        not re.search(r"may or may not|or not\b|optionally", requirement, re.I)
    polygon = [list(v) for v in U_POLYGON + (U_POLYGON[:1] if closed else ())]
    coordinates = [list(p) for p, _ in U_POINTS]
    inside = [flag for _, flag in U_POINTS]
    single = not re.search(r"s$|_array$|_xy$|^xy$", points_name) and not re.search(r"\b(?:arrays?|lists?)\b", said)
    points_first = needed.index(points_name) == 0
    first = f"_np.array({coordinates[0]!r})" if single else f"_np.array({coordinates!r})"
    inputs = ((points_name, first), (polygon_name, f"_np.array({polygon!r})"))
    result = "None" if single else "_result"
    check = (f"_inside_wrongly({signature.function_name}, {result}, {coordinates!r}, _np.array({polygon!r}), "
             f"{inside!r}, {points_first})")
    return KnownAnswer(f"a U-shaped polygon and {len(coordinates)} points clear of its edges",
                       inputs if points_first else inputs[::-1], 0.0, 0.0, "", check=check)


_RUNNING = re.compile(r"\b(?:moving|rolling|running|sliding|windowed)\b", re.I)
_AC_ONLY = re.compile(r"\bAC\b|remov\w* (?:the )?(?:DC|mean|offset)|mean-removed|detrend|zero-mean|standard deviation",
                      re.I)
_WINDOW_NAME = re.compile(r"window|^win|^w$|^n$|length|size|span", re.I)


def _running_rms_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """A running RMS over a window of whole periods of 3 + 4 sin(2 pi 50 t) (1000 Hz, 2 s) is 4.123, within 2 %
    in the middle; the window (0.2 s) in seconds, milliseconds or samples as its name or the words say."""
    if not re.search(r"\bRMS\b|root[- ]mean[- ]square", said, re.I) or not _RUNNING.search(requirement) or \
            _AC_ONLY.search(requirement):
        return None
    parts = _parameters(signature)
    rates = [name for name, _ in parts if _RATE_NAME.search(name)]
    windows = [(name, default) for name, default in parts if _WINDOW_NAME.search(name) and name not in rates]
    signals = [name for name, default in parts if not default and name not in rates and name not in dict(windows)]
    if len(signals) != 1 or len(windows) != 1 or len(rates) > 1 or len(signals) + len(windows) + len(rates) != len(parts):
        return None
    fs, n = 1000, 2000
    name, default = windows[0]
    scale = _unit_of(name, _TIME_UNITS) or _unit_of(_words_about(requirement, name), _TIME_WORDS)
    if scale is None and not rates:
        scale = 0.0  # no rate to turn seconds into samples: a count of samples
    if scale is None:
        return None
    samples_per_unit = fs * scale if scale else 1.0
    if default:
        value = _literal_number(default)
        if value is None or round(value * samples_per_unit) % 20 or value * samples_per_unit < 20:
            return None  # the user's window is no whole number of 50 Hz periods at 1000 Hz
        inputs = [(signals[0], f"_offset_sine({n}, {fs})")]
    else:
        window = 200 / samples_per_unit
        inputs = [(signals[0], f"_offset_sine({n}, {fs})"), (name, repr(window) if scale else "200")]
    inputs += [(rate, str(fs)) for rate in rates]
    order = [name for name, _ in parts]
    inputs.sort(key=lambda item: order.index(item[0]))
    return KnownAnswer(f"3 + 4 sin(2 pi 50 t) at {fs} Hz, a window of whole periods", tuple(inputs), 0.0, 0.0, "",
                       check=f"_running_rms_wrongly(_result, {n})")


def _outlier_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """Five isolated glitches on a slow bounded swing, for a point-wise z-score, IQR or MAD outlier rule, or a
    generalized ESD or Grubbs test (up to 10 outliers at alpha 0.05), that returns a boolean mask or the flagged
    indices: exactly the glitches must be flagged."""
    tested = _OUTLIER_TEST.search(requirement)
    if not (tested or _OUTLIER_RULE.search(requirement)) or (_NOT_GLOBAL if tested else _NOT_POINTWISE).search(
            requirement):
        return None
    mask = stated_result_dtype(requirement, signature) == "bool" or re.search(r"\bmask\b", said, re.I)
    indices = re.search(r"\bind(?:ices|exes)\b|\bpositions\b", said, re.I) and not re.search(
        r"\bvalues\b|\btuples?\b|\bdict", said, re.I)
    needed = _required(signature)
    counts = [name for name in needed if tested and _OUTLIER_COUNT.search(name)]
    levels = [name for name in needed if tested and _SIGNIFICANCE.search(name) and name not in counts]
    thresholds = [name for name in needed if _THRESHOLD.search(name) and name not in counts + levels]
    data = [name for name in needed if name not in thresholds + counts + levels]
    if not (mask or indices) or len(data) != 1 or len(thresholds) + len(counts) + len(levels) > 1 or \
            tested and thresholds or _MATRIX.search(user_types(requirement, signature).get(data[0], "")):
        return None
    iqr = re.search(r"\bIQR\b|interquartile", requirement, re.I)
    settings = [(name, "1.5" if iqr else "3.0") for name in thresholds] + [(name, "10") for name in counts] + [
        (name, "0.05") for name in levels]
    inputs = ((data[0], "_outlier_readings(1000)"),) + tuple(settings)
    return KnownAnswer("1000 readings of a slow swing with 5 isolated glitches", inputs, 0.0, 0.0, "",
                       check="_flags_wrongly(_result, 1000)")


_ANCHORS = re.compile(r"anchor|beacon|station|node|^aps?$|access_points?|towers?|positions|coords|points", re.I)
_RANGES = re.compile(r"dist|range|radi|^r$|^d$", re.I)
_AREA = (((0.0, 0.0), (10.0, 0.0), (10.0, 8.0), (0.0, 8.0)), (3.0, 5.0))
_VOLUME = (((0.0, 0.0, 0.0), (10.0, 0.0, 1.0), (10.0, 8.0, 0.5), (0.0, 8.0, 2.0), (5.0, 4.0, 3.0)), (3.0, 5.0, 1.0))


def _position_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """Trilateration from anchors and exact ranges: four anchors round a 10 x 8 m room and the tag at (3, 5) (five
    anchors at several heights and (3, 5, 1) in 3-D); the position returned must be within 5 cm. The dimension is
    the anchors' column count, else what the words allow (2-D where they allow both)."""
    if not re.search(r"trilaterat|multilaterat|\banchors?\b|\bbeacons?\b", requirement, re.I) or \
            not re.search(r"\bposition|\blocation|\bcoordinates|\bestimate", said, re.I) or \
            re.search(r"latitude|longitude|\blat\b|\blon\b|\bGPS\b|WGS", requirement, re.I):
        return None  # anchors in degrees: the room in metres built here is not what the function takes
    needed = _required(signature)
    anchors = [n for n in needed if _ANCHORS.search(n)]
    ranges = [n for n in needed if _RANGES.search(n) and n not in anchors]
    if len(needed) != 2 or len(anchors) != 1 or len(ranges) != 1:
        return None
    shape = _MATRIX.search(user_types(requirement, signature).get(anchors[0], ""))
    columns = shape.group(1) if shape else ""
    flat = re.search(r"\b2-?D\b|\(x, y\)|\bD = 2\b|\bD in \{?2\b|\b2 or 3\b|\bplanar\b", requirement, re.I)
    solid = re.search(r"\b3-?D\b|\(x, y, z\)|\bD = 3\b", requirement, re.I)
    dimensions = (int(columns) if columns in ("2", "3") else 2 if flat else 3 if solid else None)
    if dimensions is None:
        return None
    points, truth = _AREA if dimensions == 2 else _VOLUME
    distances = [round(math.dist(point, truth), 12) for point in points]
    inputs = ((anchors[0], f"_np.array({[list(point) for point in points]})"), (ranges[0], f"_np.array({distances})"))
    what = f"{len(points)} anchors ({anchors[0]} = {inputs[0][1].removeprefix('_np.array(')[:-1]}) and exact ranges"
    return KnownAnswer(what, inputs, 0.0, 0.05, "m", check=f"_position_wrongly(_result, {list(truth)}, {inputs[0][1]})")


# RR intervals of a resting heart (ms): 800 ms with a breathing swing and a slower wave, no artefacts
_RR_MS = tuple(round(800.0 + 40.0 * math.sin(2 * math.pi * i / 10) + 25.0 * math.sin(2 * math.pi * i / 3.7), 3)
               for i in range(300))
_RR_NAME = re.compile(r"rr|nn|ibi|interval", re.I)


def _rr_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """Heart-rate variability from one series of RR intervals: RMSSD, SDNN (within 1 %, so ddof 0 or 1), pNN50 (as a
    per cent or a fraction, as the words say) or the mean heart rate in beats per minute; in ms or s as the
    interval's name or the words say."""
    if len(needed) != 1 or not _RR_NAME.search(needed[0]):
        return None
    seconds = re.search(r"(?:^|_)s(?:ec)?$", needed[0]) or not re.search(r"(?:^|_)ms$", needed[0]) and re.search(
        r"\bin seconds\b|\(s\)", _words_about(requirement, needed[0]))
    if not seconds and not re.search(r"ms$|millisecond|\bms\b", f"{needed[0]} {requirement}", re.I):
        return None
    diffs = [b - a for a, b in zip(_RR_MS, _RR_MS[1:])]
    mean = sum(_RR_MS) / len(_RR_MS)
    unit = 0.001 if seconds and not re.search(r"\bms\b|millisecond", said) else 1.0  # the result's time unit
    if re.search(r"rmssd|successive differences", said, re.I) and not re.search(r"pnn|percent|fraction", said, re.I):
        expected, name, unit_name = math.sqrt(sum(d * d for d in diffs) / len(diffs)) * unit, "RMSSD", "ms"
    elif re.search(r"sdnn|standard deviation", said, re.I):
        expected = math.sqrt(sum((x - mean) ** 2 for x in _RR_MS) / (len(_RR_MS) - 1)) * unit
        name, unit_name = "SDNN", "ms"
    elif re.search(r"pnn-?50", said, re.I) and re.search(r"percent|%|fraction|proportion|share", said, re.I):
        share = sum(abs(d) > 50 for d in diffs) / len(diffs)
        fraction = re.search(r"fraction|proportion|share", said, re.I) and not re.search(r"percent|%", said)
        expected, name, unit_name, unit = (share if fraction else 100 * share), "pNN50", "", 1.0
    elif re.search(r"\bbpm\b|beats per minute|heart rate|\bhr\b", said, re.I):
        expected, name, unit_name, unit = 60000.0 / mean, "mean heart rate", "bpm", 1.0
    else:
        return None
    if unit_name == "ms" and unit == 0.001:
        unit_name = "s"
    scale = 0.001 if seconds else 1.0
    inputs = ((needed[0], f"_np.array({[round(x * scale, 6) for x in _RR_MS]})"),)
    truth = f"the {name} of these intervals is {expected:.4g}{' ' + unit_name if unit_name else ''}"
    hint = {"RMSSD": "RMSSD = sqrt(mean(diff(rr) ** 2))", "SDNN": "SDNN = std(rr, ddof=1)",
            "pNN50": f"pNN50 is the share of |diff(rr)| > 50 ms, {'as a fraction' if expected < 1 else 'in per cent'}",
            "mean heart rate": "mean HR = 60000 / mean(rr in ms)"}[name] + "; check the units"
    what = f"{len(_RR_MS)} RR intervals of a resting heart (about 800 ms, in {'s' if seconds else 'ms'})"
    return KnownAnswer(what, inputs, expected, 0.01 * abs(expected), unit_name,
                       check=_number_check(expected, 0.01 * abs(expected), truth, hint))


# Topic-filter examples of the MQTT specification (3.1.1 section 4.7, 5.0 section 4.7) that every statement of its
# rules agrees on: '#' matching its parent level and filters on '$' topics are left out, users state those either way.
MQTT_CASES = (
    ("sport/tennis/+", "sport/tennis/player1", True),
    ("sport/tennis/+", "sport/tennis/player1/ranking", False),
    ("sport/+", "sport", False),
    ("sport/+/player1", "sport/tennis/player1", True),
    ("+/+", "/finance", True),
    ("+", "/finance", False),
    ("sport/#", "sport/tennis/player1", True),
    ("#", "sport/tennis/player1", True),
    ("sport/tennis", "sport/tennis", True),
    ("sport/tennis", "sport/Tennis", False),
    ("sport/tennis", "sport/tennis/player1", False),
    ("sport/tennis/player1", "sport/tennis", False),
)
_MQTT_WORDS = re.compile(r"\bMQTT\b")
_WILDCARD_WORDS = re.compile(r"wildcard|'\+'|\+|'#'|#|\bsubscri", re.I)
_FILTER_NAME = re.compile(r"filter|pattern|sub(?:scription)?$|^sub_|wildcard|mask", re.I)
_TOPIC_NAME = re.compile(r"topic|^name$", re.I)


def _two_roles(needed: list[str], first: re.Pattern, second: re.Pattern) -> tuple[str, str] | None:
    """The two required parameters told apart by their names (`first` is tried first: `topic_filter` is the filter,
    `topic` the topic), or None unless there are exactly two and each pattern names one."""
    firsts = [name for name in needed if first.search(name)]
    seconds = [name for name in needed if second.search(name) and name not in firsts]
    return (firsts[0], seconds[0]) if len(needed) == 2 and len(firsts) == 1 and len(seconds) == 1 else None


def _topic_match_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """Whether an MQTT topic filter matches a topic: the specification's own examples, each must come out right.

    For a function of a filter and a topic (told apart by their names) that the user says returns a bool."""
    if returned != "bool" or not _MQTT_WORDS.search(requirement) or not _WILDCARD_WORDS.search(requirement):
        return None
    needed = _required(signature)
    roles = _two_roles(needed, _FILTER_NAME, _TOPIC_NAME)
    if roles is None:
        return None
    topic_filter, topic = roles
    filter_first = needed.index(topic_filter) == 0
    first_filter, first_topic, _ = MQTT_CASES[0]
    inputs = ((topic_filter, repr(first_filter)), (topic, repr(first_topic)))
    inputs = inputs if filter_first else inputs[::-1]
    check = f"_topic_matches_wrongly({signature.function_name}, {MQTT_CASES!r}, {filter_first})"
    return KnownAnswer(f"the {len(MQTT_CASES)} topic-filter examples of the MQTT specification", inputs, 1.0, 0.0, "",
                       check=check)


def cobs_encode(data: bytes) -> bytes:
    """COBS (Cheshire and Baker 1999) without the trailing 0x00 delimiter: the reference for `COBS_CASES`."""
    out, block = bytearray(), bytearray()
    for byte in data:
        if byte:
            block.append(byte)
        if not byte or len(block) == 254:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
    return bytes(out + bytes([len(block) + 1]) + block)


# Raw frames with their COBS encodings: the published examples (zeros alone, in a row, between data) and a run
# longer than one 254-byte block. Runs that end exactly at a block's end are left out: encoders differ there.
COBS_CASES = tuple((raw, cobs_encode(raw)) for raw in (
    b"\x00", b"\x00\x00", b"\x00\x11\x00", b"\x11\x22\x00\x33", b"\x11\x22\x33\x44", b"\x11\x00\x00\x00",
    bytes(range(1, 256)) + bytes(range(1, 46)), b"\x05" * 10 + b"\x00" + b"\x07" * 300 + b"\x00\x09"))
_COBS_WORDS = re.compile(r"\bCOBS\b|consistent overhead byte stuffing", re.I)


def _cobs_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """A COBS encoder or decoder of one bytes input (a decoder by its name) must give the known encodings."""
    needed = _required(signature)
    if not _COBS_WORDS.search(requirement) or len(needed) != 1:
        return None
    decode = bool(re.search(r"decod|unstuff", signature.function_name, re.I))
    if not decode and not re.search(r"encod|stuff|frame|pack", signature.function_name, re.I):
        return None
    raw, encoded = COBS_CASES[3]
    check = f"_stuffed_wrongly({signature.function_name}, {COBS_CASES!r}, {decode})"
    return KnownAnswer(f"{len(COBS_CASES)} frames with known COBS encodings", ((needed[0], repr(encoded if decode else raw)),),
                       1.0, 0.0, "", check=check)


def rfc6298_rto(samples: list[float], alpha: float = 0.125, beta: float = 0.25, k: float = 4.0, clock_g: float = 0.0,
                lowest: float = 0.0, highest: float = math.inf) -> list[float]:
    """The retransmission timeout after each RTT sample (RFC 6298, section 2): the reference for `_rto_answer`."""
    timeouts, srtt, rttvar = [], None, None
    for rtt in samples:
        if srtt is None:
            srtt, rttvar = rtt, rtt / 2
        else:
            rttvar = (1 - beta) * rttvar + beta * abs(srtt - rtt)
            srtt = (1 - alpha) * srtt + alpha * rtt
        timeouts.append(min(max(srtt + max(clock_g, k * rttvar), lowest), highest))
    return timeouts


# RTT samples (s) whose timeouts stay between 4 and 7 s: clear of the usual 1 s floor and 60 s ceiling.
RTT_SAMPLES = (2.0, 1.0, 3.0, 2.5, 0.8, 1.6)
_RTO_WORDS = re.compile(r"RFC ?6298|\bSRTT\b|\bRTTVAR\b|Jacobson|Karn", re.I)
_RTO_ROLES = (("alpha", r"^alpha$|^a$|srtt_gain"), ("beta", r"^beta$|^b$|rttvar_gain"), ("k", r"^k$|mult"),
              ("clock_g", r"clock|granular|^g$|^tick"), ("lowest", r"^min|lower|floor"),
              ("highest", r"^max|upper|ceil"), ("initial", r"init|first|start"))


def _rto_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """TCP's retransmission timeout (RFC 6298) from a list of RTT samples: the timeout after each sample (a
    returned list) or after the last (a number), with the gains, granularity and bounds the user's defaults set;
    seconds or milliseconds as the samples' name or words say."""
    needed = _required(signature)
    if not _RTO_WORDS.search(requirement) or not re.search(r"\bRTO\b|retransmission time", requirement, re.I) \
            or len(needed) != 1 or returned not in ("float", "int", "list", "list[float]", "np.ndarray"):
        return None
    settings: dict[str, float] = {}
    for name, default in _parameters(signature):
        if name in needed:
            continue
        role = next((role for role, pattern in _RTO_ROLES if re.search(pattern, name, re.I)), None)
        value = _literal_number(default)
        if role is None or role in settings or value is None:
            return None  # a setting the formula does not know, or one that is not a number
        settings[role] = value
    settings.pop("initial", None)  # in force only before the first sample
    scale = _unit_of(needed[0], _TIME_UNITS) or _unit_of(_words_about(requirement, needed[0]), _TIME_WORDS)
    if scale is None:  # the one time unit the requirement says, else seconds as in the RFC
        said = {size for pattern, size in _TIME_WORDS if re.search(pattern, requirement, re.I)}
        if len(said) > 1:
            return None
        scale = said.pop() if said else 1.0
    samples = [rtt / scale for rtt in RTT_SAMPLES]
    timeouts = rfc6298_rto(samples, **settings)
    expected = [round(value, 12) for value in timeouts] if returned != "float" else round(timeouts[-1], 12)
    check = f"_rto_wrongly(_result, {samples!r}, {expected!r})"
    return KnownAnswer(f"{len(samples)} RTT samples", ((needed[0], repr(samples)),), 0.0, 0.0, "", check=check)


def slip_escape(frame: bytes) -> bytes:
    """SLIP's escaping (RFC 1055) of one frame, without END: ESC first, so that no inserted ESC is escaped again."""
    return frame.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")


# Frames with their SLIP escapes: END and ESC in the data, alone and in a row, and the bytes ESC_END and ESC_ESC
# standing for themselves where no ESC comes before them.
SLIP_CASES = tuple((frame, slip_escape(frame)) for frame in (
    b"\x01\xc0\x02", b"\xdb", b"\xc0\xc0\xdb\xdb", b"\xdc\xdd\x10", b"hello", bytes(range(0xBA, 0xE0))))
_SLIP_WORDS = re.compile(r"\bSLIP\b|RFC ?1055", re.I)
_DECODER_NAME = re.compile(r"decod|unstuff|unslip|unescape|deframe|parse|split|read|receiv|\brx|_rx", re.I)
_ENCODER_NAME = re.compile(r"encod|escape|stuff|frame|pack|wrap|send|\btx|_tx", re.I)


def _slip_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """A SLIP encoder or decoder of one bytes input must give the known escapes: a decoder (by its name) returns
    one frame as bytes, or every frame of a buffer as a list."""
    needed = _required(signature)
    if not _SLIP_WORDS.search(requirement) or len(needed) != 1 or returned is None:
        return None
    decode = bool(_DECODER_NAME.search(signature.function_name))
    if not decode and not _ENCODER_NAME.search(signature.function_name):
        return None
    mode = ("stream" if returned.startswith("list") else "decode") if decode else "encode"
    if returned.startswith("list") != (mode == "stream") or not returned.startswith(("bytes", "bytearray", "list")):
        return None
    raw, escaped = SLIP_CASES[0]
    given = {"encode": raw, "decode": escaped + b"\xc0",
             "stream": b"\xc0" + b"".join(escaped + b"\xc0" for _, escaped in SLIP_CASES)}[mode]
    check = f"_slipped_wrongly({signature.function_name}, {SLIP_CASES!r}, {mode!r})"
    return KnownAnswer(f"{len(SLIP_CASES)} frames with known SLIP escapes", ((needed[0], repr(given)),), 1.0, 0.0, "",
                       check=check)


_THD_WORDS = re.compile(r"\bTHD\b|total harmonic distortion", re.I)
_FUNDAMENTAL_NAME = re.compile(r"^f_?0$|^f_?(?:1|fund\w*|mains|line|grid)(?:_hz)?$|fundamental|mains|line_?freq|grid",
                               re.I)
_HARMONICS_NAME = re.compile(r"harmonic|^n_?h$|order", re.I)
THD_PERCENT = 100.0 * math.hypot(0.05, 0.03)  # of `_mains_signal`


def _thd_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """The total harmonic distortion of mains voltage with 5 % third and 3 % fifth harmonic: 5.831 % (within 0.15
    points), or 0.0583 as a ratio, as the words say (either when they do not); 1 s at 6400 Hz, whole periods."""
    if not _THD_WORDS.search(requirement) or not re.search(r"distortion|\bTHD\b", said, re.I):
        return None
    parts = _parameters(signature)
    rates = [name for name, _ in parts if _RATE_NAME.search(name)]
    fundamentals = [(name, default) for name, default in parts if _FUNDAMENTAL_NAME.search(name)]
    harmonics = [(name, default) for name, default in parts if _HARMONICS_NAME.search(name)]
    signals = [name for name, default in parts if not default and name not in rates
               and name not in dict(fundamentals) and name not in dict(harmonics)]
    if len(rates) != 1 or len(signals) != 1 or len(fundamentals) > 1 or len(harmonics) > 1 or \
            len(rates) + len(signals) + len(fundamentals) + len(harmonics) != len(parts):
        return None
    f0 = 50.0
    inputs = [(signals[0], ""), (rates[0], "6400")]
    if fundamentals:
        name, default = fundamentals[0]
        f0 = _literal_number(default) if default else 50.0
        if f0 not in (50.0, 60.0):
            return None
        inputs += [] if default else [(name, "50.0")]
    if harmonics and not harmonics[0][1]:
        inputs.append((harmonics[0][0], "25"))
    inputs[0] = (signals[0], f"_mains_signal(6400, 6400, {f0!r})")
    percent = bool(re.search(r"percent|%", said, re.I))
    ratio = bool(re.search(r"\bratio\b|fraction", said, re.I))
    if percent and ratio:
        return None
    scales = [100.0] if percent else [1.0] if ratio else [100.0, 1.0]
    right = " or ".join(f"abs(float(_result) - {THD_PERCENT * scale / 100:.6g}) <= {0.15 * scale / 100:.6g}"
                        for scale in scales)
    truth = f"{THD_PERCENT:.3f} %{' (0.0583 as a ratio)' if len(scales) > 1 else ''}"
    check = (f"'' if _np.ndim(_result) == 0 and _np.isreal(_result) and ({right}) else f'it returned {{_result!r:.80}},"
             f" but this voltage has a THD of {truth}: the rms of the harmonics 2..H divided by the amplitude of "
             f"the fundamental, from the FFT bins at h * f0 (the DC offset and noise are no distortion)'")
    return KnownAnswer(f"1 s of {f0:g} Hz mains voltage on a DC offset with 5 % third and 3 % fifth harmonic (6400 Hz)",
                       tuple(inputs),
                       THD_PERCENT, 0.15, "%", check=check)


_MODBUS_RTU = re.compile(r"\bModbus\b(?![- ]?(?:ASCII|TCP))", re.I)
_MODBUS_FUNCTIONS = ((r"\bholding registers?\b|\b0x0?3\b|function(?: code)? 3\b", 3),
                     (r"\binput registers?\b|\b0x0?4\b|function(?: code)? 4\b", 4))
_MODBUS_ROLES = (("slave", r"slave|unit|device|node|server|^addr(?:ess)?$|^id$"), ("start", r"start|first|reg\w*_?addr|^register$|offset"),
                 ("count", r"count|quantity|num|^n_|length|^n$"))


def _modbus_request_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """A Modbus RTU request that reads holding (0x03) or input (0x04) registers: slave 17, 3 registers from
    address 107 is 11 03 00 6B 00 03 and the CRC-16/MODBUS low byte first (the specification's example)."""
    if not _MODBUS_RTU.search(requirement) or re.search(r"\bTCP\b|\bMBAP\b|\bASCII\b|\bLRC\b", requirement):
        return None
    codes = {code for pattern, code in _MODBUS_FUNCTIONS if re.search(pattern, requirement, re.I)}
    needed = _required(signature)
    roles = {role: [name for name in needed if re.search(pattern, name, re.I)] for role, pattern in _MODBUS_ROLES}
    if len(codes) != 1 or len(needed) != 3 or any(len(names) != 1 for names in roles.values()) or \
            len({names[0] for names in roles.values()}) != 3:
        return None
    code = codes.pop()
    body = bytes([17, code, 0, 107, 0, 3])
    checksum = crc(body, "CRC-16/MODBUS")
    frame = body + bytes([checksum & 0xFF, checksum >> 8])
    inputs = ((roles["slave"][0], "17"), (roles["start"][0], "107"), (roles["count"][0], "3"))
    check = (f"'' if isinstance(_result, (bytes, bytearray)) and bytes(_result) == {frame!r} else "
             f"f'it returned {{_result!r:.80}}, but the request is {frame.hex(' ').upper()}: slave id, function code "
             f"{code:#04x}, start address and register count as big-endian uint16, then the CRC-16/MODBUS of those six "
             f"bytes, low byte first'")
    return KnownAnswer(f"the Modbus RTU request for 3 registers from address 107 of slave 17", inputs, 0.0, 0.0, "",
                       check=check)


def _formula_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """A known answer that a formula fixes for a function that returns one number (`said` is what the user says it
    returns, `returned` its type): a named CRC (an int), a great-circle distance or track length, an RSSI
    path-loss distance, a dew point, a barometric altitude, an NTC thermistor's temperature, an ultrasonic
    echo's distance, a free-space path loss."""
    if returned not in ("float", "int", None) or returned is None and _SEVERAL_RESULTS.search(said):
        return None
    needed = _required(signature)
    if returned == "int":
        return _crc_answer(requirement, signature, said, needed)
    return (_distance_answer(requirement, signature, said, needed) or _bearing_answer(requirement, signature, said, needed)
            or _clock_sync_answer(requirement, signature, said, returned)
            or _rr_answer(requirement, signature, said, needed)
            or _rssi_distance_answer(requirement, signature, said) or _altitude_answer(requirement, signature, said)
            or _thermistor_answer(requirement, signature, said) or _echo_distance_answer(requirement, signature, said)
            or _free_space_loss_answer(requirement, signature, said) or _lora_airtime_answer(requirement, signature, said)
            or _thd_answer(requirement, signature, said) or _battery_life_answer(requirement, signature, said)
            or _fmcw_range_answer(requirement, signature, said)
            or _dew_point_answer(requirement, signature, said, needed))


_LIFE_UNITS = ((r"\byears?\b|_y(?:ea)?rs?$", 8760.0), (r"\bdays?\b|_d(?:ay)?s?$", 24.0), (r"\bhours?\b|_h(?:ou)?r?s?$", 1.0))
_CURRENT_UNITS = ((r"\b(?:µA|uA|microamps?)\b|_ua$", 1e-3), (r"\bmA\b|milliamps?|_ma$", 1.0), (r"\bA\b|\bamps?\b|_a$", 1e3))
_CAPACITY_NAME = re.compile(r"capacity|_mah$|_ah$|^mah$|^ah$|battery", re.I)
_PROFILE_NAME = re.compile(r"phase|profile|cycle|states?$|modes?$|schedule|segments", re.I)
_MEAN_CURRENT_NAME = re.compile(r"current|_ma$|_ua$|draw|^i_|load", re.I)
_USABLE_NAME = re.compile(r"derat|usable|efficiency", re.I)
_LIFE_WORDS = re.compile(r"\b(?:battery life|lifetime|life ?span|how long|runtime)\b", re.I)
_PAIR = re.compile(r"\(([^(),]*),([^(),]*)\)")


def _battery_life_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """A battery's lifetime: 1000 mAh, times the derating the user's default sets, over a mean current of 2.009 mA
    (0.01 mA for 90 s and 20 mA for 10 s, a list of (current, duration) phases in the order the words give) or of
    2 mA given as one number; in the hours, days or years the function's name or words ask for, within 0.5 %."""
    if not re.search(r"\bbatter", requirement, re.I) or not _LIFE_WORDS.search(requirement + " " + said):
        return None
    hours = _unit_of(signature.function_name, _LIFE_UNITS) or _unit_of(said, _LIFE_UNITS)
    parts = _parameters(signature)
    capacities = [name for name, default in parts if not default and _CAPACITY_NAME.search(name)]
    profiles = [name for name, default in parts if not default and _PROFILE_NAME.search(name)]
    currents = [name for name, default in parts if not default and _MEAN_CURRENT_NAME.search(name)
                and name not in capacities + profiles]
    usable = [(name, _literal_number(default)) for name, default in parts if default and _USABLE_NAME.search(name)]
    if hours is None or len(capacities) != 1 or len(profiles) + len(currents) != 1 or len(usable) > 1 \
            or len(_required(signature)) != 2 or len(usable) != len(parts) - 2:
        return None
    if not usable and re.search(r"derat|usable|efficien|self-discharge|margin|ageing|aging", requirement, re.I):
        return None  # a loss the words name but no parameter sets: its size is not known here
    factor = usable[0][1] if usable else 1.0
    if factor is None or not 0 < factor <= 1:
        return None
    ampere_hours = bool(re.search(r"_ah$|^ah$", capacities[0], re.I)
                        or re.search(r"\bAh\b", _words_about(requirement, capacities[0])))
    inputs = [(capacities[0], "1.0" if ampere_hours else "1000.0")]
    if profiles:
        pair = next((m for m in _PAIR.finditer(requirement)
                     if {re.search(r"current|\bm?A\b|µA|uA|draw", m.group(i), re.I) is not None for i in (1, 2)}
                     == {True, False} and re.search(r"duration|time|\bs\b|seconds?|\bms\b|minutes?|hours?",
                                                    m.group(1) + m.group(2), re.I)), None)
        if pair is None:
            return None
        current_first = re.search(r"current|\bm?A\b|µA|uA|draw", pair.group(1), re.I) is not None
        scale = _unit_of(pair.group(1) if current_first else pair.group(2), _CURRENT_UNITS)
        if scale is None:
            return None
        phases = [(0.01 / scale, 90.0), (20.0 / scale, 10.0)]
        given = [(round(current, 9), time) if current_first else (time, round(current, 9)) for current, time in phases]
        inputs.append((profiles[0], repr(given)))
        mean_ma, drawn = (0.01 * 90.0 + 20.0 * 10.0) / 100.0, "0.01 mA for 90 s and 20 mA for 10 s"
    else:
        scale = _unit_of(currents[0], _CURRENT_UNITS) or _unit_of(_words_about(requirement, currents[0]), _CURRENT_UNITS)
        if scale is None:
            return None
        inputs.append((currents[0], repr(2.0 / scale)))
        mean_ma, drawn = 2.0, "2 mA"
    order = [name for name, _ in parts]
    inputs.sort(key=lambda item: order.index(item[0]))
    expected = 1000.0 * factor / mean_ma / hours
    unit = {8760.0: "years", 24.0: "days", 1.0: "hours"}[hours]
    truth = f"1000 mAh{f' x {factor:g} usable' if usable else ''} over a mean {mean_ma:g} mA lasts {expected:.5g} {unit}"
    hint = ("lifetime = usable capacity (mAh) / time-weighted mean current (mA) in hours; check the current's unit, "
            "the phases' order and the hours per day or year")
    return KnownAnswer(f"a {'1 Ah' if ampere_hours else '1000 mAh'} battery drawing {drawn}", tuple(inputs), expected,
                       0.005 * expected, unit, check=_number_check(expected, 0.005 * expected, truth, hint))


_SEVERAL_RESULTS = re.compile(r"\b(?:tuple|dict\w*|arrays?|lists?|pairs?|and|both|bytes|frame)\b", re.I)


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
