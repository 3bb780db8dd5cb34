"""Known answers on radio links and radar: RSSI distance, free-space loss, LoRa airtime, FMCW."""

import numpy as np
import pytest

from known_answer_helpers import built_signal, check_problem, known_answer_for


def test_an_rssi_path_loss_distance_is_known():
    rssi = known_answer_for("Write rssi_to_distance(rssi: float, tx_power: float = -59.0, n: float = 2.0) -> float that returns "
                   "the distance in metres from the log-distance path-loss model.")
    assert dict(rssi.inputs) == {"rssi": "-79.0", "tx_power": "-59.0", "n": "2.0"}
    assert check_problem(rssi, 10 ** ((-59.0 - -79.0) / (10 * 2.0))) == ""
    assert "sign of (P0 - rssi)" in check_problem(rssi, 10 ** ((-79.0 - -59.0) / (10 * 2.0)))
    assert known_answer_for("Write rssi_to_distance(rssi, tx_power) that returns the distance in metres from the "
                   "log-distance path-loss model with exponent 2.") is None, "the exponent is no parameter"


def test_free_space_path_loss_is_known_in_the_units_of_the_parameters():
    answer = known_answer_for("Write fspl_db(distance_km: float, freq_mhz: float) -> float returning the free-space path loss "
                     "in dB.")
    assert dict(answer.inputs) == {"distance_km": "1.0", "freq_mhz": "2400.0"}
    assert check_problem(answer, 20 * np.log10(1.0) + 20 * np.log10(2400.0) + 32.44) == ""
    assert check_problem(answer, 20 * np.log10(1.0) + 20 * np.log10(2400.0) - 147.55) != ""
    worded = known_answer_for("Write fspl(d, f) that returns the free-space path loss in dB (float), where d is the distance "
                     "in metres and f the frequency in Hz.")
    assert dict(worded.inputs) == {"d": "1000.0", "f": "2400000000.0"}
    assert known_answer_for("Write link_margin(d_m, f_hz, tx_dbm, sens_dbm) -> float returning the margin in dB after "
                   "free-space path loss.") is None


FMCW = ("An FMCW radar sweeps bandwidth Hz over chirp_time seconds. Write fmcw_range(beat, fs, bandwidth, chirp_time) "
        "that returns the target range in metres (float) from the strongest beat frequency.")


def _fmcw_range(beat, fs, slope, c=3e8, halve=True):
    """Hann window, FFT, the strongest bin away from DC, R = c f_b / (2 slope)."""
    spectrum = np.abs(np.fft.fft((beat - np.mean(beat)) * np.hanning(len(beat))))
    bins = np.fft.fftfreq(len(beat), 1 / fs)
    spectrum[bins <= 0] = 0
    return c * bins[np.argmax(spectrum)] / (2 * slope if halve else slope)


def test_an_fmcw_range_comes_from_the_strongest_beat_and_the_chirp_slope():
    answer = known_answer_for(FMCW)
    values = dict(answer.inputs)
    assert values["fs"] == "10000000.0" and values["bandwidth"] == "4000000000.0" and values["chirp_time"] == "4e-05"
    beat = built_signal(values["beat"])
    assert not np.iscomplexobj(beat)
    slope = float(values["bandwidth"]) / float(values["chirp_time"])
    assert check_problem(answer, _fmcw_range(beat, 1e7, slope)) == ""
    assert check_problem(answer, _fmcw_range(beat, 1e7, slope, c=299792458.0)) == ""
    assert "is a target 3 m away" in check_problem(answer, _fmcw_range(beat, 1e7, slope, halve=False))
    dc = np.abs(np.fft.rfft(beat)).argmax() * 0.0  # the DC bin left in: range 0
    assert check_problem(answer, dc) != ""

    by_slope = known_answer_for(FMCW.replace("bandwidth, chirp_time)", "slope_mhz_per_us)").replace(" in metres", " in cm")
                       .replace("FMCW radar sweeps", "FMCW radar (I/Q, complex samples) sweeps"))
    values = dict(by_slope.inputs)
    assert values["slope_mhz_per_us"] == "100.0" and by_slope.expected == 300.0
    assert np.iscomplexobj(built_signal(values["beat"]))
    assert check_problem(by_slope, 100 * _fmcw_range(built_signal(values["beat"]), 1e7, 1e14)) == ""
    in_ghz = known_answer_for(FMCW.replace("sweeps bandwidth Hz", "sweeps bandwidth GHz"))
    assert dict(in_ghz.inputs)["bandwidth"] == "4.0"


@pytest.mark.parametrize("requirement", [
    FMCW.replace("An FMCW radar sweeps", "A radar sweeps"),
    FMCW.replace("chirp_time)", "chirp_time, n_targets)"),
    FMCW.replace("bandwidth Hz", "bandwidth Hz (or GHz)"),
    FMCW.replace("fs, bandwidth, chirp_time)", "fs, bandwidth)"),
    FMCW.replace("target range in metres", "beat frequency in Hz"),
])
def test_no_fmcw_answer_without_fmcw_a_slope_known_units_and_a_range(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "beat signal" not in answer.what


RANGE_DOPPLER = ("A 60 GHz FMCW radar gives one frame as a complex (n_chirps, n_samples) array. Write "
                 "range_doppler_peak(frame, fs, slope, chirp_period, wavelength) that returns the tuple (range_m, "
                 "velocity_mps) of the strongest range-Doppler cell.")


def _range_doppler(frame, fs, slope, chirp_period, wavelength, shift=True):
    """Range FFT over each chirp's samples, Doppler FFT over the chirps, the strongest cell."""
    n_chirps, n_samples = frame.shape
    power = np.abs(np.fft.fft2(frame * np.outer(np.hanning(n_chirps), np.hanning(n_samples))))
    i, k = np.unravel_index(np.argmax(power), power.shape)
    f_doppler = np.fft.fftfreq(n_chirps, chirp_period)[i] if shift else i / (n_chirps * chirp_period)
    return 3e8 * np.fft.fftfreq(n_samples, 1 / fs)[k] / (2 * slope), f_doppler * wavelength / 2


def test_the_strongest_fmcw_target_has_a_known_range_and_radial_speed():
    answer = known_answer_for(RANGE_DOPPLER)
    assert [name for name, _ in answer.inputs] == ["frame", "fs", "slope", "chirp_period", "wavelength"]
    settings = [float(source) for _, source in answer.inputs[1:]]
    frame = built_signal(answer.inputs[0][1])
    assert frame.shape == (64, 256)
    right = _range_doppler(frame, *settings)
    assert right[0] == pytest.approx(11.71875) and right[1] == pytest.approx(-1.3671875)
    assert check_problem(answer, right) == ""
    assert check_problem(answer, (right[0], -right[1])) == "", "the velocity's sign is the user's convention"
    unshifted = _range_doppler(frame, *settings, shift=False)
    assert "at a radial speed of 1.367 m/s" in check_problem(answer, unshifted)
    assert "not a (range, velocity) pair" in check_problem(answer, 11.7)
    carrier = known_answer_for(RANGE_DOPPLER.replace("wavelength)", "carrier_ghz)"))
    assert dict(carrier.inputs)["carrier_ghz"] == "60.0"


@pytest.mark.parametrize("requirement", [
    RANGE_DOPPLER.replace("FMCW radar", "radar"),
    RANGE_DOPPLER.replace("wavelength)", "wavelength, n_targets)"),
    RANGE_DOPPLER.replace("chirp_period, ", ""),
    RANGE_DOPPLER.replace("(range_m, velocity_mps)", "(range_bin, doppler_bin)"),
])
def test_no_range_doppler_answer_without_fmcw_every_setting_and_a_range_and_velocity(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "FMCW frame" not in answer.what


def test_lora_time_on_air_matches_semtechs_calculator():
    from jupyter_iotcoder.known_answers import lora_time_on_air_s

    assert lora_time_on_air_s(20, 7, 125000.0, 1, 8, True, True, False) == pytest.approx(0.056576)
    assert lora_time_on_air_s(51, 12, 125000.0, 1, 8, True, True, True) == pytest.approx(2.465792)


@pytest.mark.parametrize("requirement,inputs,expected", [
    ("Write lora_toa(payload_len: int, sf: int, bw_hz: float = 125000.0, cr: int = 1) -> float returning the LoRa "
     "time on air in seconds.", {"sf": "7", "payload_len": "20"}, 0.056576),
    ("Write airtime_ms(sf, payload_bytes, bw_khz, cr) returning the LoRa packet's time on air in milliseconds "
     "(float), with cr = 1..4 for 4/5..4/8.", {"sf": "7", "payload_bytes": "20", "bw_khz": "125.0", "cr": "1"}, 56.576),
    ("Write toa(sf: int, payload: int, cr: int = 5, crc: bool = False) -> float returning the LoRa time on air in "
     "ms.", {"sf": "7", "payload": "20"}, 51.456),
])
def test_a_lora_time_on_air_is_known_in_the_units_and_conventions_the_user_gives(requirement, inputs, expected):
    answer = known_answer_for(requirement)
    assert dict(answer.inputs) == inputs and answer.expected == pytest.approx(expected)


@pytest.mark.parametrize("requirement", [
    "Write toa(sf, payload_len, bw) returning the LoRa time on air in seconds (float).",
    "Write toa(sf: int, payload_len: int, freq_mhz: float) -> float returning the LoRa time on air in seconds.",
    "Write toa(sf: int, payload_len: int) -> float returning the LoRa time on air.",
])
def test_no_lora_airtime_answer_without_a_unit_or_with_an_unknown_setting(requirement):
    assert known_answer_for(requirement) is None
