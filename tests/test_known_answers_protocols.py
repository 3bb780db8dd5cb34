"""Known answers that a protocol's specification fixes: CRCs, MQTT, COBS, SLIP, Modbus, RTO, NTP."""

import re

import numpy as np
import pytest

from jupyter_iotcoder.known_answers import CRCS, SIGNALS, crc
from known_answer_helpers import check_problem, known_answer_for


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
    answer = known_answer_for(requirement)
    assert answer.inputs[0][1] == data and answer.expected == expected


@pytest.mark.parametrize("requirement", [
    "Write frame_crc(data: bytes) -> int returning the CRC-16-CCITT of the payload.",  # which initial value?
    "Write crc_ok(frame: bytes) -> bool that returns True when the Modbus CRC-16 of the frame matches its last bytes.",
    "Write add_crc(frame: bytes) that returns the frame with its Modbus CRC-16 appended (low byte first).",
    "Write register(reply: bytes) -> int that checks the Modbus CRC-16 and returns the register value.",
])
def test_no_crc_answer_when_the_crc_is_ambiguous_or_not_the_one_number_returned(requirement):
    assert known_answer_for(requirement) is None


@pytest.mark.parametrize("name", sorted(CRCS))
def test_each_crcs_recipe_for_the_repair_model_computes_its_check_value(name):
    from jupyter_iotcoder.known_answers import crc_recipe

    recipe = crc_recipe(name)
    numbers = [int(h, 16) for h in re.findall(r"0x([0-9A-F]+)", recipe)]
    value, poly, shift_right = numbers[0], numbers[1], ">> 1) ^" in recipe
    aligned = re.search(r"crc \^= byte(?: << (\d+))?;", recipe)
    for byte in b"123456789":
        value ^= byte << int(aligned.group(1) or 0)
        for _ in range(8):
            if shift_right:
                value = (value >> 1) ^ poly if value & 1 else value >> 1
            else:
                mask, top = numbers[2], numbers[3]
                value = ((value << 1) ^ poly) & mask if value & top else (value << 1) & mask
    final = re.search(r"then crc \^= 0x([0-9A-F]+)", recipe)
    assert value ^ (int(final.group(1), 16) if final else 0) == crc(b"123456789", name)


def test_a_wrong_crc_is_shown_in_hex_beside_the_check_value():
    answer = known_answer_for("Write crc16_modbus(frame: bytes) -> int that computes the Modbus RTU CRC-16 of a frame.")
    assert check_problem(answer, 0x4B37) == "" and check_problem(answer, np.uint16(0x4B37)) == ""
    wrong = check_problem(answer, crc(b"123456789", "CRC-16/ARC"))
    assert wrong.startswith("it returned 47933 (0xBB3D), but the CRC-16/MODBUS of b'123456789' is 19255 (0x4B37)")
    assert "crc = 0xFFFF; for each byte: crc ^= byte; 8 times: crc = (crc >> 1) ^ 0xA001 if crc & 1" in wrong
    assert check_problem(answer, b"\x37\x4b").startswith("it returned b'7K', but")
    assert check_problem(answer, None).startswith("it returned None, but")


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

    answer = known_answer_for(MQTT)
    assert dict(answer.inputs) == {"topic_filter": repr(MQTT_CASES[0][0]), "topic": repr(MQTT_CASES[0][1])}
    namespace = {"_np": np}
    exec(SIGNALS, namespace)
    check = namespace["_topic_matches_wrongly"]
    assert check(_mqtt_reference, MQTT_CASES, True) == ""
    prefix = lambda topic_filter, topic: topic.startswith(topic_filter.split("+")[0].rstrip("/"))  # noqa: E731
    assert "'sport/tennis/+' does not match 'sport/tennis/player1/ranking'" in check(prefix, MQTT_CASES, True)
    swapped = known_answer_for(MQTT.replace("matches(topic_filter: str, topic: str)", "matches(topic, pattern)"))
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
    answer = known_answer_for(COBS)
    assert answer.check.startswith("_stuffed_wrongly(cobs_encode,") and answer.check.endswith("False)")
    assert check(cobs_encode, COBS_CASES, False) == ""
    assert check(lambda data: cobs_encode(data) + b"\x00", COBS_CASES, False) == "", "the delimiter is the user's call"
    no_blocks = lambda data: bytes(b if b else 1 for b in data)  # noqa: E731 - zeros replaced: no COBS
    assert "but COBS encodes it to b'\\x01\\x01'" in check(no_blocks, COBS_CASES, False)
    decoder = known_answer_for(COBS.replace("cobs_encode(data: bytes)", "cobs_decode(frame: bytes)"))
    assert decoder.check.endswith("True)") and check(_cobs_decode, COBS_CASES, True) == ""
    assert "COBS" not in known_answer_for(COBS.replace("COBS (Consistent Overhead Byte Stuffing)", "SLIP")).what


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
    stream = known_answer_for(SLIP)
    assert stream.check.startswith("_slipped_wrongly(slip_decode,") and stream.check.endswith("'stream')")
    assert stream.refusal_is_a_bug, "the frames are valid: refusing them is wrong"
    assert _slip_frames(eval(dict(stream.inputs)["stream"])) == [raw for raw, _ in SLIP_CASES]
    assert check(_slip_frames, SLIP_CASES, "stream") == ""
    keeps_empty = lambda data: data.split(b"\xc0")[:-1]  # noqa: E731 - no unescaping at all
    assert "but SLIP decodes it to" in check(keeps_empty, SLIP_CASES, "stream")
    swapped = lambda data: _slip_frames(data.replace(b"\xdb\xdc", b"\xdb\xdd"))  # noqa: E731
    assert "0xDB 0xDC" in check(swapped, SLIP_CASES, "stream")

    encoder = known_answer_for(SLIP.replace("slip_decode(stream: bytes) -> list[bytes]", "slip_encode(frame: bytes) -> bytes"))
    assert encoder.check.endswith("'encode')")
    assert check(_slip_send, SLIP_CASES, "encode") == ""
    assert check(lambda frame: _slip_send(frame)[1:], SLIP_CASES, "encode") == "", "a leading END is the user's call"
    end_first = lambda frame: frame.replace(b"\xc0", b"\xdb\xdc").replace(b"\xdb", b"\xdb\xdd") + b"\xc0"  # noqa: E731
    assert "<lambda>(b'\\x01\\xc0\\x02') returned b'\\x01\\xdb\\xdd\\xdc\\x02\\xc0'" in check(
        end_first, SLIP_CASES, "encode")

    decoder = known_answer_for(SLIP.replace("slip_decode(stream: bytes) -> list[bytes]", "slip_decode(packet: bytes) -> bytes"))
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
    answer = known_answer_for(requirement)
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

    answer = known_answer_for(RTO)
    samples = eval(dict(answer.inputs)["rtt_samples"])
    assert samples == list(RTT_SAMPLES) and _rto_by_hand(samples)[:2] == [6.0, 5.875]
    assert check_problem(answer, _rto_by_hand(samples)) == ""
    assert check_problem(answer, np.array(_rto_by_hand(samples))) == ""
    srtt_updated_first = [3.625, 3.1094, 4.7363, 5.1873, 4.8667, 4.2217]  # a generated cell's answer
    assert "but RFC 6298 gives [6.0, 5.875," in check_problem(answer, srtt_updated_first)
    assert "not the retransmission timeout" in check_problem(answer, None)
    last = known_answer_for(RTO.replace("-> list[float]", "-> float").replace("after each sample", "after the last sample"))
    assert check_problem(last, _rto_by_hand(samples)[-1]) == ""
    assert check_problem(last, _rto_by_hand(samples)) != "", "the list where one number was asked for"
    in_ms = known_answer_for(RTO.replace("RTTs in seconds", "RTTs in milliseconds").replace("min_rto=1.0, max_rto=60.0",
                                                                                    "min_rto=1000, max_rto=60000"))
    samples_ms = eval(dict(in_ms.inputs)["rtt_samples"])
    assert samples_ms[0] == 2000.0 and check_problem(in_ms, [1000 * rto for rto in _rto_by_hand(samples)]) == ""
    coarse = known_answer_for(RTO.replace("clock_g=0.0", "clock_g=5.0"))
    assert check_problem(coarse, _rto_by_hand(samples, 5.0)) == ""


@pytest.mark.parametrize("requirement", [
    RTO.replace(" (RFC 6298)", ""),
    RTO.replace("clock_g=0.0", "link_type='nb-iot'"),
    RTO.replace("rto_estimates(rtt_samples,", "rto_estimates(rtt_samples, losses,"),
    RTO.replace(" -> list[float]", ""),
])
def test_no_rto_answer_without_rfc_6298_one_list_of_samples_and_known_settings(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "RTT" not in answer.what


SNTP = ("Our gateway syncs its clock with SNTP. Write ntp_offset_delay(t1, t2, t3, t4) -> tuple[float, float] where t1 "
        "is the client's send time, t2 the server's receive time, t3 the server's send time and t4 the client's "
        "receive time, all in seconds; return (offset, delay).")


def test_the_clock_offset_and_delay_of_one_exchange_follow_rfc_5905():
    answer = known_answer_for(SNTP)
    stamps = {name: float(source) for name, source in answer.inputs}
    t1, t2, t3, t4 = stamps["t1"], stamps["t2"], stamps["t3"], stamps["t4"]
    right = ((t2 - t1) + (t3 - t4)) / 2, (t4 - t1) - (t3 - t2)
    assert right == pytest.approx((0.49, 0.08))
    assert check_problem(answer, right) == "" and check_problem(answer, list(right)) == ""
    assert "the offset is 0.49 and the round-trip delay 0.08 s" in check_problem(answer, ((t2 - t1) - (t3 - t4)) / 2)
    assert check_problem(answer, right[::-1]) != "", "the order the words name them"
    offset_ms = known_answer_for(SNTP.replace(" -> tuple[float, float]", " -> float").replace("return (offset, delay)",
                                                                                      "return the clock offset in ms"))
    assert check_problem(offset_ms, 490.0) == "" and check_problem(offset_ms, 0.49) != ""
    rfc_names = known_answer_for("Write clock_offset(org, rec, xmt, dst) -> float returning the NTP clock offset in seconds.")
    assert [name for name, _ in rfc_names.inputs] == ["org", "rec", "xmt", "dst"]
    assert check_problem(rfc_names, 0.49) == ""
    ptp = known_answer_for("Write ptp_sync(t1, t2, t3, t4) -> tuple[float, float] returning (offset, mean path delay) of one "
                  "IEEE 1588 exchange, in seconds.")
    assert check_problem(ptp, (0.49, 0.04)) == ""


@pytest.mark.parametrize("requirement", [
    SNTP.replace("with SNTP", "with a server"),
    SNTP.replace("(t1, t2, t3, t4)", "(a, b, c, d)"),
    SNTP.replace("all in seconds", "as 64-bit NTP timestamps"),
    SNTP.replace("return (offset, delay)", "return (offset, jitter)"),
])
def test_no_clock_sync_answer_without_time_sync_words_ordered_timestamps_and_offset_or_delay(requirement):
    answer = known_answer_for(requirement)
    assert answer is None or "time-sync" not in answer.what


MODBUS = ("Write read_request(slave_id: int, start_addr: int, count: int) -> bytes that builds the Modbus RTU "
          "'Read Holding Registers' request frame with its CRC.")


def _modbus_request(slave_id: int, start_addr: int, count: int, code: int = 3) -> bytes:
    from jupyter_iotcoder.known_answers import crc

    body = bytes([slave_id, code]) + start_addr.to_bytes(2, "big") + count.to_bytes(2, "big")
    return body + crc(body, "CRC-16/MODBUS").to_bytes(2, "little")


def test_a_modbus_rtu_read_request_is_the_specifications_example_frame():
    answer = known_answer_for(MODBUS)
    assert dict(answer.inputs) == {"slave_id": "17", "start_addr": "107", "count": "3"}
    assert _modbus_request(17, 107, 3) == bytes.fromhex("1103006B00037687"), "the Modbus specification's example"
    for frame, wrong in ((_modbus_request(17, 107, 3), ""), (_modbus_request(17, 107, 3)[:-2] + b"\x87\x76", "76 87")):
        got = eval(answer.check, {"_result": frame})
        assert (wrong in got and got) if wrong else got == ""
    inputs = known_answer_for(MODBUS.replace("Holding", "Input")).check
    assert _modbus_request(17, 107, 3, 4).hex(" ").upper() in inputs


@pytest.mark.parametrize("requirement", [
    MQTT.replace("an MQTT", "a"),
    MQTT.replace("-> bool", "-> list"),
    MQTT.replace("topic: str)", "topic: str, qos: int)"),
    MQTT.replace("matches(topic_filter: str, topic: str)", "matches(a: str, b: str)"),
    MODBUS.replace("Modbus RTU", "Modbus TCP"),
    MODBUS.replace("'Read Holding Registers' request", "request"),
    MODBUS.replace("count: int)", "count: int, function: int)"),
])
def test_no_protocol_answer_where_the_words_leave_the_convention_or_the_inputs_open(requirement):
    """No MQTT answer without MQTT, a bool and a filter and a topic told apart; no Modbus for TCP, an unnamed
    function or other inputs."""
    assert known_answer_for(requirement) is None
