"""Known answers on motion sensors: Euler angles of a quaternion, a complementary filter's tilt."""

import numpy as np
import pytest

from known_answer_helpers import built_signal, check_problem, known_answer_for


QUATERNION = ("Our IMU reports its orientation as a unit quaternion q = [w, x, y, z]. Write quat_to_euler(q) -> "
              "tuple[float, float, float] that returns (roll, pitch, yaw) in degrees.")


def _euler_deg(w, x, y, z):
    """Roll, pitch, yaw (aerospace ZYX) by scipy, which takes (x, y, z, w)."""
    from scipy.spatial.transform import Rotation

    yaw, pitch, roll = Rotation.from_quat([x, y, z, w]).as_euler("ZYX", degrees=True)
    return roll, pitch, yaw


def test_euler_angles_of_a_quaternion_are_known_in_the_order_and_unit_said():
    answer = known_answer_for(QUATERNION)
    q = eval(dict(answer.inputs)["q"])
    assert check_problem(answer, _euler_deg(*q)) == ""
    assert "roll 10, pitch 20, yaw 30 deg" in check_problem(answer, _euler_deg(q[3], q[0], q[1], q[2]))
    assert check_problem(answer, np.radians(_euler_deg(*q))) != ""
    scalar_last = known_answer_for(QUATERNION.replace("[w, x, y, z]", "[x, y, z, w]"))
    x, y, z, w = eval(dict(scalar_last.inputs)["q"])
    assert check_problem(scalar_last, _euler_deg(w, x, y, z)) == ""
    yaw_first = known_answer_for(QUATERNION.replace("quat_to_euler(q)", "quat_to_euler(qw, qx, qy, qz)").replace(
        "(roll, pitch, yaw) in degrees", "(yaw, pitch, roll) in radians"))
    parts = {name: float(source) for name, source in yaw_first.inputs}
    roll, pitch, yaw = _euler_deg(parts["qw"], parts["qx"], parts["qy"], parts["qz"])
    assert check_problem(yaw_first, np.radians((yaw, pitch, roll))) == ""


@pytest.mark.parametrize("requirement", [
    QUATERNION.replace("q = [w, x, y, z]", "q"),
    QUATERNION.replace("(roll, pitch, yaw)", "the Euler angles"),
    QUATERNION.replace(" in degrees", ""),
    QUATERNION.replace("quat_to_euler(q)", "quat_to_euler(q, order)"),
])
def test_no_euler_answer_without_the_component_order_the_angle_order_or_the_unit(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "quaternion" not in answer.what


TILT = ("A self-balancing robot has an MPU-6050 sampled at fs Hz: acc is an (N, 3) array in m/s^2 and gyro an (N, 3) "
        "array in rad/s. Write complementary_pitch(acc, gyro, fs, alpha=0.98) that returns an (N,) NumPy array of "
        "pitch in degrees from a complementary filter: the accelerometer pitch is atan2(acc[:, 0], sqrt(acc[:, 1]**2 "
        "+ acc[:, 2]**2)) and the pitch rate is gyro[:, 1].")


def _complementary(acc, gyro, fs, alpha=0.98, rate_in_degrees=True, blend_accelerometer=True):
    """The textbook filter, in degrees: alpha * (previous + rate * dt) + (1 - alpha) * accelerometer pitch."""
    accel = np.degrees(np.arctan2(acc[:, 0], np.sqrt(acc[:, 1] ** 2 + acc[:, 2] ** 2)))
    rate = np.degrees(gyro[:, 1]) if rate_in_degrees else gyro[:, 1]
    pitch = np.empty(len(acc))
    pitch[0] = accel[0]
    for i in range(1, len(acc)):
        blended = accel[i] if blend_accelerometer else pitch[i - 1]
        pitch[i] = alpha * (pitch[i - 1] + rate[i] / fs) + (1 - alpha) * blended
    return pitch


def test_a_complementary_filter_settles_at_the_accelerometers_tilt_despite_the_gyroscopes_bias():
    answer = known_answer_for(TILT)
    values = dict(answer.inputs)
    acc, gyro, fs = built_signal(values["acc"]), built_signal(values["gyro"]), float(values["fs"])
    assert acc.shape == gyro.shape == (3000, 3)
    assert check_problem(answer, _complementary(acc, gyro, fs)) == ""
    assert check_problem(answer, -_complementary(-acc, -gyro, fs)) == "", "the user's sign convention"
    gyro_only = _complementary(acc, gyro, fs, blend_accelerometer=False)
    assert "settled at" in check_problem(answer, gyro_only)
    raw_acceleration = 0.98 * np.ones(3000) * acc[0, 0]
    assert "not a raw acceleration" in check_problem(answer, raw_acceleration)
    assert "not 3000 finite angles" in check_problem(answer, 17.5)
    in_radians = known_answer_for(TILT.replace("pitch in degrees", "pitch in radians"))
    assert check_problem(in_radians, np.radians(_complementary(acc, gyro, fs))) == ""


@pytest.mark.parametrize("requirement", [
    TILT.replace("complementary_pitch", "kalman_pitch").replace("a complementary filter", "a Kalman filter"),
    TILT.replace("acc is an (N, 3) array", "acc is an array"),
    TILT.replace("alpha=0.98", "alpha=0.999"),
    TILT.replace(" in degrees", "").replace("in m/s^2", ""),
])
def test_no_tilt_answer_without_a_complementary_filter_imu_arrays_a_settling_blend_or_a_unit(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "tilt" not in answer.what
