"""The pipeline's entrance: check a requirement before any model time is spent on it, and read what it fixes.

A requirement may name the function the user wants (`count_steps(acc, fs)`);
then its signature is kept exactly, and the types the user's words give its
parameters ("acc is an (N, 3) array in m/s^2") beat any model's guess.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import unicodedata

from .config import GenerationConfig
from .errors import RequirementError
from .schema import Signature

EXAMPLE = ("e.g. 'Count steps from a wrist-worn 3-axis accelerometer at 50 Hz; "
           "write count_steps(acc, fs) returning the number of steps.'")

# Words that mark a request for sensing, data-processing or device code. A
# requirement with none of them is most likely not something to generate code for.
_TOPIC_WORDS = set("""
sensor sensors sensing data dataset signal signals device devices iot embedded firmware accelerometer gyroscope
magnetometer imu temperature humidity pressure rssi wifi csi ble bluetooth uwb radar mmwave lidar ecg ppg eeg emg
heart heartbeat breathing respiration audio microphone sound acoustic vibration gps location localisation
localization position tracking classify classification classifier detect detection detector estimate estimation
predict prediction forecast filter filtering fft spectrum spectrogram frequency hz khz mhz sample samples sampling
window windows feature features model train training function functions python code script program compute
calculate parse parser packet packets mqtt protocol modbus esp32 arduino raspberry mcu microcontroller edge energy
power battery voltage current meter metering anomaly anomalies monitor monitoring count counting step steps gait
fall activity occupancy camera light co2 gas soil moisture timestamp timestamps series array numpy csv json
stream streaming smoothing noise peak peaks threshold pipeline algorithm
""".split())

_INJECTION = re.compile(r"ignore (all |any |the )?(previous|prior|above) (instructions|rules)|system prompt", re.I)


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0  # no language to judge: not "non-English", and the topic check still applies
    return sum("LATIN" in unicodedata.name(c, "") for c in letters) / len(letters)


def check_requirement(text: str, config: GenerationConfig) -> tuple[str, list[str]]:
    """Return the cleaned requirement and warnings for the user; raise RequirementError if unusable."""
    cleaned = "".join(c for c in (text or "") if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if not cleaned:
        raise RequirementError(f"The requirement is empty: describe the IoT application to build, {EXAMPLE}")
    if len(cleaned) > config.max_requirement_chars:
        raise RequirementError(
            f"The requirement is {len(cleaned)} characters long; the limit is {config.max_requirement_chars} "
            "so that it fits the model's context with room for the answer. Shorten it to the essentials "
            "(sensors, sampling rate, what to compute, target device), or split it into several requirements."
        )
    warnings = []
    latin = _latin_share(cleaned)
    if latin < 0.5:
        warnings.append("The requirement is not written in English: the local models work best in English, "
                        "and the plan and code will be in English.")
    words = set(re.findall(r"[a-z0-9]+", cleaned.lower()))
    if latin >= 0.5 and not (words & _TOPIC_WORDS) and not config.allow_off_topic:
        raise RequirementError(
            "This does not look like a request for IoT or data-processing code, so no model time was spent "
            f"on it. Describe the sensors, the data and what to compute, {EXAMPLE} "
            "(or pass --allow-off-topic to try anyway)."
        )
    if _INJECTION.search(cleaned):
        warnings.append("The requirement contains text that reads like instructions to the model; "
                        "it is treated as data describing the application, not as instructions.")
    return cleaned, warnings


def with_available_data(requirement: str, datasets: tuple[str, ...]) -> str:
    """The requirement as the models see it: followed by the example data the notebook can load, if any."""
    if not datasets:
        return requirement
    from .prompts import render
    from .sensors import describe_datasets

    try:
        described = describe_datasets(datasets)
    except ValueError as exc:
        raise RequirementError(str(exc)) from exc
    return render("available_data.md", requirement=requirement, datasets=described)


# ------------------------------------------------------------------ what the requirement fixes

# name(params) -> returns; a parameter's default may hold one level of brackets: start=(0.0, 0.0)
_CALL = re.compile(r"(?:\bdef\s+)?\b([A-Za-z_][A-Za-z0-9_]*)\(((?:[^()]|\([^()]*\))*)\)"
                   r"(\s*->\s*[A-Za-z_][\w\[\], .|]*)?")


def _param_source(arg: ast.arg, default: ast.expr | None, prefix: str = "") -> str:
    text = prefix + arg.arg
    if arg.annotation is not None:
        text += f": {ast.unparse(arg.annotation)}"
    if default is not None:
        text += f" = {ast.unparse(default)}" if arg.annotation is not None else f"={ast.unparse(default)}"
    return text


def _parameters(args: ast.arguments) -> list[str]:
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [_param_source(a, d) for a, d in zip(positional, defaults)]
    if args.vararg is not None:
        params.append(_param_source(args.vararg, None, "*"))
    elif args.kwonlyargs:
        params.append("*")
    params += [_param_source(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        params.append(_param_source(args.kwarg, None, "**"))
    return params


def _return_candidates(returns: str) -> list[str]:
    """`-> int that counts steps` -> the whole text, then one word shorter each time, then no annotation.

    The return-annotation pattern also matches the prose after it, so the
    longest prefix that parses is the annotation.
    """
    words = returns.split()
    return [" ".join(words[:n]).rstrip(" ,.") for n in range(len(words), 0, -1)] + [""]


# "Write wire_frequency(x, fs)", "Implement a function f(x)", "class RingBuffer(capacity)": the call is the one asked for
_ASKED_FOR = re.compile(r"\b(?:write|implement|create|define|code|build|provide|add|function|method|class|def)\b"
                        r"(?:(?![.;!?](?:\s|$)).){0,60}$", re.I)
_BUILTIN_NAMES = frozenset(dir(builtins))  # len(x), max(a, b) in prose are no function to write


def find_required_signature(requirement: str) -> Signature | None:
    """The `name(params)` that the requirement asks for and that parses as a Python signature.

    The first one after "Write", "Implement a function", "class", ... wins; without such a word, the first
    one that is neither a library call (`np.mean(x)`) nor a builtin. The context before it may hold
    notation that also looks like a call ("the bin spacing fs / len(x)", "phi(f) = phi0 - 4 pi f d / c").
    """
    found = [signature for match in _CALL.finditer(requirement)
             if (signature := _signature_at(requirement, match)) is not None]
    own = [(s, start) for s, start in found if requirement[:start][-1:] != "." and s.function_name not in _BUILTIN_NAMES]
    asked = [s for s, start in own if _ASKED_FOR.search(requirement[:start])]
    return (asked or [s for s, _ in own] or [None])[0]


def _signature_at(requirement: str, match: re.Match) -> tuple[Signature, int] | None:
    """The signature that `match` of `_CALL` spells, with where its name starts, or None if it is not one."""
    name, params = match.group(1), match.group(2)
    if keyword.iskeyword(name):
        return None
    for returns in _return_candidates(match.group(3) or ""):
        try:
            func = ast.parse(f"def {name}({params}) {returns}:\n    pass\n").body[0]
            break
        except SyntaxError:
            continue
    else:
        return None
    is_class = bool(re.search(r"\bclass\s+$", requirement[: match.start(1)]))
    if not (is_class or func.args.args or func.args.posonlyargs or func.args.kwonlyargs or func.args.vararg):
        return None  # "x()" in prose is no signature; "a class IsoTpReceiver()" is one
    signature = Signature(
        function_name=name,
        parameters=_parameters(func.args),
        returns=ast.unparse(func.returns) if func.returns is not None else None,
        required=True,
        is_class=is_class,
    )
    return signature, match.start(1)


def parameter_parts(source: str) -> tuple[str, str, str]:
    """One parameter's source -> (name, annotation, default): 'fs: float = 50.0' -> ('fs', 'float', '50.0').

    '*args' -> ('args', '', ''); the bare '*' -> ('', '', ''). Empty strings where a part is absent.
    """
    head, _, default = source.partition("=")
    name, _, annotation = head.partition(":")
    return name.strip().lstrip("*"), annotation.strip(), default.strip()


def signature_parameter_names(signature: Signature) -> list[str]:
    return [name for name, _, _ in map(parameter_parts, signature.parameters) if name]


_DIMS = re.compile(r"\(\s*[A-Za-z0-9_]+\s*(?:(?:,\s*[A-Za-z0-9_]+\s*)+,?|,)\s*\)")  # (n, 3) or (n,)
_UNIT = re.compile(r"(?:\bin |\()(m/s\^?2|m/s²|rad/s|deg/s|degrees(?: C| F)?|°C|degC|Hz|kHz|metres|meters|seconds|ms|"
                   r"dBm|dB|volts|V|mV|A|mA|W|kW|kWh|Pa|hPa|kPa|bpm|lux|ppm|%)(?![\w/])")
# A name followed straight by its unit is one quantity: "every dt seconds" (Hz has its own rule).
_BARE_UNIT = re.compile(r"\s*(seconds|ms|milliseconds|metres|meters|dBm|degrees C|volts)\b")
_ARRAY_WORDS = re.compile(r"\b(?:arrays?|sequences?|lists?|matri(?:x|ces)|signal)\b|\b[123]-D\b", re.I)
# K, N_ANCHORS, n_samples, channels, 3 name sizes; (min, max) does not
_SIZE_NAME = re.compile(r"[A-Za-z]\d*|[A-Z][A-Z0-9_]*|n_\w+|[a-z_]+s|\d+")
_SPELLED_DIMS = re.compile(r"\b([A-Za-z]|n_\w+|\d+)\s*[x×]\s*([A-Za-z]|n_\w+|\d+)\b")
# The length a count gives: "of length n_subcarriers", "sequences of M floats", "a list of 3 ints" (not "of 3-D points").
_LENGTH = re.compile(r"\blength\s+([A-Za-z_]\w*|\d+)(?![-\w])|\bof\s+([A-Z]\d*|n_\w+|\d+)\s+[a-z]")
_AFTER_BREAK = re.compile(r";|\.\s|\.$|,(?![^()]*\))|\b(?:and|where|while|that|to|if|or|when)\b")
_TOP_LEVEL_LIST = re.compile(r",\s*(?:and\s+)?(?![^()]*\))|\s+and\s+(?![^()]*\))")
_TAKES = re.compile(r"^\s*(?:that|which|,)?\s*(?:takes|taking|accepts|accepting)\s+(.+?)"
                    r"(?=,?\s+(?:and\s+)?(?:returns?|returning|computes?|outputs?|estimates?)\b|;|\.\s|\.$)")
_COUNTS = {"two": 2, "three": 3, "four": 4, "both": 2}
_NOUN_START = re.compile(r"\s*(?:an?|the|two|three|four|both|its|their|one|optional|\d|[A-Z]\b|\(|float|int|"
                         r"integer|string|str|bytes|list|array|[123]-D|NumPy)", re.I)
_ENGLISH = frozenset({"a", "an", "i", "in", "is", "it", "of", "on", "or", "to", "the", "and", "at", "as", "by"})


# "a list of (device_id: str, timestamp: float) tuples", "a list of (start_s, end_s, label) tuples": records.
_RECORD_LIST = re.compile(r"^\s*(?:an?\s+|the\s+)?(?:plain\s+)?(?:Python\s+)?list of \(([^()]+)\) tuples\b", re.I)
_TEXT_FIELD = re.compile(r"(?:^|_)(?:id|label|name|device|mac|topic|key|unit|type|kind|class)$", re.I)
_INT_FIELD = re.compile(r"^(?:seq|seqno|index|idx|count|n|i|port)$|_(?:idx|index|count|seq)$", re.I)


def _record_list_type(phrase: str) -> str | None:
    """`list[tuple[str, float]]` for "a list of (device_id: str, timestamp: float) tuples": each field's own
    annotation, else the type its name has (ids and labels are text, sequence numbers and indices ints,
    the rest measurements). A list of NumPy stand-ins would make every right version fail to unpack."""
    record = _RECORD_LIST.match(phrase)
    if not record:
        return None
    kinds = []
    for field in record.group(1).split(","):
        name, _, annotation = (part.strip() for part in field.partition(":"))
        if annotation and annotation not in ("str", "int", "float"):
            return None
        kinds.append(annotation or ("str" if _TEXT_FIELD.search(name) else
                                    "int" if _INT_FIELD.search(name) else "float"))
    return f"list[tuple[{', '.join(kinds)}]]"


# "a list of bytes payloads", "a sequence of 4-byte frames", "a list of byte strings": packets, not numbers
_PAYLOAD_LIST = re.compile(r"\b(?:lists?|sequences?|iterables?)\s+of\s+(?:raw\s+|binary\s+)?(?:\d{1,4}-byte\s+\w+"
                           r"|bytes(?:\s+(?:payloads?|frames?|packets?|messages?|objects?|strings?|buffers?))?(?!\s+values?)"
                           r"|byte\s+strings?|bytearrays?)\b", re.I)


# "a sequence of strings", "an iterable of readings", "array-like": the user will pass a list or a NumPy array.
EITHER_CONTAINER = ", a list or an array"
_EITHER_WORDS = re.compile(r"\b(?:sequences?|iterables?|array-like)\b", re.I)
_ONE_CONTAINER = re.compile(r"\b(?:arrays?|lists?|ndarrays?|numpy)\b", re.I)


# "a list of (L_i, C) arrays", "a sequence of 1-D NumPy arrays": templates, windows or layers, each its own array
_ARRAYS_IN_A_LIST = re.compile(r"\b(?:lists?|sequences?)\s+of\s+(?:[\w(),-]+\s+){0,3}?(?:numpy\s+)?n?d?arrays\b", re.I)


def _array_type(phrase: str, dims: re.Match | None, suffix: str) -> str:
    """The type of a parameter whose words name an array, list, sequence or shape."""
    if _ARRAYS_IN_A_LIST.search(phrase):
        return "list[np.ndarray]" + (f", each of shape {dims.group(0)}" if dims else "") + suffix
    integers = re.search(r"\bints?\b|\bintegers?\b|\bint(?:8|16|32|64)\b|\bcounts\b", phrase)
    if re.search(r"\bstr(?:ing)?s?\b", phrase) or not integers and re.search(r"\b(?:ids|names|topics)\b", phrase):
        return "list[str], length n_samples"
    if re.search(r"\bnested\s+lists?\b|\blists?\s+of\s+lists\b", phrase, re.I):  # rows as Python lists (JSON)
        return f"list[list[{'int' if integers else 'float'}]]" + (f", shape {dims.group(0)}" if dims else "") + suffix
    suffix += ", complex" if re.search(r"\bcomplex\b", phrase) else ""  # CSI, IQ samples, FFT bins
    if dims:
        return f"np.ndarray{' of int' if integers else ''}, shape {dims.group(0)}{suffix}"
    points = re.search(r"\b([23])-D\s+(?:points|positions|coordinates|locations|vectors)\b", phrase, re.I)
    if points:  # "a list of 3-D points": the 3 is each point's, the list is (n_points, 3)
        return f"np.ndarray, shape (n_points, {points.group(1)}){suffix}"
    if re.search(r"\b2-D\b", phrase, re.I):
        return f"np.ndarray, shape (n_samples, n_channels){suffix}"
    if re.search(r"\b3-D\b", phrase, re.I):
        return f"np.ndarray, shape (n_samples, window_len, n_channels){suffix}"
    length = _LENGTH.search(phrase)
    size = (length.group(1) or length.group(2)) if length else "n_samples"
    if re.search(r"\blists?\b", phrase, re.I) and not re.search(r"\barrays?\b|numpy|ndarray", phrase, re.I):
        return f"list[{'int' if integers else 'float'}], shape ({size},){suffix}"  # "a list of floats": JSON values
    return f"np.ndarray{' of int' if integers else ''}, shape ({size},){suffix}"


# "the frame payload as bytes", "a bytes object": one binary payload ("the size in bytes" is a number)
_BYTES_WORDS = re.compile(r"\bas\s+(?:raw\s+)?bytes\b|\b(?:an?|the)\s+(?:raw\s+)?bytes(?:\s+object)?\b(?!\s+of\b)"
                          r"|\bbytearray\b", re.I)
# "a dict mapping beacon id (str) to room name (str)", "a dict mapping activity name to its MET value"
_MAPPING = re.compile(r"\b(?:dict|dictionary|mapping)\s+(?:mapping|from)\s+(?:each\s+|an?\s+|the\s+)?(.+?)\s+to\s+"
                      r"(?:its\s+|their\s+|the\s+|an?\s+)?(.+)", re.I)
_DICT_RECORDS = re.compile(r"\blist\s+of\s+(?:dicts|dictionaries)\s+with\s+(?:the\s+)?keys?\b(.*)", re.I)
_STRUCTURE_START = re.compile(r"\s*(?:an?\s+|the\s+)?(?:python\s+)?(?:dict|dictionary|mapping|list\s+of\s+dict)", re.I)
_TEXT_WORDS = re.compile(r"\bstr\b|\bstrings?\b|\b(?:ids?|names?|labels?|topics?|keys?|activit(?:y|ies)|rooms?"
                         r"|devices?|macs?|units?|class(?:es)?)\b", re.I)


def _mapping_type(phrase: str) -> str | None:
    """`dict[str, float]` for "a dict mapping activity name to its MET value": text keys (names, ids, labels) or
    int keys, and text, int or float values; None for nested values (lists, tuples, dicts)."""
    mapping = _MAPPING.search(phrase)
    if not mapping:
        return None
    key, value = mapping.group(1), _AFTER_BREAK.split(mapping.group(2), maxsplit=1)[0]
    if re.search(r"\b(?:lists?|tuples?|arrays?|dicts?|pairs?)\b", value, re.I):
        return None
    key_kind = "str" if _TEXT_WORDS.search(key) else "int" if re.search(r"\bint|\bindex|\bnumber", key) else None
    value_kind = ("str" if _TEXT_WORDS.search(value) and not re.search(r"\bfloat|\bint\b|value", value)
                  else "int" if re.search(r"\bint(?:eger)?\b|\bcount\b", value) else "float")
    return f"dict[{key_kind}, {value_kind}]" if key_kind else None


def _described_type(phrase: str) -> str | None:
    """The type text that the user's words about one parameter give, or None when they give none."""
    phrase = _SPELLED_DIMS.sub(r"(\1, \2)", phrase)  # "n x n covariance matrices"
    phrase = re.sub(r"\blength-(\w+)", r"length \1", phrase)  # "length-n lists of floats"
    record_list = _record_list_type(phrase)
    if record_list:
        return record_list
    if _PAYLOAD_LIST.search(phrase):
        return "list[bytes]"
    if re.match(r"\s*k?Hz\b", phrase) or re.search(r"\bsampl(?:ing|e) (?:rate|frequency)\b", phrase):
        return "float, Hz"
    bare = _BARE_UNIT.match(phrase)
    if bare:
        return f"float, {bare.group(1)}"
    unit = _UNIT.search(_DIMS.sub("", phrase))  # not the A of "(A,)"
    suffix = f", {unit.group(1)}" if unit else ""
    dims = _DIMS.search(phrase)
    mapping = _mapping_type(phrase)
    if mapping:
        return mapping
    records = _DICT_RECORDS.search(phrase)
    if records:  # "a list of dicts with keys 'name' (str), 'priority' (int), 'C' (...)": each key with its kind
        keys = re.findall(r"'(\w+)'\s*(?:\(\s*(str|int|float|bool)\b)?", records.group(1))
        if keys:
            return "list[dict], keys " + ", ".join(f"'{key}'{f' {kind}' if kind else ''}" for key, kind in keys)
    if re.search(r"\btuples?\b|\bdicts?\b|\bdictionar", phrase):
        return None  # a structure the sample synthesiser cannot build from words; the annotation or model says more
    sizes = dims and all(_SIZE_NAME.fullmatch(d.strip()) for d in dims.group(0)[1:-1].split(",") if d.strip())
    shaped = dims and (re.search(r"\bshape\s*$", phrase[: dims.start()]) or sizes and (
        phrase.lstrip().startswith("(") or re.match(r"\s+[a-z]+s\b", phrase[dims.end():])))  # "(K, 2) positions"
    if _ARRAY_WORDS.search(phrase) or shaped:
        return _array_type(phrase, dims, suffix) + (EITHER_CONTAINER if _EITHER_WORDS.search(phrase)
                                                   and not _ONE_CONTAINER.search(phrase) else "")
    if unit and unit.group(1) in ("Hz", "kHz"):
        return "float, Hz"
    if _BYTES_WORDS.search(phrase):
        return "bytes"
    if re.search(r"\ba\s+bool(?:ean)?\b", phrase):
        return "bool"
    if re.search(r"\b(?:an?|the)\s+(?:str|string)\b", phrase):
        quoted = re.search(r"'[^'\\]{1,40}'", phrase)  # "the string 'little_endian'": a value the user accepts
        return f"str, e.g. {quoted.group(0)}" if quoted else "str"
    if re.search(r"\b(?:an? )?int(?:eger)?\b", phrase):
        return "int"
    if re.search(r"\b(?:a )?float\b", phrase):
        return f"float{suffix}"
    return None


def _taken_types(after_call: str, names: list[str], required: int) -> dict[str, str]:
    """Types from "f(a, b) that takes an (N, 3) array and the sampling rate in Hz": item i types parameter i.

    The list ends at the first item that does not start like a noun phrase (a verb starts the next
    clause). A list shorter than the parameters without defaults skips some, so then only its first
    item (the data; "two arrays" counts twice) is read.
    """
    takes = _TAKES.match(after_call)
    if not takes:
        return {}
    items: list[str] = []
    for item in _TOP_LEVEL_LIST.split(takes.group(1)):
        if not _NOUN_START.match(item):
            break  # "..., cuts a window around each peak": the list of inputs has ended
        count = re.match(r"\s*(?:the\s+|its\s+|their\s+)?(\w+)", item)  # "two arrays", "the two arrays"
        items += [item] * _COUNTS.get(count.group(1).lower() if count else "", 1)
    if len(items) < required:  # some parameters are not in the list: only its first item surely leads it
        items = [item for item in items if item == items[0]]
    found = {}
    for name, item in zip(names, items):
        unit = _UNIT.search(item)
        kind = _described_type(item)
        if kind is None and unit:  # a quantity with a unit: "the leg length in metres", "the N ranges in metres"
            head = item[: unit.start()].split()[-1:] or [""]
            plural = head[0].endswith("s") and not head[0].endswith("ss")
            kind = f"np.ndarray, shape (n_samples,), {unit.group(1)}" if plural else f"float, {unit.group(1)}"
        if kind:
            found[name] = kind
    return found


# Words after a name that describe something else: "spacing_m along the array axis", "start_bit is the signal's
# least significant bit", "start_bit + length - 1".
_ABOUT_SOMETHING_ELSE = re.compile(r"\s*(?:(?:along|across|through|from|to|into|onto|over|under|between|toward|towards"
                                   r"|relative|times|plus|minus)\b|[-+*/<>=]|(?:the\s+|an?\s+)?\w+'s\b)")


def _mentioned_type(text: str, name: str, names: list[str]) -> str | None:
    """The type from the words around a mention of `name`: "acc is an (N, 3) array", "a 1-D NumPy array x"."""
    for mention in re.finditer(rf"(?<![\w.\[]){re.escape(name)}(?![\w(\[])", text):
        after = re.sub(r"^\s*(?:is|are|holds?|contains?|gives?|has|have)\b", "", text[mention.end():])
        if _ABOUT_SOMETHING_ELSE.match(after):
            continue
        if _STRUCTURE_START.match(after):  # "a dict mapping a name to its MET value": "to" and commas end no clause
            structure = _described_type(re.split(r"[.;](?:\s|$)", after, maxsplit=1)[0][:600])
            if structure and structure.startswith(("dict[", "list[dict]")):
                return structure
        stop = _AFTER_BREAK.search(after)
        after = after[: stop.start() if stop else 80][:80]
        others = [m.start() for n in names if n != name for m in re.finditer(rf"\b{re.escape(n)}\b", after)]
        after = after[: min(others)] if others else after  # up to the next parameter: its words are its own
        before = text[max(0, mention.start() - 60): mention.start()]
        noun = re.search(r"\b(?:an?|the)\s+([^,;.]*?\b(?:array|list|sequence|matrix|signal))\s*$", before)
        noun_text = noun.group(1) if noun else ""
        if any(n != name and re.search(rf"\b{re.escape(n)}\b", noun_text) for n in names):
            noun_text = ""
        described = _described_type(f"{noun_text} {after}")
        if described:
            return described
    return None


def _named_type(text: str, name: str) -> str | None:
    """The type from the sentence that describes a parameter in the words of its name: `csi_amp` in "CSI
    amplitude sampled at fs Hz, given as a NumPy array of shape (n_samples, n_subcarriers)"."""
    parts = [part for part in name.lower().split("_") if part]
    if len(parts) < 2 or any(len(part) < 2 for part in parts):
        return None  # one word ("x", "data") is too common to tie a sentence to the parameter
    words = re.compile(r"\b" + r"\w*[\s-]+".join(map(re.escape, parts)) + r"\w*", re.I)
    for mention in words.finditer(text):
        sentence = re.split(r"[;.](?:\s|$)", text[mention.end():], maxsplit=1)[0][:160]
        described = _described_type(sentence)
        if described and _ARRAY_WORDS.search(sentence):
            return described
    return None


_TRI_AXIAL = re.compile(r"\b(?:tri-?axial|3-axis|three-axis|3-D (?:accelerometer|gyro|magnetometer))\b", re.I)
_IMU_NAME = re.compile(r"^(?:acc|accel|acceleration|gyro|gyr|mag|magnetometer)(?:_(?:raw|data|xyz|samples|readings))?$")


def _tri_axial_type(requirement: str, name: str) -> str | None:
    """(n_samples, 3) for an IMU-named parameter (`acc`, `gyro_raw`) of a requirement about a tri-axial sensor."""
    if not (_IMU_NAME.match(name) and _TRI_AXIAL.search(requirement)):
        return None
    unit = _UNIT.search(requirement)
    return f"np.ndarray, shape (n_samples, 3){', ' + unit.group(1) if unit else ''}"


def _shared_suffix_type(text: str, name: str) -> str | None:
    """The type that a sentence gives the plural last word of several names: "the windows are (n, L, 3) arrays"
    for `train_windows` and `test_windows`."""
    last = name.lower().rsplit("_", 1)[-1]
    if "_" not in name or len(last) < 4 or not last.endswith("s"):
        return None
    for mention in re.finditer(rf"\b(?:the|all|both)\s+{re.escape(last)}\s+(?:are|have)\b", text, re.I):
        sentence = re.split(r"[;.](?:\s|$)", text[mention.end():], maxsplit=1)[0][:120]
        clause = _AFTER_BREAK.split(sentence, maxsplit=1)[0]
        described = _described_type(clause)
        if described and _ARRAY_WORDS.search(clause):
            return described
    return None


def requirement_types(requirement: str, signature: Signature) -> dict[str, str]:
    """Parameter name -> the type that the requirement's own words give it.

    Read from the list after "takes" that follows the signature ("takes an
    (N, 3) array in m/s^2 and the sampling rate in Hz", item i for parameter i),
    else from the words next to a mention of the name ("acc is an (N, 3)
    array", "a 1-D NumPy array x", "every dt seconds"), else from a sentence
    before the signature that names the data in the name's words ("CSI
    amplitude ... as a NumPy array of shape (n_samples, n_subcarriers)" for
    `csi_amp`), for a shape, dimensionality, strings or a unit. The user's
    words beat the model's guess: a wrong shape in the spec makes the code
    reject the real data.
    """
    names = signature_parameter_names(signature)
    call = next((m for m in _CALL.finditer(requirement) if m.group(1) == signature.function_name), None)
    end = call.end(2) if call else -1
    if end < 0:
        return {name: kind for name in names if name not in _ENGLISH
                and (kind := _mentioned_type(requirement, name, names))}
    # "f(a, b) -> float that takes ...", "`f(a, b)` that takes ...": the return annotation and a closing backtick
    after_call = re.sub(r"^(?:\s*->\s*[\w\[\], .|]+?)?`?(?=\s+(?:that|which)\b)", "", requirement[end + 1:])
    required = sum(not parameter_parts(source)[2] and not source.startswith("*") for source in signature.parameters)
    found = _taken_types(after_call, names, required)
    text = requirement[: call.start()] + " ; " + requirement[end + 1:]
    found = {**_listed_types(text, names), **_every_argument_types(text, signature), **found}
    for name in names:
        if name not in found and name not in _ENGLISH:
            kind = (_mentioned_type(text, name, names) or _named_type(requirement[: call.start()], name)
                    or _shared_suffix_type(text, name) or _tri_axial_type(requirement, name)
                    or _indexed_type(text, name))
            if kind:
                found[name] = kind
    return {**_equal_length_types(requirement, signature, found), **found}


def _equal_length_types(requirement: str, signature: Signature, found: dict[str, str]) -> dict[str, str]:
    """Sequences of one length for the untyped inputs that "raise ValueError if the two arrays differ in length"
    (the first two parameters without a default) or "if t and x differ in length" names."""
    return {name: "np.ndarray, shape (n_samples,)" for group in stated_equal_lengths(requirement, signature, found)
            for name in group if name not in found}


# "len(labels) != len(templates)"; "labels is a list of strings, one per template"
_LENGTHS_UNEQUAL = re.compile(r"\blen\(\s*([A-Za-z_]\w*)\s*\)\s*!=\s*len\(\s*([A-Za-z_]\w*)\s*\)")
_ONE_PER = re.compile(r"\bone\s+(?:\w+\s+){0,2}?(?:per|for each|for every)\s+([a-z_]\w*?)(?:es|s)?\b", re.I)


def stated_equal_lengths(requirement: str, signature: Signature,
                         types: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    """Groups of inputs that the user says have one length each: "raise ValueError if t and x differ in length",
    "if the two arrays differ in length" (the first two parameters without a default, unless one is a number the
    user typed: `types`), "len(labels) != len(templates)", "labels ..., one per template".

    Their samples must then have one length (a list of 64 records beside an array of 2048 readings is refused
    by correct code), and one of them one element short must be refused."""
    required = [name for name, _, default in map(parameter_parts, signature.parameters) if name and not default]
    names = signature_parameter_names(signature)
    types = types if types is not None else requirement_types(requirement, signature)
    groups: list[tuple[str, ...]] = []
    for clause in refusal_clauses(requirement):
        for named in (*_NAMED_LENGTHS.finditer(clause), *_LENGTHS_UNEQUAL.finditer(clause)):
            groups.append(named.group(1, 2))
        for unnamed in _UNNAMED_LENGTHS.finditer(clause):
            count = re.search(r"\b(two|three|both)\b", unnamed.group(0))
            leading = tuple(required[: _COUNTS[count.group(1)]] if count else [])
            if not any(name in types and not _ARRAY_TYPE.search(types[name]) for name in leading):
                groups.append(leading)  # none of them is a number the user typed: these are the inputs meant
    for name in names:
        for mention in re.finditer(rf"(?<![\w.\[]){re.escape(name)}\s+(?:is|are|holds?|has|have|gives?)\b", requirement):
            sentence = re.split(r"[;.](?:\s|$)", requirement[mention.end():], maxsplit=1)[0][:160]
            others = [m.start() for n in names if n != name for m in re.finditer(rf"\b{re.escape(n)}\b", sentence)]
            per = _ONE_PER.search(sentence[: min(others, default=len(sentence))])  # up to the next parameter's words
            other = per and next((n for n in names if n != name and n.lower() in (
                per.group(1).lower() + "s", per.group(1).lower() + "es")), None)
            if other:
                groups.append((name, other))
                break
    return list(dict.fromkeys(group for group in groups if len(group) > 1 and all(n in names for n in group)))


# "x, y and z are (n,) arrays", "b and the four BatchNorm vectors have shape (n,)": one predicate for every item.
_SHARED_PREDICATE = re.compile(r"^((?:\s*,\s*(?:and\s+)?|\s+and\s+)[^.;:]{1,80}?)\s+(?:(?:all|each|both)\s+)?"
                               r"(?:are|have)\b(?:\s+(?:all|both)\b)?([^;]*)")
_PLURAL_SCALAR = re.compile(r"\s*(?:all\s+|both\s+)?(?:(ints|integers)|(floats)|(bools|booleans)|(strings|strs))\b")


def _listed_types(text: str, names: list[str]) -> dict[str, str]:
    """The type that one clause gives every parameter in a list: "start_bit and length are ints", "b and a are
    sequences of floats" (`a` and other English words included), "x, y and z are (n,) arrays". A list that also
    holds noun phrases ("b and the four BatchNorm vectors have shape (n_out,)") gives array types only; an item
    that is neither ("fs and computes ...") means the list is not the clause's subject."""
    found: dict[str, str] = {}
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    for mention in re.finditer(rf"(?<![\w.\[])({alternatives})(?![\w(\[])", text) if names else ():
        shared = _SHARED_PREDICATE.match(text[mention.end():])
        if not shared:
            continue
        items = [mention.group(1)] + [item.strip() for item in _TOP_LEVEL_LIST.split(shared.group(1)) if item.strip()]
        only_names = all(item in names for item in items)
        if not only_names and (mention.group(1) in _ENGLISH or not all(item in names or _NOUN_START.match(item)
                                                                         for item in items)):
            continue
        clause = _AFTER_BREAK.split(shared.group(2), maxsplit=1)[0]
        plural = _PLURAL_SCALAR.match(clause) if only_names else None
        if plural:
            kind = ("int", "float", "bool", "str")[[bool(group) for group in plural.groups()].index(True)]
        elif only_names or _ARRAY_WORDS.search(clause) or _DIMS.search(clause):
            kind = _described_type(clause)
        else:
            kind = None
        for item in items if kind else []:
            if item in names:
                found.setdefault(item, kind)
    return found


_EVERY_ARGUMENT = re.compile(r"\b(?:each|every|both|all)\s+(?:of\s+the\s+)?(?:arguments?|inputs?|parameters?)\s+"
                             r"(?:is|are)\s+([^;]*)", re.I)


def _every_argument_types(text: str, signature: Signature) -> dict[str, str]:
    """The type that "each argument is a list of (start_s, end_s, label) tuples" gives every parameter without
    a default."""
    said = _EVERY_ARGUMENT.search(text)
    kind = _described_type(re.split(r"[.;](?:\s|$)", said.group(1))[0]) if said else None
    if not kind:
        return {}
    return {name: kind for name, _, default in map(parameter_parts, signature.parameters) if name and not default}


def _indexed_type(text: str, name: str) -> str | None:
    """A sequence for a name the user indexes by a variable: "out_bytes[i] is the size in bytes of layer i"."""
    indexed = re.search(rf"(?<![\w.]){re.escape(name)}\[\s*[a-z]\w*\s*[-+\]]", text)
    return "np.ndarray, shape (n_samples,)" if indexed else None


# Names whose type a user relies on by the convention of scikit-learn code: X, X_train are feature rows,
# and beside them y, y_train are class labels (a y without an X is more likely a coordinate).
_FEATURES = re.compile(r"^X(?:_\w+)?$")
_LABELS = re.compile(r"^y(?:_\w+)?$")


_COORDINATES_NAME = re.compile(r"(?:^|_)(xy|xyz|[23]d)$", re.I)  # anchor_xy, pos_xyz, points_3d


def _conventional_type(name: str, names: list[str]) -> str | None:
    coordinates = _COORDINATES_NAME.search(name)
    if coordinates:
        width = {"xy": 2, "xyz": 3}.get(coordinates.group(1).lower()) or int(coordinates.group(1)[0])
        return f"np.ndarray, shape (n_points, {width})"
    if _FEATURES.match(name):
        return "np.ndarray, shape (n_samples, n_features)"
    if _LABELS.match(name) and any(_FEATURES.match(other) for other in names):
        return "np.ndarray of int, shape (n_samples,)"
    return None


BYTE_COUNT = r"\b(\d{1,4})[- ]bytes?\b"  # "48 bytes", "a 300-byte frame"


def user_types(requirement: str, signature: Signature) -> dict[str, str]:
    """Parameter name -> the type the user gave it: the requirement's words where the annotation is absent or a
    bare array type (they add the shape), else the annotation, else the type its name has by convention
    (`X_train` is a feature matrix, `y_train` its labels)."""
    described = requirement_types(requirement, signature)
    names = signature_parameter_names(signature)
    types = {}
    for name, annotation, _ in map(parameter_parts, signature.parameters):
        if not name:
            continue
        bare_array = annotation in ("", "np.ndarray", "ndarray", "numpy.ndarray")
        if bare_array:
            kind = described.get(name) or _conventional_type(name, names) or annotation
        elif described.get(name, "").startswith(f"{annotation}, "):  # `list[np.ndarray]`, "each of shape (L_i, C)"
            kind = described[name]
        else:
            kind = annotation
        if kind in ("bytes", "bytearray", "list[bytes]"):
            # "packet is the reply (normally 48 bytes)"; "frames is a list of payloads; each is exactly 4 bytes"
            packets = kind == "list[bytes]"
            clause = "[^.]" if packets else "[^.;]"
            stated = re.search(rf"\b{re.escape(name)}\b{clause}*?{BYTE_COUNT}", requirement)
            if stated:
                kind += f", {stated.group(1)} bytes" + (" each" if packets else "")
        if kind:
            types[name] = kind
    return types


# "of the same length as x"; or a result "for every sample" / "one label per reading": as long as the data.
_SAME_SIZE = re.compile(r"\bsame (length|shape)\b(?:\s+as\s+(?:the\s+)?(?:[\w-]+\s+)?([A-Za-z_]\w*))?"
                        r"|\b(?:for|at) (?:every|each) (?:input )?(?:sample|reading|time step)\b(?!\s+(?:window|frame|segment|batch))"
                        r"|\bone (?:\w+ )?per (?:input )?(?:sample|reading)\b(?!\s+(?:window|frame|segment|batch))", re.I)
_ARRAY_TYPE = re.compile(r"ndarray|array|list|sequence|series", re.I)


def same_size_as(requirement: str, signature: Signature) -> tuple[str, str] | None:
    """("length" or "shape", parameter) when the user says the result has the same length or shape as an input.

    "returns a float array of the same length" -> the first array parameter (else the first parameter,
    the data by convention); "Return an int16 array with the same length as samples" -> `samples`. Only
    a phrase after the signature, in a clause about what is returned: "raise ValueError if t and x do not
    have the same length" is about the inputs, and "the same shapes as W and b" about several results.
    A result shaped by an input's first letter ("returning an (N,) array" for (N, 3) inputs) has its length.
    """
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    for match in _SAME_SIZE.finditer(requirement, call.end() if call else 0):
        if not _about_the_result(re.split(r"[.;](?:\s|$)", requirement[: match.start()])[-1]):
            continue
        names = signature_parameter_names(signature)
        size = (match.group(1) or "length").lower()
        if match.group(2) in names:
            return size, match.group(2)
        types = user_types(requirement, signature)
        arrays = [name for name in names if _ARRAY_TYPE.search(types.get(name, ""))]
        if arrays:
            return size, arrays[0]
        return (size, names[0]) if names and names[0] not in types else None
    shaped = _returned_rows_of(requirement[call.end():] if call else requirement, requirement, signature)
    return ("length", shaped) if shaped else None


# "of length len(phase_rad) - 1", "shape (1 + (len(x) - frame_len) // hop,)": where a length expression starts
_LENGTH_START = re.compile(r"\bof\s+length\s+|\bshape\s*\(\s*|\blength-\(")
_LENGTH_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)


def _length_expression(text: str, names: set[str]) -> str | None:
    """The length computed from the parameters `names` that `text` starts with, up to a comma or the next word
    ("len(x) - 1 with ..."): integers, names, len(name), + - * // and brackets; None when it is anything else
    ("n times the rate") or reads no parameter ("of length 3" says nothing new)."""
    stop = re.search(r"[,;:]|\.(?:\s|$)|\s(?:with|of|and|where|that|holding|containing|for|in|giving|NumPy|array)\b",
                     text)
    candidate = (text[: stop.start()] if stop else text).strip()
    try:
        tree = ast.parse(candidate, mode="eval").body
    except SyntaxError:
        return None
    nodes = list(ast.walk(tree))
    allowed = all(isinstance(n, (ast.BinOp, ast.Constant, ast.Name, ast.Call, ast.Load, *_LENGTH_OPERATORS)) for n in nodes)
    sound = all(isinstance(n.func, ast.Name) and n.func.id == "len" and len(n.args) == 1
                and isinstance(n.args[0], ast.Name) for n in nodes if isinstance(n, ast.Call))
    integers = all(isinstance(n.value, int) for n in nodes if isinstance(n, ast.Constant))
    read = {n.id for n in nodes if isinstance(n, ast.Name)} - {"len"}
    return candidate if allowed and sound and integers and read and read <= names else None


def stated_result_length(requirement: str, signature: Signature) -> str | None:
    """A Python expression over the parameters for the length of the returned array, when the user gives one.

    "returns a 1-D NumPy array of length len(phase_rad) - 1" -> "len(phase_rad) - 1"; "returns a float NumPy
    array ..., shape (1 + (len(x) - frame_len) // hop,)" -> "1 + (len(x) - frame_len) // hop". Read from the
    first sentence after the signature that says what is returned.
    """
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    phrases = return_phrases(requirement[call.end():] if call else requirement)
    names = set(signature_parameter_names(signature))
    if phrases and re.search(r"\btuple\b|\bdict|\(\s*\w+\s*,\s*\w+", phrases[0]):
        return None  # several results: which one the length is of takes more reading than this
    for start in _LENGTH_START.finditer(phrases[0] if phrases else ""):
        expression = _length_expression(phrases[0][start.end():], names)
        if expression:
            return expression
    return None


# "an int16 array", "a 1-D integer NumPy array", "a boolean mask": the NumPy type of a returned array
_RESULT_DTYPE = re.compile(r"\b(u?int(?:8|16|32|64)|float(?:16|32|64)?|integer|int|bool(?:ean)?)\s+"
                           r"(?:NumPy\s+|numpy\s+)?(?:arrays?|ndarrays?|mask)\b")
_DTYPE_KIND = {"int": "integer", "boolean": "bool"}


def stated_result_dtype(requirement: str, signature: Signature) -> str | None:
    """The NumPy type the user gives the returned array: a dtype ("int16", "uint8", "float32") or a kind
    ("integer", "float", "bool").

    "Return an int16 array with the same length as samples" -> "int16"; "returned as an int8 array ... together
    with the float scale" -> "int8"; "returning a boolean mask" -> "bool"; "return the indices as a sorted 1-D
    integer array" -> "integer". The first such phrase after the signature in a clause about what is returned
    (not "where both inputs are int16 arrays", nor "raise ValueError if ... returns").
    """
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    match = next((m for m in _RESULT_DTYPE.finditer(requirement, call.end() if call else 0)
                  if _about_the_result(re.split(r"[.;](?:\s|$)", requirement[: m.start()])[-1])), None)
    return _DTYPE_KIND.get(match.group(1).lower(), match.group(1).lower()) if match else None


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
# "clipped to [0, 100]", "(float, in [-90, 90])", "saturate to [-128, 127]": an interval of numbers, closed or half-open
_STATED_RANGE = re.compile(rf"\b(?:in|to|into|within)\s+(?:the\s+range\s+)?\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]")


def stated_result_range(requirement: str, signature: Signature) -> tuple[float, float] | None:
    """The interval the user says every returned number lies in (issue 7's "units range where given").

    "returns SpO2 in percent (float) ... with the calibration SpO2 = 110 - 25 * R clipped to [0, 100]" ->
    (0, 100); "return the angle of arrival ... in degrees (float, in [-90, 90])" -> (-90, 90); "converts every
    reading to pH, and clips the result to [0, 14]" -> (0, 14). Only the first interval after the signature in
    a sentence about what is returned counts: "q = round(w / scale) clipped to [-127, 127], returned as ...
    together with the float scale" names a part of the result, and "raise ValueError if p is not in [0, 1]"
    is about an input. A result of several values (a tuple, a dict) has no one range.
    """
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    start = call.end() if call else 0
    phrases = return_phrases(requirement[start:])
    several = bool(phrases) and re.match(r"\s*(?:the\s+tuple\s+)?\(\s*\w+\s*,", phrases[0])  # "returns (low, high)"
    if several or re.match(r"\s*(?:tuple|Tuple|dict|typing\.)", signature.returns or "") or described_return(
            requirement, signature) in ("tuple", "dict"):
        return None
    for match in _STATED_RANGE.finditer(requirement, start):
        sentence = _SENTENCE_END.split(requirement[start: match.start()])[-1]
        if _about_the_result(sentence) or re.search(r"\bthe (?:result|output)\w*\s+$", sentence, re.I):
            low, high = float(match.group(1)), float(match.group(2))
            return (low, high) if low < high else None
    return None


def _about_the_result(clause: str) -> bool:
    """Whether the end of `clause` is about what is returned: a "return" word and no condition after it."""
    returns = list(re.finditer(r"\breturn", clause, re.I))
    return bool(returns) and not re.search(r"\b(?:raise|raises|error|if|unless|when)\b", clause[returns[-1].end():],
                                           re.I)


def _returned_rows_of(text: str, requirement: str, signature: Signature) -> str | None:
    """The input whose rows the result has by its shape letter: "taking two (N, 3) arrays and returning an (N,)
    NumPy array" -> the first (N, 3) input. Read from the first clause after the signature that says what is
    returned."""
    phrases = return_phrases(text)
    shape = re.search(r"\(\s*([A-Za-z]\w*)\s*,[^)]*\)", phrases[0]) if phrases else None
    if not shape:
        return None
    types = user_types(requirement, signature)
    for name in signature_parameter_names(signature):
        dims = re.search(r"shape\s*\(\s*([A-Za-z]\w*)\s*,", types.get(name, ""))
        if dims and dims.group(1) == shape.group(1):
            return name
    return None


# ------------------------------------------------------------------ inputs the user says to refuse

RAISES_VALUE_ERROR = re.compile(r"\b(?:raise|raises|raising)\s+(?:an?\s+)?ValueError\b", re.I)
_CONDITION_START = r"(?:\bif|\bor|\band|,|\bwhen|\bunless)\s+(?:the\s+)?"
# "max_gap < 1", not "window_s * fs < 2" (the name must start the condition and the number end it)
_COMPARISON = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s*(<=|<|>=|>)\s*(-?\d+(?:\.\d+)?)(?!\w|\.\d)(?!\s*[*/+-])")
# "fs is not positive", "var0 or noise_var is not positive": each name of the list
_SIGN = re.compile(_CONDITION_START + r"([A-Za-z_]\w*(?:(?:\s*,\s*|\s+or\s+|\s+and\s+)[A-Za-z_]\w*)*)\s+(?:is|are)\s+"
                   r"(not\s+positive|non-positive|negative)\b")
# "sparsity is not in [0, 1)", "alpha is outside (0, 1]": a comparison at each end of the interval
_OUTSIDE = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+(?:is\s+|lies\s+)?(?:not\s+in|outside(?:\s+of)?|not\s+within)"
                      r"\s+(?:the\s+(?:range|interval)\s+)?([\[(])\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*([\])])")
# "hazard is not strictly between 0 and 1" (open), "x is not between 0 and 5" (closed)
_BETWEEN = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+(?:is\s+|lies\s+)?not\s+(strictly\s+)?between\s+"
                      r"(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)")
# "sf is not in 6..12", "payload_len is outside 0..255": a closed integer range
_DOTTED = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+(?:is\s+|lies\s+)?(?:not\s+in|outside(?:\s+of)?|not\s+within)"
                     r"\s+(?:the\s+range\s+)?(-?\d+)\s*\.\.\s*(-?\d+)\b")
# "a and b differ in length", "the two arrays have different lengths", "the lengths differ"
_LENGTHS = r"(?:differ in length|have different lengths|do not have the same length)"
_NAMED_LENGTHS = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+and\s+([A-Za-z_]\w*)\s+" + _LENGTHS)
_UNNAMED_LENGTHS = re.compile(_CONDITION_START + r"(?:(?:two|three|both)\s+)?(?:arrays|inputs|lists|series|streams)"
                              r"\s+(?:are empty or\s+)?" + _LENGTHS + r"|\bthe lengths differ\b")
_EMPTY = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+is\s+empty\b")
# "x has fewer than 8 samples", "fewer than 2 fixes are given": a count of the data's own items
_FEWER = re.compile(_CONDITION_START + r"(?:([A-Za-z_]\w*)\s+(?:has|have|holds?|contains?)\s+|there are\s+)?"
                    r"fewer than\s+(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+([a-z-]+\s+)?(?:samples"
                    r"|readings|values|points|fixes|packets|measurements|elements|intervals|rows|entries|records)\b")
# "the recording is shorter than 30 seconds": a duration, which the sampling rate turns into samples
_DURATION = re.compile(_CONDITION_START + r"([A-Za-z_]\w*)\s+(?:is|are)\s+shorter than\s+(\d+(?:\.\d+)?)\s*"
                       r"(?:s|sec|seconds?)\b")
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# What a refusal changes: a scalar to a value at the condition's edge; an array cut one short, to nothing,
# or to fewer items than the bound; or fewer valid (finite) items than the bound, the rest NaN.
SHORTER, EMPTY, FEWER, FEWER_VALID, DURATION = "shorter", "empty", "fewer", "fewer valid", "seconds"


def refusal_clauses(requirement: str) -> list[str]:
    """The words after each "raise ValueError", to the end of its sentence or a "return"."""
    clauses = []
    for sentence in re.split(r"(?<!\be\.g)(?<!\bi\.e)[.;](?:\s|$)", requirement):
        raises = RAISES_VALUE_ERROR.search(sentence)
        if raises:
            clauses.append(re.split(r"\breturns?\b", sentence[raises.end():], maxsplit=1)[0])
    return clauses


COMPARISONS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}  # a stated refusal's operators


def stated_refusals(requirement: str, signature: Signature) -> list[tuple[str, str, float]]:
    """(parameter, operator, bound) for each simple condition the user says raises ValueError.

    "raise ValueError if max_gap < 1" -> ("max_gap", "<", 1.0); "... or fs is not positive" -> ("fs", "<=",
    0.0); "is negative" -> ("<", 0.0); "if sparsity is not in [0, 1)" -> ("sparsity", "<", 0.0) and
    ("sparsity", ">=", 1.0), "not strictly between 0 and 1" and "not in 6..12" likewise; "if a and b differ in
    length" or "len(a) != len(b)" -> ("b", SHORTER, 0.0), and "" for the
    parameter when the user names none ("the arrays differ in length"); "if x is empty" -> ("x", EMPTY, 0.0);
    "if x has fewer than 8 samples" -> ("x", FEWER, 8.0), "if fewer than 2 fixes are given" -> ("", FEWER, 2.0),
    "if fewer than 4 finite values are present" -> ("", FEWER_VALID, 4.0); "if the recording is shorter than
    30 seconds" -> ("", DURATION, 30.0).
    Read from the words after "raise ValueError" to the end of the sentence or a "return".
    """
    names = set(signature_parameter_names(signature))
    found: list[tuple[str, str, float]] = []
    for clause in refusal_clauses(requirement):
        conditions = [(m.start(), m.group(1), m.group(2), float(m.group(3))) for m in _COMPARISON.finditer(clause)]
        conditions += [(m.start(), name, "<" if m.group(2) == "negative" else "<=", 0.0)
                       for m in _SIGN.finditer(clause) for name in re.split(r"\s*,\s*|\s+or\s+|\s+and\s+", m.group(1))]
        for m in _OUTSIDE.finditer(clause):
            conditions += [(m.start(), m.group(1), "<" if m.group(2) == "[" else "<=", float(m.group(3))),
                           (m.start(), m.group(1), ">" if m.group(5) == "]" else ">=", float(m.group(4)))]
        for m in _BETWEEN.finditer(clause):
            open_ends = bool(m.group(2))
            conditions += [(m.start(), m.group(1), "<=" if open_ends else "<", float(m.group(3))),
                           (m.start(), m.group(1), ">=" if open_ends else ">", float(m.group(4)))]
        for m in _DOTTED.finditer(clause):
            conditions += [(m.start(), m.group(1), "<", float(m.group(2))), (m.start(), m.group(1), ">", float(m.group(3)))]
        conditions += [(m.start(), m.group(2), SHORTER, 0.0)
                       for m in (*_NAMED_LENGTHS.finditer(clause), *_LENGTHS_UNEQUAL.finditer(clause))
                       if m.group(1) in names]
        conditions += [(m.start(), "", SHORTER, 0.0) for m in _UNNAMED_LENGTHS.finditer(clause)]
        conditions += [(m.start(), m.group(1), EMPTY, 0.0) for m in _EMPTY.finditer(clause)]
        conditions += [(m.start(), m.group(1) if m.group(1) in names else "",
                        FEWER_VALID if re.match(r"(?:valid|finite|non-NaN)\b", m.group(3) or "", re.I) else FEWER,
                        float(_NUMBER_WORDS.get(m.group(2)) or m.group(2))) for m in _FEWER.finditer(clause)]
        conditions += [(m.start(), m.group(1) if m.group(1) in names else "", DURATION, float(m.group(2)))
                       for m in _DURATION.finditer(clause)]
        found += [(name, op, bound) for _, name, op, bound in sorted(conditions) if name in names or not name]
    return list(dict.fromkeys(found))


# "exit_std > enter_std", "any acc_max < acc_min": two names, the second not the start of an expression
# ("spacing_m > wavelength_m / 2", "k > len(x)" are no relation between two inputs)
_RELATION = re.compile(_CONDITION_START + r"(any\s+)?([A-Za-z_]\w*)\s*(<=|<|>=|>)\s*([A-Za-z_]\w*)\b(?!\s*[-*/+]|[(\[]|\.\w)")


def stated_relations(requirement: str, signature: Signature) -> list[tuple[str, str, str, bool]]:
    """(a, operator, b, element-wise) for each comparison of two parameters the user says raises ValueError.

    "raise ValueError if exit_std > enter_std" -> ("exit_std", ">", "enter_std", False); "... or any acc_max <
    acc_min" -> ("acc_max", "<", "acc_min", True): one offending element is enough. Sample inputs must respect
    these (correct code refuses the others), and one input that breaks one must be refused.
    """
    names = set(signature_parameter_names(signature))
    found = [(m.group(2), m.group(3), m.group(4), bool(m.group(1)))
             for clause in refusal_clauses(requirement) for m in _RELATION.finditer(clause)
             if m.group(2) in names and m.group(4) in names and m.group(2) != m.group(4)]
    return list(dict.fromkeys(found))


# Containers first: "a float NumPy array" is an array, "a dict with 'total_m' (float)" a dict.
_RETURN_CONTAINERS = (("tuple", None), (r"array|ndarray|matrix|mask", "np.ndarray"), (r"list", "list"),
                      (r"dict|dictionary", "dict"))
_RETURN_SCALARS = ((r"float", "float"), (r"int|integer", "int"), (r"bool|boolean", "bool"), (r"str|string", "str"))


def return_phrases(text: str) -> list[str]:
    """What follows each "return(s)/returning", to the end of its sentence ("0.5 Hz" does not end one)."""
    return re.findall(r"\b(?:returns?|returning)\b(.*?)(?=;|\.\s|\.$|$)", text, re.I)


def described_return(requirement: str, signature: Signature) -> str | None:
    """The type the user's words give the result when the signature has no annotation.

    "... and returns the heart rate in beats per minute (float)" -> "float"; "returns the flagged indices
    as a sorted 1-D integer array" -> "np.ndarray"; a tuple (several results) or no type word -> None.
    Read from the first clause after the signature that says what is returned, up to its first comma.
    """
    if signature.returns:
        return signature.returns
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    text = requirement[call.end():] if call else requirement
    phrases = return_phrases(text)
    if not phrases or re.search(r"\bor\b", phrases[0]):
        return None  # "as a float, or an array for array inputs": no one type
    words = re.split(r":|,(?![^()]*\))", phrases[0])[0].lower()
    for kinds in (_RETURN_CONTAINERS, _RETURN_SCALARS):
        found = [(match.start(), kind) for pattern, kind in kinds if (match := re.search(rf"\b(?:{pattern})s?\b", words))]
        if found:
            return min(found, key=lambda item: item[0])[1]
    return None


# ------------------------------------------------------------------ example values the user gave

_EXAMPLE_INTRO = re.compile(r"\b(?:e\.g\.|for example|for instance|such as|like)[,:]?\s*(?=b?['\"\[({])", re.I)
_CLOSING = {"[": "]", "(": ")", "{": "}"}
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.;!?](?:\s|$)")


def _literal_end(text: str, start: int) -> int:
    """The index after the Python literal that starts at `text[start]` (a bracket or a quote), or -1."""
    depth: list[str] = []
    quote = ""
    i = start + (text[start] == "b")
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
                if not depth:
                    return i + 1
        elif char in "'\"":
            quote = char
        elif char in _CLOSING:
            depth.append(_CLOSING[char])
        elif depth and char == depth[-1]:
            depth.pop()
            if not depth:
                return i + 1
        elif char in ")]}":
            return -1
        i += 1
    return -1


def _fits(value: object, annotation: str) -> bool:
    """Whether an example value can be the argument of a parameter annotated `annotation` ('' accepts any)."""
    if not annotation:
        return True
    kind = annotation.lower()
    if isinstance(value, bytes):
        return "bytes" in kind
    if isinstance(value, str):
        return kind in ("str", "string")
    if isinstance(value, dict):
        return "dict" in kind or "mapping" in kind
    return bool(re.search(r"list|tuple|sequence|iterable|ndarray|array", kind))


def requirement_examples(requirement: str, signature: Signature) -> dict[str, str]:
    """Parameter name -> the source of an example value the user gave for it ("phases ..., e.g. [(0.004, 895.0)]").

    A container, string or bytes literal after "e.g.", "for example", "such as" or "like" belongs to the
    last parameter named before it in the same sentence, else, when it is a string or bytes, to the only
    parameter annotated so (CSV "lines like '2024-03-01T12:00:05Z,node-07,temp_c,21.5'" for `text: str`).
    Validation runs the function on these values: the user's own data says more than synthetic samples.
    """
    parts = [parameter_parts(source) for source in signature.parameters]
    annotations = {name: annotation for name, annotation, _ in parts if name}
    call = next((m for m in _CALL.finditer(requirement) if m.group(1) == signature.function_name), None)
    # the signature itself names every parameter: it says nothing about which one an example is for
    prose = requirement if call is None else (
        requirement[: call.start()] + " " * (call.end() - call.start()) + requirement[call.end():])
    examples: dict[str, str] = {}
    for intro in _EXAMPLE_INTRO.finditer(requirement):
        end = _literal_end(requirement, intro.end())
        if end < 0:
            continue
        source = requirement[intro.end(): end]
        try:
            value = ast.literal_eval(source)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(value, (tuple, list, dict, set)) and not value:
            continue
        sentence = _SENTENCE_END.split(prose[: intro.start()])[-1]
        mentioned = [(m.start(), name) for name in annotations
                     for m in re.finditer(rf"(?<![\w.]){re.escape(name)}(?![\w(])", sentence)]
        if mentioned:
            owner = max(mentioned)[1]
        else:
            typed = [name for name, annotation in annotations.items()
                     if isinstance(value, (str, bytes)) and annotation and _fits(value, annotation)]
            owner = typed[0] if len(typed) == 1 else ""
        if owner and owner not in examples and _fits(value, annotations[owner]):
            examples[owner] = source
    return examples
