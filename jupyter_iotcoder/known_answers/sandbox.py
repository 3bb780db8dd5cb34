"""Builders of the known-answer signals and checks of the results, run inside the validation sandbox.

Each builder is deterministic (its own seed), realistic enough for a correct method (a dicrotic wave after each
pulse, baseline wander, noise, gravity in an unknown orientation), and plain enough that the right answer is not
in doubt. Each check returns "" when the result is right, else what is wrong in words the repair model can act on.
This file is read as text (`base.SIGNALS`) and exec'd in the sandbox, never imported by the package.
"""

import numpy as _np


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


def _tilted_imu(n, fs, s):
    """(acc, gyro), each (n, 3): a device held still with gravity along (s, s, c) in m/s^2 and a little noise, its
    gyroscope reading a bias of 0.02 rad/s on each axis and noise (integrated alone, it drifts 23 degrees in 20 s)."""
    rng = _np.random.default_rng(41)
    acc = 9.81 * _np.array([s, s, _np.sqrt(1 - 2 * s * s)]) + rng.normal(0, 0.05, (n, 3))
    return acc, 0.02 + rng.normal(0, 0.002, (n, 3))


def _tilt_wrongly(result, n, low, high, unit):
    """What is wrong with `result` as a tilt series of `_tilted_imu`: after the first third, between low and high
    in size; "" when right."""
    tilt = _np.asarray(result, dtype=float).ravel() if _np.ndim(result) else None
    if tilt is None or tilt.shape != (n,) or not _np.all(_np.isfinite(tilt)):
        return f"it returned {result!r:.80}, not {n} finite angles, one per sample"
    settled = float(_np.mean(_np.abs(tilt[n // 3:])))
    if low <= settled <= high:
        return ""
    return (f"on a device held still at a tilt the angle settled at {settled:.4g} {unit} in size, but the "
            f"accelerometer says {low:.4g} to {high:.4g} {unit}: blend alpha * (previous + rate * dt) with (1 - alpha) "
            f"* the accelerometer's angle (atan2 of its components, not a raw acceleration), in one unit throughout "
            f"(the gyroscope's rad/s and the angle's degrees)")
