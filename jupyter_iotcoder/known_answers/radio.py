"""Known answers on radio links and radar: an RSSI path-loss distance, a free-space path loss, a LoRa packet's
time on air, an FMCW target's range (and speed, from a chirps x samples frame)."""

from __future__ import annotations

import math
import re

from ..schema import Signature
from .base import (
    _DISTANCE_UNITS, _FREQUENCY_UNITS, KnownAnswer, _LENGTH_UNITS, _literal_number, _number_check, _parameters,
    _RATE_NAME, _required, _TIME_NAMES, _TIME_UNITS, _TIME_WORDS, _unit_near, _unit_of, _words_about)


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


def _radar_roles(signature: Signature, patterns: tuple[tuple[str, str], ...]) -> tuple[list[str], dict[str, str]] | None:
    """The radar's data (parameters with no role and no default) and its settings by role (`patterns`: the role
    and its name pattern, first match wins); None when a role repeats or a parameter with no role has a default.
    The speed of light and processing options ("c", "option") need a default and are not returned."""
    roles: dict[str, str] = {}
    data = []
    for name, default in _parameters(signature):
        role = next((role for role, pattern in patterns if re.search(pattern, name, re.I)), None)
        if role is None and not default:
            data.append(name)
        elif role in roles or role in ("c", "option") and not default or role is None:
            return None
        elif role not in ("c", "option"):
            roles[role] = name
    return data, roles


def _fmcw_range_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """An FMCW radar's target range from one chirp's beat signal, R = c f_b / (2 slope): a target at 3.0 m under a
    4 GHz sweep over 40 us (slope 1e14 Hz/s, f_b = 2 MHz) sampled at 10 MHz, within 2 %; the slope given as such
    or as bandwidth and chirp time, each in the unit its name or words give (SI when none)."""
    if not re.search(r"\bFMCW\b|\bchirps?\b", requirement, re.I) or not re.search(r"\brange\b|\bdistance\b", said, re.I):
        return None
    found = _radar_roles(signature, _FMCW_ROLES)
    if found is None:
        return None
    signals, roles = found
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
    found = _radar_roles(signature, _RANGE_DOPPLER_ROLES)
    if found is None:
        return None
    frames, roles = found
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
