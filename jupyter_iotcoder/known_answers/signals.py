"""Known answers on built signals: rates and counts (heart, breathing, steps, cadence, a vibration's line),
filters and despikers, R-peak indices, a moving RMS, outlier rules and tests, heart-rate variability, THD."""

from __future__ import annotations

import math
import re

from ..requirement import DURATION, stated_refusals, stated_result_dtype, user_types
from ..schema import Signature
from .base import (
    KnownAnswer, _literal_number, _MATRIX, _number_check, _parameters, RATE_HZ, _RATE_NAME, _required, SECONDS,
    _TIME_UNITS, _TIME_WORDS, _unit_of, _words_about)


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


def _rate_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """A rate or count from one signal and its sampling rate, which `said` describes: a heart or breathing rate
    per minute, a step count or cadence, the strongest line of a vibration in Hz."""
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
