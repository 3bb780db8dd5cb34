import numpy as np
import pytest
from scipy.signal import butter, filtfilt, find_peaks

from jupyter_iotcoder.known_answers import CRCS, SIGNALS, KnownAnswer, check_source, crc, known_answer
from jupyter_iotcoder.requirement import find_required_signature


def _answer(requirement: str) -> KnownAnswer | None:
    return known_answer(requirement, find_required_signature(requirement))


def _signal(source: str) -> np.ndarray:
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    return eval(source, namespace)


@pytest.mark.parametrize("requirement,expected,source", [
    ("Write estimate_heart_rate(ppg, fs) that returns the heart rate in beats per minute (float).", 72.0,
     "_pulse_signal(3000, 50, 72.0, 0.0, False)"),
    ("Write hr_from_ecg(ecg, fs, min_bpm=40) returning the mean heart rate in BPM as a float.", 72.0,
     "_pulse_signal(15000, 250, 72.0, 0.0, True)"),
    ("Write respiration_rate(belt, fs) that returns the breathing rate in breaths per minute (float). Raise "
     "ValueError if the recording is shorter than 60 seconds.", 15.0, "_breath_signal(4500, 50, 15.0, 0)"),
    ("Write breathing(csi_amp, fs) where csi_amp has shape (n_samples, n_subcarriers); it returns the breathing "
     "rate in breaths per minute (float).", 15.0, "_breath_signal(3000, 50, 15.0, 12)"),
    ("Write ppg_resp(ppg, fs) that returns the respiratory rate in breaths per minute (float).", 15.0,
     "_pulse_signal(3000, 50, 72.0, 15.0, False)"),
    ("Write count_steps(acc, fs) that takes an (N, 3) array in m/s^2 and returns the number of steps as an int.",
     108.0, "_walk_signal(3000, 50, 108.0, 3, 1.0)"),
    ("Write cadence(acc, fs) where acc is an (N, 3) array; return the walking cadence in steps per minute (float).",
     108.0, "_walk_signal(3000, 50, 108.0, 3, 1.0)"),
    ("Write dominant_frequency(signal, fs) that returns the frequency in Hz (float) of the strongest spectral "
     "component.", 12.5, "_vibration_signal(2000, 200, 12.5)"),
])
def test_rates_and_counts_the_user_asks_for_get_a_signal_with_a_known_answer(requirement, expected, source):
    answer = _answer(requirement)
    assert answer.expected == expected and answer.inputs[0][1] == source
    assert answer.inputs[1][1] == ("250" if "True" in source else "200" if "vibration" in source else "50")


@pytest.mark.parametrize("requirement", [
    "Write dominant(ppg, fs) that returns the pulse frequency in Hz (float).",
    "Write hr(ppg, acc, fs) that returns the heart rate in beats per minute (float).",
    "Write hr(ppg, fs) that returns the beat times and the heart rate in beats per minute as a tuple.",
    "Write hr(ppg, fs) that returns a float array of heart rate in beats per minute, one per window.",
    "Write total(steps_per_day) that returns the number of steps as an int.",
])
def test_no_known_answer_where_the_result_or_the_inputs_are_not_one_rate_from_one_signal(requirement):
    assert _answer(requirement) is None


def _bpm_from_peaks(x: np.ndarray, fs: float, low: float, high: float, spacing_s: float) -> float:
    y = filtfilt(*butter(2, [low, high], btype="bandpass", fs=fs), x - np.mean(x))
    peaks, _ = find_peaks(y, distance=int(spacing_s * fs), prominence=0.3 * np.std(y))
    return 60.0 * fs / float(np.median(np.diff(peaks)))


def _per_minute_from_spectrum(x: np.ndarray, fs: float, low: float, high: float) -> float:
    freqs = np.fft.rfftfreq(len(x), 1 / fs)
    power = np.abs(np.fft.rfft(x - np.mean(x)))
    band = (freqs >= low) & (freqs <= high)
    return 60.0 * float(freqs[band][np.argmax(power[band])])


def test_textbook_methods_recover_the_known_answer_from_each_signal():
    assert abs(_bpm_from_peaks(_signal("_pulse_signal(3000, 50, 72.0)"), 50, 0.5, 4.0, 0.33) - 72) < 3
    assert abs(_per_minute_from_spectrum(_signal("_pulse_signal(3000, 50, 72.0)"), 50, 0.7, 3.5) - 72) < 3
    ecg = _signal("_pulse_signal(15000, 250, 72.0, 0.0, True)")
    peaks, _ = find_peaks(ecg, height=0.5 * np.max(ecg), distance=int(0.25 * 250))
    assert abs(60 * 250 / np.median(np.diff(peaks)) - 72) < 3
    assert abs(_per_minute_from_spectrum(_signal("_breath_signal(3000, 50, 15.0)"), 50, 0.1, 0.7) - 15) < 1
    csi = _signal("_breath_signal(3000, 50, 15.0, 12)")
    assert csi.shape == (3000, 12) and abs(_per_minute_from_spectrum(csi[:, 0], 50, 0.1, 0.5) - 15) < 1
    acc = _signal("_walk_signal(3000, 50, 108.0, 3)")
    steps = len(find_peaks(filtfilt(*butter(2, [0.5, 3.0], btype="bandpass", fs=50), np.linalg.norm(acc, axis=1)),
                           distance=int(0.3 * 50), prominence=0.5)[0])
    assert acc.shape == (3000, 3) and abs(steps - 108) <= 3
    assert _signal("_walk_signal(3000, 50, 108.0, 1)").shape == (3000,)
    vibration = _signal("_vibration_signal(2000, 200, 12.5)")
    assert _per_minute_from_spectrum(vibration * np.hanning(2000), 200, 0.5, 100) / 60 == pytest.approx(12.5)


def test_the_check_says_by_how_much_and_spots_a_rate_in_hz():
    answer = KnownAnswer("a pulse", (), 72.0, 6.0, "beats per minute")
    namespace = {"_np": np}
    for result, words in ((1.2, "that is the rate in Hz"), (144.0, "how the beats, breaths or steps are counted"),
                          ((70.0, 71.0), r"it returned \(70.0, 71.0\)")):
        namespace["_result"] = result
        with pytest.raises(AssertionError, match=words):
            exec(check_source(answer), namespace)
    namespace["_result"] = np.float64(74.5)
    exec(check_source(answer), namespace)
    vibration = KnownAnswer("a vibration", (), 12.5, 0.5, "Hz", "check the frequency axis")
    namespace["_result"] = 12.5 / 60
    with pytest.raises(AssertionError, match="check the frequency axis"):
        exec(check_source(vibration), namespace)


LOW_PASS = ("Write lowpass_filter(x, fs, cutoff_hz, order=4) that takes a 1-D NumPy array and returns a float NumPy "
            "array of the same length, filtered with a zero-phase Butterworth low-pass filter.")


@pytest.mark.parametrize("requirement,inputs", [
    (LOW_PASS, (("x", "_two_tones(2000, 100, 0.5, 1.0, 24.0, 0.5)"), ("fs", "100"), ("cutoff_hz", "3.0"))),
    ("Write smooth(x, fs, fc=10.0) returning the low-pass filtered signal as a NumPy array.",
     (("x", "_two_tones(4000, 200, 1.6666666666666667, 1.0, 80.0, 0.5)"), ("fs", "200"))),
    ("Write drift_free(x, fs, cutoff_hz=0.5) that returns the high-pass filtered signal as a float array.",
     (("x", "_two_tones(16000, 100, 3.0, 0.5, 0.0625, 1.0)"), ("fs", "100"))),
])
def test_a_filter_with_a_cut_off_gets_a_tone_to_pass_and_one_to_remove(requirement, inputs):
    assert _answer(requirement).inputs == inputs


@pytest.mark.parametrize("requirement", [
    "Write velocity(acc, fs, cutoff_hz) that high-pass filters and integrates acc, returning the velocity array.",
    "Write band(x, fs, low_hz, high_hz) that returns the band-pass filtered signal as an array.",
    "Write smooth(x, fs) that returns the low-pass filtered signal as an array (cut-off 5 Hz).",
    "Write lp(x, fs, cutoff_hz) that returns the low-pass filtered signal as an array; x has shape (n, 3).",
])
def test_no_filter_answer_without_one_cut_off_one_signal_and_the_filtered_signal_as_the_result(requirement):
    assert _answer(requirement) is None


def _filter_problem(requirement: str, filtered) -> str:
    answer = _answer(requirement)
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    arguments = {name: eval(source, namespace) for name, source in answer.inputs}
    namespace["_result"] = filtered(arguments["x"], arguments["fs"], arguments.get("cutoff_hz", 3.0))
    return eval(answer.check, namespace)


def test_the_filter_check_wants_the_pass_tone_kept_the_stop_tone_gone_and_no_delay_where_zero_phase_is_asked():
    from scipy.signal import lfilter

    assert _filter_problem(LOW_PASS, lambda x, fs, fc: filtfilt(*butter(4, fc, fs=fs), x)) == ""
    delayed = _filter_problem(LOW_PASS, lambda x, fs, fc: lfilter(*butter(4, fc, fs=fs), x))
    assert "delays the 0.5 Hz tone by 0.1" in delayed and "filtfilt" in delayed
    causal_allowed = LOW_PASS.replace("zero-phase ", "")
    assert _filter_problem(causal_allowed, lambda x, fs, fc: lfilter(*butter(4, fc, fs=fs), x)) == ""
    assert "the 24 Hz tone it should remove kept 100%" in _filter_problem(LOW_PASS, lambda x, fs, fc: x)
    assert "shape (1999,)" in _filter_problem(LOW_PASS, lambda x, fs, fc: x[1:])
    assert _filter_problem(LOW_PASS, lambda x, fs, fc: filtfilt(*butter(4, fc / (fs / 2)), x)) == "", \
        "a cut-off normalised by the Nyquist frequency is the same filter"
    wrong_band = _filter_problem(LOW_PASS, lambda x, fs, fc: filtfilt(*butter(4, fc / 10, fs=fs), x))
    assert "the 0.5 Hz tone it should pass came out at" in wrong_band
    high_pass = "Write drift_free(x, fs, cutoff_hz=0.5) that returns the high-pass filtered signal as a float array."
    assert _filter_problem(high_pass, lambda x, fs, fc: filtfilt(*butter(2, 0.5, "highpass", fs=fs), x)) == ""


HAMPEL = ("Write hampel_filter(x, half_window=5, n_sigmas=3.0) that returns a tuple (cleaned, is_outlier): cleaned is "
          "a float array where each outlier is replaced by the median of its window.")


def _despike_problem(requirement: str, despike) -> str:
    answer = _answer(requirement)
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    namespace["_result"] = despike(eval(answer.inputs[0][1], namespace))
    return eval(answer.check, namespace)


def _rolling_median_replacement(x: np.ndarray, half_window: int = 5, k: float = 3.0) -> np.ndarray:
    y = x.copy()
    for i in range(len(x)):
        window = x[max(0, i - half_window): i + half_window + 1]
        median = np.median(window, axis=0)
        mad = 1.4826 * np.median(np.abs(window - median), axis=0)
        y[i] = np.where(np.abs(x[i] - median) > k * mad, median, x[i])
    return y


def test_a_despiker_must_remove_isolated_spikes_and_leave_the_wave():
    assert _despike_problem(HAMPEL, lambda x: (_rolling_median_replacement(x), x != x)) == ""
    assert "spikes of 15 are still there" in _despike_problem(HAMPEL, lambda x: (x.copy(), x != x))
    shifted = _despike_problem(HAMPEL, lambda x: _rolling_median_replacement(x) + 1.0)
    assert "strays from the clean signal (RMS 1.0" in shifted
    csi = ("Write hampel_csi(csi_amp, half_window=5) where csi_amp has shape (n_packets, n_subcarriers); replace "
           "each spike by the median of its window and return a new float array.")
    assert _answer(csi).what.endswith("in each of 8 channels")
    assert _despike_problem(csi, _rolling_median_replacement) == ""
    assert "shape (1200,)" in _despike_problem(csi, lambda x: x[:, 0])


def test_a_spike_detector_that_returns_a_mask_is_not_judged_as_a_despiker():
    detector = ("Write spikes(x, half_window=5) that returns a boolean mask of the samples that differ from the "
                "median of their window by more than 3 MADs, which are replaced later.")
    assert _answer(detector) is None


def test_a_rate_or_count_with_no_type_word_is_one_number_unless_the_words_say_several():
    assert _answer("Write count_steps(acc, fs) that returns the number of steps.").expected == 108.0
    assert _answer("Write hr(ppg, fs) that returns the heart rate in BPM for each 10 s window.") is None


def test_the_signals_follow_the_users_words_on_units_layout_and_kind_of_heart_signal():
    in_g = _answer("Write count_steps(acc, fs) where acc is an (N, 3) array in g; return the number of steps.")
    assert in_g.inputs[0][1] == "_walk_signal(3000, 50, 108.0, 3, 9.81)"
    assert abs(float(np.median(np.linalg.norm(_signal(in_g.inputs[0][1]), axis=1))) - 1.0) < 0.1
    ecg = _answer("Write heart_rate(signal, fs) that finds the R-peaks of a single-lead ECG and returns the heart "
                  "rate in beats per minute (float).")
    assert ecg.inputs == (("signal", "_pulse_signal(15000, 250, 72.0, 0.0, True)"), ("fs", "250"))
    assert _answer("Write breathing(csi, fs) where csi has shape (n_subcarriers, n_samples); return the breathing "
                   "rate in breaths per minute (float).") is None, "channels by samples is not the layout built here"


def test_a_channel_count_the_user_gave_is_the_one_built():
    tri_axial = _answer("Write despike(acc, half_window=5) where acc is an (N, 3) array; replace each spike by the "
                        "median of its window and return a new float array.")
    assert tri_axial.inputs[0][1] == "_spiky(1200, 3)[0]" and _signal(tri_axial.inputs[0][1]).shape == (1200, 3)


def test_inputs_the_user_says_to_refuse_give_no_answer_and_a_refusal_of_valid_ones_is_a_bug():
    plain = "Write hr(ppg, fs) that returns the heart rate in beats per minute (float)."
    assert _answer(plain).refusal_is_a_bug
    assert _answer(plain + " Raise ValueError if ppg is empty or has fewer than 8 samples.").refusal_is_a_bug
    assert _answer(plain + " Raise ValueError if fs < 100.") is None, "the 50 Hz signal is one the user refuses"
    assert _answer(plain + " Raise ValueError if ppg has fewer than 5000 samples.") is None
    assert not _answer(plain + " Raise ValueError unless fs is one of the supported rates.").refusal_is_a_bug


def test_the_crc_engine_gives_every_catalogue_check_value_and_agrees_with_the_standard_library():
    import binascii
    import zlib

    checks = {"CRC-8/SMBUS": 0xF4, "CRC-8/NRSC-5": 0xF7, "CRC-8/MAXIM-DOW": 0xA1, "CRC-16/ARC": 0xBB3D,
              "CRC-16/MODBUS": 0x4B37, "CRC-16/IBM-3740": 0x29B1, "CRC-16/XMODEM": 0x31C3, "CRC-16/KERMIT": 0x2189,
              "CRC-16/IBM-SDLC": 0x906E, "CRC-32/ISO-HDLC": 0xCBF43926, "CRC-32/ISCSI": 0xE3069283}
    assert set(checks) == set(CRCS)
    assert {name: crc(b"123456789", name) for name in CRCS} == checks
    payload = bytes(range(0, 256, 7))
    assert crc(payload, "CRC-32/ISO-HDLC") == zlib.crc32(payload)
    assert crc(payload, "CRC-16/XMODEM") == binascii.crc_hqx(payload, 0)
    assert crc(payload, "CRC-16/IBM-3740") == binascii.crc_hqx(payload, 0xFFFF)


@pytest.mark.parametrize("requirement,data,expected", [
    ("Write crc16_modbus(frame: bytes) -> int that computes the Modbus RTU CRC-16 of a frame.", "b'123456789'",
     0x4B37),
    ("Write sht_crc(data) that returns the CRC-8 checksum (int) of the two data bytes of an SHT31 reading.",
     "b'123456789'", 0xF7),
    ("Write crc8(data: list[int]) -> int returning the CRC-8 with polynomial 0x31 and initial value 0xFF.",
     "list(b'123456789')", 0xF7),
    ("Write crc(payload: bytes) -> int returning the CRC-16/CCITT of the payload with initial value 0xFFFF.",
     "b'123456789'", 0x29B1),
    ("Write onewire_crc(rom: bytes) -> int that returns the Dallas/Maxim 1-Wire CRC of the ROM code.", "b'123456789'",
     0xA1),
    ("Write checksum(buf: bytes) -> int returning the CRC-32 (as zlib computes it) of buf.", "b'123456789'",
     0xCBF43926),
])
def test_a_crc_the_user_names_is_checked_on_the_catalogue_check_input(requirement, data, expected):
    answer = _answer(requirement)
    assert answer.inputs[0][1] == data and answer.expected == expected


@pytest.mark.parametrize("requirement", [
    "Write frame_crc(data: bytes) -> int returning the CRC-16-CCITT of the payload.",  # which initial value?
    "Write crc_ok(frame: bytes) -> bool that returns True when the Modbus CRC-16 of the frame matches its last bytes.",
    "Write add_crc(frame: bytes) that returns the frame with its Modbus CRC-16 appended (low byte first).",
    "Write register(reply: bytes) -> int that checks the Modbus CRC-16 and returns the register value.",
])
def test_no_crc_answer_when_the_crc_is_ambiguous_or_not_the_one_number_returned(requirement):
    assert _answer(requirement) is None


def _check_problem(answer: KnownAnswer, result) -> str:
    namespace = {"_np": np, "_result": result}
    exec(SIGNALS, namespace)
    return eval(answer.check, namespace)


def test_a_wrong_crc_is_shown_in_hex_beside_the_check_value():
    answer = _answer("Write crc16_modbus(frame: bytes) -> int that computes the Modbus RTU CRC-16 of a frame.")
    assert _check_problem(answer, 0x4B37) == "" and _check_problem(answer, np.uint16(0x4B37)) == ""
    wrong = _check_problem(answer, crc(b"123456789", "CRC-16/ARC"))
    assert wrong.startswith("it returned 47933 (0xBB3D), but the CRC-16/MODBUS of b'123456789' is 19255 (0x4B37)")
    assert "initial value" in wrong
    assert _check_problem(answer, b"\x37\x4b").startswith("it returned b'7K', but")
    assert _check_problem(answer, None).startswith("it returned None, but")


def _haversine_m(lat1, lon1, lat2, lon2, radius=6371000.0):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(a))


def test_a_great_circle_distance_is_known_between_two_fixes_and_along_a_track():
    pair = _answer("Write haversine(lat1, lon1, lat2, lon2) that returns the great-circle distance in metres (float) "
                   "between two GPS fixes given in degrees.")
    args = {name: float(value) for name, value in pair.inputs}
    right = _haversine_m(args["lat1"], args["lon1"], args["lat2"], args["lon2"])
    assert _check_problem(pair, right) == ""
    assert _check_problem(pair, _haversine_m(args["lat1"], args["lon1"], args["lat2"], args["lon2"], 6378137.0)) == ""
    in_radians = 2 * 6371000.0 * np.arcsin(np.sqrt(np.sin((args["lat2"] - args["lat1"]) / 2) ** 2 + np.cos(
        args["lat1"]) * np.cos(args["lat2"]) * np.sin((args["lon2"] - args["lon1"]) / 2) ** 2))
    assert "convert degrees to radians" in _check_problem(pair, in_radians)
    km = _answer("Write dist_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float returning the haversine "
                 "distance in km.")
    assert km.expected == pytest.approx(right / 1000)
    assert "935.2496067890928, but its great-circle length is 0.9352 km" in _check_problem(km, right)

    track = _answer("Write track_length(lats, lons) that takes NumPy arrays of GPS latitudes and longitudes in degrees "
                    "and returns the total distance of the track in metres (float).")
    namespace = {"_np": np}
    lats, lons = (eval(source, namespace) for _, source in track.inputs)
    assert _check_problem(track, float(np.sum(_haversine_m(lats[:-1], lons[:-1], lats[1:], lons[1:])))) == ""
    assert _check_problem(track, float(_haversine_m(lats[0], lons[0], lats[-1], lons[-1]))) != "", "end to end"


@pytest.mark.parametrize("requirement", [
    "Write haversine(lat1, lon1, lat2, lon2) that returns the great-circle distance (float) between two fixes.",
    "Write leg(lat1, lon1, lat2, lon2) that returns the distance in metres and the bearing in degrees as a tuple.",
    "Write nearest(lat, lon, stations) that returns the distance in metres to the nearest station (float).",
])
def test_no_distance_answer_without_a_unit_one_number_or_only_coordinates_as_inputs(requirement):
    assert _answer(requirement) is None


def test_an_rssi_path_loss_distance_and_a_dew_point_are_known():
    rssi = _answer("Write rssi_to_distance(rssi: float, tx_power: float = -59.0, n: float = 2.0) -> float that returns "
                   "the distance in metres from the log-distance path-loss model.")
    assert dict(rssi.inputs) == {"rssi": "-79.0", "tx_power": "-59.0", "n": "2.0"}
    assert _check_problem(rssi, 10 ** ((-59.0 - -79.0) / (10 * 2.0))) == ""
    assert "sign of (P0 - rssi)" in _check_problem(rssi, 10 ** ((-79.0 - -59.0) / (10 * 2.0)))
    assert _answer("Write rssi_to_distance(rssi, tx_power) that returns the distance in metres from the "
                   "log-distance path-loss model with exponent 2.") is None, "the exponent is no parameter"

    percent = _answer("Write dew_point(temp_c: float, rh: float) -> float that returns the dew point in Celsius from "
                      "the temperature in °C and relative humidity in %.")
    assert dict(percent.inputs) == {"temp_c": "25.0", "rh": "60.0"}
    magnus = 237.7 * (np.log(0.6) + 17.27 * 25 / 262.7) / (17.27 - (np.log(0.6) + 17.27 * 25 / 262.7))
    assert _check_problem(percent, magnus) == "" and _check_problem(percent, 25 - (100 - 60) / 5) == ""
    assert _check_problem(percent, magnus + 273.15) != ""
    fraction = _answer("Write dew_point(t, rh) returning the dew point (float, °C); rh is a fraction 0-1.")
    assert dict(fraction.inputs) == {"t": "25.0", "rh": "0.6"}
    assert _answer("Write dew_point(t, rh) returning the dew point in °F (float).") is None


def test_a_track_length_needs_arrays_of_fixes_and_a_total_as_the_result():
    assert _answer("Write home_distance(lat, lon) for a trip logger that returns the distance in metres (float) from "
                   "the fix to the GPS home point at latitude 47.0, longitude 8.0.") is None
    assert _answer("Write trip_m(lat: np.ndarray, lon: np.ndarray) -> float returning the total GPS distance of the "
                   "trip in metres.").expected == pytest.approx(2932.64, abs=0.01)


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
    answer = _answer(requirement)
    assert dict(answer.inputs) == inputs
    hypsometric = 287.05 * 288.15 / 9.80665 * np.log(1013.25 / 900.0)
    assert _check_problem(answer, 44330 * (1 - (900 / 1013.25) ** (1 / 5.255))) == ""
    assert _check_problem(answer, hypsometric) == "", "the hypsometric formula at 15 C is within the tolerance"
    assert "check the pressure's unit" in _check_problem(answer, 44330 * (1 - (900 / 101325) ** (1 / 5.255)))


@pytest.mark.parametrize("requirement", [
    "Write altitude(pressure) returning the height in m above sea level (float) from a barometric pressure.",
    "Write altitude(pressure_hpa) that returns the altitude in metres (float) for a local sea-level pressure of "
    "1021.5 hPa.",
])
def test_no_altitude_answer_without_the_pressure_unit_or_with_another_sea_level_pressure(requirement):
    assert _answer(requirement) is None


def test_an_ntc_thermistor_at_the_resistance_of_50_c_reads_50_c():
    answer = _answer("Write ntc_temperature(resistance_ohm, r0=10000.0, t0_c=25.0, beta=3950.0) -> float returning "
                     "the temperature in °C of an NTC thermistor using the Beta equation.")
    values = {name: float(value) for name, value in answer.inputs}
    r, r0, t0, beta = values["resistance_ohm"], values["r0"], values["t0_c"], values["beta"]
    beta_equation = 1 / (1 / (t0 + 273.15) + np.log(r / r0) / beta) - 273.15
    assert _check_problem(answer, beta_equation) == ""
    assert "work in kelvin" in _check_problem(answer, 1 / (1 / t0 + np.log(r / r0) / beta))
    kelvin = _answer("Write ntc(r_ntc, r0=10000.0, t0_k=298.15, beta=3950.0) -> float returning the NTC temperature in "
                     "degrees Celsius.")
    assert dict(kelvin.inputs)["t0_k"] == "298.15"
    assert _answer("Write ntc_c(adc, r_fixed=10000.0, beta=3950.0) that returns the NTC temperature in degrees Celsius "
                   "(float).") is None, "ADC counts through a divider are not the resistance"


def test_an_ultrasonic_echo_is_known_in_the_time_and_distance_units_the_user_names():
    corrected = _answer("Write echo_to_cm(echo_us: float, temp_c: float = 20.0) -> float that converts an HC-SR04 echo "
                        "pulse width in microseconds to the distance in cm, correcting the speed of sound for the air "
                        "temperature.")
    echo_us = float(dict(corrected.inputs)["echo_us"])
    assert dict(corrected.inputs)["temp_c"] == "20.0" and corrected.expected == 100.0
    assert _check_problem(corrected, echo_us * 1e-6 * (331.3 + 0.606 * 20.0) / 2 * 100) == ""
    assert _check_problem(corrected, echo_us / 58.0) == "", "the datasheet's 58 us per cm is close enough"
    assert "halve the round trip" in _check_problem(corrected, echo_us * 1e-6 * 343.0 * 100)
    seconds = _answer("Write ultrasonic_distance(duration) that returns the distance to the obstacle in metres "
                      "(float); duration is the echo round-trip time in seconds.")
    assert seconds.expected == 1.0 and float(seconds.inputs[0][1]) == pytest.approx(0.005824, abs=1e-6)
    stated = _answer("Write sonar_m(echo_s) that returns the distance in metres (float), taking sound at 340 m/s.")
    assert float(stated.inputs[0][1]) == pytest.approx(2 / 340)
    assert _answer("Write ultrasonic_distance(duration) that returns the distance to the obstacle in metres "
                   "(float).") is None, "no unit for the echo time"
    assert _answer("Write sonar_m(echo_s) that returns the distance in metres (float) in air at 35 °C.") is None


def test_free_space_path_loss_is_known_in_the_units_of_the_parameters():
    answer = _answer("Write fspl_db(distance_km: float, freq_mhz: float) -> float returning the free-space path loss "
                     "in dB.")
    assert dict(answer.inputs) == {"distance_km": "1.0", "freq_mhz": "2400.0"}
    assert _check_problem(answer, 20 * np.log10(1.0) + 20 * np.log10(2400.0) + 32.44) == ""
    assert _check_problem(answer, 20 * np.log10(1.0) + 20 * np.log10(2400.0) - 147.55) != ""
    worded = _answer("Write fspl(d, f) that returns the free-space path loss in dB (float), where d is the distance "
                     "in metres and f the frequency in Hz.")
    assert dict(worded.inputs) == {"d": "1000.0", "f": "2400000000.0"}
    assert _answer("Write link_margin(d_m, f_hz, tx_dbm, sens_dbm) -> float returning the margin in dB after "
                   "free-space path loss.") is None


def _least_squares_position(anchors: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    a, r = np.asarray(anchors, float), np.asarray(ranges, float)
    b = r[0] ** 2 - r[1:] ** 2 + np.sum(a[1:] ** 2, axis=1) - np.sum(a[0] ** 2)
    return np.linalg.lstsq(2 * (a[1:] - a[0]), b, rcond=None)[0]


@pytest.mark.parametrize("requirement,dimensions", [
    ("Write trilaterate(anchors, distances) that takes the anchor coordinates as an (N, D) NumPy array in metres "
     "(D = 2 or 3) and the N measured ranges, and returns the least-squares tag position as a 1-D array of length D.",
     2),
    ("Write locate(beacons: np.ndarray, ranges: np.ndarray) -> np.ndarray that returns the estimated (x, y, z) "
     "position of the tag by trilateration; beacons is (N, 3).", 3),
    ("Write locate(anchors, d) that returns the position of the tag as a tuple (x, y) from the BLE anchors.", 2),
])
def test_trilateration_from_exact_ranges_must_find_the_tag(requirement, dimensions):
    answer = _answer(requirement)
    namespace = {"_np": np}
    anchors, ranges = (eval(source, namespace) for _, source in answer.inputs)
    assert anchors.shape[1] == dimensions and len(ranges) == len(anchors)
    right = _least_squares_position(anchors, ranges)
    assert _check_problem(answer, right) == "" and _check_problem(answer, tuple(right)) == ""
    assert "least squares" in _check_problem(answer, anchors.mean(axis=0))
    assert "not a position of" in _check_problem(answer, {"x": right[0]})


def test_no_position_answer_without_anchors_and_ranges_alone_or_a_known_dimension():
    assert _answer("Write locate(anchors, distances, weights) that returns the tag position as an array from the "
                   "anchors; anchors is (N, 2).") is None
    assert _answer("Write locate(anchors, distances) that returns the tag position as an array from the "
                   "anchors.") is None, "2-D or 3-D: the words do not say"


def test_a_number_in_a_returned_dict_is_checked_under_its_key():
    answer = _answer("Write hr_summary(ppg, fs) that returns a dict with 'beats' (a list of beat indices) and "
                     "'bpm' (float, the mean heart rate in beats per minute).")
    assert answer.key == "bpm" and answer.expected == 72.0 and answer.what.endswith("its 'bpm'")
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    for result, problem in (({"beats": [1], "bpm": 71.0}, None), ({"beats": [1], "bpm": 1.2}, "rate in Hz"),
                            ({"beats": [1]}, "not a dict with the keys bpm"), (72.0, "not a dict with the keys bpm")):
        namespace["_result"] = result
        if problem is None:
            exec(check_source(answer), namespace)
            assert namespace["_result"] is result, "the result is whole again for the lines after the check"
        else:
            with pytest.raises(AssertionError, match=problem):
                exec(check_source(answer), namespace)
    track = _answer("Write track(lat, lon) that takes NumPy arrays of GPS fixes in degrees and returns a dict with "
                    "'legs_m' (NumPy array of the segment lengths in metres) and 'total_m' (float, the total distance "
                    "of the track in metres).")
    assert track.key == "total_m" and track.expected == pytest.approx(2932.64, abs=0.01)
    assert _answer("Write stats(ppg, fs) that returns a dict with 'bpm' (a NumPy array of the heart rate in beats per "
                   "minute, one per window).") is None


@pytest.mark.parametrize("requirement,expected", [
    ("Write crc(data: bytes) -> int returning the CRC-16/X-25 of the frame.", 0x906E),
    ("Write crc(data: bytes) -> int returning the CRC-16/CCITT of the frame, initialised to 0.", 0x31C3),
    ("Write crc(data: bytes) -> int returning the CRC-16/MODBUS (polynomial 0xA001 reflected, initial value 0xFFFF) "
     "of the frame.", 0x4B37),
    ("Write crc32(data: bytes) -> int returning the CRC-32/MPEG-2 of data as the STM32 CRC unit computes it.", None),
    ("Write sht_crc(data: bytes) -> int returning the Sensirion CRC-8 (polynomial 0x31) with initial value 0x00.",
     None),
    ("Write lrc(frame: bytes) -> int that returns the Modbus ASCII LRC checksum of the frame.", None),
    ("Write rssi_to_distance(rssi: float, tx_power: float = -59.0, n: float = 2.0) -> float that returns the distance "
     "in metres from the RSSI using the iBeacon accuracy formula.", None),
    ("Write locate(anchors, d) that returns the position of the tag as a tuple (x, y) from anchors given as (lat, lon) "
     "in degrees.", None),
])
def test_the_words_that_name_a_variant_or_contradict_the_catalogue_decide_the_answer(requirement, expected):
    answer = _answer(requirement)
    assert (answer.expected if answer else None) == expected


def _flags(answer: KnownAnswer, detect) -> str:
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    values = dict(answer.inputs)
    x = eval(values.pop(answer.inputs[0][0]), namespace)
    namespace["_result"] = detect(x, *(float(v) for v in values.values()))
    return eval(answer.check, namespace)


def test_a_point_wise_outlier_rule_must_flag_exactly_the_glitches():
    zscore = _answer("Write zscore_outliers(x: np.ndarray, threshold: float = 3.0) -> np.ndarray that returns the "
                     "indices of readings whose z-score exceeds the threshold in absolute value.")
    assert _flags(zscore, lambda x: np.flatnonzero(np.abs(x - x.mean()) / x.std() > 3.0)) == ""
    one_tailed = _flags(zscore, lambda x: np.flatnonzero((x - x.mean()) / x.std() > 3.0))
    assert "missed 2 [402, 731]" in one_tailed and "both tails" in one_tailed
    iqr = _answer("Write iqr_outliers(values, k) returning a boolean mask that is True below Q1 - k*IQR or above "
                  "Q3 + k*IQR.")
    assert dict(iqr.inputs)["k"] == "1.5"

    def fences(x, k):
        q1, q3 = np.percentile(x, [25, 75])
        return (x < q1 - k * (q3 - q1)) | (x > q3 + k * (q3 - q1))
    assert _flags(iqr, fences) == ""
    assert "flagged 1" in _flags(iqr, lambda x, k: fences(x, k) | (np.arange(len(x)) == 3))
    assert "not a boolean mask" in _flags(iqr, lambda x, k: x[fences(x, k)])
    mad = _answer("Write mad_flags(x) that returns a boolean mask of readings whose modified z-score from the median "
                  "absolute deviation exceeds 3.5.")
    robust = lambda x: 0.6745 * np.abs(x - np.median(x)) / np.median(np.abs(x - np.median(x))) > 3.5  # noqa: E731
    assert _flags(mad, robust) == ""


def _gesd(x, max_outliers, alpha=0.05):
    """Rosner's generalized ESD test, as NIST's handbook states it."""
    from scipy import stats

    kept, removed, significant = list(range(len(x))), [], 0
    for i in range(1, int(max_outliers) + 1):
        values = x[kept]
        deviations = np.abs(values - values.mean()) / values.std(ddof=1)
        removed.append(kept.pop(int(np.argmax(deviations))))
        n = len(x)
        t = stats.t.ppf(1 - alpha / (2 * (n - i + 1)), n - i - 1)
        if deviations.max() > (n - i) * t / np.sqrt((n - i - 1 + t ** 2) * (n - i + 1)):
            significant = i
    return np.array(sorted(removed[:significant]), dtype=int)


def test_a_generalized_esd_or_grubbs_test_must_flag_exactly_the_glitches():
    gesd = _answer("Write generalized_esd(x, max_outliers, alpha=0.05) implementing Rosner's generalized ESD test on "
                   "hourly readings; return the indices of the outliers as a sorted integer array.")
    assert dict(gesd.inputs)["max_outliers"] == "10"
    assert _flags(gesd, _gesd) == ""
    assert "missed 5" in _flags(gesd, lambda x, r: np.array([], dtype=int)), "nothing found"
    first_only = _flags(gesd, lambda x, r: _gesd(x, r)[:1])
    assert "missed 4" in first_only
    grubbs = _answer("Write grubbs_outliers(readings, alpha) that applies Grubbs' test repeatedly and returns a boolean "
                     "mask of the outliers.")
    assert dict(grubbs.inputs)["alpha"] == "0.05"
    assert _flags(grubbs, lambda x, alpha: np.isin(np.arange(len(x)), _gesd(x, 10, alpha))) == ""
    windowed = "Write gesd_windows(x, max_outliers) that runs a generalized ESD test in each 24-sample window and " \
               "returns the outlier indices."
    assert _answer(windowed) is None


@pytest.mark.parametrize("requirement", [
    "Write rolling_z(x, window: int, threshold: float = 3.0) -> np.ndarray returning the indices whose z-score against "
    "the previous window exceeds the threshold.",
    "Write outliers(x) that returns the values whose z-score exceeds 3 as an array.",
    "Write score(x) that returns the z-score of every reading as a float array.",
])
def test_no_outlier_answer_for_rules_over_windows_or_results_other_than_flags(requirement):
    assert _answer(requirement) is None


def test_heart_rate_variability_from_rr_intervals_is_known_in_the_users_units():
    rmssd = _answer("Write rmssd(rr_ms) that returns the RMSSD in ms (float) of a series of RR intervals.")
    rr = eval(rmssd.inputs[0][1], {"_np": np})
    assert _check_problem(rmssd, float(np.sqrt(np.mean(np.diff(rr) ** 2)))) == ""
    assert "RMSSD = sqrt(mean(diff(rr) ** 2))" in _check_problem(rmssd, float(np.std(np.diff(rr))) * 2)
    sdnn = _answer("Write sdnn(rr) returning the SDNN (float) of RR intervals in milliseconds.")
    assert _check_problem(sdnn, float(np.std(rr))) == "" and _check_problem(sdnn, float(np.std(rr, ddof=1))) == ""
    fraction = _answer("Write pnn50(rr_s) that returns pNN50 as a fraction (float) of RR intervals given in seconds.")
    in_seconds = eval(fraction.inputs[0][1], {"_np": np})
    assert np.allclose(in_seconds, rr / 1000)
    share = float(np.mean(np.abs(np.diff(in_seconds)) > 0.05))
    assert _check_problem(fraction, share) == "" and _check_problem(fraction, 100 * share) != ""
    hr = _answer("Write hrv(rr_ms) returning a dict with 'mean_hr' (bpm, 60000 / mean RR) and 'rmssd' (ms).")
    assert hr.key == "mean_hr" and _check_problem(hr, 60000 / float(np.mean(rr))) == ""
    assert _answer("Write sdnn(intervals) returning the standard deviation (float).") is None, "ms or s?"


def test_every_number_of_a_returned_dict_with_an_answer_on_the_same_inputs_is_checked():
    answer = _answer("Write hrv(rr_ms) that returns a dict with 'mean_hr' (bpm, 60000 / mean RR), 'sdnn' (ms, "
                     "sample standard deviation), 'rmssd' (ms, root mean square of successive differences) and "
                     "'pnn50' (percent of successive differences above 50 ms).")
    assert answer.key == "mean_hr" and [key for key, _ in answer.more_keys] == ["sdnn", "rmssd", "pnn50"]
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    rr = eval(answer.inputs[0][1], namespace)
    right = {"mean_hr": 60000 / rr.mean(), "sdnn": rr.std(ddof=1), "rmssd": np.sqrt(np.mean(np.diff(rr) ** 2)),
             "pnn50": 100 * np.mean(np.abs(np.diff(rr)) > 50)}
    namespace["_result"] = right
    exec(check_source(answer), namespace)
    assert namespace["_result"] is right
    namespace["_result"] = {**right, "pnn50": right["pnn50"] / 100}
    with pytest.raises(AssertionError, match=r"pnn50: it returned 0\.137.*the pNN50 of these intervals is 13\.71"):
        exec(check_source(answer), namespace)
    namespace["_result"] = {"mean_hr": 75.0}
    with pytest.raises(AssertionError, match="not a dict with the keys mean_hr, sdnn, rmssd, pnn50"):
        exec(check_source(answer), namespace)


MQTT = ("Write matches(topic_filter: str, topic: str) -> bool that says whether an MQTT subscription filter with "
        "the '+' and '#' wildcards matches a topic.")


def _mqtt_reference(topic_filter: str, topic: str) -> bool:
    wanted, levels = topic_filter.split("/"), topic.split("/")
    for i, level in enumerate(wanted):
        if level == "#":
            return True
        if i >= len(levels) or level not in ("+", levels[i]):
            return False
    return len(wanted) == len(levels)


def test_an_mqtt_topic_matcher_must_get_the_specifications_examples_right():
    from jupyter_iotcoder.known_answers import MQTT_CASES

    answer = _answer(MQTT)
    assert dict(answer.inputs) == {"topic_filter": repr(MQTT_CASES[0][0]), "topic": repr(MQTT_CASES[0][1])}
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    check = namespace["_topic_matches_wrongly"]
    assert check(_mqtt_reference, MQTT_CASES, True) == ""
    prefix = lambda topic_filter, topic: topic.startswith(topic_filter.split("+")[0].rstrip("/"))  # noqa: E731
    assert "'sport/tennis/+' does not match 'sport/tennis/player1/ranking'" in check(prefix, MQTT_CASES, True)
    swapped = _answer(MQTT.replace("matches(topic_filter: str, topic: str)", "matches(topic, pattern)"))
    assert [name for name, _ in swapped.inputs] == ["topic", "pattern"] and swapped.check.endswith("False)")
    assert check(lambda topic, pattern: _mqtt_reference(pattern, topic), MQTT_CASES, False) == ""


COBS = ("Write cobs_encode(data: bytes) -> bytes for our UART link: COBS (Consistent Overhead Byte Stuffing), so "
        "that 0x00 can delimit packets.")


def _cobs_decode(encoded: bytes) -> bytes:
    out, at = bytearray(), 0
    encoded = encoded.rstrip(b"\x00")
    while at < len(encoded):
        code = encoded[at]
        out += encoded[at + 1: at + code]
        at += code
        if code < 0xFF and at < len(encoded):
            out.append(0)
    return bytes(out)


def test_cobs_cases_are_the_published_examples_and_round_trip():
    from jupyter_iotcoder.known_answers import COBS_CASES

    published = {b"\x00": b"\x01\x01", b"\x00\x00": b"\x01\x01\x01", b"\x11\x22\x00\x33": b"\x03\x11\x22\x02\x33",
                 b"\x11\x22\x33\x44": b"\x05\x11\x22\x33\x44", b"\x11\x00\x00\x00": b"\x02\x11\x01\x01\x01"}
    cases = dict(COBS_CASES)
    assert all(cases[raw] == encoded for raw, encoded in published.items())
    assert all(_cobs_decode(encoded) == raw and 0 not in encoded for raw, encoded in COBS_CASES)


def test_a_cobs_encoder_or_decoder_must_give_the_known_encodings_with_or_without_the_delimiter():
    from jupyter_iotcoder.known_answers import COBS_CASES, cobs_encode

    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    check = namespace["_stuffed_wrongly"]
    answer = _answer(COBS)
    assert answer.check.startswith("_stuffed_wrongly(cobs_encode,") and answer.check.endswith("False)")
    assert check(cobs_encode, COBS_CASES, False) == ""
    assert check(lambda data: cobs_encode(data) + b"\x00", COBS_CASES, False) == "", "the delimiter is the user's call"
    no_blocks = lambda data: bytes(b if b else 1 for b in data)  # noqa: E731 - zeros replaced: no COBS
    assert "but COBS encodes it to b'\\x01\\x01'" in check(no_blocks, COBS_CASES, False)
    decoder = _answer(COBS.replace("cobs_encode(data: bytes)", "cobs_decode(frame: bytes)"))
    assert decoder.check.endswith("True)") and check(_cobs_decode, COBS_CASES, True) == ""
    assert "COBS" not in _answer(COBS.replace("COBS (Consistent Overhead Byte Stuffing)", "SLIP")).what


SLIP = ("A weather-station gateway frames packets with SLIP (RFC 1055). Write slip_decode(stream: bytes) -> "
        "list[bytes] that returns the decoded frames in order.")
END, ESC = 0xC0, 0xDB


def _slip_frames(stream: bytes) -> list[bytes]:
    """RFC 1055's recv_packet, frame after frame: empty frames are skipped, an unfinished one is dropped."""
    frames, frame, escaped = [], bytearray(), False
    for byte in stream:
        if escaped:
            frame.append({0xDC: END, 0xDD: ESC}[byte])
            escaped = False
        elif byte == ESC:
            escaped = True
        elif byte == END:
            if frame:
                frames.append(bytes(frame))
            frame = bytearray()
        else:
            frame.append(byte)
    return frames


def _slip_send(frame: bytes) -> bytes:
    """RFC 1055's send_packet: END, the escaped bytes, END."""
    return bytes([END]) + b"".join({END: b"\xdb\xdc", ESC: b"\xdb\xdd"}.get(byte, bytes([byte])) for byte in frame) \
        + bytes([END])


def test_slip_cases_round_trip_through_rfc_1055s_own_routines():
    from jupyter_iotcoder.known_answers import SLIP_CASES

    assert dict(SLIP_CASES)[b"\x01\xc0\x02"] == b"\x01\xdb\xdc\x02"
    assert all(_slip_send(raw) == bytes([END]) + escaped + bytes([END]) for raw, escaped in SLIP_CASES)
    assert _slip_frames(b"".join(_slip_send(raw) for raw, _ in SLIP_CASES)) == [raw for raw, _ in SLIP_CASES]


def test_a_slip_encoder_or_decoder_must_give_the_known_escapes():
    from jupyter_iotcoder.known_answers import SLIP_CASES

    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    check = namespace["_slipped_wrongly"]
    stream = _answer(SLIP)
    assert stream.check.startswith("_slipped_wrongly(slip_decode,") and stream.check.endswith("'stream')")
    assert stream.refusal_is_a_bug, "the frames are valid: refusing them is wrong"
    assert _slip_frames(eval(dict(stream.inputs)["stream"])) == [raw for raw, _ in SLIP_CASES]
    assert check(_slip_frames, SLIP_CASES, "stream") == ""
    keeps_empty = lambda data: data.split(b"\xc0")[:-1]  # noqa: E731 - no unescaping at all
    assert "but SLIP decodes it to" in check(keeps_empty, SLIP_CASES, "stream")
    swapped = lambda data: _slip_frames(data.replace(b"\xdb\xdc", b"\xdb\xdd"))  # noqa: E731
    assert "0xDB 0xDC" in check(swapped, SLIP_CASES, "stream")

    encoder = _answer(SLIP.replace("slip_decode(stream: bytes) -> list[bytes]", "slip_encode(frame: bytes) -> bytes"))
    assert encoder.check.endswith("'encode')")
    assert check(_slip_send, SLIP_CASES, "encode") == ""
    assert check(lambda frame: _slip_send(frame)[1:], SLIP_CASES, "encode") == "", "a leading END is the user's call"
    end_first = lambda frame: frame.replace(b"\xc0", b"\xdb\xdc").replace(b"\xdb", b"\xdb\xdd") + b"\xc0"  # noqa: E731
    assert "<lambda>(b'\\x01\\xc0\\x02') returned b'\\x01\\xdb\\xdd\\xdc\\x02\\xc0'" in check(
        end_first, SLIP_CASES, "encode")

    decoder = _answer(SLIP.replace("slip_decode(stream: bytes) -> list[bytes]", "slip_decode(packet: bytes) -> bytes"))
    assert decoder.check.endswith("'decode')")
    assert check(lambda packet: _slip_frames(packet)[0], SLIP_CASES, "decode") == ""


@pytest.mark.parametrize("requirement", [
    SLIP.replace("SLIP (RFC 1055)", "COBS"),
    SLIP.replace("slip_decode(stream: bytes)", "slip_decode(stream: bytes, strict: bool)"),
    SLIP.replace("slip_decode(stream: bytes)", "handle(stream: bytes)"),
    SLIP.replace("slip_decode(stream: bytes) -> list[bytes]", "slip_encode(frame: bytes) -> list[bytes]"),
    SLIP.replace("-> list[bytes] that returns the decoded frames in order", "that returns the number of frames (int)"),
])
def test_no_slip_answer_without_slip_one_bytes_input_and_a_coder_by_its_name(requirement):
    answer = _answer(requirement)
    assert answer is None or "SLIP" not in answer.what


RTO = ("Our CoAP client adapts its retransmission timeout the way TCP does (RFC 6298). Write rto_estimates("
       "rtt_samples, clock_g=0.0, min_rto=1.0, max_rto=60.0) -> list[float] where rtt_samples are RTTs in seconds; "
       "return the RTO after each sample.")


def _rto_by_hand(samples, granularity=0.0):
    """RFC 6298 section 2 written out again, with its constants."""
    srtt = rttvar = None
    timeouts = []
    for rtt in samples:
        if srtt is None:
            srtt, rttvar = rtt, rtt / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - rtt)
            srtt = 0.875 * srtt + 0.125 * rtt
        timeouts.append(min(max(srtt + max(granularity, 4 * rttvar), 1.0), 60.0))
    return timeouts


def test_rfc6298_rto_after_each_sample_or_the_last_must_follow_the_rfc():
    from jupyter_iotcoder.known_answers import RTT_SAMPLES

    answer = _answer(RTO)
    samples = eval(dict(answer.inputs)["rtt_samples"])
    assert samples == list(RTT_SAMPLES) and _rto_by_hand(samples)[:2] == [6.0, 5.875]
    assert _check_problem(answer, _rto_by_hand(samples)) == ""
    assert _check_problem(answer, np.array(_rto_by_hand(samples))) == ""
    srtt_updated_first = [3.625, 3.1094, 4.7363, 5.1873, 4.8667, 4.2217]  # a generated cell's answer
    assert "but RFC 6298 gives [6.0, 5.875," in _check_problem(answer, srtt_updated_first)
    assert "not the retransmission timeout" in _check_problem(answer, None)
    last = _answer(RTO.replace("-> list[float]", "-> float").replace("after each sample", "after the last sample"))
    assert _check_problem(last, _rto_by_hand(samples)[-1]) == ""
    assert _check_problem(last, _rto_by_hand(samples)) != "", "the list where one number was asked for"
    in_ms = _answer(RTO.replace("RTTs in seconds", "RTTs in milliseconds").replace("min_rto=1.0, max_rto=60.0",
                                                                                    "min_rto=1000, max_rto=60000"))
    samples_ms = eval(dict(in_ms.inputs)["rtt_samples"])
    assert samples_ms[0] == 2000.0 and _check_problem(in_ms, [1000 * rto for rto in _rto_by_hand(samples)]) == ""
    coarse = _answer(RTO.replace("clock_g=0.0", "clock_g=5.0"))
    assert _check_problem(coarse, _rto_by_hand(samples, 5.0)) == ""


@pytest.mark.parametrize("requirement", [
    RTO.replace(" (RFC 6298)", ""),
    RTO.replace("clock_g=0.0", "link_type='nb-iot'"),
    RTO.replace("rto_estimates(rtt_samples,", "rto_estimates(rtt_samples, losses,"),
    RTO.replace(" -> list[float]", ""),
])
def test_no_rto_answer_without_rfc_6298_one_list_of_samples_and_known_settings(requirement):
    answer = _answer(requirement)
    assert answer is None or "RTT" not in answer.what


BATTERY = ("One duty cycle of our LoRa node is a list of phases (current in mA, duration in s). Write "
           "battery_life_days(capacity_mah: float, phases: list[tuple[float, float]], derating: float = 0.8) -> float "
           "that returns the expected battery lifetime in days.")


def _battery_days(capacity_mah, phases, derating=0.8):
    mean_ma = sum(current * seconds for current, seconds in phases) / sum(seconds for _, seconds in phases)
    return capacity_mah * derating / mean_ma / 24


def test_a_battery_lifetime_is_usable_charge_over_the_time_weighted_mean_current():
    answer = _answer(BATTERY)
    values = {name: eval(source) for name, source in answer.inputs}
    assert values == {"capacity_mah": 1000.0, "phases": [(0.01, 90.0), (20.0, 10.0)]}
    assert answer.expected == pytest.approx(_battery_days(**values)) == pytest.approx(16.592, abs=1e-3)
    assert _check_problem(answer, _battery_days(**values)) == ""
    plain_mean = _battery_days(1000.0, [(0.01, 1.0), (20.0, 1.0)])  # phases averaged without their durations
    assert "lasts 16.592 days" in _check_problem(answer, plain_mean)
    assert "lasts" in _check_problem(answer, 24 * _battery_days(**values)), "hours where days were asked for"

    swapped = _answer(BATTERY.replace("(current in mA, duration in s)", "(duration in s, current in µA)"))
    assert eval(dict(swapped.inputs)["phases"]) == [(90.0, 10.0), (10.0, 20000.0)]
    assert swapped.expected == pytest.approx(answer.expected)
    hours = _answer("Write battery_hours(capacity_ah, mean_current_ma) -> float returning the battery life in hours; "
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
    answer = _answer(requirement)
    assert answer is None or "battery" not in answer.what


FMCW = ("An FMCW radar sweeps bandwidth Hz over chirp_time seconds. Write fmcw_range(beat, fs, bandwidth, chirp_time) "
        "that returns the target range in metres (float) from the strongest beat frequency.")


def _fmcw_range(beat, fs, slope, c=3e8, halve=True):
    """Hann window, FFT, the strongest bin away from DC, R = c f_b / (2 slope)."""
    spectrum = np.abs(np.fft.fft((beat - np.mean(beat)) * np.hanning(len(beat))))
    bins = np.fft.fftfreq(len(beat), 1 / fs)
    spectrum[bins <= 0] = 0
    return c * bins[np.argmax(spectrum)] / (2 * slope if halve else slope)


def test_an_fmcw_range_comes_from_the_strongest_beat_and_the_chirp_slope():
    answer = _answer(FMCW)
    values = dict(answer.inputs)
    assert values["fs"] == "10000000.0" and values["bandwidth"] == "4000000000.0" and values["chirp_time"] == "4e-05"
    beat = _signal(values["beat"])
    assert not np.iscomplexobj(beat)
    slope = float(values["bandwidth"]) / float(values["chirp_time"])
    assert _check_problem(answer, _fmcw_range(beat, 1e7, slope)) == ""
    assert _check_problem(answer, _fmcw_range(beat, 1e7, slope, c=299792458.0)) == ""
    assert "is a target 3 m away" in _check_problem(answer, _fmcw_range(beat, 1e7, slope, halve=False))
    dc = np.abs(np.fft.rfft(beat)).argmax() * 0.0  # the DC bin left in: range 0
    assert _check_problem(answer, dc) != ""

    by_slope = _answer(FMCW.replace("bandwidth, chirp_time)", "slope_mhz_per_us)").replace(" in metres", " in cm")
                       .replace("FMCW radar sweeps", "FMCW radar (I/Q, complex samples) sweeps"))
    values = dict(by_slope.inputs)
    assert values["slope_mhz_per_us"] == "100.0" and by_slope.expected == 300.0
    assert np.iscomplexobj(_signal(values["beat"]))
    assert _check_problem(by_slope, 100 * _fmcw_range(_signal(values["beat"]), 1e7, 1e14)) == ""
    in_ghz = _answer(FMCW.replace("sweeps bandwidth Hz", "sweeps bandwidth GHz"))
    assert dict(in_ghz.inputs)["bandwidth"] == "4.0"


@pytest.mark.parametrize("requirement", [
    FMCW.replace("An FMCW radar sweeps", "A radar sweeps"),
    FMCW.replace("chirp_time)", "chirp_time, n_targets)"),
    FMCW.replace("bandwidth Hz", "bandwidth Hz (or GHz)"),
    FMCW.replace("fs, bandwidth, chirp_time)", "fs, bandwidth)"),
    FMCW.replace("target range in metres", "beat frequency in Hz"),
])
def test_no_fmcw_answer_without_fmcw_a_slope_known_units_and_a_range(requirement):
    answer = _answer(requirement)
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
    answer = _answer(RANGE_DOPPLER)
    assert [name for name, _ in answer.inputs] == ["frame", "fs", "slope", "chirp_period", "wavelength"]
    settings = [float(source) for _, source in answer.inputs[1:]]
    frame = _signal(answer.inputs[0][1])
    assert frame.shape == (64, 256)
    right = _range_doppler(frame, *settings)
    assert right[0] == pytest.approx(11.71875) and right[1] == pytest.approx(-1.3671875)
    assert _check_problem(answer, right) == ""
    assert _check_problem(answer, (right[0], -right[1])) == "", "the velocity's sign is the user's convention"
    unshifted = _range_doppler(frame, *settings, shift=False)
    assert "at a radial speed of 1.367 m/s" in _check_problem(answer, unshifted)
    assert "not a (range, velocity) pair" in _check_problem(answer, 11.7)
    carrier = _answer(RANGE_DOPPLER.replace("wavelength)", "carrier_ghz)"))
    assert dict(carrier.inputs)["carrier_ghz"] == "60.0"


@pytest.mark.parametrize("requirement", [
    RANGE_DOPPLER.replace("FMCW radar", "radar"),
    RANGE_DOPPLER.replace("wavelength)", "wavelength, n_targets)"),
    RANGE_DOPPLER.replace("chirp_period, ", ""),
    RANGE_DOPPLER.replace("(range_m, velocity_mps)", "(range_bin, doppler_bin)"),
])
def test_no_range_doppler_answer_without_fmcw_every_setting_and_a_range_and_velocity(requirement):
    answer = _answer(requirement)
    assert answer is None or "FMCW frame" not in answer.what


BEARING = "Write bearing(lat1, lon1, lat2, lon2) -> float that returns the initial bearing in degrees (0-360) " \
          "from the first GPS fix to the second."


def _bearing(lat1, lon1, lat2, lon2, to_radians=True):
    if to_radians:
        lat1, lon1, lat2, lon2 = np.radians([lat1, lon1, lat2, lon2])
    dlon = lon2 - lon1
    return np.degrees(np.arctan2(np.sin(dlon) * np.cos(lat2),
                                 np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon))) % 360


def test_an_initial_bearing_between_two_fixes_is_known_in_degrees_or_radians():
    answer = _answer(BEARING)
    fixes = {name: float(source) for name, source in answer.inputs}
    assert answer.expected == pytest.approx(_bearing(**fixes)) == pytest.approx(123.97, abs=0.01)
    assert _check_problem(answer, _bearing(**fixes)) == ""
    assert _check_problem(answer, (_bearing(**fixes) + 180) % 360 - 180) == "", "-180..180 agrees on south-east"
    assert "is 124 deg from north" in _check_problem(answer, float(_bearing(**fixes, to_radians=False)))
    in_radians = _answer(BEARING.replace("in degrees (0-360)", "in radians"))
    assert _check_problem(in_radians, np.radians(_bearing(**fixes))) == ""
    assert _answer(BEARING.replace("initial bearing", "final bearing")) is None
    assert _answer(BEARING.replace(" in degrees (0-360)", "")) is None, "no unit said"


SNTP = ("Our gateway syncs its clock with SNTP. Write ntp_offset_delay(t1, t2, t3, t4) -> tuple[float, float] where t1 "
        "is the client's send time, t2 the server's receive time, t3 the server's send time and t4 the client's "
        "receive time, all in seconds; return (offset, delay).")


def test_the_clock_offset_and_delay_of_one_exchange_follow_rfc_5905():
    answer = _answer(SNTP)
    stamps = {name: float(source) for name, source in answer.inputs}
    t1, t2, t3, t4 = stamps["t1"], stamps["t2"], stamps["t3"], stamps["t4"]
    right = ((t2 - t1) + (t3 - t4)) / 2, (t4 - t1) - (t3 - t2)
    assert right == pytest.approx((0.49, 0.08))
    assert _check_problem(answer, right) == "" and _check_problem(answer, list(right)) == ""
    assert "the offset is 0.49 and the round-trip delay 0.08 s" in _check_problem(answer, ((t2 - t1) - (t3 - t4)) / 2)
    assert _check_problem(answer, right[::-1]) != "", "the order the words name them"
    offset_ms = _answer(SNTP.replace(" -> tuple[float, float]", " -> float").replace("return (offset, delay)",
                                                                                      "return the clock offset in ms"))
    assert _check_problem(offset_ms, 490.0) == "" and _check_problem(offset_ms, 0.49) != ""
    rfc_names = _answer("Write clock_offset(org, rec, xmt, dst) -> float returning the NTP clock offset in seconds.")
    assert [name for name, _ in rfc_names.inputs] == ["org", "rec", "xmt", "dst"]
    assert _check_problem(rfc_names, 0.49) == ""
    ptp = _answer("Write ptp_sync(t1, t2, t3, t4) -> tuple[float, float] returning (offset, mean path delay) of one "
                  "IEEE 1588 exchange, in seconds.")
    assert _check_problem(ptp, (0.49, 0.04)) == ""


@pytest.mark.parametrize("requirement", [
    SNTP.replace("with SNTP", "with a server"),
    SNTP.replace("(t1, t2, t3, t4)", "(a, b, c, d)"),
    SNTP.replace("all in seconds", "as 64-bit NTP timestamps"),
    SNTP.replace("return (offset, delay)", "return (offset, jitter)"),
])
def test_no_clock_sync_answer_without_time_sync_words_ordered_timestamps_and_offset_or_delay(requirement):
    answer = _answer(requirement)
    assert answer is None or "time-sync" not in answer.what


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
    answer = _answer(requirement)
    assert dict(answer.inputs) == inputs and answer.expected == pytest.approx(expected)


MODBUS = ("Write read_request(slave_id: int, start_addr: int, count: int) -> bytes that builds the Modbus RTU "
          "'Read Holding Registers' request frame with its CRC.")


def _modbus_request(slave_id: int, start_addr: int, count: int, code: int = 3) -> bytes:
    from jupyter_iotcoder.known_answers import crc

    body = bytes([slave_id, code]) + start_addr.to_bytes(2, "big") + count.to_bytes(2, "big")
    return body + crc(body, "CRC-16/MODBUS").to_bytes(2, "little")


def test_a_modbus_rtu_read_request_is_the_specifications_example_frame():
    answer = _answer(MODBUS)
    assert dict(answer.inputs) == {"slave_id": "17", "start_addr": "107", "count": "3"}
    assert _modbus_request(17, 107, 3) == bytes.fromhex("1103006B00037687"), "the Modbus specification's example"
    for frame, wrong in ((_modbus_request(17, 107, 3), ""), (_modbus_request(17, 107, 3)[:-2] + b"\x87\x76", "76 87")):
        got = eval(answer.check, {"_result": frame})
        assert (wrong in got and got) if wrong else got == ""
    inputs = _answer(MODBUS.replace("Holding", "Input")).check
    assert _modbus_request(17, 107, 3, 4).hex(" ").upper() in inputs


THD = ("Write thd(v, fs, f0=50.0, n_harmonics=25) that takes a 1-D NumPy array of mains voltage and returns the "
       "total harmonic distortion in percent (float).")


def _thd_percent(v: np.ndarray, fs: float, f0: float = 50.0, n_harmonics: int = 25, window: bool = False) -> float:
    x = v - np.mean(v)
    spectrum = np.abs(np.fft.rfft(x * (np.hanning(len(x)) if window else 1.0)))
    bins = [int(round(h * f0 * len(x) / fs)) for h in range(1, n_harmonics + 1) if h * f0 < fs / 2]
    return 100.0 * float(np.sqrt(np.sum(spectrum[bins[1:]] ** 2)) / spectrum[bins[0]])


def test_the_thd_of_mains_voltage_with_known_harmonics_is_known_in_percent_or_as_a_ratio():
    from jupyter_iotcoder.known_answers import THD_PERCENT

    answer = _answer(THD)
    assert dict(answer.inputs) == {"v": "_mains_signal(6400, 6400, 50.0)", "fs": "6400"}
    v = _signal("_mains_signal(6400, 6400, 50.0)")
    for window in (False, True):
        assert eval(answer.check, {"_np": np, "_result": _thd_percent(v, 6400, window=window)}) == ""
    with_dc = 100.0 * float(np.sqrt(np.sum(np.abs(np.fft.rfft(v))[[0, 150, 250]] ** 2)) / np.abs(np.fft.rfft(v))[50])
    assert "THD of 5.831 %" in eval(answer.check, {"_np": np, "_result": with_dc})
    ratio = _answer(THD.replace("in percent (float)", "as a ratio (float)"))
    assert eval(ratio.check, {"_np": np, "_result": THD_PERCENT / 100}) == ""
    assert eval(ratio.check, {"_np": np, "_result": THD_PERCENT}) != ""
    sixty = _answer(THD.replace("f0=50.0", "f0=60.0"))
    assert dict(sixty.inputs)["v"] == "_mains_signal(6400, 6400, 60.0)"


def test_r_peaks_and_pulse_peaks_must_be_found_at_each_beat_and_nowhere_else():
    from scipy.signal import lfilter

    ecg = _answer("Write detect_r_peaks(ecg, fs) that returns a 1-D NumPy integer array of R-peak sample indices.")
    signal = _signal(dict(ecg.inputs)["ecg"])
    band = butter(2, [5, 15], btype="bandpass", fs=250)
    peaks, _ = find_peaks(filtfilt(*band, signal), distance=50, height=0.3 * np.max(filtfilt(*band, signal)))
    assert _check_problem(ecg, peaks) == ""
    delayed, _ = find_peaks(lfilter(*butter(4, [5, 15], btype="bandpass", fs=250), signal), distance=50, height=0.2)
    assert "ms after the beats" in _check_problem(ecg, delayed + 25)
    assert "not whole sample indices" in _check_problem(ecg, peaks / 250.0)
    assert "detections that are no beat" in _check_problem(ecg, np.sort(np.r_[peaks, peaks[:5] + 100]))
    ppg = _answer("Write systolic_peaks(ppg, fs) returning the indices of the systolic peaks as an int array.")
    pulse = _signal(dict(ppg.inputs)["ppg"])
    found, _ = find_peaks(filtfilt(*butter(2, [0.5, 4], btype="bandpass", fs=50), pulse), distance=20)
    assert dict(ppg.inputs)["fs"] == "50" and _check_problem(ppg, found) == ""


def _inside(point, polygon) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0)):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _polygon_check(answer: KnownAnswer, result, function=None) -> str:
    namespace = {"_np": np, "_result": result}
    exec(SIGNALS, namespace)
    namespace[answer.check.split("(", 2)[1].split(",")[0]] = function
    return eval(answer.check, namespace)


def test_points_in_a_concave_polygon_must_each_be_on_the_right_side():
    from jupyter_iotcoder.known_answers import U_POINTS, U_POLYGON

    assert [_inside(p, np.array(U_POLYGON)) for p, _ in U_POINTS] == [inside for _, inside in U_POINTS]
    many = _answer("Write in_fence(points, polygon) where points is an (N, 2) array; return a boolean array, True "
                   "for points inside the polygon.")
    polygon = np.array(U_POLYGON)
    right = np.array([_inside(p, polygon) for p, _ in U_POINTS])
    assert _polygon_check(many, right) == ""
    convex_hull_only = np.array([0 <= x <= 10 and 0 <= y <= 10 for (x, y), _ in U_POINTS])
    assert "(5.0, 6.0) is outside" in _polygon_check(many, convex_hull_only)
    one = _answer("Write is_inside(polygon, point) -> bool that says whether the point is inside the geofence polygon.")
    assert [name for name, _ in one.inputs] == ["polygon", "point"]
    assert _polygon_check(one, True, lambda polygon, point: _inside(point, polygon)) == ""
    assert "wrong side" in _polygon_check(one, True, lambda polygon, point: bool(point[0] < 10 and point[1] < 10))


RMS = ("Write moving_rms(x, fs, window_s) that returns the running RMS of the 1-D signal as a float NumPy array the "
       "same length as x.")


def _moving_rms(x: np.ndarray, window: int) -> np.ndarray:
    return np.sqrt(np.convolve(x ** 2, np.ones(window) / window, mode="same"))


def test_a_running_rms_over_whole_periods_of_an_offset_sine_is_known():
    answer = _answer(RMS)
    assert dict(answer.inputs) == {"x": "_offset_sine(2000, 1000)", "fs": "1000", "window_s": "0.2"}
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    x = eval("_offset_sine(2000, 1000)", namespace)
    check = namespace["_running_rms_wrongly"]
    assert check(_moving_rms(x, 200), 2000) == ""
    assert "the standard deviation would give 2.828" in check(
        np.array([np.std(x[max(0, i - 100): i + 100]) for i in range(2000)]), 2000)
    samples = _answer("Write rolling_rms(signal, window) returning the rolling root-mean-square as an array, window "
                      "in samples.")
    assert dict(samples.inputs) == {"signal": "_offset_sine(2000, 1000)", "window": "200"}
    assert dict(_answer(RMS.replace("window_s)", "window_ms=100)")).inputs) == {
        "x": "_offset_sine(2000, 1000)", "fs": "1000"}


@pytest.mark.parametrize("requirement", [
    MQTT.replace("an MQTT", "a"),
    MQTT.replace("-> bool", "-> list"),
    MQTT.replace("topic: str)", "topic: str, qos: int)"),
    MQTT.replace("matches(topic_filter: str, topic: str)", "matches(a: str, b: str)"),
    "Write toa(sf, payload_len, bw) returning the LoRa time on air in seconds (float).",
    "Write toa(sf: int, payload_len: int, freq_mhz: float) -> float returning the LoRa time on air in seconds.",
    "Write toa(sf: int, payload_len: int) -> float returning the LoRa time on air.",
    MODBUS.replace("Modbus RTU", "Modbus TCP"),
    MODBUS.replace("'Read Holding Registers' request", "request"),
    MODBUS.replace("count: int)", "count: int, function: int)"),
    THD.replace("thd(v, fs,", "thd(v, i, fs,"),
    THD.replace("thd(v, fs,", "thd(v,"),
    THD.replace("f0=50.0", "f0=400.0"),
])
def test_no_protocol_or_power_answer_where_the_words_leave_the_convention_or_the_inputs_open(requirement):
    """No MQTT answer without MQTT, a bool and a filter and a topic told apart; no LoRa airtime without a unit or
    with an unknown setting; no Modbus for TCP, an unnamed function or other inputs; no THD for other inputs or an
    unusual fundamental."""
    assert _answer(requirement) is None


@pytest.mark.parametrize("requirement,check", [
    ("Write detect_r_peaks(ecg, fs) that returns the number of R peaks (int).", "_beats_found_wrongly"),
    ("Write detect_r_peaks(ecg, ppg, fs) that returns the indices of the R peaks.", "_beats_found_wrongly"),
    ("Write detect_r_peaks(ecg) that returns the indices of the R peaks.", "_beats_found_wrongly"),
    ("Write in_fence(points, polygon) returning the number of points inside the polygon (int).", "_inside_wrongly"),
    ("Write in_fence(lat, lon, polygon) returning a boolean array, True for fixes inside the polygon.", "_inside_wrongly"),
    ("Write in_fence(points, radius) returning a boolean array, True for points inside the circle.", "_inside_wrongly"),
    (RMS.replace("window_s)", "window_ms=30)"), "_running_rms_wrongly"),
    (RMS.replace("running RMS", "running AC RMS"), "_running_rms_wrongly"),
    (RMS.replace("window_s)", "window_s, overlap)"), "_running_rms_wrongly"),
])
def test_no_signal_answer_where_the_words_do_not_fix_the_inputs_or_the_result(requirement, check):
    """No beat answer without indices, one signal and its rate; no geofence answer without points, a polygon and a
    bool per point; no running RMS for a window of partial periods, an AC RMS or other inputs."""
    answer = _answer(requirement)
    assert answer is None or check not in answer.check
