"""Known answers that a physical formula fixes: dew point, altitude, thermistor, echo, battery life."""

import numpy as np
import pytest

from known_answer_helpers import check_problem, known_answer_for


def test_a_dew_point_is_known_from_a_percentage_or_a_fraction_of_humidity():
    percent = known_answer_for("Write dew_point(temp_c: float, rh: float) -> float that returns the dew point in Celsius from "
                      "the temperature in °C and relative humidity in %.")
    assert dict(percent.inputs) == {"temp_c": "25.0", "rh": "60.0"}
    magnus = 237.7 * (np.log(0.6) + 17.27 * 25 / 262.7) / (17.27 - (np.log(0.6) + 17.27 * 25 / 262.7))
    assert check_problem(percent, magnus) == "" and check_problem(percent, 25 - (100 - 60) / 5) == ""
    assert check_problem(percent, magnus + 273.15) != ""
    fraction = known_answer_for("Write dew_point(t, rh) returning the dew point (float, °C); rh is a fraction 0-1.")
    assert dict(fraction.inputs) == {"t": "25.0", "rh": "0.6"}
    assert known_answer_for("Write dew_point(t, rh) returning the dew point in °F (float).") is None


@pytest.mark.parametrize("requirement,inputs", [
    ("Write pressure_to_altitude(pressure_hpa: float, sea_level_hpa: float = 1013.25) -> float that returns the "
     "altitude in metres using the international barometric formula.",
     {"pressure_hpa": "900.0", "sea_level_hpa": "1013.25"}),
    ("Write altitude(p, p0=101325.0) returning the altitude in metres (float) from the BMP280 pressure.",
     {"p": "90000.0", "p0": "101325.0"}),
    ("Write altitude(pressure_pa) returning the height in m above sea level (float) from a barometric pressure.",
     {"pressure_pa": "90000.0"}),
    ("Write altitude(pressure) returning the height in m (float) from a barometric pressure in hPa.",
     {"pressure": "900.0"}),
])
def test_a_barometric_altitude_is_known_in_the_pressure_unit_the_user_works_in(requirement, inputs):
    answer = known_answer_for(requirement)
    assert dict(answer.inputs) == inputs
    hypsometric = 287.05 * 288.15 / 9.80665 * np.log(1013.25 / 900.0)
    assert check_problem(answer, 44330 * (1 - (900 / 1013.25) ** (1 / 5.255))) == ""
    assert check_problem(answer, hypsometric) == "", "the hypsometric formula at 15 C is within the tolerance"
    assert "check the pressure's unit" in check_problem(answer, 44330 * (1 - (900 / 101325) ** (1 / 5.255)))


@pytest.mark.parametrize("requirement", [
    "Write altitude(pressure) returning the height in m above sea level (float) from a barometric pressure.",
    "Write altitude(pressure_hpa) that returns the altitude in metres (float) for a local sea-level pressure of "
    "1021.5 hPa.",
])
def test_no_altitude_answer_without_the_pressure_unit_or_with_another_sea_level_pressure(requirement):
    assert known_answer_for(requirement) is None


def test_an_ntc_thermistor_at_the_resistance_of_50_c_reads_50_c():
    answer = known_answer_for("Write ntc_temperature(resistance_ohm, r0=10000.0, t0_c=25.0, beta=3950.0) -> float returning "
                     "the temperature in °C of an NTC thermistor using the Beta equation.")
    values = {name: float(value) for name, value in answer.inputs}
    r, r0, t0, beta = values["resistance_ohm"], values["r0"], values["t0_c"], values["beta"]
    beta_equation = 1 / (1 / (t0 + 273.15) + np.log(r / r0) / beta) - 273.15
    assert check_problem(answer, beta_equation) == ""
    assert "work in kelvin" in check_problem(answer, 1 / (1 / t0 + np.log(r / r0) / beta))
    kelvin = known_answer_for("Write ntc(r_ntc, r0=10000.0, t0_k=298.15, beta=3950.0) -> float returning the NTC temperature in "
                     "degrees Celsius.")
    assert dict(kelvin.inputs)["t0_k"] == "298.15"
    assert known_answer_for("Write ntc_c(adc, r_fixed=10000.0, beta=3950.0) that returns the NTC temperature in degrees Celsius "
                   "(float).") is None, "ADC counts through a divider are not the resistance"


def test_an_ultrasonic_echo_is_known_in_the_time_and_distance_units_the_user_names():
    corrected = known_answer_for("Write echo_to_cm(echo_us: float, temp_c: float = 20.0) -> float that converts an HC-SR04 echo "
                        "pulse width in microseconds to the distance in cm, correcting the speed of sound for the air "
                        "temperature.")
    echo_us = float(dict(corrected.inputs)["echo_us"])
    assert dict(corrected.inputs)["temp_c"] == "20.0" and corrected.expected == 100.0
    assert check_problem(corrected, echo_us * 1e-6 * (331.3 + 0.606 * 20.0) / 2 * 100) == ""
    assert check_problem(corrected, echo_us / 58.0) == "", "the datasheet's 58 us per cm is close enough"
    assert "halve the round trip" in check_problem(corrected, echo_us * 1e-6 * 343.0 * 100)
    seconds = known_answer_for("Write ultrasonic_distance(duration) that returns the distance to the obstacle in metres "
                      "(float); duration is the echo round-trip time in seconds.")
    assert seconds.expected == 1.0 and float(seconds.inputs[0][1]) == pytest.approx(0.005824, abs=1e-6)
    stated = known_answer_for("Write sonar_m(echo_s) that returns the distance in metres (float), taking sound at 340 m/s.")
    assert float(stated.inputs[0][1]) == pytest.approx(2 / 340)
    assert known_answer_for("Write ultrasonic_distance(duration) that returns the distance to the obstacle in metres "
                   "(float).") is None, "no unit for the echo time"
    assert known_answer_for("Write sonar_m(echo_s) that returns the distance in metres (float) in air at 35 °C.") is None


BATTERY = ("One duty cycle of our LoRa node is a list of phases (current in mA, duration in s). Write "
           "battery_life_days(capacity_mah: float, phases: list[tuple[float, float]], derating: float = 0.8) -> float "
           "that returns the expected battery lifetime in days.")


def _battery_days(capacity_mah, phases, derating=0.8):
    mean_ma = sum(current * seconds for current, seconds in phases) / sum(seconds for _, seconds in phases)
    return capacity_mah * derating / mean_ma / 24


def test_a_battery_lifetime_is_usable_charge_over_the_time_weighted_mean_current():
    answer = known_answer_for(BATTERY)
    values = {name: eval(source) for name, source in answer.inputs}
    assert values == {"capacity_mah": 1000.0, "phases": [(0.01, 90.0), (20.0, 10.0)]}
    assert answer.expected == pytest.approx(_battery_days(**values)) == pytest.approx(16.592, abs=1e-3)
    assert check_problem(answer, _battery_days(**values)) == ""
    plain_mean = _battery_days(1000.0, [(0.01, 1.0), (20.0, 1.0)])  # phases averaged without their durations
    assert "lasts 16.592 days" in check_problem(answer, plain_mean)
    assert "lasts" in check_problem(answer, 24 * _battery_days(**values)), "hours where days were asked for"

    swapped = known_answer_for(BATTERY.replace("(current in mA, duration in s)", "(duration in s, current in µA)"))
    assert eval(dict(swapped.inputs)["phases"]) == [(90.0, 10.0), (10.0, 20000.0)]
    assert swapped.expected == pytest.approx(answer.expected)
    hours = known_answer_for("Write battery_hours(capacity_ah, mean_current_ma) -> float returning the battery life in hours; "
                    "capacity_ah is in Ah.")
    assert dict(hours.inputs) == {"capacity_ah": "1.0", "mean_current_ma": "2.0"} and hours.expected == 500.0


@pytest.mark.parametrize("requirement", [
    BATTERY.replace(", derating: float = 0.8", "").replace("lifetime in days", "lifetime in days after derating"),
    BATTERY.replace("(current in mA, duration in s)", "of current and duration"),
    BATTERY.replace("derating: float = 0.8", "self_discharge_per_year: float = 0.03"),
    BATTERY.replace("battery_life_days", "battery_life").replace(" in days", ""),
    BATTERY.replace("(current in mA, duration in s)", "(current, duration in s)"),
])
def test_no_battery_answer_without_the_phases_order_their_current_unit_the_result_unit_or_a_known_loss(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "battery" not in answer.what
