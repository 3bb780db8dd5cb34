"""Known answers on built signals: rates and counts, filters, despikers, outliers, peaks, RMS, HRV, THD."""

import numpy as np
import pytest
from scipy.signal import butter, filtfilt, find_peaks

from jupyter_iotcoder.known_answers import SIGNALS, KnownAnswer, check_source
from known_answer_helpers import built_signal, check_problem, known_answer_for


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
    answer = known_answer_for(requirement)
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
    assert known_answer_for(requirement) is None


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
    assert abs(_bpm_from_peaks(built_signal("_pulse_signal(3000, 50, 72.0)"), 50, 0.5, 4.0, 0.33) - 72) < 3
    assert abs(_per_minute_from_spectrum(built_signal("_pulse_signal(3000, 50, 72.0)"), 50, 0.7, 3.5) - 72) < 3
    ecg = built_signal("_pulse_signal(15000, 250, 72.0, 0.0, True)")
    peaks, _ = find_peaks(ecg, height=0.5 * np.max(ecg), distance=int(0.25 * 250))
    assert abs(60 * 250 / np.median(np.diff(peaks)) - 72) < 3
    assert abs(_per_minute_from_spectrum(built_signal("_breath_signal(3000, 50, 15.0)"), 50, 0.1, 0.7) - 15) < 1
    csi = built_signal("_breath_signal(3000, 50, 15.0, 12)")
    assert csi.shape == (3000, 12) and abs(_per_minute_from_spectrum(csi[:, 0], 50, 0.1, 0.5) - 15) < 1
    acc = built_signal("_walk_signal(3000, 50, 108.0, 3)")
    steps = len(find_peaks(filtfilt(*butter(2, [0.5, 3.0], btype="bandpass", fs=50), np.linalg.norm(acc, axis=1)),
                           distance=int(0.3 * 50), prominence=0.5)[0])
    assert acc.shape == (3000, 3) and abs(steps - 108) <= 3
    assert built_signal("_walk_signal(3000, 50, 108.0, 1)").shape == (3000,)
    vibration = built_signal("_vibration_signal(2000, 200, 12.5)")
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
    assert known_answer_for(requirement).inputs == inputs


@pytest.mark.parametrize("requirement", [
    "Write velocity(acc, fs, cutoff_hz) that high-pass filters and integrates acc, returning the velocity array.",
    "Write band(x, fs, low_hz, high_hz) that returns the band-pass filtered signal as an array.",
    "Write smooth(x, fs) that returns the low-pass filtered signal as an array (cut-off 5 Hz).",
    "Write lp(x, fs, cutoff_hz) that returns the low-pass filtered signal as an array; x has shape (n, 3).",
])
def test_no_filter_answer_without_one_cut_off_one_signal_and_the_filtered_signal_as_the_result(requirement):
    assert known_answer_for(requirement) is None


def _filter_problem(requirement: str, filtered) -> str:
    answer = known_answer_for(requirement)
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
    answer = known_answer_for(requirement)
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
    assert known_answer_for(csi).what.endswith("in each of 8 channels")
    assert _despike_problem(csi, _rolling_median_replacement) == ""
    assert "shape (1200,)" in _despike_problem(csi, lambda x: x[:, 0])


def test_a_spike_detector_that_returns_a_mask_is_not_judged_as_a_despiker():
    detector = ("Write spikes(x, half_window=5) that returns a boolean mask of the samples that differ from the "
                "median of their window by more than 3 MADs, which are replaced later.")
    assert known_answer_for(detector) is None


def test_a_rate_or_count_with_no_type_word_is_one_number_unless_the_words_say_several():
    assert known_answer_for("Write count_steps(acc, fs) that returns the number of steps.").expected == 108.0
    assert known_answer_for("Write hr(ppg, fs) that returns the heart rate in BPM for each 10 s window.") is None


def test_the_signals_follow_the_users_words_on_units_layout_and_kind_of_heart_signal():
    in_g = known_answer_for("Write count_steps(acc, fs) where acc is an (N, 3) array in g; return the number of steps.")
    assert in_g.inputs[0][1] == "_walk_signal(3000, 50, 108.0, 3, 9.81)"
    assert abs(float(np.median(np.linalg.norm(built_signal(in_g.inputs[0][1]), axis=1))) - 1.0) < 0.1
    ecg = known_answer_for("Write heart_rate(signal, fs) that finds the R-peaks of a single-lead ECG and returns the heart "
                  "rate in beats per minute (float).")
    assert ecg.inputs == (("signal", "_pulse_signal(15000, 250, 72.0, 0.0, True)"), ("fs", "250"))
    assert known_answer_for("Write breathing(csi, fs) where csi has shape (n_subcarriers, n_samples); return the breathing "
                   "rate in breaths per minute (float).") is None, "channels by samples is not the layout built here"


def test_a_channel_count_the_user_gave_is_the_one_built():
    tri_axial = known_answer_for("Write despike(acc, half_window=5) where acc is an (N, 3) array; replace each spike by the "
                        "median of its window and return a new float array.")
    assert tri_axial.inputs[0][1] == "_spiky(1200, 3)[0]" and built_signal(tri_axial.inputs[0][1]).shape == (1200, 3)


def _flags(answer: KnownAnswer, detect) -> str:
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    values = dict(answer.inputs)
    x = eval(values.pop(answer.inputs[0][0]), namespace)
    namespace["_result"] = detect(x, *(float(v) for v in values.values()))
    return eval(answer.check, namespace)


def test_a_point_wise_outlier_rule_must_flag_exactly_the_glitches():
    zscore = known_answer_for("Write zscore_outliers(x: np.ndarray, threshold: float = 3.0) -> np.ndarray that returns the "
                     "indices of readings whose z-score exceeds the threshold in absolute value.")
    assert _flags(zscore, lambda x: np.flatnonzero(np.abs(x - x.mean()) / x.std() > 3.0)) == ""
    one_tailed = _flags(zscore, lambda x: np.flatnonzero((x - x.mean()) / x.std() > 3.0))
    assert "missed 2 [402, 731]" in one_tailed and "both tails" in one_tailed
    iqr = known_answer_for("Write iqr_outliers(values, k) returning a boolean mask that is True below Q1 - k*IQR or above "
                  "Q3 + k*IQR.")
    assert dict(iqr.inputs)["k"] == "1.5"

    def fences(x, k):
        q1, q3 = np.percentile(x, [25, 75])
        return (x < q1 - k * (q3 - q1)) | (x > q3 + k * (q3 - q1))
    assert _flags(iqr, fences) == ""
    assert "flagged 1" in _flags(iqr, lambda x, k: fences(x, k) | (np.arange(len(x)) == 3))
    assert "not a boolean mask" in _flags(iqr, lambda x, k: x[fences(x, k)])
    mad = known_answer_for("Write mad_flags(x) that returns a boolean mask of readings whose modified z-score from the median "
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
    gesd = known_answer_for("Write generalized_esd(x, max_outliers, alpha=0.05) implementing Rosner's generalized ESD test on "
                   "hourly readings; return the indices of the outliers as a sorted integer array.")
    assert dict(gesd.inputs)["max_outliers"] == "10"
    assert _flags(gesd, _gesd) == ""
    assert "missed 5" in _flags(gesd, lambda x, r: np.array([], dtype=int)), "nothing found"
    first_only = _flags(gesd, lambda x, r: _gesd(x, r)[:1])
    assert "missed 4" in first_only
    grubbs = known_answer_for("Write grubbs_outliers(readings, alpha) that applies Grubbs' test repeatedly and returns a boolean "
                     "mask of the outliers.")
    assert dict(grubbs.inputs)["alpha"] == "0.05"
    assert _flags(grubbs, lambda x, alpha: np.isin(np.arange(len(x)), _gesd(x, 10, alpha))) == ""
    windowed = "Write gesd_windows(x, max_outliers) that runs a generalized ESD test in each 24-sample window and " \
               "returns the outlier indices."
    assert known_answer_for(windowed) is None


@pytest.mark.parametrize("requirement", [
    "Write rolling_z(x, window: int, threshold: float = 3.0) -> np.ndarray returning the indices whose z-score against "
    "the previous window exceeds the threshold.",
    "Write outliers(x) that returns the values whose z-score exceeds 3 as an array.",
    "Write score(x) that returns the z-score of every reading as a float array.",
])
def test_no_outlier_answer_for_rules_over_windows_or_results_other_than_flags(requirement):
    assert known_answer_for(requirement) is None


def test_heart_rate_variability_from_rr_intervals_is_known_in_the_users_units():
    rmssd = known_answer_for("Write rmssd(rr_ms) that returns the RMSSD in ms (float) of a series of RR intervals.")
    rr = eval(rmssd.inputs[0][1], {"_np": np})
    assert check_problem(rmssd, float(np.sqrt(np.mean(np.diff(rr) ** 2)))) == ""
    assert "RMSSD = sqrt(mean(diff(rr) ** 2))" in check_problem(rmssd, float(np.std(np.diff(rr))) * 2)
    sdnn = known_answer_for("Write sdnn(rr) returning the SDNN (float) of RR intervals in milliseconds.")
    assert check_problem(sdnn, float(np.std(rr))) == "" and check_problem(sdnn, float(np.std(rr, ddof=1))) == ""
    fraction = known_answer_for("Write pnn50(rr_s) that returns pNN50 as a fraction (float) of RR intervals given in seconds.")
    in_seconds = eval(fraction.inputs[0][1], {"_np": np})
    assert np.allclose(in_seconds, rr / 1000)
    share = float(np.mean(np.abs(np.diff(in_seconds)) > 0.05))
    assert check_problem(fraction, share) == "" and check_problem(fraction, 100 * share) != ""
    hr = known_answer_for("Write hrv(rr_ms) returning a dict with 'mean_hr' (bpm, 60000 / mean RR) and 'rmssd' (ms).")
    assert hr.key == "mean_hr" and check_problem(hr, 60000 / float(np.mean(rr))) == ""
    assert known_answer_for("Write sdnn(intervals) returning the standard deviation (float).") is None, "ms or s?"


THD = ("Write thd(v, fs, f0=50.0, n_harmonics=25) that takes a 1-D NumPy array of mains voltage and returns the "
       "total harmonic distortion in percent (float).")


def _thd_percent(v: np.ndarray, fs: float, f0: float = 50.0, n_harmonics: int = 25, window: bool = False) -> float:
    x = v - np.mean(v)
    spectrum = np.abs(np.fft.rfft(x * (np.hanning(len(x)) if window else 1.0)))
    bins = [int(round(h * f0 * len(x) / fs)) for h in range(1, n_harmonics + 1) if h * f0 < fs / 2]
    return 100.0 * float(np.sqrt(np.sum(spectrum[bins[1:]] ** 2)) / spectrum[bins[0]])


def test_the_thd_of_mains_voltage_with_known_harmonics_is_known_in_percent_or_as_a_ratio():
    from jupyter_iotcoder.known_answers import THD_PERCENT

    answer = known_answer_for(THD)
    assert dict(answer.inputs) == {"v": "_mains_signal(6400, 6400, 50.0)", "fs": "6400"}
    v = built_signal("_mains_signal(6400, 6400, 50.0)")
    for window in (False, True):
        assert eval(answer.check, {"_np": np, "_result": _thd_percent(v, 6400, window=window)}) == ""
    with_dc = 100.0 * float(np.sqrt(np.sum(np.abs(np.fft.rfft(v))[[0, 150, 250]] ** 2)) / np.abs(np.fft.rfft(v))[50])
    assert "THD of 5.831 %" in eval(answer.check, {"_np": np, "_result": with_dc})
    ratio = known_answer_for(THD.replace("in percent (float)", "as a ratio (float)"))
    assert eval(ratio.check, {"_np": np, "_result": THD_PERCENT / 100}) == ""
    assert eval(ratio.check, {"_np": np, "_result": THD_PERCENT}) != ""
    sixty = known_answer_for(THD.replace("f0=50.0", "f0=60.0"))
    assert dict(sixty.inputs)["v"] == "_mains_signal(6400, 6400, 60.0)"


def test_r_peaks_and_pulse_peaks_must_be_found_at_each_beat_and_nowhere_else():
    from scipy.signal import lfilter

    ecg = known_answer_for("Write detect_r_peaks(ecg, fs) that returns a 1-D NumPy integer array of R-peak sample indices.")
    signal = built_signal(dict(ecg.inputs)["ecg"])
    band = butter(2, [5, 15], btype="bandpass", fs=250)
    peaks, _ = find_peaks(filtfilt(*band, signal), distance=50, height=0.3 * np.max(filtfilt(*band, signal)))
    assert check_problem(ecg, peaks) == ""
    delayed, _ = find_peaks(lfilter(*butter(4, [5, 15], btype="bandpass", fs=250), signal), distance=50, height=0.2)
    assert "ms after the beats" in check_problem(ecg, delayed + 25)
    assert "not whole sample indices" in check_problem(ecg, peaks / 250.0)
    assert "detections that are no beat" in check_problem(ecg, np.sort(np.r_[peaks, peaks[:5] + 100]))
    ppg = known_answer_for("Write systolic_peaks(ppg, fs) returning the indices of the systolic peaks as an int array.")
    pulse = built_signal(dict(ppg.inputs)["ppg"])
    found, _ = find_peaks(filtfilt(*butter(2, [0.5, 4], btype="bandpass", fs=50), pulse), distance=20)
    assert dict(ppg.inputs)["fs"] == "50" and check_problem(ppg, found) == ""


RMS = ("Write moving_rms(x, fs, window_s) that returns the running RMS of the 1-D signal as a float NumPy array the "
       "same length as x.")


def _moving_rms(x: np.ndarray, window: int) -> np.ndarray:
    return np.sqrt(np.convolve(x ** 2, np.ones(window) / window, mode="same"))


def test_a_running_rms_over_whole_periods_of_an_offset_sine_is_known():
    answer = known_answer_for(RMS)
    assert dict(answer.inputs) == {"x": "_offset_sine(2000, 1000)", "fs": "1000", "window_s": "0.2"}
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    x = eval("_offset_sine(2000, 1000)", namespace)
    check = namespace["_running_rms_wrongly"]
    assert check(_moving_rms(x, 200), 2000) == ""
    assert "the standard deviation would give 2.828" in check(
        np.array([np.std(x[max(0, i - 100): i + 100]) for i in range(2000)]), 2000)
    samples = known_answer_for("Write rolling_rms(signal, window) returning the rolling root-mean-square as an array, window "
                      "in samples.")
    assert dict(samples.inputs) == {"signal": "_offset_sine(2000, 1000)", "window": "200"}
    assert dict(known_answer_for(RMS.replace("window_s)", "window_ms=100)")).inputs) == {
        "x": "_offset_sine(2000, 1000)", "fs": "1000"}


@pytest.mark.parametrize("requirement", [
    THD.replace("thd(v, fs,", "thd(v, i, fs,"),
    THD.replace("thd(v, fs,", "thd(v,"),
    THD.replace("f0=50.0", "f0=400.0"),
])
def test_no_thd_answer_for_other_inputs_or_an_unusual_fundamental(requirement):
    assert known_answer_for(requirement) is None


@pytest.mark.parametrize("requirement,check", [
    ("Write detect_r_peaks(ecg, fs) that returns the number of R peaks (int).", "_beats_found_wrongly"),
    ("Write detect_r_peaks(ecg, ppg, fs) that returns the indices of the R peaks.", "_beats_found_wrongly"),
    ("Write detect_r_peaks(ecg) that returns the indices of the R peaks.", "_beats_found_wrongly"),
    (RMS.replace("window_s)", "window_ms=30)"), "_running_rms_wrongly"),
    (RMS.replace("running RMS", "running AC RMS"), "_running_rms_wrongly"),
    (RMS.replace("window_s)", "window_s, overlap)"), "_running_rms_wrongly"),
])
def test_no_signal_answer_where_the_words_do_not_fix_the_inputs_or_the_result(requirement, check):
    """No beat answer without indices, one signal and its rate; no running RMS for a window of partial periods, an
    AC RMS or other inputs."""
    answer = known_answer_for(requirement)
    assert answer is None or check not in answer.check
