"""Exact and near-duplicate removal."""

from jupyter_iotcoder.data.dedup import deduplicate


def _record(user: str, answer: str) -> dict:
    return {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}], "meta": {}}


BASE = ("Estimate the breathing rate from a chest accelerometer sampled at 50 Hz on a Raspberry Pi, using a "
        "band-pass filter between 0.1 and 0.5 Hz followed by an FFT peak search over thirty second windows with "
        "fifty percent overlap and report breaths per minute for every window of the recording.")


def test_exact_duplicates_are_removed_even_with_different_whitespace():
    records = [_record(BASE, "answer one"), _record(BASE.replace(" ", "  "), "answer one")]
    kept, report = deduplicate(records)
    assert len(kept) == 1 and report.exact == 1 and report.near == 0


def test_near_duplicates_are_removed_and_distinct_pairs_kept():
    near = BASE.replace("report breaths per minute", "report the breaths per minute")
    other = ("Parse Modbus RTU frames from an energy meter over RS-485, verify the CRC-16 and convert the holding "
             "registers to volts, amperes and kilowatt hours for a gateway that forwards them over MQTT.")
    kept, report = deduplicate([_record(BASE, "x"), _record(near, "x"), _record(other, "y")], threshold=0.8)
    assert [r["messages"][1]["content"] for r in kept] == [BASE, other]
    assert report.near == 1 and report.kept == 2


def test_first_of_duplicates_wins():
    kept, _ = deduplicate([_record(BASE, "first"), _record(BASE, "first")])
    assert kept[0]["messages"][-1]["content"] == "first"
