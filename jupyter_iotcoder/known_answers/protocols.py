"""Known answers that a protocol's specification fixes: named CRCs, MQTT topic filters, COBS and SLIP framing,
Modbus RTU requests, TCP's retransmission timeout (RFC 6298), NTP/PTP clock offset and delay."""

from __future__ import annotations

import math
import re

from ..requirement import user_types
from ..schema import Signature
from .base import (
    KnownAnswer, _literal_number, _number_check, _parameters, _required, _TIME_NAMES, _TIME_UNITS, _TIME_WORDS,
    _two_roles, _unit_near, _unit_of, _words_about)


# (width, polynomial, initial value, reflected, final XOR) of the CRCs IoT protocols and sensors use, by
# catalogue name (reveng.sourceforge.io/crc-catalogue), and the words that name each one.
CRCS = {
    "CRC-8/SMBUS": (8, 0x07, 0x00, False, 0x00),
    "CRC-8/NRSC-5": (8, 0x31, 0xFF, False, 0x00),  # Sensirion SHT3x/SHT4x/SCD4x, SGP
    "CRC-8/MAXIM-DOW": (8, 0x31, 0x00, True, 0x00),  # Dallas/Maxim 1-Wire, DS18B20
    "CRC-16/ARC": (16, 0x8005, 0x0000, True, 0x0000),
    "CRC-16/MODBUS": (16, 0x8005, 0xFFFF, True, 0x0000),
    "CRC-16/IBM-3740": (16, 0x1021, 0xFFFF, False, 0x0000),  # "CCITT-FALSE"
    "CRC-16/XMODEM": (16, 0x1021, 0x0000, False, 0x0000),
    "CRC-16/KERMIT": (16, 0x1021, 0x0000, True, 0x0000),
    "CRC-16/IBM-SDLC": (16, 0x1021, 0xFFFF, True, 0xFFFF),  # X.25, HDLC
    "CRC-32/ISO-HDLC": (32, 0x04C11DB7, 0xFFFFFFFF, True, 0xFFFFFFFF),  # zlib, Ethernet
    "CRC-32/ISCSI": (32, 0x1EDC6F41, 0xFFFFFFFF, True, 0xFFFFFFFF),  # CRC-32C
}
_CRC_WORDS = (
    (r"\bSMBus\b|\bPEC\b|CRC-?8/SMBUS", "CRC-8/SMBUS"),
    (r"sensirion|\bSHT(?:[234]\d|C\d)|\bSCD[34]\d|\bSGP[34]\d|\bSTS3\d|NRSC-5", "CRC-8/NRSC-5"),
    (r"\bdallas\b|\bmaxim\b|1-wire|one-wire|\bDS18B20\b|MAXIM-DOW", "CRC-8/MAXIM-DOW"),
    (r"CRC-?16/ARC\b|\bCRC-16-IBM\b", "CRC-16/ARC"),
    (r"\bmodbus\b", "CRC-16/MODBUS"),
    (r"CCITT[-_ ]?FALSE|IBM-3740", "CRC-16/IBM-3740"),
    (r"\b[XZ]MODEM\b", "CRC-16/XMODEM"),
    (r"\bkermit\b", "CRC-16/KERMIT"),
    (r"\bX[-.]?25\b|IBM-SDLC", "CRC-16/IBM-SDLC"),
    (r"\bCRC[-_ ]?32(?![-_ ]?C\b)|\bzlib\.crc32\b", "CRC-32/ISO-HDLC"),
    (r"\bCRC[-_ ]?32[-_ ]?C\b|castagnoli|\biSCSI\b", "CRC-32/ISCSI"),
)
_CRC_ALIASES = {"CRC-16/CCITT", "CRC-16/CCITT-FALSE", "CRC-16/X-25", "CRC-16/X25", "CRC-8/SENSIRION", "CRC-8/MAXIM",
                "CRC-8/DALLAS", "CRC-16/ZMODEM", "CRC-32/ZLIB"}  # other names of catalogue CRCs, as users write them
_CHECK_DATA = b"123456789"  # the catalogue's check input
_CRC_NAME = re.compile(r"\bCRC|checksum", re.I)


def crc(data: bytes, name: str) -> int:
    """The catalogue CRC `name` of `data`, bit by bit (the definition, not a fast table)."""
    width, poly, value, reflected, xor_out = CRCS[name]
    top, mask = 1 << (width - 1), (1 << width) - 1
    for byte in data:
        byte = int(f"{byte:08b}"[::-1], 2) if reflected else byte
        value ^= byte << (width - 8)
        for _ in range(8):
            value = ((value << 1) ^ poly if value & top else value << 1) & mask
    if reflected:
        value = int(f"{value:0{width}b}"[::-1], 2)
    return value ^ xor_out


def crc_recipe(name: str) -> str:
    """The catalogue CRC `name` as the bitwise loop a repair can write: a reflected CRC shifts right with the
    reflected polynomial, the others shift left."""
    width, poly, init, reflected, xor_out = CRCS[name]
    mask = (1 << width) - 1
    if reflected:
        loop = (f"crc = 0x{init:0{width // 4}X}; for each byte: crc ^= byte; 8 times: crc = (crc >> 1) ^ "
                f"0x{int(f'{poly:0{width}b}'[::-1], 2):0{width // 4}X} if crc & 1 else crc >> 1")
    else:
        aligned = f"byte << {width - 8}" if width > 8 else "byte"
        loop = (f"crc = 0x{init:0{width // 4}X}; for each byte: crc ^= {aligned}; 8 times: crc = ((crc << 1)"
                f" ^ 0x{poly:0{width // 4}X}) & 0x{mask:X} if crc & 0x{1 << (width - 1):X} else (crc << 1) & 0x{mask:X}")
    return loop + (f"; then crc ^= 0x{xor_out:0{width // 4}X}" if xor_out else "")


def _named_crc(requirement: str) -> str | None:
    """The one catalogue CRC the requirement names: by name or device ("CRC-16/MODBUS", "the SHT31's CRC-8"),
    or by its polynomial and initial value ("CRC-8, polynomial 0x31, initialisation 0xFF"); None if none or several."""
    written = {f"CRC-{width}/{alias}".upper() for width, alias in re.findall(r"\bCRC-?(\d+)/([\w-]+)", requirement)}
    if written - {name.upper() for name in CRCS} - _CRC_ALIASES or \
            re.search(r"\bSTM32\b|MPEG-?2|BZIP2|AUTOSAR|\bLRC\b|Modbus ASCII|\bNMEA\b", requirement, re.I):
        return None  # a CRC outside this catalogue (the STM32 unit's CRC-32/MPEG-2) or no CRC (Modbus ASCII's LRC)
    named = {name for pattern, name in _CRC_WORDS if re.search(pattern, requirement, re.I)}
    hexes = {int(h, 16) for h in re.findall(r"\b0x([0-9A-Fa-f]+)\b", requirement)}
    if re.search(r"\bCCITT\b", requirement) and not named:  # CCITT alone does not say which initial value
        named = {"CRC-16/IBM-3740"} if 0xFFFF in hexes else {"CRC-16/XMODEM"} if re.search(
            r"\binit\w*\s*(?:value\s*)?(?:of\s+|to\s+|=\s*|:\s*)?(?:0x0+|0)\b", requirement, re.I) else set()
    if not named and re.search(r"\bCRC-?8\b", requirement) and 0x31 in hexes and 0xFF in hexes:
        named = {"CRC-8/NRSC-5"}
    if not named and re.search(r"\bCRC-?16\b", requirement) and hexes & {0x8005, 0xA001} and 0xFFFF in hexes:
        named = {"CRC-16/MODBUS"}
    name = named.pop() if len(named) == 1 else None
    return name if name and _consistent(name, requirement) else None


def _consistent(name: str, requirement: str) -> bool:
    """Whether the polynomial and initial value the words give (if any) are the catalogue CRC's: "the Sensirion
    CRC-8 with initial value 0x00" is not CRC-8/NRSC-5."""
    width, poly, init, _, _ = CRCS[name]
    reflected_poly = int(f"{poly:0{width}b}"[::-1], 2)
    given_poly = re.search(r"\bpoly(?:nomial)?\b\D{0,12}?0x([0-9A-Fa-f]+)\b", requirement, re.I)
    given_init = re.search(r"\binit(?:ial(?:i[sz]ation|i[sz]ed?)?)?\b(?:\s+value)?\D{0,12}?(0x[0-9A-Fa-f]+|\b0\b)",
                           requirement, re.I)
    return (not given_poly or int(given_poly.group(1), 16) in (poly, reflected_poly)) and \
        (not given_init or int(given_init.group(1), 0) == init)


def _crc_answer(requirement: str, signature: Signature, said: str, needed: list[str]) -> KnownAnswer | None:
    """The catalogue check value for a function that returns a named CRC of its one input: the CRC of b"123456789"."""
    name = _named_crc(requirement)
    if not name or len(needed) != 1 or not _CRC_NAME.search(said):
        return None
    kind = user_types(requirement, signature).get(needed[0], "").lower()
    data = ("list(b'123456789')" if re.search(r"\blist\b", kind) else "'123456789'" if re.search(r"\bstr\b", kind)
            else "_np.frombuffer(b'123456789', dtype=_np.uint8)" if re.search(r"ndarray|array", kind)
            else "b'123456789'")
    expected = crc(_CHECK_DATA, name)
    truth = f"the {name} of b'123456789' is {expected} (0x{expected:X}), the catalogue's check value"
    hint = f"{name} bit by bit is: {crc_recipe(name)}"
    return KnownAnswer("the bytes b'123456789' (the CRC catalogue's check input)", ((needed[0], data),),
                       float(expected), 0.0, "", check=_number_check(float(expected), 0.0, truth, hint, as_hex=True))


_CLOCK_SYNC_WORDS = re.compile(r"\bS?NTP\b|\bPTP\b|IEEE ?1588|clock (?:offset|sync)|time sync|Cristian", re.I)
# RFC 5905's names for the four timestamps of one exchange, and a client's and server's.
_EXCHANGE_ROLES = ((r"^(?:t_?)?org$|orig", r"^(?:t_?)?rec(?:v|eive)?(?:_\w+)?$", r"^(?:t_?)?(?:xmt|transmit)",
                    r"^(?:t_?)?(?:dst|dest)"),
                   (r"client_?(?:send|tx|sent)", r"server_?(?:recv|rx|receive)", r"server_?(?:send|tx|sent|transmit)",
                    r"client_?(?:recv|rx|receive)"))
# T1..T4 (s): the server's clock 0.5 s ahead, 30 ms out, 10 ms in the server, 50 ms back.
EXCHANGE = (1000.0, 1000.53, 1000.54, 1000.09)


def _exchange_order(needed: list[str]) -> list[str] | None:
    """The four timestamp parameters in exchange order (client sends, server receives, server sends, client
    receives): by their digits (t1..t4, t0..t3) or by RFC 5905's or client/server names; None if unclear."""
    digits = [re.fullmatch(r"t_?(\d)", name, re.I) for name in needed]
    if len(needed) == 4 and all(digits):
        numbers = [int(d.group(1)) for d in digits]
        if sorted(numbers) in ([0, 1, 2, 3], [1, 2, 3, 4]):
            return [name for _, name in sorted(zip(numbers, needed))]
    for patterns in _EXCHANGE_ROLES:
        named = [[name for name in needed if re.search(pattern, name, re.I)] for pattern in patterns]
        if len(needed) == 4 and all(len(names) == 1 for names in named) and len({n[0] for n in named}) == 4:
            return [names[0] for names in named]
    return None


def _clock_sync_answer(requirement: str, signature: Signature, said: str, returned: str | None) -> KnownAnswer | None:
    """NTP's (or PTP's) clock offset and delay from one exchange's four timestamps: offset ((T2 - T1) + (T3 - T4))
    / 2 = 0.49 s with asymmetric paths; delay (T4 - T1) - (T3 - T2) = 0.08 s round trip (NTP), or half of it as
    PTP's mean path delay; as one number, or a tuple in the order the words name them; in the unit said."""
    offset_at, delay_at = (re.search(pattern, said, re.I) for pattern in (r"\boffset", r"\bdelay|round[- ]trip"))
    if not _CLOCK_SYNC_WORDS.search(requirement) or not (offset_at or delay_at) or \
            re.search(r"64-bit|fraction|\bera\b|\bbytes\b|packet", requirement, re.I):
        return None
    order = _exchange_order(_required(signature))
    if order is None or len(_parameters(signature)) != 4:
        return None
    stamps = _unit_near(requirement, order[0], _TIME_WORDS)
    out = _unit_of(said, _TIME_WORDS) or stamps
    if stamps is None or out is None:
        return None
    t1, t2, t3, t4 = EXCHANGE
    one_way = bool(re.search(r"one[- ]way|mean path|\bPTP\b|IEEE ?1588", said + " " + requirement, re.I)) and \
        not re.search(r"round[- ]trip", said, re.I)
    values = {"offset": ((t2 - t1) + (t3 - t4)) / 2 / out,
              "delay": ((t4 - t1) - (t3 - t2)) / (2 if one_way else 1) / out}
    if returned and returned.startswith("tuple") or re.search(r"\btuple\b|\bpair\b", said, re.I):
        if not (offset_at and delay_at):
            return None
        names = sorted(values, key=lambda name: (offset_at if name == "offset" else delay_at).start())
    elif returned in ("float", None) and bool(offset_at) != bool(delay_at):
        names = ["offset" if offset_at else "delay"]
    else:
        return None
    expected = [round(values[name], 12) for name in names]
    tolerance = 1e-6 / out
    inputs = tuple((name, repr(round(t / stamps, 9))) for name, t in zip(order, EXCHANGE))
    truth = (f"the offset is {values['offset']:.6g} and the {'mean path' if one_way else 'round-trip'} delay "
             f"{values['delay']:.6g} {dict(_TIME_NAMES).get(out, 's')}")
    hint = ("offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2) (halved for a one-way delay), with "
            "T1 the client's send, T2 the server's receive, T3 the server's send, T4 the client's receive")
    check = (_number_check(expected[0], tolerance, truth, hint) if len(expected) == 1 else
             f"_not_the_numbers(_result, {tuple(expected)!r}, {tolerance!r}, {truth!r}, {hint!r})")
    return KnownAnswer("one time-sync exchange (server 0.5 s ahead, 30 ms out, 50 ms back)", inputs,
                       expected[0], tolerance, "", check=check)


# Topic-filter examples of the MQTT specification (3.1.1 section 4.7, 5.0 section 4.7) that every statement of its
# rules agrees on: '#' matching its parent level and filters on '$' topics are left out, users state those either way.
MQTT_CASES = (
    ("sport/tennis/+", "sport/tennis/player1", True),
    ("sport/tennis/+", "sport/tennis/player1/ranking", False),
    ("sport/+", "sport", False),
    ("sport/+/player1", "sport/tennis/player1", True),
    ("+/+", "/finance", True),
    ("+", "/finance", False),
    ("sport/#", "sport/tennis/player1", True),
    ("#", "sport/tennis/player1", True),
    ("sport/tennis", "sport/tennis", True),
    ("sport/tennis", "sport/Tennis", False),
    ("sport/tennis", "sport/tennis/player1", False),
    ("sport/tennis/player1", "sport/tennis", False),
)
_MQTT_WORDS = re.compile(r"\bMQTT\b")
_WILDCARD_WORDS = re.compile(r"wildcard|'\+'|\+|'#'|#|\bsubscri", re.I)
_FILTER_NAME = re.compile(r"filter|pattern|sub(?:scription)?$|^sub_|wildcard|mask", re.I)
_TOPIC_NAME = re.compile(r"topic|^name$", re.I)


def _topic_match_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """Whether an MQTT topic filter matches a topic: the specification's own examples, each must come out right.

    For a function of a filter and a topic (told apart by their names) that the user says returns a bool."""
    if returned != "bool" or not _MQTT_WORDS.search(requirement) or not _WILDCARD_WORDS.search(requirement):
        return None
    needed = _required(signature)
    roles = _two_roles(needed, _FILTER_NAME, _TOPIC_NAME)
    if roles is None:
        return None
    topic_filter, topic = roles
    filter_first = needed.index(topic_filter) == 0
    first_filter, first_topic, _ = MQTT_CASES[0]
    inputs = ((topic_filter, repr(first_filter)), (topic, repr(first_topic)))
    inputs = inputs if filter_first else inputs[::-1]
    check = f"_topic_matches_wrongly({signature.function_name}, {MQTT_CASES!r}, {filter_first})"
    return KnownAnswer(f"the {len(MQTT_CASES)} topic-filter examples of the MQTT specification", inputs, 1.0, 0.0, "",
                       check=check)


def cobs_encode(data: bytes) -> bytes:
    """COBS (Cheshire and Baker 1999) without the trailing 0x00 delimiter: the reference for `COBS_CASES`."""
    out, block = bytearray(), bytearray()
    for byte in data:
        if byte:
            block.append(byte)
        if not byte or len(block) == 254:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
    return bytes(out + bytes([len(block) + 1]) + block)


# Raw frames with their COBS encodings: the published examples (zeros alone, in a row, between data) and a run
# longer than one 254-byte block. Runs that end exactly at a block's end are left out: encoders differ there.
COBS_CASES = tuple((raw, cobs_encode(raw)) for raw in (
    b"\x00", b"\x00\x00", b"\x00\x11\x00", b"\x11\x22\x00\x33", b"\x11\x22\x33\x44", b"\x11\x00\x00\x00",
    bytes(range(1, 256)) + bytes(range(1, 46)), b"\x05" * 10 + b"\x00" + b"\x07" * 300 + b"\x00\x09"))
_COBS_WORDS = re.compile(r"\bCOBS\b|consistent overhead byte stuffing", re.I)


def _cobs_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """A COBS encoder or decoder of one bytes input (a decoder by its name) must give the known encodings."""
    needed = _required(signature)
    if not _COBS_WORDS.search(requirement) or len(needed) != 1:
        return None
    decode = bool(re.search(r"decod|unstuff", signature.function_name, re.I))
    if not decode and not re.search(r"encod|stuff|frame|pack", signature.function_name, re.I):
        return None
    raw, encoded = COBS_CASES[3]
    check = f"_stuffed_wrongly({signature.function_name}, {COBS_CASES!r}, {decode})"
    return KnownAnswer(f"{len(COBS_CASES)} frames with known COBS encodings",
                       ((needed[0], repr(encoded if decode else raw)),), 1.0, 0.0, "", check=check)


def rfc6298_rto(samples: list[float], alpha: float = 0.125, beta: float = 0.25, k: float = 4.0, clock_g: float = 0.0,
                lowest: float = 0.0, highest: float = math.inf) -> list[float]:
    """The retransmission timeout after each RTT sample (RFC 6298, section 2): the reference for `_rto_answer`."""
    timeouts, srtt, rttvar = [], None, None
    for rtt in samples:
        if srtt is None:
            srtt, rttvar = rtt, rtt / 2
        else:
            rttvar = (1 - beta) * rttvar + beta * abs(srtt - rtt)
            srtt = (1 - alpha) * srtt + alpha * rtt
        timeouts.append(min(max(srtt + max(clock_g, k * rttvar), lowest), highest))
    return timeouts


# RTT samples (s) whose timeouts stay between 4 and 7 s: clear of the usual 1 s floor and 60 s ceiling.
RTT_SAMPLES = (2.0, 1.0, 3.0, 2.5, 0.8, 1.6)
_RTO_WORDS = re.compile(r"RFC ?6298|\bSRTT\b|\bRTTVAR\b|Jacobson|Karn", re.I)
_RTO_ROLES = (("alpha", r"^alpha$|^a$|srtt_gain"), ("beta", r"^beta$|^b$|rttvar_gain"), ("k", r"^k$|mult"),
              ("clock_g", r"clock|granular|^g$|^tick"), ("lowest", r"^min|lower|floor"),
              ("highest", r"^max|upper|ceil"), ("initial", r"init|first|start"))


def _rto_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """TCP's retransmission timeout (RFC 6298) from a list of RTT samples: the timeout after each sample (a
    returned list) or after the last (a number), with the gains, granularity and bounds the user's defaults set;
    seconds or milliseconds as the samples' name or words say."""
    needed = _required(signature)
    if not _RTO_WORDS.search(requirement) or not re.search(r"\bRTO\b|retransmission time", requirement, re.I) \
            or len(needed) != 1 or returned not in ("float", "int", "list", "list[float]", "np.ndarray"):
        return None
    settings: dict[str, float] = {}
    for name, default in _parameters(signature):
        if name in needed:
            continue
        role = next((role for role, pattern in _RTO_ROLES if re.search(pattern, name, re.I)), None)
        value = _literal_number(default)
        if role is None or role in settings or value is None:
            return None  # a setting the formula does not know, or one that is not a number
        settings[role] = value
    settings.pop("initial", None)  # in force only before the first sample
    scale = _unit_of(needed[0], _TIME_UNITS) or _unit_of(_words_about(requirement, needed[0]), _TIME_WORDS)
    if scale is None:  # the one time unit the requirement says, else seconds as in the RFC
        said = {size for pattern, size in _TIME_WORDS if re.search(pattern, requirement, re.I)}
        if len(said) > 1:
            return None
        scale = said.pop() if said else 1.0
    samples = [rtt / scale for rtt in RTT_SAMPLES]
    timeouts = rfc6298_rto(samples, **settings)
    expected = [round(value, 12) for value in timeouts] if returned != "float" else round(timeouts[-1], 12)
    check = f"_rto_wrongly(_result, {samples!r}, {expected!r})"
    return KnownAnswer(f"{len(samples)} RTT samples", ((needed[0], repr(samples)),), 0.0, 0.0, "", check=check)


def slip_escape(frame: bytes) -> bytes:
    """SLIP's escaping (RFC 1055) of one frame, without END: ESC first, so that no inserted ESC is escaped again."""
    return frame.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")


# Frames with their SLIP escapes: END and ESC in the data, alone and in a row, and the bytes ESC_END and ESC_ESC
# standing for themselves where no ESC comes before them.
SLIP_CASES = tuple((frame, slip_escape(frame)) for frame in (
    b"\x01\xc0\x02", b"\xdb", b"\xc0\xc0\xdb\xdb", b"\xdc\xdd\x10", b"hello", bytes(range(0xBA, 0xE0))))
_SLIP_WORDS = re.compile(r"\bSLIP\b|RFC ?1055", re.I)
_DECODER_NAME = re.compile(r"decod|unstuff|unslip|unescape|deframe|parse|split|read|receiv|\brx|_rx", re.I)
_ENCODER_NAME = re.compile(r"encod|escape|stuff|frame|pack|wrap|send|\btx|_tx", re.I)


def _slip_answer(requirement: str, signature: Signature, returned: str | None) -> KnownAnswer | None:
    """A SLIP encoder or decoder of one bytes input must give the known escapes: a decoder (by its name) returns
    one frame as bytes, or every frame of a buffer as a list."""
    needed = _required(signature)
    if not _SLIP_WORDS.search(requirement) or len(needed) != 1 or returned is None:
        return None
    decode = bool(_DECODER_NAME.search(signature.function_name))
    if not decode and not _ENCODER_NAME.search(signature.function_name):
        return None
    mode = ("stream" if returned.startswith("list") else "decode") if decode else "encode"
    if returned.startswith("list") != (mode == "stream") or not returned.startswith(("bytes", "bytearray", "list")):
        return None
    raw, escaped = SLIP_CASES[0]
    given = {"encode": raw, "decode": escaped + b"\xc0",
             "stream": b"\xc0" + b"".join(escaped + b"\xc0" for _, escaped in SLIP_CASES)}[mode]
    check = f"_slipped_wrongly({signature.function_name}, {SLIP_CASES!r}, {mode!r})"
    return KnownAnswer(f"{len(SLIP_CASES)} frames with known SLIP escapes", ((needed[0], repr(given)),), 1.0, 0.0, "",
                       check=check)


_MODBUS_RTU = re.compile(r"\bModbus\b(?![- ]?(?:ASCII|TCP))", re.I)
_MODBUS_FUNCTIONS = ((r"\bholding registers?\b|\b0x0?3\b|function(?: code)? 3\b", 3),
                     (r"\binput registers?\b|\b0x0?4\b|function(?: code)? 4\b", 4))
_MODBUS_ROLES = (("slave", r"slave|unit|device|node|server|^addr(?:ess)?$|^id$"), ("start", r"start|first|reg\w*_?addr|^register$|offset"),
                 ("count", r"count|quantity|num|^n_|length|^n$"))


def _modbus_request_answer(requirement: str, signature: Signature) -> KnownAnswer | None:
    """A Modbus RTU request that reads holding (0x03) or input (0x04) registers: slave 17, 3 registers from
    address 107 is 11 03 00 6B 00 03 and the CRC-16/MODBUS low byte first (the specification's example)."""
    if not _MODBUS_RTU.search(requirement) or re.search(r"\bTCP\b|\bMBAP\b|\bASCII\b|\bLRC\b", requirement):
        return None
    codes = {code for pattern, code in _MODBUS_FUNCTIONS if re.search(pattern, requirement, re.I)}
    needed = _required(signature)
    roles = {role: [name for name in needed if re.search(pattern, name, re.I)] for role, pattern in _MODBUS_ROLES}
    if len(codes) != 1 or len(needed) != 3 or any(len(names) != 1 for names in roles.values()) or \
            len({names[0] for names in roles.values()}) != 3:
        return None
    code = codes.pop()
    body = bytes([17, code, 0, 107, 0, 3])
    checksum = crc(body, "CRC-16/MODBUS")
    frame = body + bytes([checksum & 0xFF, checksum >> 8])
    inputs = ((roles["slave"][0], "17"), (roles["start"][0], "107"), (roles["count"][0], "3"))
    check = (f"'' if isinstance(_result, (bytes, bytearray)) and bytes(_result) == {frame!r} else "
             f"f'it returned {{_result!r:.80}}, but the request is {frame.hex(' ').upper()}: slave id, function code "
             f"{code:#04x}, start address and register count as big-endian uint16, then the CRC-16/MODBUS of those six "
             f"bytes, low byte first (CRC-16/MODBUS bit by bit: {crc_recipe('CRC-16/MODBUS')})'")
    return KnownAnswer("the Modbus RTU request for 3 registers from address 107 of slave 17", inputs, 0.0, 0.0, "",
                       check=check)
