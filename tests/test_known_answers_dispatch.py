"""Which known answer a requirement gets: refusals, returned dicts, the words that pick a variant."""

import numpy as np
import pytest

from jupyter_iotcoder.known_answers import SIGNALS, check_source
from known_answer_helpers import known_answer_for


def test_inputs_the_user_says_to_refuse_give_no_answer_and_a_refusal_of_valid_ones_is_a_bug():
    plain = "Write hr(ppg, fs) that returns the heart rate in beats per minute (float)."
    assert known_answer_for(plain).refusal_is_a_bug
    assert known_answer_for(plain + " Raise ValueError if ppg is empty or has fewer than 8 samples.").refusal_is_a_bug
    assert known_answer_for(plain + " Raise ValueError if fs < 100.") is None, "the 50 Hz signal is one the user refuses"
    assert known_answer_for(plain + " Raise ValueError if ppg has fewer than 5000 samples.") is None
    assert not known_answer_for(plain + " Raise ValueError unless fs is one of the supported rates.").refusal_is_a_bug


def test_a_number_in_a_returned_dict_is_checked_under_its_key():
    answer = known_answer_for("Write hr_summary(ppg, fs) that returns a dict with 'beats' (a list of beat indices) and "
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
    track = known_answer_for("Write track(lat, lon) that takes NumPy arrays of GPS fixes in degrees and returns a dict with "
                    "'legs_m' (NumPy array of the segment lengths in metres) and 'total_m' (float, the total distance "
                    "of the track in metres).")
    assert track.key == "total_m" and track.expected == pytest.approx(2932.64, abs=0.01)
    assert known_answer_for("Write stats(ppg, fs) that returns a dict with 'bpm' (a NumPy array of the heart rate in beats per "
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
    answer = known_answer_for(requirement)
    assert (answer.expected if answer else None) == expected


def test_every_number_of_a_returned_dict_with_an_answer_on_the_same_inputs_is_checked():
    answer = known_answer_for("Write hrv(rr_ms) that returns a dict with 'mean_hr' (bpm, 60000 / mean RR), 'sdnn' (ms, "
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
