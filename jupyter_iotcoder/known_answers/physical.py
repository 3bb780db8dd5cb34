"""Known answers that a physical formula fixes: a dew point, a barometric altitude, an NTC thermistor's
temperature, an ultrasonic echo's distance, a battery's lifetime."""

from __future__ import annotations

import math
import re

from ..schema import Signature
from .base import (
    KnownAnswer, _LENGTH_UNITS, _literal_number, _number_check, _parameters, _required, _TIME_NAMES, _TIME_UNITS,
    _unit_of, _words_about)


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


_LIFE_UNITS = ((r"\byears?\b|_y(?:ea)?rs?$", 8760.0), (r"\bdays?\b|_d(?:ay)?s?$", 24.0),
               (r"\bhours?\b|_h(?:ou)?r?s?$", 1.0))  # in hours
_CURRENT_UNITS = ((r"\b(?:µA|uA|microamps?)\b|_ua$", 1e-3), (r"\bmA\b|milliamps?|_ma$", 1.0),
                  (r"\bA\b|\bamps?\b|_a$", 1e3))  # in mA
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
        scale = _unit_of(currents[0], _CURRENT_UNITS) or _unit_of(_words_about(requirement, currents[0]),
                                                                    _CURRENT_UNITS)
        if scale is None:
            return None
        inputs.append((currents[0], repr(2.0 / scale)))
        mean_ma, drawn = 2.0, "2 mA"
    order = [name for name, _ in parts]
    inputs.sort(key=lambda item: order.index(item[0]))
    expected = 1000.0 * factor / mean_ma / hours
    unit = {8760.0: "years", 24.0: "days", 1.0: "hours"}[hours]
    usable_share = f" x {factor:g} usable" if usable else ""
    truth = f"1000 mAh{usable_share} over a mean {mean_ma:g} mA lasts {expected:.5g} {unit}"
    hint = ("lifetime = usable capacity (mAh) / time-weighted mean current (mA) in hours; check the current's unit, "
            "the phases' order and the hours per day or year")
    return KnownAnswer(f"a {'1 Ah' if ampere_hours else '1000 mAh'} battery drawing {drawn}", tuple(inputs), expected,
                       0.005 * expected, unit, check=_number_check(expected, 0.005 * expected, truth, hint))
