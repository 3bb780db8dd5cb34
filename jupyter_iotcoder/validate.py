"""Execution-guided validation: run the steps generated so far on sample inputs and check the outputs.

The cells of steps 1..i run in order in the sandbox, then a harness calls the
steps like the notebook's `run_pipeline` does, with inputs synthesised from
the spec's Input Specification (types, shapes, units), and checks the last
step's outputs against its Output Specification (count, not None, numbers
finite, arrays not all NaN, declared integer or boolean kinds); the user's own
function only against the outputs the user stated (`output_checks`).

The user's function then runs a second time on inputs that vary what users
vary (`InputVariant`): the sampling rate as a float, NaN gaps in its
float arrays where the user says readings can be NaN ("failed reads come
back as NaN"), and a shape letter at the other size the user allows ("D = 2
or 3"); once more with each input the user calls a sequence in the other
container (a list as a NumPy array, an array as a list); once more on empty inputs where the user says what an empty
input gives; and with each input at the edge of a simple condition the user
says raises ValueError ("max_gap < 1": max_gap = 0; "a and b differ in
length": b one element short; "any acc_max < acc_min": the last peak just below
its trough), where returning is a failure; two inputs so compared are otherwise
sampled in the order the user allows. A returned array must have the NumPy type
the user named, and a heart rate, breathing rate or step count must come out
right on a signal whose answer is known (`known_answers`). When the user
chose example data for the notebook (`--data ppg`) and it gives every input
a step takes, the step runs once more on it, where any error is a failure.

A ValueError that a step raises itself (a `raise` statement) is
inconclusive, not a failure: a careful step may legitimately reject synthetic
inputs it was told to refuse. It is a failure when the step is the user's
function and every input was built from the user's own words
(`Param.from_requirement`): then the code rejects the data the user
described. One raised inside a library (scipy refusing a malformed filter) or
by an operation (numpy refusing to broadcast) is a bug. Parameters with a default in the
signature get that default.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Callable

from .known_answers import SIGNALS, KnownAnswer, check_source, known_answer
from .requirement import (BYTE_COUNT, COMPARISONS, DURATION, EITHER_CONTAINER, EMPTY, FEWER, FEWER_VALID,
                          RAISES_VALUE_ERROR, SHORTER, parameter_parts, stated_equal_lengths, stated_refusals,
                          stated_relations)
from .sandbox import run_cells
from .schema import UNTYPED, CodeModule, Param, Task, TaskSpec, stated_dtype
from .sensors import ExampleArguments, example_arguments

SAMPLES = 2048  # 41 s at 50 Hz: longer than the minimum recording length most requirements state
_RATE = "50"  # the sampling rate of the first input set; the second passes it as a float
_SAMPLING_RATE_NAME = re.compile(r"^fs(?:_\w+)?$|_fs$|sampl|rate", re.I)  # fs_in, fs_acc; not f0 or a chirp slope
_SETTING = "1.0"  # a float setting (threshold, gain, duration); several get distinct values (InputVariant)
_COUNT, _WINDOW, _ORDER = "3", "32", "4"  # the samples of an int: a count, a window length, a filter order
_SCALARS = (_SETTING, _COUNT, _WINDOW, _ORDER)
_TEXT, _BYTES = "'sensor'", "bytes(range(16))"
_PAIRWISE_NODES = 16  # the size of a letter that is both axes of a matrix: nodes of a pairwise distance matrix
_ANCHORS = 4  # the points among those nodes whose positions are given (anchors, beacons)
NODES = "(nodes)"  # the key of the node count in `dimension_sizes` (no shape letter looks like it)
_INDEX_NAME = re.compile(r"(?:^|_)(?:idx|index|indices)$")
_BYTE_COUNT = re.compile(BYTE_COUNT, re.I)
# A dict input is a JSON document as devices publish it (nested objects, a list, every leaf type); an empty
# dict let code that crashes on any real document pass.
_DOCUMENT = ("{'device': 'sensor-1', 'ts': 1700000000.0, 'temp_c': 21.5, 'online': True, "
             "'readings': [0.5, 1.5, 2.5], 'meta': {'fw': '1.2.0', 'rssi_dbm': -70}}")
_LABEL_WORDS = ('walk', 'run', 'sit')  # string class labels; a dict keyed by text starts with them
_LABELS = f"[{_LABEL_WORDS}[i // 64 % 3] for i in range({SAMPLES})]"  # string class labels in runs
_TREATED_AS_SEQUENCE = re.compile(r"TypeError: (?:'(?:float|int)' object is not (?:iterable|subscriptable)"
                                  r"|object of type '(?:float|int)' has no len\(\))")
_ARRAY = re.compile(r"ndarray|array|list|sequence|matrix|series|tensor|iterable")
_SHAPE = re.compile(r"shape\s*\(([^)]*)\)")
_TIME_NAME = re.compile(r"^(?:t|ts|times?|timestamps?|t_\w+|\w+_(?:t|ts|times?|timestamps?))$", re.I)
_KNOWN_DIMS = {"3": 3, "axes": 3, "n_axes": 3, "n_channels": 3, "channels": 3, "n_subcarriers": 30,
               "subcarriers": 30, "n_features": 8, "features": 8, "n_anchors": 4, "anchors": 4, "2": 2,
               "c": 3, "d": 3}


# Arrays of a physical quantity get values of its usual size (mean, standard deviation): code that
# discards implausible data (RR intervals outside 300-2000 ms) is right to reject N(0, 1) "intervals".
# Matched against the parameter's name and type text, lower-cased.
_QUANTITY_SAMPLES = (
    (r"\bms\b|millisecond|\w_ms\b", 800.0, 50.0),
    (r"\bseconds\b|\brtts?\b|latenc", 0.2, 0.05),  # durations (round trips, delays); time stamps rise (_TIME_NAME)
    (r"toleranc|uncertaint|sigma|\bstds?\b|_std\b|varianc|accurac", 1.0, 0.1),  # spreads are positive
    (r"\bbpm\b|heart_?rate", 70.0, 5.0),
    (r"\bma\b|milliamp|\w_ma\b", 12.0, 3.0),  # a 4-20 mA current loop (code that marks fault currents is right)
    (r"°c|degc|degrees c|temperature|\btemp", 22.0, 2.0),
    (r"\bdbm\b|rssi", -65.0, 6.0),
    (r"\bhpa\b|pressure", 1013.0, 3.0),
    (r"%|percent|humidity", 50.0, 10.0),
    (r"\blux\b", 400.0, 50.0),
    (r"\bppm\b|co2", 600.0, 50.0),
    (r"metres|meters|distance|\branges?\b", 3.0, 0.5),
    (r"\bvolts?\b|voltage", 3.3, 0.05),
    (r"rad/s", 0.0, 0.01),  # a gyroscope at rest: "stationary" thresholds are set for that noise
)
# A probability (p_detect, prior, "detection probability"), not a power (p_tx_dbm): drawn inside (0, 1).
_PROBABILITY = re.compile(r"probabilit|likelihood|^(?:p|prob|prior)(?:_\w+)?$")
_POWER = re.compile(r"dbm|dbw|watt|\bmw\b|_mw\b|power")
_PROBABILITY_SAMPLE = "0.7"


@dataclass(frozen=True)
class Validation:
    status: str  # "passed" | "inconclusive" | "failed" | "skipped" (it cannot run here: a library is missing)
    problem: str = ""
    fingerprint: str = ""  # a digest of the outputs (rounded to 4 significant digits), set when it passed


Validator = Callable[[CodeModule], Validation]  # runs one version of a step on sample inputs


def _dims(param_type: str) -> list[str]:
    match = _SHAPE.search(param_type)
    return [d.strip() for d in match.group(1).split(",") if d.strip()] if match else []


def _pairwise(dims: list[str]) -> bool:
    """(N, N): a matrix over pairs of nodes, sensors or anchors."""
    return len(dims) == 2 and dims[0] == dims[1] and not dims[0].isdigit()


def dimension_sizes(types: list[str]) -> dict[str, int]:
    """Shape letter -> size, the same in every input: `variances (M,)` must match `readings (N, M)`.

    A letter that is a later axis anywhere (channels, sensors, features) is small; one that is only
    ever a first axis is the number of samples. Beside a pairwise (N, N) matrix of nodes, the positions
    of K points, (K, 2) or (K, 3), are a few of those nodes (the surveyed anchors), and `sizes[NODES]`
    holds the node count.
    """
    sizes: dict[str, int] = {}
    for dims in map(_dims, types):
        if _pairwise(dims):
            sizes.setdefault(dims[0].lower(), _PAIRWISE_NODES)
            sizes[NODES] = _PAIRWISE_NODES
    for dims in map(_dims, types):
        if NODES in sizes and len(dims) == 2 and dims[1] in ("2", "3") and not dims[0].isdigit():
            sizes.setdefault(dims[0].lower(), _ANCHORS)  # (K, 2) positions beside an (N, N) matrix: some of the nodes
    for first_axes in (False, True):
        for dims in map(_dims, types):
            for i, dim in enumerate(dims):
                if not dim.isdigit() and (i == 0) == first_axes:
                    sizes.setdefault(dim.lower(), _KNOWN_DIMS.get(dim.lower(), SAMPLES if first_axes else 8))
    return sizes


def _shape(param_type: str, sizes: dict[str, int] | None = None) -> tuple[int, ...]:
    sizes = sizes if sizes is not None else dimension_sizes([param_type])
    dims = [max(1, min(int(dim), 4096)) if dim.isdigit() else sizes[dim.lower()] for dim in _dims(param_type)]
    return tuple(dims) or (SAMPLES,)


RECORDS = 64  # the length of a sample list of tuples (packets, duty-cycle phases)
_NUMBER_LIST = re.compile(r"\s*(?:list|List|Sequence)\[\s*((?:list|List|Sequence)\[\s*)?(float|int)\s*\]\s*(?(1)\])")
_ARRAY_LIST = re.compile(r"\s*(?:list|List|Sequence|tuple|Tuple)\[\s*(?:np\.|numpy\.)?ndarray\s*(?:,\s*\.\.\.\s*)?\]")
_CONTAINER_ANNOTATION = re.compile(r"^\s*(?:list|List|Sequence|Iterable|tuple|Tuple|dict|Dict|Mapping)\[")
_FIELD_SAMPLES = {"int": "_i", "str": "f'sensor{_i}'", "float": "round(_i * 0.1 + 0.05, 3)"}


def _annotation_sample(node: ast.expr) -> str | None:
    """Python source of a sample for a typing annotation of plain Python values (`list[tuple[int, float]]`).

    A list is a Python list, not a NumPy array: code written for `list[int]` may test `if not values`.
    In a list of tuples, an int field counts up (a sequence number) and each float field rises at its own
    offset (time stamps and durations); None where the annotation says too little (`list[dict]`).
    """
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        outer, inner = node.value.id.lower(), node.slice
        items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        names = [item.id if isinstance(item, ast.Name) else "" for item in items]
        if outer in ("dict", "mapping"):
            if len(names) != 2 or names[0] not in _FIELD_SAMPLES or names[1] not in _FIELD_SAMPLES:
                return None
            if names[0] == "str":  # the sample labels' words first: a label looks its value up (MET per activity)
                keys = f"({', '.join(map(repr, _LABEL_WORDS))}, *(f'sensor{{_j}}' for _j in range({len(_LABEL_WORDS)}, 8)))"
                return f"{{_key: {_FIELD_SAMPLES[names[1]]} for _i, _key in enumerate({keys})}}"
            return f"{{{_FIELD_SAMPLES[names[0]]}: {_FIELD_SAMPLES[names[1]]} for _i in range(8)}}"
        if outer == "tuple":
            if len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is Ellipsis:
                element = _annotation_sample(ast.Subscript(value=ast.Name(id="list"), slice=items[0]))
                return f"tuple({element})" if element else None
            # numbers rise along the tuple: a (low_hz, high_hz) band of (1.0, 1.0) was refused as empty
            fields = [_rising_field(_annotation_sample(item), i) for i, item in enumerate(items)]
            return None if None in fields else "(" + ", ".join(fields) + ",)"
        if len(items) != 1:
            return None
        if names[0] == "int":
            return f"_rng.integers(0, 100, size={SAMPLES}).tolist()"
        if names[0] == "float":
            return f"_rng.normal(size={SAMPLES}).tolist()"
        if names[0] == "str":
            return _LABELS
        if names[0] == "dict":
            return f"[{{**{_DOCUMENT}, 'ts': 1700000000.0 + 60 * _i}} for _i in range({RECORDS})]"
        record = items[0]
        if isinstance(record, ast.Subscript) and isinstance(record.value, ast.Name) and record.value.id.lower() == "tuple":
            parts = record.slice.elts if isinstance(record.slice, ast.Tuple) else [record.slice]
            fields = []
            for offset, part in enumerate(parts):
                kind = part.id if isinstance(part, ast.Name) else ""
                if kind not in ("int", "float", "str"):
                    return None
                fields.append({"int": "_i", "str": _TEXT}.get(kind, f"round(_i * 0.1 + {0.05 * (offset + 1):g}, 3)"))
            return f"[({', '.join(fields)},) for _i in range({RECORDS})]"
        return None
    if isinstance(node, ast.Name):
        return {"int": _COUNT, "float": _SETTING, "str": _TEXT, "bool": "True", "bytes": _BYTES}.get(node.id)
    return None


def _rising_field(sample: str | None, position: int) -> str | None:
    """The `position`-th field of a fixed tuple: a float or int setting plus its position, anything else as is."""
    if sample == _SETTING:
        return f"{float(_SETTING) + position}"
    if sample == _COUNT:
        return f"{int(_COUNT) + position}"
    return sample


def _container_sample(param_type: str) -> str | None:
    """The sample for a type that starts with a Python container annotation, or None."""
    if not _CONTAINER_ANNOTATION.match(param_type):
        return None
    depth, end = 0, 0
    for end, char in enumerate(param_type):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "]" and depth == 0:
            break
    try:
        return _annotation_sample(ast.parse(param_type[: end + 1].strip(), mode="eval").body)
    except SyntaxError:
        return None


def sample_expression(param: Param, sizes: dict[str, int] | None = None) -> str:
    """Python source of a plausible sample value for an input, from its name and type text.

    `sizes` fixes the shape letters shared by several inputs (see `dimension_sizes`)."""
    kind = param.type.lower()
    words = f"{param.name} {kind}".lower()
    nodes = _node_indices(param, sizes or {})
    if nodes:
        return nodes
    if re.match(r"\s*(?:list|sequence|iterable)\[(?:bytes|bytearray)\]", kind):  # packets: each its own bytes
        stated = _BYTE_COUNT.search(f"{param.type} {param.description}")
        return (f"[bytes(_rng.integers(0, 256, size={stated.group(1) if stated else 16}).tolist())"
                f" for _i in range({RECORDS})]")
    numbers = _NUMBER_LIST.match(param.type)
    if numbers:  # the array sample as a list (of rows for covariances "as nested lists"), of the shape the type gives
        nested, rest = numbers.group(1) is not None, param.type[numbers.end():]
        if not _SHAPE.search(param.type):
            rest = f", shape ({RECORDS}, 3){rest}" if nested else rest
        integers = " of int" if numbers.group(2) == "int" else ""
        array = param.model_copy(update={"type": f"np.ndarray{integers}{rest}"})
        return f"({sample_expression(array, sizes)}).tolist()"
    records = re.match(r"\s*list\[dict\], keys (.+)", param.type)
    if records:  # one record per item with the keys the user listed: text keys unique, ints counting, numbers rising
        values = {**_FIELD_SAMPLES, "float": "_i + 1", "bool": "True"}
        fields = [f"'{key}': {values.get(kind, '_i + 1')}"
                  for key, kind in re.findall(r"'(\w+)'(?: (str|int|float|bool))?", records.group(1))]
        return f"[{{{', '.join(fields)}}} for _i in range({RECORDS})]"
    if _ARRAY_LIST.match(param.type):  # windows, layers' weights: each its own array
        dims = _dims(param.type)
        if dims:  # "each of shape (L_i, C)": the later axes shared with the other inputs, a named first axis varying
            shape = _shape(param.type, sizes)
            first = str(shape[0]) if dims[0].isdigit() else f"{max(8, shape[0] // 8)} + 5 * _i"
            arrays = f"[_rng.normal(size=({first}, {', '.join(map(str, shape[1:]))})) for _i in range(4)]"
        else:
            arrays = f"[_rng.normal(size={SAMPLES // 8}) for _i in range(4)]"
        return f"tuple({arrays})" if param.type.lstrip().lower().startswith("tuple") else arrays
    container = _container_sample(param.type)
    if container:
        return container
    if "bytes" in kind:
        stated = _BYTE_COUNT.search(f"{param.type} {param.description}")  # "the 48-byte NTP reply"
        return f"bytes(_i % 256 for _i in range({stated.group(1)}))" if stated else _BYTES
    if re.search(r"\bstr\b|string", kind):
        if _ARRAY.search(kind):
            return _LABELS
        stated = re.search(r"\be\.g\. ('[^'\\]{1,40}')", param.type)  # "str, e.g. 'little_endian'": the user's value
        return stated.group(1) if stated else _TEXT
    if re.search(r"\bdict\b", kind):
        return _DOCUMENT
    if _ARRAY.search(kind):
        shape = _shape(param.type, sizes)
        if _pairwise(_dims(param.type)):
            # pairwise values are symmetric: distances between points (zero diagonal), else a symmetric positive
            # definite matrix (covariances, Gram and information matrices are; a merely symmetric one can be too)
            if re.search(r"metres|meters|distance|\bm\b|range", words):
                return (f"(lambda _p: _np.linalg.norm(_p[:, None] - _p[None], axis=-1))"
                        f"(_rng.uniform(0, 20, size=({shape[0]}, 2)))")
            return f"(lambda _a: _a @ _a.T / {shape[0]} + _np.eye({shape[0]}))(_rng.normal(size={shape}))"
        if re.search(r"\bint", kind) and "float" not in kind:
            if len(shape) == 1 and re.search(r"(?:^|_)(?:idx|index|indices)$", param.name):
                return f"_np.cumsum(_rng.integers(1, 3, size={shape})) - 1"  # indices rise: columns, samples, peaks
            return f"_rng.integers(0, 100, size={shape})"
        if re.search(r"\bbool", kind):
            return f"_rng.random({shape}) > 0.5"
        if re.search(r"\bcomplex", kind):
            return f"_rng.normal(size={shape}) + 1j * _rng.normal(size={shape})"
        if _is_probability(param):
            return f"_rng.uniform(0.05, 0.95, size={shape})"
        coefficients = _filter_coefficients(param) if len(shape) == 1 else None
        if coefficients:
            return coefficients
        if len(shape) == 1 and _TIME_NAME.search(param.name):
            return f"_np.cumsum(_rng.uniform(0.5, 1.5, size={shape}))"  # times only go forward
        whole = _WHOLE_NUMBERS.search(param.name)
        if whole:  # ADC codes inside a 12-bit range, counts and sizes never below zero
            return (f"_rng.integers(100, 4000, size={shape})" if whole.group(1) else
                    f"_rng.poisson(20.0, size={shape}).astype(float)")
        for pattern, mean, spread in _QUANTITY_SAMPLES:
            if re.search(pattern, words):
                return f"_rng.normal({mean}, {spread}, size={shape})"
        return f"_rng.normal(size={shape})"
    if re.search(r"\bbool\b", kind):
        return "True"
    if re.search(r"\bint\b", kind) and "float" not in kind:
        if "order" in words:
            return _ORDER
        return _WINDOW if re.search(r"window|size|len|samples", words) else _COUNT
    if _is_probability(param) and re.search(r"float|number|scalar", kind):
        return _PROBABILITY_SAMPLE
    if re.search(r"\bfs\b|sampl|\bhz\b|rate", words):
        return _RATE  # an int, as users type it: code that demands a float for a rate is wrong
    if re.search(r"float|number|scalar|second|\bs\b", kind):
        return _SETTING
    if param.type == UNTYPED:
        # a parameter nobody typed is a setting unless its name is the data's (`hop`, `dt`, `enter_std`); one
        # used as a sequence is tried again as an array (InputVariant.guessed_scalars_as_arrays)
        if re.search(r"^window|_window|_len$|^len_|_size$|^size|^width|_width", param.name):
            return _WINDOW
        if _COUNT_NAME.search(param.name):
            return _COUNT
        if re.search(r"(?:^|_)bits$|^resolution$", param.name):
            return "12"  # an ADC's resolution
        if not _DATA_NAME.search(param.name) or _UNIT_SUFFIX.search(param.name):
            return _SETTING
        if _WHOLE_NUMBERS.search(param.name):
            return sample_expression(param.model_copy(update={"type": f"np.ndarray, shape ({SAMPLES},)"}))
    return f"_rng.normal(size={SAMPLES})"


# The names of data, not settings: one letter other than a count's (x, t, a), plurals (readings, timestamps;
# not unit suffixes such as _s), and sensor names.
_DATA_NAME = re.compile(r"^(?![kmn]$)[a-z]$|^[a-z]\w*[a-rt-z]s$|^(?:data|signal|series|audio|csi|ppg|ecg|eeg|emg|eda"
                        r"|acc|accel|gyro|mag|rssi|imu|raw|frame|packet|payload|matrix|x\w*|y\w*|z\w*)(?:_\w+)?$",
                        re.I)
# Readings that are whole numbers by nature: ADC codes (group 1), event counts and sizes in bytes
_WHOLE_NUMBERS = re.compile(r"^(?:adc_?)?(codes?|adc)(?:_\w+)?$|(?:^|_)(?:counts?|bytes|sizes?)$")
# A unit that ends a name in s is no plural: `rtt_ms`, `uplink_bps`, `input_bytes` are one number each.
_UNIT_SUFFIX = re.compile(r"_(?:ms|us|ns|secs|mins|hours|hrs|days|years|[kmg]?bps|bytes|bits|lux)$", re.I)
_COUNT_NAME = re.compile(r"^(?:[kmn]|hop|step|order|lag|stride|iters?|n_\w+|num_\w+|\w+_count|min_\w+s)$")


def _node_indices(param: Param, sizes: dict[str, int]) -> str | None:
    """Distinct, in-range row indices for `anchor_idx: list[int]` beside an (N, N) matrix, one per given position.

    Indices drawn from 0-99 point past a 16-node matrix, and correct code then fails with an IndexError.
    """
    if NODES not in sizes or not _INDEX_NAME.search(param.name) or not re.search(r"\bint", param.type.lower()):
        return None
    dims = _dims(param.type)
    count = sizes.get(dims[0].lower(), _ANCHORS) if len(dims) == 1 and not dims[0].isdigit() else _ANCHORS
    count = count if count <= sizes[NODES] else _ANCHORS
    indices = f"list(range(0, {sizes[NODES]}, {sizes[NODES] // count}))[:{count}]"
    return f"_np.array({indices})" if _ARRAY.search(param.type.lower()) and "list[" not in param.type.lower() else indices


def _filter_coefficients(param: Param) -> str | None:
    """Short, stable filter coefficients for `b`/`a`, taps or a denominator: 2048 random ones make any IIR filter
    blow up, and the output check then blames the step."""
    text = f"{param.type} {param.description}".lower()
    coefficients = re.search(r"coefficient|numerator|denominator|\bfilter\b|\btaps\b", text)
    # a bare `a` or `b` is only a filter's when its words say so (`a` may be an acceleration array)
    if re.fullmatch(r"den|denominator|a_coeffs?", param.name) or "denominator" in text or (
            param.name == "a" and coefficients):
        return "_np.array([1.0, -0.5, 0.1])"  # poles at |z| = 0.32
    if re.fullmatch(r"num|numerator|taps|fir_taps|b_coeffs?", param.name) or (param.name == "b" and coefficients) \
            or re.search(r"\bnumerator|\bfilter coefficients?\b|\bfir taps\b", text):
        return "_np.array([0.2, 0.3, 0.2])"
    return None


def _is_probability(param: Param) -> bool:
    words = f"{param.name} {param.type} {param.description}".lower()
    return bool(_PROBABILITY.search(param.name) or _PROBABILITY.search(param.description.lower())) \
        and not _POWER.search(words)


_OUTPUT_CHECK = r'''
def _check_output(value, name, kind, inputs):
    import numbers
    import re
    import numpy as _np
    same = re.search(r"same (length|shape) as ([A-Za-z0-9_]+)", kind)
    stated = re.search(r"\blength = ([^,]+)", kind)  # the user's own length expression over the inputs
    kind = kind.lower()
    assert value is not None or "none" in kind, f"output `{name}` is None"
    if value is None:
        return
    interval = re.search(r"\bin \[\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*,\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*[\])]", kind)
    if interval and not isinstance(value, (tuple, dict)):
        try:
            data = _np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            data = _np.zeros(0)
        low, high = float(interval.group(1)), float(interval.group(2))
        slack = 1e-9 * max(1.0, abs(low), abs(high))
        outside = data[_np.isfinite(data) & ((data < low - slack) | (data > high + slack))]
        assert outside.size == 0, (f"output `{name}` should lie in [{low:g}, {high:g}] (its Output Specification), "
                                   f"got {outside.flat[0]!r}")
    if not kind:  # nothing known of its type: numbers that are all NaN are still no result
        try:
            data = _np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return
        assert data.size == 0 or not _np.all(_np.isnan(data)), f"output `{name}` is all NaN"
        return
    if same and same.group(2) in inputs:
        given, result = inputs[same.group(2)], value[0] if isinstance(value, tuple) else value
        if same.group(1) == "length":
            want, got = len(given), len(result) if _np.ndim(result) else "a scalar"
        else:
            want, got = _np.shape(given), _np.shape(result)
        assert got == want, f"output `{name}` should have the same {same.group(1)} as `{same.group(2)}` ({want}), got {got}"
    if stated:
        try:
            want = eval(stated.group(1), {"__builtins__": {"len": len}}, dict(inputs))
        except Exception:  # a name the harness does not pass: nothing to check
            want = None
        if isinstance(want, int) and want >= 0:  # (empty inputs make len(x) - 1 negative: no length to hold)
            result = value[0] if isinstance(value, tuple) else value
            got = len(result) if _np.ndim(result) else "a scalar"
            assert got == want, f"output `{name}` should have length {stated.group(1)} = {want}, got {got}"
    if any(word in kind for word in ("ndarray", "array", "list")):
        data = _np.asarray(value)
        if data.dtype.kind in "fc":
            assert data.size == 0 or not _np.all(_np.isnan(data)), f"output `{name}` is all NaN"
            assert not _np.any(_np.isinf(data)), f"output `{name}` contains infinite values"
        if data.dtype.kind == "i" and data.dtype.itemsize >= 4 and data.size:
            low = _np.iinfo(data.dtype).min
            assert not _np.any(data == low), f"output `{name}` holds {low}: a NaN or infinity cast to an integer"
    elif kind.startswith("int") or kind.startswith("float"):
        assert isinstance(value, (numbers.Number, _np.number)) or _np.ndim(value) == 0, (
            f"output `{name}` should be a {kind.split(',')[0]} but is {type(value).__name__}")
        if kind.startswith("int"):
            assert float(value) == int(float(value)), f"output `{name}` should be an integer, got {value!r}"
        else:
            assert _np.isfinite(float(value)) or _np.isnan(float(value)), f"output `{name}` is infinite"


def _check_dtype(value, wanted):
    """The returned array (or the one array among a tuple's results) has the NumPy type the user asked for."""
    import numpy as _np
    if isinstance(value, tuple):
        arrays = [item for item in value if isinstance(item, _np.ndarray)]
        if len(arrays) != 1:
            return
        value = arrays[0]
    if not isinstance(value, (_np.ndarray, list)):
        return
    data = _np.asarray(value)
    kinds = {"integer": "iu", "float": "f", "bool": "b"}
    if data.size == 0 or data.dtype.kind == "O":
        return
    ok = data.dtype.kind in kinds[wanted] if wanted in kinds else data.dtype == _np.dtype(wanted)
    assert ok, (f"the requirement asks for a{'n' if wanted[0] in 'aeiou' else ''} {wanted} array, but the result "
                f"is {data.dtype}: convert it, e.g. .astype(np.{'int64' if wanted == 'integer' else wanted})")
'''


_FINGERPRINT = '''
def _fingerprint(value):
    import hashlib
    import json
    import numbers
    import numpy as _np

    def canonical(v):
        if isinstance(v, _np.ndarray):
            return canonical(v.tolist())
        if isinstance(v, dict):
            return sorted([str(k), canonical(x)] for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return [canonical(x) for x in v]
        if isinstance(v, (bool, _np.bool_)):
            return bool(v)
        if isinstance(v, numbers.Number) and not isinstance(v, complex):
            x = float(v)
            return "nan" if x != x else 0.0 if abs(x) < 1e-9 else float(f"{x:.4g}")
        if isinstance(v, (bytes, bytearray)):
            return v.hex()
        text = str(v)
        return "<object>" if " at 0x" in text else text  # an instance's address is no output to compare

    def empty(c):
        return c in ([], "", "None", "<object>") or (isinstance(c, list) and all(map(empty, c)))

    value = canonical(value)
    return ("empty" if empty(value) else "") + hashlib.sha1(json.dumps(value).encode()).hexdigest()[:16]
'''
# The digest's prefix when the result holds nothing to compare: empty (no event found in sample noise),
# or an object such as the instance a class returns.
EMPTY_OUTPUTS = "empty"


def informative(fingerprint: str) -> bool:
    """Whether equal digests mean agreement: versions that all return nothing on sample inputs agree vacuously."""
    return bool(fingerprint) and not fingerprint.startswith(EMPTY_OUTPUTS)


# The digest of a single NaN result: a number that NaN readings turned into NaN.
_NAN_DIGEST = hashlib.sha1(json.dumps("nan").encode()).hexdigest()[:16]
_FINGERPRINT_LINE = re.compile(r"^IOTCODER-FINGERPRINT (\w+)$", re.M)


def signature_defaults(spec: TaskSpec) -> dict[str, str]:
    """Parameter name -> the source of its default value, for the parameters that have one."""
    return {name: default for name, _, default in map(parameter_parts, spec.signature.parameters) if default}


_INPUT_HELPERS = '''
def _with_gaps(values):
    """About 3 % of the readings NaN, as lost packets and failed reads leave them: single ones, bursts of 2
    and 5, and the first and last reading (a sensor that joins late or drops out at the end)."""
    values = _np.array(values, dtype=float)
    if values.ndim == 1 and len(values):
        values[3::37] = _np.nan
        values[[0, -1]] = _np.nan
        if len(values) > 220:
            values[100:102] = _np.nan
            values[200:205] = _np.nan
    elif values.ndim >= 2 and len(values):
        rows = _np.arange(3, len(values), 37)
        values[rows, rows % values.shape[1]] = _np.nan
        values[0, 0] = _np.nan
    return values


def _with_spikes(values):
    """Three isolated spikes 5, 20 and 50 standard deviations off and a 3-sample burst at 20: the events
    (impacts, glitches, beats) that sensor data holds and sample noise never does, so that the code that
    handles them runs too (a threshold of 2.5 g on N(0, 1) readings is never crossed)."""
    values = _np.array(values, dtype=float)
    if values.ndim == 0 or len(values) < 10:
        return values
    center, spread = _np.nanmean(values, axis=0), _np.nanstd(values, axis=0) + 1e-9
    # readings that are all positive (intervals, durations, levels) stay positive: a negative RR interval is no glitch
    floor = 0.1 * _np.nanmin(values, axis=0) if _np.all(values[_np.isfinite(values)] > 0) else -_np.inf
    n = len(values)
    for row, height in ((n // 5, 5.0), (n // 2, -20.0), (4 * n // 5, 50.0)):
        values[row] = _np.maximum(center + height * spread, floor)
    values[2 * n // 3: 2 * n // 3 + 3] = center + 20.0 * spread
    return values


def _few_valid(values, count):
    """The readings with all but the first `count` (rows) NaN: fewer valid readings than a function needs."""
    values = _np.array(values, dtype=float)
    values[count:] = _np.nan
    return values


def _same_length(inputs, names):
    """The named lists, tuples and arrays cut to the length of the shortest (rows of an array, items of a list);
    anything else (a number or document the spec made of one of them) is left as it is."""
    names = [name for name in names if isinstance(inputs[name], (list, tuple))
             or isinstance(inputs[name], _np.ndarray) and inputs[name].ndim]
    shortest = min((len(inputs[name]) for name in names), default=0)
    for name in names:
        inputs[name] = inputs[name][:shortest]


def _related(a, b, refused, broken=False, each=False):
    """a and b (numbers, or arrays of one shape) swapped where `a <refused> b` holds, so that it holds nowhere;
    `broken`: then made to hold at its edge (a equal to b for <=, half or one below for <), in the last
    element only when the user said any element is enough."""
    x, y = _np.array(a), _np.array(b)
    if x.shape != y.shape or x.dtype.kind not in "iuf" or y.dtype.kind not in "iuf":
        return a, b
    low, high = _np.minimum(x, y), _np.maximum(x, y)
    if refused in ("<=", ">="):
        high = _np.where(high == low, high + 1, high)
    x, y = (high, low) if refused in ("<", "<=") else (low, high)
    if broken:
        step = {"<": -1, "<=": 0, ">": 1, ">=": 0}[refused] * (1 if x.dtype.kind in "iu" else 0.5)
        if each and x.ndim:
            x = x.copy()
            x.flat[-1] = y.flat[-1] + step
        else:
            x = y + step
    def back(new, old):
        return new.item() if _np.ndim(old) == 0 else new.tolist() if isinstance(old, (list, tuple)) else new
    return back(x, a), back(y, b)
'''


@dataclass(frozen=True)
class InputVariant:
    """How a second set of sample inputs differs from the first: in what users vary and code often misses."""

    gaps: bool = False  # NaN readings in the float arrays (not the time stamps)
    spikes: bool = False  # isolated spikes and a burst in the float arrays of readings (`_with_spikes`)
    float_rates: bool = False  # the sampling rate as the float 50.0 instead of the int 50
    # Several float settings get distinct values, rising in signature order (a band's low and high edge),
    # and so do several sampling rates (25 and 50 Hz); falling is tried when the function's own ValueError
    # refuses that order (the mV of pH 4, then pH 7; fs_in before fs_out).
    falling_settings: bool = False
    # Counts become 1, tried when the function's own ValueError refuses the inputs in either order: a count
    # bounded by a small dimension (n_components in 1..D-1 of (N, D) data) refuses the usual 3.
    single_counts: bool = False
    # Inputs the model's spec made scalars (the user gave no type) become arrays of the same quantity,
    # tried when the function treats one as a sequence: `rssi_dbm` is a burst of readings, not one.
    guessed_scalars_as_arrays: bool = False
    # ...only these of them, when the failing line names some (`len(x)` in `if window_s > len(x):`)
    used_as_sequences: tuple[str, ...] = ()
    # The inputs an example dataset of the notebook gives (`load_ppg().signal` for `ppg`), the rest sampled.
    example: ExampleArguments | None = None
    # Shape letters at another size that the user allows ("D = 2 or 3"): (letter, size) pairs.
    dimensions: tuple[tuple[str, int], ...] = ()
    # Every array, list and bytes input empty, where the user says what an empty input gives.
    empty: bool = False
    # (parameter, Python source of a value) pairs that the user says raise ValueError ("max_gap < 1": 0);
    # "{sample}" in a value stands for the parameter's usual sample ("({sample})[:-1]": one element short).
    refusal: tuple[tuple[str, str], ...] = ()
    # Comparisons of two inputs that the user says raise ValueError (`stated_relations`): the samples are put
    # in the order that respects them ("raise ValueError if any acc_max < acc_min": acc_max >= acc_min)...
    relations: tuple[tuple[str, str, str, bool], ...] = ()
    # ...but this one is broken at its edge, and the function must refuse the inputs.
    broken_relation: tuple[str, str, str, bool] | None = None
    # Groups of inputs that the user says have one length (`stated_equal_lengths`): their samples are cut to
    # the shortest (64 records beside 2048 readings), before a refusal cuts one of them short.
    same_length: tuple[tuple[str, ...], ...] = ()
    # Bounds of single inputs that the user says raise ValueError ("sparsity is not in [0, 1)": ("sparsity",
    # ">=", 1.0), ...): a number sampled beyond one is moved inside, so that correct code accepts the inputs.
    limits: tuple[tuple[str, str, float], ...] = ()
    # A synthetic signal whose right result is known (a pulse at 72 per minute), and that result.
    known: KnownAnswer | None = None
    # Inputs the user calls a sequence (`EITHER_CONTAINER`) in the other container: a list as a NumPy array,
    # an array as a list (`labels[i:j].count` works on the sample list, not on the array a test passes).
    other_containers: bool = False

    def describe(self) -> str:
        parts = (["the sampling rate as the float 50.0"] if self.float_rates else []) + (
            ["NaN readings, which the requirement says occur"] if self.gaps else []) + (
            ["readings with a few spikes 5 to 50 standard deviations high, as real sensors give"]
            if self.spikes else []) + [
            f"{letter} = {size}, which the requirement allows" for letter, size in self.dimensions] + (
            ["empty inputs, for which the requirement says what to return"] if self.empty else []) + (
            ["each input the requirement calls a sequence as a NumPy array where it was a list, as a list where it "
             "was an array"] if self.other_containers else []) + (
            [self.known.what] if self.known else [])
        return "; ".join(parts)


_EMPTY_INPUT_NOUN = (r"(?:\w+\s+)?(?:inputs?|payloads?|lists?|arrays?|sequences?|streams?|series|signals?|buffers?"
                     r"|strings?|bytes)")
_EMPTY_INPUT_GIVES = re.compile(
    rf"\bempty\s+{_EMPTY_INPUT_NOUN}\s+(?:gives?|returns?|encodes?|yields?|produces?|maps?)\b"
    rf"|\bfor\s+(?:an?\s+)?empty\s+{_EMPTY_INPUT_NOUN}\b", re.I)


def says_what_empty_input_gives(requirement: str) -> bool:
    """Whether the user states the result for an empty input ("an empty payload gives an empty list", "return
    ([], 0) for an empty list"), not that an empty one is an error ("raise ValueError for an empty frame")."""
    clauses = re.split(r"[.;](?:\s|$)|,\s+and\s", requirement)
    return any(_EMPTY_INPUT_GIVES.search(c) and not re.search(r"\brais", c, re.I) for c in clauses)


def _sequence(expression: str) -> bool:
    """Whether a sample is an array, list or bytes that can be cut to length 0 (not a setting, text, document or
    fixed tuple such as a `(low_hz, high_hz)` band)."""
    return not (expression in (*_SCALARS, _RATE, _TEXT, _PROBABILITY_SAMPLE, "True") or expression.startswith("{")
                or re.fullmatch(r"\(.*,\)", expression) or re.fullmatch(r"-?[\d.]+", expression))


_ALTERNATIVE_SIZES = re.compile(r"\b([A-Za-z]\w*)\s*(?:=|is|in)\s*[{(\[]?\s*(\d+)\s*(?:,|or)\s*(\d+)\s*[})\]]?")


def allowed_dimensions(requirement: str, types: list[str]) -> tuple[tuple[str, int], ...]:
    """The shape letters of `types` that the user allows at a size other than the sample's ("(N, D) ... D = 2 or 3"
    where D is sampled as 3): code that hard-codes x, y, z must meet the 2-D case."""
    sizes = dimension_sizes(types)
    found = []
    for letter, *values in _ALTERNATIVE_SIZES.findall(requirement):
        if letter.lower() in sizes:
            other = next((int(v) for v in values if 0 < int(v) != sizes[letter.lower()]), None)
            if other is not None:
                found.append((letter.lower(), other))
    return tuple(dict(found).items())


def _harness_inputs(steps: list[tuple[Task, TaskSpec, CodeModule]],
                    call_last: bool) -> tuple[str, dict[str, Param], dict[str, str]]:
    """The function the harness calls, the inputs it gets, and the defaults among them (see `harness_source`)."""
    inputs: dict[str, Param] = {}
    produced: set[str] = set()
    for _, spec, _ in steps:
        for param in spec.inputs:
            if param.name not in produced:
                inputs.setdefault(param.name, param)
        produced.update(p.name for p in spec.outputs)
    defaults = {name: value for _, spec, _ in steps for name, value in signature_defaults(spec).items()}
    last = steps[-1][1]
    if call_last or _inputs_from_requirement(steps):
        return last.function_name, {p.name: p for p in last.inputs}, signature_defaults(last)
    return "run_pipeline", inputs, defaults


def example_inputs(steps: list[tuple[Task, TaskSpec, CodeModule]], call_last: bool,
                   datasets: tuple[str, ...]) -> ExampleArguments | None:
    """The example dataset's values for the harness's inputs, when one of `datasets` gives all that lack a default."""
    _, inputs, defaults = _harness_inputs(steps, call_last)
    return example_arguments(datasets, [n for n in inputs if n not in defaults], [n for n in inputs if n in defaults])


def harness_source(steps: list[tuple[Task, TaskSpec, CodeModule]], call_last: bool = False,
                   variant: InputVariant = InputVariant()) -> str:
    """A cell that calls steps 1..i in order on sample inputs, checks the last step's outputs, prints their digest.

    The user's own function, when every input it takes is one the user described, is called directly,
    as the user (or a test) will call it; a broken earlier step it does not call is then no excuse.
    `call_last` calls the last step directly in any case: candidates for one function, one that uses
    the steps above and one that does not, then get the same inputs and their outputs can be compared.
    `variant` changes the inputs without a default in the signature (see InputVariant).
    """
    from .notebook import wiring_source

    source, params, returned = wiring_source(steps)
    function, inputs, defaults = _harness_inputs(steps, call_last)
    last = steps[-1][1]

    sizes = dimension_sizes([p.type for p in inputs.values()]) | dict(variant.dimensions)
    settings = [name for name, p in inputs.items() if name not in defaults and sample_expression(p) == _SETTING]
    rates = [name for name, p in inputs.items()
             if name not in defaults and sample_expression(p) == _RATE and _SAMPLING_RATE_NAME.search(name)]
    guessed = [name for name, p in inputs.items()
               if name not in defaults and not p.from_requirement and sample_expression(p) in _SCALARS]
    as_arrays = ([name for name in guessed if name in variant.used_as_sequences] or guessed
                 if variant.guessed_scalars_as_arrays else [])

    def sample(param: Param) -> str:
        value = _within_limits(sampled(param), [(op, bound) for name, op, bound in variant.limits if name == param.name])
        if variant.other_containers and param.name not in defaults and either_container(param):
            value = _other_container(value)
        return f"({value})[:0]" if variant.empty and param.name not in defaults and _sequence(value) else value

    def sampled(param: Param) -> str:
        if variant.example and variant.example.expression(param.name, "_example"):
            return variant.example.expression(param.name, "_example")
        if param.name in defaults:
            return defaults[param.name]
        if param.example:
            return f"_np.array({param.example})" if re.search(r"ndarray|array", param.type) else param.example
        expression = sample_expression(param, sizes)
        if param.name in as_arrays:
            return sample_expression(Param(name=param.name, type=f"np.ndarray, shape (n_samples,), {param.type}"))
        if expression == _SETTING and len(settings) > 1:
            rank = settings.index(param.name)
            return f"{1.0 + 0.5 * (len(settings) - 1 - rank if variant.falling_settings else rank)}"
        if variant.single_counts and expression == _COUNT:
            return "1"
        if expression == _RATE and param.name in rates:
            # several rates differ (fs_in 25, fs_out 50; falling: 50, 25): code that mixes them up must not pass
            rank = rates.index(param.name)
            rate = int(_RATE) // 2 ** (rank if variant.falling_settings else len(rates) - 1 - rank)
            return f"{rate}.0" if variant.float_rates else str(rate)
        if variant.float_rates and expression == _RATE:
            return f"{_RATE}.0"
        if _readings(expression) and (variant.gaps or variant.spikes):
            varied = f"_with_{'gaps' if variant.gaps else 'spikes'}({expression})"
            return f"{varied}.tolist()" if expression.endswith(".tolist()") else varied  # a list stays a list
        return expression

    values = {name: sample(p) for name, p in inputs.items()}
    known = {name: value for name, value in (variant.known.inputs if variant.known else ()) if name in values}
    values.update(known)
    arguments = ", ".join(f"{name!r}: {value}" for name, value in values.items())
    lines = ["import numpy as _np", "_rng = _np.random.default_rng(0)", source, _OUTPUT_CHECK, _FINGERPRINT, _INPUT_HELPERS,
             *([variant.example.setup("_example")] if variant.example else []), *([SIGNALS] if variant.known else []),
             f"_inputs = {{{arguments}}}"]
    for group in variant.same_length:
        sampled_group = [name for name in group if name in values and name not in defaults and name not in known
                         and not (variant.example and variant.example.expression(name, "_example"))]
        if len(sampled_group) > 1:
            lines.append(f"_same_length(_inputs, {sampled_group!r})")
    for a, op, b, each in variant.relations:
        if a in values and b in values:
            broken = (a, op, b, each) == variant.broken_relation
            lines.append(f"_inputs[{a!r}], _inputs[{b!r}] = _related(_inputs[{a!r}], _inputs[{b!r}], {op!r}"
                         f"{', broken=True, each=' + str(each) if broken else ''})")
    lines += [f"_inputs[{name!r}] = {value.replace('{sample}', f'_inputs[{name!r}]')}" for name, value in variant.refusal]
    if variant.refusal or variant.broken_relation:  # the user said these inputs raise ValueError: is that so?
        lines += ["try:", f"    {function}(*_inputs.values())", "except ValueError:", f"    print({_REFUSED!r})"]
        return "\n".join(lines) + "\n"
    lines.append(f"_result = {function}(*_inputs.values())")
    lines += output_checks(last) + ([check_source(variant.known)] if variant.known else [])
    lines.append('print("IOTCODER-FINGERPRINT", _fingerprint(_result))')
    return "\n".join(lines) + "\n"


_REFUSED = "IOTCODER-REFUSED"


def _within_limits(value: str, limits: list[tuple[str, float]]) -> str:
    """A number sample moved inside the bounds whose crossing raises ValueError: 1.0 -> 0.5 for "not in [0, 1)".

    From a refused bound it moves to the bound itself where that is allowed (`< 0` -> 0), else half a step
    inside it (`>= 1` -> 0.5, or 1 less for an int); anything but a plain number stays as it is.
    """
    if not limits or not re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()):
        return value
    integer, number = "." not in value, float(value)
    step = 1.0 if integer else 0.5
    for _ in range(2):  # a move past one end of an interval is corrected at the other
        for op, bound in limits:
            if COMPARISONS[op](number, bound):
                number = {"<": bound, ">": bound, "<=": bound + step, ">=": bound - step}[op]
                step /= 2
    return str(int(number)) if integer and number.is_integer() else repr(number)


def either_container(param: Param) -> bool:
    """Whether the user lets the input be a list or a NumPy array ("a sequence of strings", `list[float] | np.ndarray`)."""
    return param.from_requirement and bool(re.search(rf"{re.escape(EITHER_CONTAINER)}|\|\s*(?:np\.|numpy\.)?ndarray"
                                                     r"|ndarray\s*\|", param.type))


def _other_container(expression: str) -> str:
    """A list sample as a NumPy array, an array sample as a list; anything else as it is."""
    if expression.startswith("[") or expression.endswith(".tolist()"):
        return f"_np.asarray({expression})"
    if expression.startswith(("_rng.", "_np.")):
        return f"({expression}).tolist()"
    return expression


def _readings(expression: str) -> bool:
    """Whether a sample expression is a float array (or list) of readings (not times, indices, labels or complex IQ)."""
    return expression.removeprefix("(").startswith("_rng.normal(") and "1j" not in expression


def output_checks(spec: TaskSpec) -> list[str]:
    """Harness lines that check `_result` against what is known about the step's outputs.

    A step of the plan is held to its Output Specification. The user's own function is held only to
    what the user stated (an annotation, "returns the rate (float)", "same length as x", a
    `tuple[a, b]` of two): the model's spec of it can be wrong (a `median: float` for a function that
    returns a tuple), and correct code that contradicts a wrong spec must not be "repaired" into it. The NumPy
    type the user gave the returned array (`transform.with_output_dtype`) is checked in either case.
    """
    dtypes = [dtype for p in spec.outputs if (dtype := stated_dtype(p.type))]
    typed = [f"_check_dtype(_result, {dtypes[0]!r})"] if spec.signature.required and dtypes else []
    return _output_checks(spec) + typed


def _output_checks(spec: TaskSpec) -> list[str]:
    outputs = spec.outputs
    count = _annotated_tuple_length(spec.signature.returns) if spec.signature.required else None
    if spec.signature.required and (not (outputs and all(p.from_requirement for p in outputs))
                                    or count and len(outputs) != count):
        # (the user's `-> tuple[np.ndarray, float]` beats a spec that made it one output: checking the
        # whole tuple as that output's array failed correct code)
        if count:
            return [f"assert isinstance(_result, (tuple, list)) and len(_result) == {count}, "
                    f"'the annotation `{spec.signature.returns}` says {count} results, got ' + repr(type(_result))"]
        return [f"_check_output(_result, {spec.function_name!r}, '', _inputs)"]
    if len(outputs) > 1:
        names = ", ".join(p.name for p in outputs)
        return ([f"assert isinstance(_result, (tuple, list)) and len(_result) == {len(outputs)}, "
                 f"'expected {len(outputs)} outputs ({names}), got ' + repr(type(_result))"]
                + [f"_check_output(_result[{i}], {p.name!r}, {p.type!r}, _inputs)" for i, p in enumerate(outputs)])
    return [f"_check_output(_result, {p.name!r}, {p.type!r}, _inputs)" for p in outputs]


def _annotated_tuple_length(returns: str | None) -> int | None:
    """2 for `tuple[float, np.ndarray]`; None for no annotation, another type or `tuple[float, ...]`."""
    try:
        node = ast.parse(returns or "", mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("tuple", "Tuple", "typing.Tuple")):
        return None
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return None if any(isinstance(i, ast.Constant) and i.value is Ellipsis for i in items) else len(items)


def _inputs_from_requirement(steps: list[tuple[Task, TaskSpec, CodeModule]]) -> bool:
    """Whether the last step is the user's function and gets only inputs the user described, none made by a step."""
    spec = steps[-1][1]
    produced = {p.name for _, earlier, _ in steps[:-1] for p in earlier.outputs}
    defaults = signature_defaults(spec)
    return spec.signature.required and all(
        p.name not in produced and (p.from_requirement or p.name in defaults) for p in spec.inputs)


_REJECTED = "rejected inputs that match the requirement"


def says_readings_can_be_nan(requirement: str) -> bool:
    """Whether the user says the data holds NaN readings the function must handle ("failed reads come back
    as NaN"), not that NaN is an error ("raise ValueError if x contains NaN")."""
    sentences = [s for s in re.split(r"[.;](?:\s|$)", requirement) if re.search(r"\bNaNs?\b", s)]
    return any(not re.search(r"\braises?\b|\berror\b|\breject", s, re.I) for s in sentences)


def validate_steps(steps: list[tuple[Task, TaskSpec, CodeModule]], timeout: float = 20.0,
                   memory_mb: int = 1024, call_last: bool = False, requirement: str = "",
                   datasets: tuple[str, ...] = ()) -> Validation:
    """Run the modules of `steps` on sample inputs (`_validate_on_samples`), then on the notebook's example data.

    When one of `datasets` (the example data the user chose) gives every input the harness needs
    (`ppg` and `fs` from `load_ppg()`), a step that did not fail on sample inputs runs once more on it:
    the user will run it there, so any error on it is a failure, even a ValueError of the step's own
    (a heart-rate step that raises "outside 40-180 BPM" on the real recording has a bug). The data also
    judges a user's function that refused sample inputs built from the user's words: the real recording
    is 2483 samples where the samples are 2048, and "at least 25 s" is no bug.
    """
    verdict = _validate_on_samples(steps, timeout, memory_mb, call_last, requirement)
    example = example_inputs(steps, call_last, datasets) if datasets else None
    if example is None or (verdict.status == "failed" and _REJECTED not in verdict.problem):
        return verdict
    return _validate_second_input_set(steps, verdict, InputVariant(example=example), timeout, memory_mb, call_last)


def _validate_on_samples(steps: list[tuple[Task, TaskSpec, CodeModule]], timeout: float, memory_mb: int,
                         call_last: bool, requirement: str) -> Validation:
    """Run the modules of `steps` and the harness; judge the LAST step (see `harness_source` for `call_last`).

    `requirement` is the user's text: where it tells the function to raise ValueError for some inputs,
    the function's own ValueError on synthetic inputs may be exactly that (sample RR intervals of
    N(0, 1) ms are all "implausible"), so it is inconclusive rather than a bug to repair. When its own
    ValueError refuses the order of several float settings, they are tried in the other order, then
    counts are tried as 1 (a number of components bounded by the data's few columns); when
    it treats an input that the model's spec (not the user) made a scalar as a sequence, that input
    is tried as an array of the same quantity (the ones the failing line names, a line at a time), and
    a failure there for another reason is the verdict. Inputs the user says must compare one way (`a < b`
    raises) are sampled that way. A function that refused the sample inputs is judged on known-answer
    inputs where there are some (`known_answers`).
    """
    signature = steps[-1][1].signature
    limits = tuple(r for r in stated_refusals(requirement, signature) if r[1] in COMPARISONS)
    base = InputVariant(relations=tuple(stated_relations(requirement, signature)), limits=limits,
                        same_length=tuple(stated_equal_lengths(requirement, signature)))
    verdict, refused = _judge(steps, base, timeout, memory_mb, call_last, requirement)
    if refused:
        for retry in (replace(base, falling_settings=True), replace(base, single_counts=True)):
            again = _retried(steps, verdict, base, retry, timeout, memory_mb, call_last, requirement)
            if again is not verdict:  # `_retried` keeps the first verdict unless the retry tells more
                return again
        known = _users_known_answer(steps, requirement)
        if known and verdict.status == "inconclusive":  # clean inputs whose answer is known judge it instead
            return _validate_second_input_set(steps, verdict, replace(base, known=known), timeout, memory_mb,
                                              call_last=True)
        return verdict
    arrays: tuple[str, ...] = ()
    problem = verdict.problem
    tried = {harness_source(steps, call_last, base)}
    for _ in range(_SEQUENCE_ROUNDS):  # one more input each round: `lat`, then `lon`
        if verdict.status != "failed" or not _TREATED_AS_SEQUENCE.search(problem):
            break
        arrays = tuple(dict.fromkeys(arrays + _used_as_sequences(problem)))
        retry = replace(base, guessed_scalars_as_arrays=True, used_as_sequences=arrays)
        source = harness_source(steps, call_last, retry)
        if source in tried:
            break
        tried.add(source)
        again, _ = _judge(steps, retry, timeout, memory_mb, call_last, requirement)
        if again.status == "passed" or again.status == "failed" and not _TREATED_AS_SEQUENCE.search(again.problem):
            return again  # it took the arrays, then failed something else: that is what to repair
        problem = again.problem if again.status == "failed" else ""
    return verdict


_SEQUENCE_ROUNDS = 3


def _users_known_answer(steps: list[tuple[Task, TaskSpec, CodeModule]], requirement: str) -> KnownAnswer | None:
    """The known-answer inputs for the last step when it is the user's own function."""
    last = steps[-1][1]
    return known_answer(requirement, last.signature) if last.signature.required else None


def _retried(steps: list[tuple[Task, TaskSpec, CodeModule]], verdict: Validation, base: InputVariant,
             retry: InputVariant, timeout: float, memory_mb: int, call_last: bool, requirement: str) -> Validation:
    """The verdict on the `retry` inputs when it passes there, else the first one (`verdict`, on `base`).

    In the other order the function's refusal of the first is taken at its word, so a failure there that is
    no refusal (scipy rejecting the filter it designed for fs_in 50 Hz and fs_out 25 Hz) is its verdict.
    """
    if harness_source(steps, call_last, retry) == harness_source(steps, call_last, base):
        return verdict
    again, refused = _judge(steps, retry, timeout, memory_mb, call_last, requirement)
    accepted_then_failed = retry.falling_settings and again.status == "failed" and not refused
    return again if again.status == "passed" or accepted_then_failed else verdict


def _judge(steps: list[tuple[Task, TaskSpec, CodeModule]], base: InputVariant, timeout: float, memory_mb: int,
           call_last: bool, requirement: str) -> tuple[Validation, bool]:
    """The verdict on one input set, and whether the step refused it with its own ValueError."""
    cells = [module.code for _, _, module in steps] + [harness_source(steps, call_last, base)]
    result = run_cells(cells, timeout=timeout, memory_mb=memory_mb)
    function = steps[-1][1].function_name
    if result.status == "timeout":
        return Validation("failed", f"it did not finish within {timeout:g} s on sample inputs (an endless loop?)"), False
    if result.status == "memory":
        return Validation("failed", f"it ran out of memory ({memory_mb} MB) on sample inputs"), False
    if not result.cells:
        return Validation("failed", f"running it crashed: {result.reason}"), False
    own, harness = result.cells[len(steps) - 1], result.cells[-1]
    if not own.ok:
        return Validation("failed", f"running the cell raised {own.error}"
                                    f"{_failing_line(own.error, cells[-2], None)}"), False
    if harness.ok:
        digest = _FINGERPRINT_LINE.search(harness.stdout)
        passed = Validation("passed", fingerprint=digest.group(1) if digest else "")
        last = steps[-1][1]
        defaults = signature_defaults(last)
        variant = replace(base, gaps=says_readings_can_be_nan(requirement), float_rates=any(
            sample_expression(p) == _RATE for p in last.inputs if p.name not in defaults),
            dimensions=allowed_dimensions(requirement, [p.type for p in last.inputs if p.name not in defaults]))
        varied = variant.gaps or variant.float_rates or variant.dimensions
        if last.signature.required and (call_last or _inputs_from_requirement(steps)):
            if varied:
                passed = _validate_second_input_set(steps, passed, variant, timeout, memory_mb, call_last)
            if passed.status == "passed" and says_what_empty_input_gives(requirement):
                passed = _validate_second_input_set(steps, passed, replace(base, empty=True), timeout, memory_mb,
                                                    call_last)
            if passed.status == "passed" and any(_readings(sample_expression(p)) for p in last.inputs
                                                 if p.name not in defaults):
                passed = _validate_second_input_set(steps, passed, replace(base, spikes=True), timeout, memory_mb,
                                                    call_last)
            if passed.status == "passed" and any(either_container(p) for p in last.inputs if p.name not in defaults):
                passed = _validate_second_input_set(steps, passed, replace(base, other_containers=True), timeout,
                                                    memory_mb, call_last)
            if passed.status == "passed":
                passed = _validate_refusals(steps, passed, base, timeout, memory_mb, call_last, requirement)
        elif variant.float_rates:  # a plan step gets the rate the user passes too: 50.0 slices no array
            passed = _validate_second_input_set(steps, passed, replace(base, float_rates=True), timeout, memory_mb,
                                                call_last)
        known = _users_known_answer(steps, requirement)
        if passed.status == "passed" and known:  # its inputs are all the function needs: call it directly
            passed = _validate_second_input_set(steps, passed, replace(base, known=known), timeout, memory_mb,
                                                call_last=True)
        return passed, False
    broken = next((i for i, cell in enumerate(result.cells[: len(steps) - 1], start=1) if not cell.ok), None)
    if broken is not None and harness.error.startswith("NameError"):
        # the broken cell's function is missing: this step called it, and cannot be judged
        return Validation("inconclusive", f"step {broken}'s cell failed ({result.cells[broken - 1].error}), "
                                          f"so this step could not be judged"), False
    earlier = re.search(r" in <cell (\d+)> line", harness.error)
    if earlier and int(earlier.group(1)) < len(steps):
        return Validation("inconclusive", f"step {earlier.group(1)} failed first: {harness.error}"), False
    if _own_value_error(harness.error):
        if _inputs_from_requirement(steps) and not RAISES_VALUE_ERROR.search(requirement):
            inputs = ", ".join(f"{p.name}: {p.type}" for p in steps[-1][1].inputs)
            return Validation("failed", f"`{function}` {_REJECTED} ({inputs}; "
                                        f"arrays of {SAMPLES} samples): {harness.error}"
                                        f"{_failing_line(harness.error, cells[-2], len(steps))}"), True
        return Validation("inconclusive", f"a step rejected the sample inputs: {harness.error}"), True
    if harness.error.startswith("KeyError") and _DOCUMENT in cells[-1]:
        return Validation("inconclusive", f"a step looked up a key that the sample document lacks: {harness.error}"), False
    if harness.error.startswith("AssertionError"):
        return Validation("failed", f"its output does not match the Output Specification: {harness.error}"), False
    return Validation("failed", f"calling `{function}` on sample inputs raised {harness.error}"
                                f"{_failing_line(harness.error, cells[-2], len(steps))}"), False


def _validate_second_input_set(steps: list[tuple[Task, TaskSpec, CodeModule]], passed: Validation,
                               variant: InputVariant, timeout: float, memory_mb: int, call_last: bool) -> Validation:
    """Run the function again on inputs that vary what users vary (a float rate, NaN readings), or on example data.

    A crash, a hang, an all-NaN result, a number that NaN readings turned into NaN (when the first run gave
    one), a refusal of NaN readings, or any error on empty inputs (the user said what they give) is a
    failure; a ValueError about something else (too few valid samples left) leaves the first run's verdict,
    unless the inputs are example data. An error in an earlier step's cell on example data also leaves it:
    that step is judged on its own. The digest then covers both runs, so the cross-check also compares how
    versions treat the second set.
    """
    cells = [module.code for _, _, module in steps] + [harness_source(steps, call_last, variant)]
    result = run_cells(cells, timeout=timeout, memory_mb=memory_mb)
    where = (f"on the notebook's example data (`{variant.example.loader}()`)" if variant.example
             else f"on a second set of sample inputs ({variant.describe()})")
    if result.status in ("timeout", "memory") or not result.cells:
        return Validation("failed", f"{where} it did not finish: {result.reason or result.status}")
    harness = result.cells[-1]
    if harness.ok and variant.spikes:  # it copes with events; what it makes of them is for the tests to say
        return passed
    if harness.ok:
        second = _FINGERPRINT_LINE.search(harness.stdout)
        second = second.group(1) if second else ""
        if variant.gaps and second == _NAN_DIGEST != passed.fingerprint:
            return Validation("failed", f"{where} `{steps[-1][1].function_name}` returned NaN (it returned a "
                                        f"number on the same inputs without gaps): skip or fill the NaN readings "
                                        f"(np.nanmean, a mask of np.isfinite) instead of letting them spread")
        both = hashlib.sha1(f"{passed.fingerprint} {second}".encode()).hexdigest()[:16]
        vacuous = not informative(passed.fingerprint) and not informative(second)
        return Validation("passed", fingerprint=(EMPTY_OUTPUTS if vacuous else "") + both)
    refuses_gaps = variant.gaps and re.search(r"nan|finite|missing|invalid", harness.error, re.I)
    refuses_valid = variant.example or variant.empty or variant.known and variant.known.refusal_is_a_bug
    if _own_value_error(harness.error) and not refuses_gaps and not refuses_valid:
        return passed
    if variant.known and _own_value_error(harness.error):
        return Validation("failed", f"on {variant.known.what}, `{steps[-1][1].function_name}` raised "
                                    f"{harness.error}{_failing_line(harness.error, cells[-2], len(steps))}: these "
                                    f"inputs are clean and valid, so the condition that raised is wrong")
    earlier = re.search(r" in <cell (\d+)> line", harness.error)
    if variant.example and (not all(cell.ok for cell in result.cells[:-1])
                            or earlier and int(earlier.group(1)) < len(steps)):
        return passed
    if variant.known and harness.error.startswith("AssertionError: "):  # a wrong answer, not a crash
        said = re.sub(r" \(line \d+\)$", "", harness.error.removeprefix("AssertionError: "))
        return Validation("failed", f"on {variant.known.what}, `{steps[-1][1].function_name}`: {said}")
    return Validation("failed", f"{where} `{steps[-1][1].function_name}` raised {harness.error}"
                                f"{_failing_line(harness.error, cells[-2], len(steps))}")


_REFUSALS = 3  # conditions checked per function: each is one more sandbox run


def refusal_variants(steps: list[tuple[Task, TaskSpec, CodeModule]], call_last: bool, requirement: str,
                     base: InputVariant = InputVariant()) -> list[tuple[str, str, InputVariant]]:
    """One input set per condition the user says raises ValueError, with the condition and what was changed.

    A scalar gets a value at the condition's edge: `< 1` gets 0 for an int input and 0.5 for a float one,
    `<= 0` gets 0 ("max_gap < 1": "max_gap = 0"). "a and b differ in length" cuts b one element short ("the
    arrays differ in length": the last array input); "x is empty" empties x; "x has fewer than 8 samples"
    cuts x to 7 ("fewer than 2 fixes are given": every array input, so they still match), and "fewer than 4
    finite values" keeps the length with all but 3 readings NaN; "the recording is shorter than 30 seconds"
    cuts the arrays to 30 s at the sampling rate, less one sample; "exit_std > enter_std" gets exit_std just
    above enter_std, "any acc_max < acc_min" the last element of acc_max just below acc_min's. The other inputs
    keep their samples in `base`, the input set the function accepted.
    """
    _, inputs, defaults = _harness_inputs(steps, call_last)
    usual = {name: defaults.get(name) or sample_expression(param) for name, param in inputs.items()}
    arrays = [name for name in inputs if name not in defaults and _sequence(usual[name])]
    rates = [name for name in inputs if name not in defaults and usual[name] == _RATE]
    variants = []
    for name, op, bound in stated_refusals(requirement, steps[-1][1].signature):
        said = ""
        if op == DURATION:  # cut to one sample less than the duration at the (one) sampling rate
            if len(rates) != 1:
                continue
            said = f"the recording is shorter than {bound:g} s ({int(bound * int(_RATE))} samples at {_RATE} Hz)"
            op, bound = FEWER, float(int(bound * int(_RATE)))
        if op in (SHORTER, EMPTY, FEWER, FEWER_VALID):
            if op == SHORTER:
                names = [name or (arrays[-1] if len(arrays) > 1 else "")]
                cut, condition = "[:-1]", f"{names[0]} differs in length from the other inputs"
                change = f"{names[0]} one element shorter"
            elif op == EMPTY:
                names, cut, condition, change = [name], "[:0]", f"{name} is empty", f"{name} empty"
            else:
                names = [name] if name else arrays
                if op == FEWER_VALID:  # NaN only fits float readings
                    names = [n for n in names if re.match(r"_rng\.(?:normal|uniform)\(", usual.get(n, ""))]
                count = int(bound) - 1
                valid = " valid" if op == FEWER_VALID else ""
                cut, condition = f"[:{count}]", f"{', '.join(names)} {'has' if len(names) == 1 else 'have'} " \
                                                f"fewer than {bound:g}{valid} items"
                change = f"{count}{valid} item{'s' if count != 1 else ''} in {', '.join(names)}"
            if not names or not all(n in arrays for n in names):
                continue
            value = f"_few_valid({{sample}}, {int(bound) - 1})" if op == FEWER_VALID else f"({{sample}}){cut}"
            variants.append((said or condition, change, replace(base, refusal=tuple((n, value) for n in names))))
            continue
        if name not in usual or _sequence(usual[name]):
            continue
        integer = bool(re.fullmatch(r"-?\d+", usual[name].strip())) and bound.is_integer()
        edge = {"<": bound - (1 if integer else 0.5), "<=": bound, ">": bound + (1 if integer else 0.5), ">=": bound}[op]
        value = str(int(edge)) if integer else repr(float(edge))
        variants.append((f"{name} {op} {bound:g}", f"{name} = {value}", replace(base, refusal=((name, value),))))
    relations = tuple(stated_relations(requirement, steps[-1][1].signature))
    for a, op, b, each in relations:
        if a in inputs and b in inputs:
            where = f"the last element of {a}" if each and a in arrays else a
            edge = {"<": "just below", "<=": "equal to", ">": "just above", ">=": "equal to"}[op]
            variants.append((f"{'any ' if each else ''}{a} {op} {b}", f"{where} {edge} {b}'s",
                             replace(base, relations=relations, broken_relation=(a, op, b, each))))
    return variants[:_REFUSALS]


def _validate_refusals(steps: list[tuple[Task, TaskSpec, CodeModule]], passed: Validation, base: InputVariant,
                       timeout: float, memory_mb: int, call_last: bool, requirement: str) -> Validation:
    """Call the user's function with each input the user says raises ValueError; returning or another error fails."""
    function = steps[-1][1].function_name
    for condition, change, variant in refusal_variants(steps, call_last, requirement, base):
        cells = [module.code for _, _, module in steps] + [harness_source(steps, call_last, variant)]
        result = run_cells(cells, timeout=timeout, memory_mb=memory_mb)
        said = f"the requirement says to raise ValueError if {condition}, but with {change} `{function}`"
        if result.status in ("timeout", "memory") or not result.cells:
            return Validation("failed", f"{said} did not finish: {result.reason or result.status}")
        harness = result.cells[-1]
        if harness.ok and _REFUSED in harness.stdout:
            continue
        if harness.ok:
            return Validation("failed", f"{said} returned a result: check that first and raise ValueError")
        return Validation("failed", f"{said} raised {harness.error}{_failing_line(harness.error, cells[-2], len(steps))}")
    return passed


def _used_as_sequences(problem: str) -> tuple[str, ...]:
    """The names that the failing line quoted in `problem` measures, indexes or iterates: `x` in
    `if window_s > len(x):`, `t_b` in `t0 = max(t_a[0], t_b[0])`."""
    line = re.search(r"failing line: `([^`]*)`", problem)
    if not line:
        return ()
    text = line.group(1)
    names = (re.findall(r"\blen\(\s*([A-Za-z_]\w*)\s*\)", text) + re.findall(r"\b([A-Za-z_]\w*)\s*\[", text)
             + re.findall(r"\bfor\s+[\w, ()]+?\s+in\s+([A-Za-z_]\w*)\b", text))
    return tuple(dict.fromkeys(names))


def _own_value_error(error: str) -> bool:
    """A ValueError from the step's own `raise`, not from inside a library or an operation."""
    return error.startswith("ValueError") and not re.search(r"\[raised in |\[from an operation", error)


def _failing_line(error: str, source: str, cell: int | None) -> str:
    """`; failing line: `...`` quoting the step's own source line that the error points at, else "".

    The repair prompt shows the module without line numbers, and the error counts lines per notebook cell.
    `cell` is the step's cell number when the error was raised through another cell, None when in its own.
    """
    pattern = rf"in <cell {cell}> line (\d+)" if cell is not None else r"\(line (\d+)\)"
    found = re.findall(pattern, error)
    lines = source.splitlines()
    if not found or not 0 < int(found[-1]) <= len(lines):
        return ""
    return f"; failing line: `{lines[int(found[-1]) - 1].strip()}`"
