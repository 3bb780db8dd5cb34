"""Known answers on motion sensors: Euler angles of an IMU's quaternion, a complementary filter's tilt."""

from __future__ import annotations

import math
import re

from ..requirement import user_types
from ..schema import Signature
from .base import KnownAnswer, _MATRIX, _RATE_NAME, _literal_number, _parameters, _required


def quaternion_from_euler_deg(roll: float, pitch: float, yaw: float) -> tuple[float, float, float, float]:
    """(w, x, y, z) of the rotation yaw about z, then pitch about y, then roll about x (aerospace ZYX)."""
    cr, sr = math.cos(math.radians(roll) / 2), math.sin(math.radians(roll) / 2)
    cp, sp = math.cos(math.radians(pitch) / 2), math.sin(math.radians(pitch) / 2)
    cy, sy = math.cos(math.radians(yaw) / 2), math.sin(math.radians(yaw) / 2)
    return (cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy)


EULER_DEG = {"roll": 10.0, "pitch": 20.0, "yaw": 30.0}
_QUATERNION_ORDER = re.compile(r"[(\[]\s*q?_?([wxyz])\s*,\s*q?_?([wxyz])\s*,\s*q?_?([wxyz])\s*,\s*q?_?([wxyz])\s*[)\]]",
                               re.I)
_ANGLES_ORDER = re.compile(r"\(\s*(roll|pitch|yaw)\w*\s*,\s*(roll|pitch|yaw)\w*\s*,\s*(roll|pitch|yaw)\w*\s*\)", re.I)


def _euler_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """Roll, pitch and yaw (aerospace ZYX) of a unit quaternion: 10, 20 and 30 degrees, within 0.1, in the order
    the words name them; the quaternion as one sequence in the component order the words give ((w, x, y, z) or
    (x, y, z, w)) or as four parameters named w, x, y, z; degrees or radians as said."""
    if not re.search(r"quaternion", requirement, re.I):
        return None
    angles = _ANGLES_ORDER.search(said) or _ANGLES_ORDER.search(requirement)
    if angles is None or len({a.lower() for a in angles.groups()}) != 3:
        return None
    needed = _required(signature)
    q = dict(zip("wxyz", quaternion_from_euler_deg(**EULER_DEG)))
    components = [re.fullmatch(r"q?_?([wxyz])", name, re.I) for name in needed]
    if len(needed) == 4 and all(components) and len({c.group(1).lower() for c in components}) == 4:
        inputs = tuple((name, repr(q[c.group(1).lower()])) for name, c in zip(needed, components))
    elif len(needed) == 1 and (order := _QUATERNION_ORDER.search(requirement)) and \
            len({c.lower() for c in order.groups()}) == 4:
        inputs = ((needed[0], repr([q[c.lower()] for c in order.groups()])),)
    else:
        return None
    unit_words = said + " " + requirement
    radians = bool(re.search(r"\bradians?\b", unit_words, re.I))
    if radians == bool(re.search(r"\bdeg(?:rees?)?\b|°", unit_words, re.I)):
        return None  # both units said, or neither
    scale = math.pi / 180 if radians else 1.0
    names = [a.lower() for a in angles.groups()]
    expected = tuple(EULER_DEG[name] * scale for name in names)
    unit = "rad" if radians else "deg"
    truth = (f"this quaternion is {', '.join(f'{n} {EULER_DEG[n] * scale:.4g}' for n in names)} {unit} "
             f"(yaw about z, then pitch about y, then roll about x)")
    hint = ("roll = atan2(2(w x + y z), 1 - 2(x^2 + y^2)), pitch = asin(2(w y - z x)), yaw = atan2(2(w z + x y), "
            "1 - 2(y^2 + z^2)); check the quaternion's component order and the unit")
    check = f"_not_the_numbers(_result, {expected!r}, {0.1 * scale!r}, {truth!r}, {hint!r})"
    return KnownAnswer("a quaternion of roll 10, pitch 20, yaw 30 degrees", inputs, expected[0], 0.1 * scale, unit,
                       check=check)


# A device held still at a tilt: gravity (g s, g s, g c) with s = 0.3. Every usual accelerometer pitch or roll
# formula gives 17.46 (asin s) or 18.33 (atan2(s, c)) degrees in size, whichever axes and sign it uses.
TILT_SINE = 0.3
GYRO_BIAS = 0.02  # rad/s on each axis of `_tilted_imu`'s gyroscope
TILT_DEG = (math.degrees(math.asin(TILT_SINE)),
            math.degrees(math.atan2(TILT_SINE, math.sqrt(1 - 2 * TILT_SINE ** 2))))
_ACC_NAME = re.compile(r"^acc|accel|^a_?xyz$", re.I)
_GYRO_NAME = re.compile(r"gyr|omega|angular|^w_?xyz$", re.I)
_STEP_NAME = re.compile(r"^dt$|^ts$|period|interval|step", re.I)
_BLEND_NAME = re.compile(r"alpha|^k$|weight|blend|gain|coeff", re.I)


def _complementary_tilt_answer(requirement: str, signature: Signature, said: str) -> KnownAnswer | None:
    """A complementary filter's pitch or roll on a device held still at a tilt (30 s at 100 Hz) with a biased
    gyroscope: after the start it must settle at 17.5 to 18.3 degrees in size (either sign, as the user's axes and
    formula give), give or take the offset the bias holds the blend at; in radians where said. From an (N, 3)
    accelerometer and gyroscope, a rate or a time step and the blend (the user's default, else 0.98). A filter
    that integrates the gyroscope alone drifts 23 degrees."""
    if not re.search(r"complementary", requirement, re.I) or not re.search(r"\b(?:pitch|roll|tilt)\b", said, re.I) \
            or not re.search(r"\barray\b|\(N,?\)|\bseries\b|each sample|per sample", said, re.I):
        return None
    parts = _parameters(signature)
    roles = {"acc": [n for n, d in parts if not d and _ACC_NAME.search(n)],
             "gyro": [n for n, d in parts if not d and _GYRO_NAME.search(n)],
             "rate": [n for n, d in parts if not d and (_RATE_NAME.search(n) or _STEP_NAME.search(n))],
             "blend": [(n, d) for n, d in parts if _BLEND_NAME.search(n)]}
    if any(len(names) != 1 for names in roles.values()) or len(parts) != 4:
        return None
    types = user_types(requirement, signature)
    shapes = [_MATRIX.search(types.get(roles[kind][0], "")) for kind in ("acc", "gyro")]
    if not all(shape and shape.group(1) == "3" for shape in shapes):
        return None  # not both (N, 3) arrays
    fs, n = 100, 3000
    blend_name, blend_default = roles["blend"][0]
    blend = _literal_number(blend_default) if blend_default else 0.98
    if blend is None or not 0 < blend < 1 or blend / (1 - blend) / fs > 2.5:
        return None  # no blend, or one too slow to settle in 20 s
    rate = roles["rate"][0]
    inputs = [(roles["acc"][0], f"_tilted_imu({n}, {fs}, {TILT_SINE})[0]"),
              (roles["gyro"][0], f"_tilted_imu({n}, {fs}, {TILT_SINE})[1]"),
              (rate, repr(1 / fs) if _STEP_NAME.search(rate) else str(fs))]
    if not blend_default:
        inputs.append((blend_name, "0.98"))
    radians = bool(re.search(r"\bradians?\b", said, re.I))
    if not radians and not re.search(r"\bdeg(?:rees?)?\b|°", said + " " + requirement, re.I):
        return None  # no unit said
    scale = math.pi / 180 if radians else 1.0
    # a bias b holds the blend alpha * b * dt / (1 - alpha) off the accelerometer's angle; 0.3 for the noise
    offset = blend * math.degrees(GYRO_BIAS) / fs / (1 - blend) + 0.3
    low, high = (TILT_DEG[0] - offset) * scale, (TILT_DEG[1] + offset) * scale
    order = [name for name, _ in parts]
    inputs.sort(key=lambda item: order.index(item[0]))
    unit = "rad" if radians else "deg"
    return KnownAnswer(f"a device held still at a {TILT_DEG[0]:.1f} degree tilt for 30 s (100 Hz)", tuple(inputs),
                       0.0, 0.0, "", check=f"_tilt_wrongly(_result, {n}, {low!r}, {high!r}, {unit!r})")
