"""Stage 3, modular code generation (CGSLM): TaskSpec -> documented CodeModule.

Base model plus the "codegen" LoRA adapter when one is shipped. Generation
stops at the closing code fence; the module is checked statically (parses,
no undefined names, defines the spec's function with the spec's parameters,
imports installed modules) and regenerated, a bounded number of times, when a
check fails. Then (validate.py) it runs after the steps before it on sample
inputs in the sandbox, and the model repairs it, given its code and the error,
when that fails. The best attempt is kept and whatever is still wrong with it
is recorded, never hidden.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import symtable
import sys
import time
import tokenize
import tomllib
import warnings
from dataclasses import replace
from functools import lru_cache
from typing import Callable

from pyflakes.checker import Checker
from pyflakes.messages import UndefinedName

from .calls import StageCaller
from .config import GenerationConfig
from .consensus import PLAIN_PROMPT, alternative_origin, choose_users_function
from .prompts import load_text, render
from .runtime import ChatRequest
from .schema import CodeModule, Param, Signature, StageStats, Task, TaskList, TaskSpec
from .requirement import signature_parameter_names
from .validate import Validation, Validator, validate_steps

_FENCE = re.compile(r"```[ \t]*(?:python|py|Python)?[ \t]*\n")


def closed_code_block(text: str) -> str | None:
    """The answer up to its closing fence once the first code block is complete, else None."""
    opening = _FENCE.search(text)
    if opening is None:
        return None
    end = text.find("\n```", opening.end() - 1)
    return text[: end + 4] if end >= 0 else None


def extract_code(text: str) -> str:
    """The code inside the first fenced block; an unclosed block runs to the end."""
    opening = _FENCE.search(text)
    if opening is None:
        return text.strip("\n`")
    end = text.find("\n```", opening.end() - 1)
    return text[opening.end(): end if end >= 0 else len(text)]


def undefined_names(tree: ast.Module) -> list[str]:
    """Names the module uses but never defines or imports (pyflakes), each once, in order of first use."""
    checker = Checker(tree)
    return list(dict.fromkeys(m.message_args[0] for m in checker.messages if isinstance(m, UndefinedName)))


def missing_imports(tree: ast.Module) -> list[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return sorted(m for m in modules if m not in sys.stdlib_module_names and importlib.util.find_spec(m) is None)


@lru_cache(maxsize=1)
def device_packages() -> dict[str, str]:
    """Import name -> pip name of the device and protocol libraries (prompts/device_packages.toml)."""
    return tomllib.loads(load_text("device_packages.toml"))["packages"]


def needed_packages(code: str) -> list[str]:
    """The pip names of the device and protocol libraries `code` imports that are not installed here."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    known = device_packages()
    return sorted({known[m] for m in missing_imports(tree) if m in known})


# Libraries whose names are checked: generated code leans on them, small models invent names in them
# (`scipy.signal.sosfreq`, `np.mode`), and importing them to look is cheap and free of side effects.
CHECKED_LIBRARIES = frozenset({"numpy", "scipy", "sklearn", "math", "statistics", "struct", "collections",
                               "itertools", "functools", "json", "re", "time", "datetime",
                               "jupyter_iotcoder"})  # the example-data loaders: `BasicMotions` was invented


def _checked_module(name: str):
    """The imported module when `name` belongs to a checked library and imports; None otherwise."""
    if name.split(".")[0] not in CHECKED_LIBRARIES:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted path it is bound to by the module's imports (`np` -> `numpy`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _rebound_names(tree: ast.Module) -> set[str]:
    """Parameters and assigned variables: one that reuses an import alias (`def f(signal)`) is not the module."""
    rebound = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    return rebound | {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _has(path: str, attribute: str) -> bool:
    """Whether the checked library module at `path` has `attribute` (an object or a submodule)."""
    module = _checked_module(path)
    if module is None:
        return False
    with warnings.catch_warnings():  # `np.object` and friends warn when looked up
        warnings.simplefilter("ignore")
        return hasattr(module, attribute) or _checked_module(f"{path}.{attribute}") is not None


def invented_names(tree: ast.Module) -> list[str]:
    """Names imported from, or looked up on, a checked library module that the module does not have."""
    problems = [f"`{node.module}` has no `{alias.name}`"
                for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                and _checked_module(node.module) is not None
                for alias in node.names if alias.name != "*" and not _has(node.module, alias.name)]
    aliases = _import_aliases(tree)
    rebound = _rebound_names(tree)
    for node in ast.walk(tree):
        chain = _attribute_chain(node)
        if not chain or chain[0] not in aliases or chain[0] in rebound:
            continue
        path = aliases[chain[0]]
        for attribute in chain[1:]:
            if _checked_module(path) is None:
                break
            if not _has(path, attribute):
                problems.append(f"`{path}` has no `{attribute}`")
                break
            path = f"{path}.{attribute}"
    return list(dict.fromkeys(problems))


# Names that NumPy 2 and recent SciPy removed or moved, which code models trained on older code still
# write (`scipy.signal.hann`, `np.float`, `np.trapz`): (module, old name) -> the replacement, either
# another name in the same module (a dotted one for a submodule) or, after "builtins.", a builtin.
# A name is replaced only when the installed module lacks it and has the replacement.
REMOVED_NAMES = {
    **{("scipy.signal", window): f"windows.{window}" for window in (
        "hann", "hamming", "blackman", "bartlett", "kaiser", "gaussian", "triang", "tukey", "flattop", "boxcar",
        "blackmanharris", "nuttall", "parzen", "bohman", "cosine", "exponential", "general_gaussian", "chebwin",
        "barthann")},
    ("scipy.integrate", "simps"): "simpson", ("scipy.integrate", "trapz"): "trapezoid",
    ("scipy.integrate", "cumtrapz"): "cumulative_trapezoid",
    ("numpy", "float"): "builtins.float", ("numpy", "int"): "builtins.int", ("numpy", "object"): "builtins.object",
    ("numpy", "complex"): "builtins.complex", ("numpy", "str"): "builtins.str", ("numpy", "bool8"): "bool_",
    ("numpy", "float_"): "float64", ("numpy", "complex_"): "complex128", ("numpy", "unicode_"): "str_",
    ("numpy", "string_"): "bytes_", ("numpy", "NaN"): "nan", ("numpy", "NAN"): "nan", ("numpy", "Inf"): "inf",
    ("numpy", "Infinity"): "inf", ("numpy", "PINF"): "inf", ("numpy", "infty"): "inf",
    ("numpy", "trapz"): "trapezoid", ("numpy", "product"): "prod", ("numpy", "cumproduct"): "cumprod",
    ("numpy", "sometrue"): "any", ("numpy", "alltrue"): "all", ("numpy", "in1d"): "isin",
    ("numpy", "round_"): "round",
}


def _replacement(module: str, name: str) -> str | None:
    """The replacement for `module.name` when the installed library removed it and has the replacement."""
    new = REMOVED_NAMES.get((module, name))
    if new is None or _has(module, name):
        return None
    if new.startswith("builtins."):
        return new
    head, _, last = new.rpartition(".")
    return new if _has(f"{module}.{head}" if head else module, last) else None


def replace_removed_names(code: str) -> tuple[str, list[str]]:
    """The code with names that the installed NumPy or SciPy removed replaced by their successors, and a log.

    `from scipy.signal import hann` -> `from scipy.signal.windows import hann`; `signal.hann(n)` ->
    `signal.windows.hann(n)`; `from scipy.integrate import simps` -> `... import simpson as simps`;
    `np.float` -> `float`. Statements sharing a line with others are left alone.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    lines = code.splitlines()
    edits: list[tuple[int, int, int, int, str]] = []
    log: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        moved = {alias.name: new for alias in node.names if (new := _replacement(node.module, alias.name))}
        alone = (not lines[node.lineno - 1][: node.col_offset].strip()
                 and not lines[node.end_lineno - 1][node.end_col_offset:].split("#")[0].strip().strip(";"))
        if not moved or not alone:
            continue
        kept, statements = [], []
        for alias in node.names:
            new = moved.get(alias.name)
            local = alias.asname or alias.name
            if new is None:
                kept.append(ast.unparse(alias))
            elif new.startswith("builtins."):
                pass  # the local name now means the builtin
            elif "." in new:
                statements.append(f"from {node.module}.{new.rpartition('.')[0]} import {ast.unparse(alias)}")
            else:
                statements.append(f"from {node.module} import {new}" + (f" as {local}" if new != local else ""))
            if new:
                log.append(f"replaced `{node.module}.{alias.name}` (removed) with `{node.module}.{new}`"
                           if not new.startswith("builtins.") else f"dropped the import of `{node.module}.{alias.name}`")
        if kept:
            statements.insert(0, f"from {node.module} import {', '.join(kept)}")
        indent = " " * node.col_offset
        text = ("\n" + indent).join(statements) if statements else "pass"
        edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))
    aliases, rebound = _import_aliases(tree), _rebound_names(tree)
    for node in ast.walk(tree):
        chain = _attribute_chain(node)
        if not chain or chain[0] not in aliases or chain[0] in rebound:
            continue
        path = ".".join([aliases[chain[0]], *chain[1:-1]])
        new = _replacement(path, chain[-1])
        if new is None:
            continue
        if new.startswith("builtins."):
            if node.lineno != node.end_lineno:
                continue
            edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset,
                          new.removeprefix("builtins.")))
        else:
            end = node.end_col_offset
            edits.append((node.end_lineno, end - len(chain[-1].encode()), node.end_lineno, end, new))
        log.append(f"replaced `{path}.{chain[-1]}` (removed) with `{new.removeprefix('builtins.')}`"
                   if new.startswith("builtins.") else f"replaced `{path}.{chain[-1]}` (removed) with `{path}.{new}`")
    return (_apply_edits(code, edits), list(dict.fromkeys(log))) if edits else (code, [])


def _apply_edits(code: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    """Replace each (line, col, end line, end col) span, in ast coordinates, with its text."""
    encoded = [line.encode() for line in code.splitlines()]  # ast columns count UTF-8 bytes
    for line, col, end_line, end_col, text in sorted(edits, reverse=True):
        head, tail = encoded[line - 1][:col], encoded[end_line - 1][end_col:]
        encoded[line - 1: end_line] = (head + text.encode() + tail).split(b"\n")
    return "\n".join(line.decode() for line in encoded) + "\n"


_PREALLOCATORS = frozenset({"zeros", "empty", "ones", "full"})


# Errors of a float where Python or NumPy wants an integer: a sample count computed from seconds times a
# sampling rate that the user passes as 50.0.
_FLOAT_AS_INTEGER = re.compile(r"slice indices must be integers|cannot be interpreted as an integer"
                               r"|expected a sequence of integers or a single integer|only integers, slices"
                               r"|can't multiply sequence by non-int of type 'float'")
_SIZE_FUNCTIONS = _PREALLOCATORS | {"reshape", "range"}


def _certainly_integer(node: ast.expr) -> bool:
    """An expression that is an int whatever its inputs: a literal, len(...), int(...), round(x)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) or node.value is None
    if isinstance(node, ast.UnaryOp):
        return _certainly_integer(node.operand)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in ("len", "int") or node.func.id == "round" and len(node.args) == 1
    return False


def _integer_positions(node: ast.AST, indices: bool) -> list[ast.expr]:
    """The expressions in `node` that Python or NumPy needs as integers: slice bounds, range() arguments, an
    array's size (np.zeros(n), x.reshape(n, m)), a list's repeat count, and with `indices` a subscript's
    index (only when NumPy said so: `d[key]` on the same line is a lookup)."""
    if isinstance(node, ast.Slice):
        return [part for part in (node.lower, node.upper, node.step) if part is not None]
    if (indices and isinstance(node, ast.Subscript) and not isinstance(node.slice, (ast.Slice, ast.Tuple))
            and not isinstance(node.slice, ast.Constant)):
        return [node.slice]
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _SIZE_FUNCTIONS:
            sizes = node.args if name in ("range", "reshape") else node.args[:1]
            # a shape tuple's own entries: `np.zeros((n, 3))`
            return [entry for size in sizes for entry in (size.elts if isinstance(size, (ast.Tuple, ast.List))
                                                           else [size])]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        if isinstance(node.left, ast.List):
            return [node.right]
        if isinstance(node.right, ast.List):
            return [node.left]
    return []


def _failing_line_of(code: str, problem: str, error: re.Pattern) -> tuple[ast.Module, str, set[int]] | None:
    """(the parsed code, the failing line quoted in `problem`, the numbers of the lines that are it) when the
    problem is an `error` that quotes a failing line and the code parses; None otherwise."""
    quoted = re.search(r"failing line: `([^`]*)`", problem)
    if not error.search(problem) or not quoted or not quoted.group(1).strip():
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    line = quoted.group(1).strip()
    return tree, line, {number for number, text in enumerate(code.splitlines(), start=1) if text.strip() == line}


def integer_counts_on_failing_line(code: str, problem: str) -> tuple[str, str]:
    """The code with every non-integer count on the line a float-for-integer error points at wrapped in
    `int(round(...))`, and a note of the line; (code, "") when the problem is another one.

    On the 1.5B a repair rarely fixes `x[: 2 * fs]` failing for fs = 50.0, even told how; yet the fix is
    mechanical, and for an int rate it changes nothing. Only the failing line is touched, and only where
    an integer is required (`x[: int(round(2 * fs))]`); another such line fails next and is fixed next.
    """
    found = _failing_line_of(code, problem, _FLOAT_AS_INTEGER)
    if found is None:
        return code, ""
    tree, line, failing = found
    wrapped: dict[tuple[int, int], ast.expr] = {}
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) not in failing:
            continue
        for part in _integer_positions(node, indices="only integers, slices" in problem):
            if not _certainly_integer(part) and part.lineno == part.end_lineno:
                wrapped[(part.lineno, part.col_offset)] = part
    # nested positions (`x[a[i * 2] : n]`): the outer one is wrapped whole, the inner one stays
    outermost = [p for p in wrapped.values() if not any(
        o is not p and o.lineno == p.lineno and o.col_offset <= p.col_offset and p.end_col_offset <= o.end_col_offset
        for o in wrapped.values())]
    if not outermost:
        return code, ""
    edits = [(p.lineno, p.col_offset, p.end_lineno, p.end_col_offset, f"int(round({ast.unparse(p)}))")
             for p in outermost]
    return _apply_edits(code, edits), f"made the counts on `{line}` integers (int(round(...)))"


# Errors of a Python list where NumPy arithmetic, attributes or fancy indexing are needed: an input the user
# passes as `list[float]` or nested lists (a JSON payload, CSV rows) that the code treats as an array.
_LIST_AS_ARRAY = re.compile(r"'list' object has no attribute|unsupported operand type\(s\) for [^:]+: (?:'list' and|"
                            r"'[\w.]+' and 'list')|can't multiply sequence by non-int of type '(?:numpy\.)?float\d*'"
                            r"|list indices must be integers or slices, not (?!int)")
_NOT_NUMBERS = re.compile(r"\bstr\b|string|bytes|dict|text|label", re.I)


def arrays_from_list_inputs(code: str, problem: str, spec: TaskSpec) -> tuple[str, str]:
    """The code with each parameter that the failing line of a list-as-array error reads converted once, at the
    top of the step's function (`x = np.asarray(x, dtype=float)`), and a note; (code, "") otherwise.

    Users pass lists (JSON payloads, `device_ts: list[float]`, covariances "as nested lists") to code that
    then computes `rate * device_ts` or `P_a.T`; the 1.5B rarely sees that from the error. Only parameters
    that hold numbers are converted (an int list keeps its integers: it may index), and only when the
    failing line reads them; a list the code builds itself is left to the repair.
    """
    found = _parameters_on_failing_line(code, problem, spec, _LIST_AS_ARRAY)
    if found is None:
        return code, ""
    tree, function, read = found
    types = {p.name: p.type for p in spec.inputs}
    numbers = [name for name in read if not _NOT_NUMBERS.search(types.get(name, ""))]
    numpy = next((alias for alias, path in _import_aliases(tree).items() if path == "numpy"), None)
    converted = _at_function_start(code, function, [f"{name} = {numpy or 'np'}.asarray({name}"
                                                    f"{_float_dtype(types.get(name, ''))})" for name in numbers])
    if not numbers or converted is None:
        return code, ""
    converted = converted if numpy else "import numpy as np\n" + converted
    names = ", ".join(f"`{name}`" for name in numbers)
    return converted, f"made {names} NumPy arrays where `{spec.function_name}` starts (it was given lists)"


_SEQUENCE_TYPE = re.compile(r"ndarray|array|list|sequence|series|tuple\[", re.I)  # the type of an input that holds a sequence
# A list method called on a NumPy array: `labels[i:j].count` works on the list the model pictured.
_ARRAY_AS_LIST = re.compile(r"'numpy\.ndarray' object has no attribute '(?:count|index|append|extend|insert|remove|pop)'")


def lists_from_array_inputs(code: str, problem: str, spec: TaskSpec) -> tuple[str, str]:
    """The code with each sequence parameter that the failing line of an array-as-list error reads made a list
    at the top of the step's function (`labels = list(labels)`), and a note; (code, "") otherwise.

    Validation runs this after the function worked on a list: it fails only on the array a caller may pass
    for "a sequence of labels", and as a list it behaves as it did on the list.
    """
    found = _parameters_on_failing_line(code, problem, spec, _ARRAY_AS_LIST)
    if found is None:
        return code, ""
    _, function, read = found
    sequences = [p.name for p in spec.inputs if p.name in read and _SEQUENCE_TYPE.search(p.type)]
    converted = _at_function_start(code, function, [f"{name} = list({name})" for name in sequences])
    if not sequences or converted is None:
        return code, ""
    names = ", ".join(f"`{name}`" for name in sequences)
    return converted, f"made {names} Python lists where `{spec.function_name}` starts (it was given arrays)"


def _parameters_on_failing_line(code: str, problem: str, spec: TaskSpec, error: re.Pattern
                                ) -> tuple[ast.Module, ast.FunctionDef | ast.AsyncFunctionDef, list[str]] | None:
    """(the parsed code, the step's function, its parameters that the failing line of an `error` reads), or None."""
    found = _failing_line_of(code, problem, error)
    if found is None:
        return None
    tree, _, failing = found
    function = _top_level_function(tree, spec.function_name)
    if function is None or function.body[0].lineno == function.lineno:
        return None
    read = set().union(*(_names_in(node, ast.Load) for node in ast.walk(function)
                         if isinstance(node, ast.stmt) and node.lineno in failing and node.end_lineno == node.lineno))
    return tree, function, [name for name in _parameter_names(function.args) if name in read]


def _at_function_start(code: str, function: ast.FunctionDef | ast.AsyncFunctionDef, statements: list[str]) -> str | None:
    """The code with `statements` first in `function`'s body (after its docstring); None if they are there already."""
    body = [stmt for stmt in function.body if not _is_docstring(stmt)] or function.body
    lines = code.splitlines()
    inserted = [" " * body[0].col_offset + statement for statement in statements]
    if all(line in lines for line in inserted):
        return None
    lines[body[0].lineno - 1: body[0].lineno - 1] = inserted
    return "\n".join(lines) + "\n"


def _float_dtype(param_type: str) -> str:
    """`, dtype=float` unless the type holds only integers (indices, counts)."""
    return "" if re.search(r"\bint", param_type) and "float" not in param_type else ", dtype=float"


def fix_failing_line(code: str, problem: str, spec: TaskSpec) -> tuple[str, str]:
    """The first mechanical fix for the error that validation reported (`problem`), and its note; (code, "")
    when none applies: float counts made integers, list inputs made arrays and array inputs lists, emptiness
    tests made lengths."""
    fixes = (integer_counts_on_failing_line(code, problem), arrays_from_list_inputs(code, problem, spec),
             lists_from_array_inputs(code, problem, spec), length_tests_for_emptiness(code, problem, spec))  # cheap
    return next(((fixed, note) for fixed, note in fixes if note), (code, ""))


_FAILING_LINE_FIXES = 3  # mechanical fixes of failing lines per attempt, each re-validated (`fix_failing_line`)


def fixed_failing_lines(code: str, validation: Validation, spec: TaskSpec, validate: Callable[[str], Validation],
                        accept: Callable[[str], bool] = lambda code: True) -> tuple[list[tuple[str, str]], Validation]:
    """The failing-line fixes applied while validation fails and one applies, each validated again: the (code,
    note) after each fix, and the last verdict. `accept` may refuse a fixed code (one that fails a static check)."""
    steps: list[tuple[str, str]] = []
    for _ in range(_FAILING_LINE_FIXES):
        if validation.status != "failed":
            break
        fixed, note = fix_failing_line(code, validation.problem, spec)
        if not note or not accept(fixed):
            break
        code = fixed
        steps.append((code, note))
        validation = validate(code)
    return steps, validation


_AMBIGUOUS_TRUTH = re.compile(r"truth value of an array with more than one element is ambiguous")


def length_tests_for_emptiness(code: str, problem: str, spec: TaskSpec) -> tuple[str, str]:
    """The code with `not x` made `len(x) == 0` (and a bare `x` as a condition `len(x) > 0`) on the failing line
    of an ambiguous-truth error, for each parameter `x` that holds a sequence, and a note; (code, "") otherwise.

    `if not weights:` is right for the list the model pictured and fails on the NumPy array the user passes;
    the 1.5B kept it through three repairs. A length test is right for both.
    """
    found = _failing_line_of(code, problem, _AMBIGUOUS_TRUTH)
    if found is None:
        return code, ""
    tree, line, failing = found
    function = _top_level_function(tree, spec.function_name)
    if function is None:
        return code, ""
    sequences = {p.name for p in spec.inputs if _SEQUENCE_TYPE.search(p.type)} & set(_parameter_names(function.args))
    replacements: list[tuple[ast.expr, str]] = []
    for node in ast.walk(function):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Name):
            replacements.append((node, f"len({node.operand.id}) == 0"))
        conditions = node.values if isinstance(node, ast.BoolOp) else [node.test] if isinstance(
            node, (ast.If, ast.While, ast.IfExp)) else []
        replacements += [(c, f"len({c.id}) > 0") for c in conditions if isinstance(c, ast.Name)]
    edits = [(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text)
             for node, text in replacements if node.lineno in failing and
             (node.operand if isinstance(node, ast.UnaryOp) else node).id in sequences]
    if not edits:
        return code, ""
    return _apply_edits(code, edits), f"tested the length of the sequences on `{line}` (not their truth)"


def widen_one_character_strings(code: str) -> tuple[str, int]:
    """`np.zeros(n, dtype=str)` -> `np.zeros(n, dtype=object)`, and how many were changed.

    A NumPy array preallocated with dtype str holds strings of ONE character ('<U1'): every label
    written into it later is cut to its first letter ('walk' -> 'w') without an error.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, 0
    aliases = _import_aliases(tree)
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        chain = _attribute_chain(node.func) or ([node.func.id] if isinstance(node.func, ast.Name) else None)
        if not chain or chain[0] not in aliases:
            continue
        module, _, function = ".".join([aliases[chain[0]], *chain[1:]]).rpartition(".")
        if module != "numpy" or function not in _PREALLOCATORS:
            continue
        for keyword in node.keywords:
            value = keyword.value
            text = ast.unparse(value)
            if keyword.arg == "dtype" and (text in ("str", "'str'", "'U'", "'<U1'", "'U1'")
                                           or text.endswith(".str_") or text.endswith(".unicode_")):
                edits.append((value.lineno, value.col_offset, value.end_lineno, value.end_col_offset, "object"))
    return (_apply_edits(code, edits), len(edits)) if edits else (code, 0)


def _attribute_chain(node: ast.AST) -> list[str] | None:
    """`np.fft.rfft` -> ["np", "fft", "rfft"]; None for anything that is not a dotted name."""
    if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
        return None
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


# Imports a module may have forgotten, by the name it uses: small models often call `np.` or a
# scipy.signal function, or the example-data loader named in the prompt, without importing it.
COMMON_IMPORTS = {
    "np": "import numpy as np",
    "plt": "import matplotlib.pyplot as plt",
    "math": "import math",
    "scipy": "import scipy",  # scipy.signal and the other subpackages load on first attribute access
    "signal": "from scipy import signal",
    "stats": "from scipy import stats",
}


def _import_for(name: str) -> str | None:
    if name in COMMON_IMPORTS:
        return COMMON_IMPORTS[name]
    from .sensors import is_example_loader

    if is_example_loader(name):
        return f"from jupyter_iotcoder.sensors import {name}"
    if name in sys.stdlib_module_names and not name.startswith("_") and name != "datetime":
        return f"import {name}"  # json, time, struct, collections; `datetime` may mean the class
    scipy_signal = _checked_module("scipy.signal")
    if scipy_signal is not None and callable(getattr(scipy_signal, name, None)) and not name.startswith("_"):
        return f"from scipy.signal import {name}"
    return None


def add_missing_imports(code: str, defined_earlier: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The code with an import for each undefined name that has an obvious one, and the lines added."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    wanted = [n for n in undefined_names(tree) if n not in defined_earlier]
    lines = list(dict.fromkeys(line for line in map(_import_for, wanted) if line))
    if not lines:
        return code, []
    docstring_end = 0
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(getattr(tree.body[0], "value", None),
                                                                       ast.Constant):
        docstring_end = tree.body[0].end_lineno
    source = code.splitlines()
    return "\n".join(source[:docstring_end] + lines + source[docstring_end:]) + "\n", lines


def drop_unused_missing_imports(code: str) -> tuple[str, list[str]]:
    """The code without top-level imports that nothing uses of modules that are not installed, and those
    modules. Small models paste lists of imports ("import serial, smbus2, paho.mqtt.client, bleak"); an unused
    one should neither fail the step nor make it need a package."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    used = _names_in(tree)
    missing = set(missing_imports(tree))
    drop, dropped = set(), []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = {(alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
                       for alias in node.names}
            bound = {alias.asname or alias.name.split(".")[0] for alias in node.names}
            if modules <= missing and not bound & used:
                drop.update(range(node.lineno, node.end_lineno + 1))
                dropped += sorted(modules)
    return (_without_lines(code, drop), dropped) if drop else (code, [])


def _without_lines(code: str, numbers: set[int]) -> str:
    """The code without the lines numbered `numbers` (1-based, as ast counts them)."""
    return "\n".join(line for number, line in enumerate(code.splitlines(), start=1) if number not in numbers) + "\n"


def _names_in(node: ast.AST, context: type | None = None) -> set[str]:
    """The bare names the node reads or binds (`mqtt` of `mqtt.Client()`, a called function); only those in
    `context` (ast.Load or ast.Store) if given."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and (context is None or isinstance(n.ctx, context))}


def _top_level_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module-level `def name(...)`; a nested one does not count, since cells below cannot call it."""
    return next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
                None)


def _parameter_names(args: ast.arguments) -> list[str]:
    """Positional, then keyword-only parameter names, in order (no *args or **kwargs)."""
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def rename_to_spec(code: str, spec: TaskSpec, defined_earlier: frozenset[str] = frozenset()) -> tuple[str, str]:
    """The code with its one function that takes the spec's parameters renamed to the spec's name, and the old name.

    Small models often write the right function under another name (`build_modbus_request` for
    `modbus_read_request`), often the name of an earlier step (`poll_energy_meter`), and keep doing
    so when asked again. When exactly one top-level function takes the spec's parameters, in order, it
    is renamed (tokens, so strings and attributes are untouched): with every reference to it, or,
    when an earlier step has that name, only where it is defined, so that calls still reach the
    earlier step's function. Otherwise the code is returned as it is, with "".
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, ""
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if any(f.name == spec.function_name for f in functions):
        return code, ""
    wanted = signature_parameter_names(spec.signature)
    matching = [f for f in functions if not f.name.startswith("_")
                and _parameter_names(f.args)[: len(wanted)] == wanted]
    if len(matching) != 1:
        return code, ""
    old = matching[0].name
    return _renamed(code, old, spec.function_name, only_definition=old in defined_earlier), old


def _renamed(code: str, old: str, new: str, only_definition: bool = False) -> str:
    """The code with the name `old` renamed to `new` (tokens, so strings and attributes are untouched):
    everywhere, or only where a `def` defines it."""
    lines = code.splitlines(keepends=True)
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    spots = [tok.start for i, tok in enumerate(tokens) if tok.type == tokenize.NAME and tok.string == old
             and not (i > 0 and tokens[i - 1].string == ".")
             and (not only_definition or (i > 0 and tokens[i - 1].string == "def"))]
    for row, col in reversed(spots):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[col + len(old):]
    return "".join(lines)


def privatise_broken_steps(code: str, function_name: str, broken_names: frozenset[str]) -> tuple[str, list[str]]:
    """The code with its own versions of broken earlier steps' functions renamed `_name`, and their names.

    A step told not to call a broken step above it writes what it needs itself, often under the same
    name (`calculate_median_first_two_seconds(mag_ut, fs)` beside step 1's `(mag_ut)`): run in order, that
    cell would replace step 1's function for every cell below, and the wiring cell would call it with
    step 1's arguments. A private helper keeps both.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    names = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name in broken_names and node.name != function_name]
    taken = _names_in(tree) | {node.name for node in tree.body if hasattr(node, "name")}
    names = [name for name in names if f"_{name}" not in taken]
    for name in names:
        code = _renamed(code, name, f"_{name}")
    return code, names


def drop_redefined_steps(code: str, function_name: str, defined_earlier: frozenset[str]) -> tuple[str, list[str]]:
    """The code without its own top-level versions of earlier steps' functions, and their names.

    The cells run in order, so a step that defines `read_temperature()` again (as a placeholder that
    returns 25.0, say) replaces the real step above it for every later cell too.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    shadowing = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and node.name in defined_earlier and node.name != function_name]
    if not shadowing:
        return code, []
    drop = {line for node in shadowing
            for line in range(min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno + 1)}
    return _without_lines(code, drop), [node.name for node in shadowing]


def bind_shape_letters(code: str, spec: TaskSpec) -> tuple[str, list[str]]:
    """The code with undefined shape letters of the spec bound from the inputs, and the lines added.

    Given "anchors (np.ndarray, shape (N, D))", small models write `if len(anchors) < D + 1` as if D
    were defined. Each such letter is read from the parameter's shape at the top of the function:
    `D = np.shape(anchors)[1]`.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    func = _top_level_function(tree, spec.function_name)
    undefined = set(undefined_names(tree))
    if func is None or not undefined:
        return code, []
    params = set(_parameter_names(func.args))
    bindings: dict[str, str] = {}
    for param in spec.inputs:
        shape = re.search(r"shape \(([^)]*)\)", param.type)
        if param.name not in params or not shape:
            continue
        for axis, letter in enumerate(part.strip() for part in shape.group(1).split(",")):
            if letter.isidentifier() and letter in undefined and letter not in bindings:
                bindings[letter] = f"{letter} = np.shape({param.name})[{axis}]"
    if not bindings:
        return code, []
    first = func.body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(func.body) > 1
    after = first.end_lineno if has_docstring else first.lineno - 1
    indent = " " * func.body[1 if has_docstring else 0].col_offset
    lines = code.splitlines(keepends=True)
    lines[after:after] = [f"{indent}{line}\n" for line in bindings.values()]
    return "".join(lines), list(bindings.values())


def take_pipeline_values(code: str, spec: TaskSpec, available: frozenset[str]) -> tuple[str, list[str]]:
    """The code whose step function takes, after the spec's parameters, the pipeline values it reads but
    never defines, and their names.

    The planner often leaves a setting out of a step's inputs: "the median of the first 2 seconds of
    mag_ut" was planned as `median_first_seconds(mag_ut)`, and the 1.5B read `fs` as a global that no cell
    defines; asked to fix it, it cannot (the spec forbids the parameter), so every step of a door-sensor
    notebook kept "undefined name `fs`". A value the pipeline already has (the user's inputs, an earlier
    step's results: `available`) is simply passed in. Only names read inside the step function itself
    qualify (a helper beside it cannot be given them), and never for the user's own function, whose
    parameters the user fixed.
    """
    if spec.signature.required or spec.signature.is_class or not available:
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    func = _top_level_function(tree, spec.function_name)
    wanted = signature_parameter_names(spec.signature)
    if func is None:
        return code, []
    positional = func.args.posonlyargs + func.args.args
    first_default = len(positional) - len(func.args.defaults)
    if [a.arg for a in positional[: len(wanted)]] != wanted or len(wanted) > first_default:
        return code, []  # another signature (check_module says so) or a default the new parameters cannot follow
    inside = range(func.lineno, func.end_lineno + 1)
    read_outside = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.lineno not in inside}
    names = [name for name in undefined_names(tree)
             if name in available and name not in wanted and name not in read_outside]
    if not names:
        return code, []
    if wanted:
        anchor = positional[len(wanted) - 1]
        edit = (anchor.end_lineno, anchor.end_col_offset, anchor.end_lineno, anchor.end_col_offset,
                "".join(f", {name}" for name in names))
    else:
        line, col = _after_opening_parenthesis(code, func)
        has_parameters = bool(positional or func.args.vararg or func.args.kwonlyargs or func.args.kwarg)
        edit = (line, col, line, col, ", ".join(names) + (", " if has_parameters else ""))
    widened = _apply_edits(code, [edit])
    try:
        still_undefined = set(undefined_names(ast.parse(widened)))
    except SyntaxError:
        return code, []
    return (widened, names) if not still_undefined & set(names) else (code, [])


def keep_given_inputs(code: str, function_name: str, earlier_names: frozenset[str]) -> tuple[str, list[str], list[str]]:
    """The code without the statements in which the step function replaces an input before reading it or
    re-runs an earlier step for nothing, and those statements (first lines): (code, replacing, rerunning).

    Small models recompute what a step is given: a door sensor's step 3, passed `door_open` from step 2,
    began with `door_open = detect_door_opening(mag_ut, fs, calculate_median(...))`, so it ignored its
    input and ran steps 1 and 2 again; step 2 replaced the `median_ut` it was given with a median of the
    wrong samples. A caller's value thrown away unread is never what the spec asks for. Only a plain
    `name = value` in the function's own body goes, when `value` does not read `name` (`x = np.asarray(x)`
    stays) and nothing above reads or binds `name`. A local bound by a call to an earlier step's function
    and never read (`median_ut = calculate_median(mag_ut, fs)` left unused) goes too, and so do the
    comment lines right above a removed statement.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, [], []
    func = _top_level_function(tree, function_name)
    if func is None:
        return code, [], []
    inputs = set(_required_parameters(func.args))
    seen: set[str] = set()
    replacing: list[ast.Assign] = []
    for stmt in func.body:
        target = _single_name_target(stmt)
        if target in inputs and target not in seen and target not in _names_in(stmt.value):
            replacing.append(stmt)
        seen |= _names_in(stmt)
    kept = [stmt for stmt in func.body if stmt not in replacing]
    read_by_kept = set().union(*(_names_in(stmt, ast.Load) for stmt in kept))
    rerunning = [stmt for stmt in kept if _single_name_target(stmt) not in (None, *inputs, *read_by_kept)
                 and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
                 and stmt.value.func.id in earlier_names]
    gone = replacing + rerunning
    if not gone or all(stmt in gone or _is_docstring(stmt) for stmt in func.body):
        return code, [], []
    lines = code.splitlines(keepends=True)
    for stmt in sorted(gone, key=lambda s: s.lineno, reverse=True):
        first = stmt.lineno - 1
        while first > 0 and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        del lines[first: stmt.end_lineno]
    return "".join(lines), [_first_line(code, s) for s in replacing], [_first_line(code, s) for s in rerunning]


def _first_line(code: str, node: ast.stmt) -> str:
    return ast.get_source_segment(code, node).splitlines()[0]


def _single_name_target(stmt: ast.stmt) -> str | None:
    """`name` when the statement is `name = value`, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _after_opening_parenthesis(code: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """(line, byte column) just after the `(` that opens `func`'s parameter list."""
    lines = code.splitlines(keepends=True)
    tokens = tokenize.generate_tokens(io.StringIO("".join(lines[func.lineno - 1:])).readline)
    seen_name = False
    for token in tokens:
        seen_name = seen_name or (token.type == tokenize.NAME and token.string == func.name)
        if seen_name and token.string == "(":
            row, col = token.end
            line = func.lineno + row - 1
            return line, len(lines[line - 1][:col].encode())
    raise ValueError(f"no parameter list for {func.name}")  # cannot happen for code that parses


def spec_taking_pipeline_values(code: str, spec: TaskSpec, available: dict[str, Param]) -> TaskSpec:
    """The step's spec with the extra parameters its function takes after the spec's own, when the pipeline
    has every one of them (`available`: the user's inputs, an earlier step's results); else the spec.

    The wiring cell and later steps pass a step's inputs by name and in order, so a step that also
    needs the sampling rate the user passes can simply take it (see `take_pipeline_values`).
    """
    if spec.signature.required or spec.signature.is_class:
        return spec
    try:
        func = _top_level_function(ast.parse(code), spec.function_name)
    except SyntaxError:
        return spec
    if func is None:
        return spec
    wanted = signature_parameter_names(spec.signature)
    positional = [a.arg for a in func.args.posonlyargs + func.args.args]
    extra = [name for name in _required_parameters(func.args) if name not in wanted]
    if (not extra or positional[: len(wanted)] != wanted or positional[len(wanted): len(wanted) + len(extra)] != extra
            or not all(name in available for name in extra)):
        return spec
    signature = spec.signature.model_copy(update={"parameters": [*spec.signature.parameters, *extra]})
    return spec.model_copy(update={"signature": signature, "inputs": [*spec.inputs, *(available[n] for n in extra)]})


def pipeline_values(specs: list[TaskSpec], index: int) -> dict[str, Param]:
    """The values step `index` (0-based) can be passed: the inputs and results of the steps before it, and the
    inputs of the user's own function (the wiring cell's parameters; their description, typed from the
    user's words, wins)."""
    values: dict[str, Param] = {}
    if index < len(specs) - 1 and specs[-1].signature.required:
        values.update((p.name, p) for p in specs[-1].inputs)
    for spec in specs[:index]:
        for param in [*spec.inputs, *spec.outputs]:
            values.setdefault(param.name, param)
    for param in specs[index].outputs if index < len(specs) else ():
        values.pop(param.name, None)
    return values


def _globals_read_by_definitions(table: symtable.SymbolTable) -> set[str]:
    """Module-level names that the functions and classes in `table` (at any depth) read."""
    names: set[str] = set()
    for child in table.get_children():
        names |= {symbol.get_name() for symbol in child.get_symbols() if symbol.is_global() and symbol.is_referenced()}
        names |= _globals_read_by_definitions(child)
    return names


def drop_demo_code(code: str) -> tuple[str, int]:
    """The code without the statements after its last function or class that no definition needs, and how many.

    Small models end a module with a demo (`data = load(); print(classify(data))`, an `if __name__ ==
    "__main__":` block, which a notebook also runs): in a step's cell it runs on made-up or missing data,
    prints, and can crash the cell although the functions are right. A trailing statement stays when it
    binds a module-level name that a function reads (a lookup table), or one that a kept statement reads.
    """
    try:
        tree = ast.parse(code)
        needed = _globals_read_by_definitions(symtable.symtable(code, "<module>", "exec"))
    except SyntaxError:
        return code, 0
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    last = max((i for i, stmt in enumerate(tree.body) if isinstance(stmt, definitions)), default=None)
    if last is None:
        return code, 0
    demo = []
    for stmt in reversed(tree.body[last + 1:]):
        if isinstance(stmt, (ast.Import, ast.ImportFrom, *definitions)) or _names_in(stmt, ast.Store) & needed:
            needed |= {node.id for node in ast.walk(stmt) if isinstance(node, ast.Name)}
        else:
            demo.append(stmt)
    lines = code.splitlines(keepends=True)
    for stmt in demo:  # last first, so earlier line numbers stay valid
        del lines[stmt.lineno - 1: stmt.end_lineno]
    return "".join(lines).rstrip("\n") + "\n", len(demo)


def drop_type_guards(code: str, function_name: str, requirement: str) -> tuple[str, int]:
    """The code without the function's `if not isinstance(param, ...): raise ...` guards, and how many went.

    The prompt says never to reject an input for its Python type; small models do it anyway
    (`isinstance(fs, float)` refuses fs=50, `isinstance(labels, list)` refuses an array of labels), so the
    step fails on the user's real data. Only guards made of nothing but isinstance checks on parameters
    and raising ValueError or TypeError go; none when the requirement itself asks for a TypeError.
    """
    if "TypeError" in requirement:
        return code, 0
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, 0
    func = _top_level_function(tree, function_name)
    if func is None:
        return code, 0
    params = set(_parameter_names(func.args))
    guards = [stmt for stmt in func.body if _is_type_guard(stmt, params)]
    if len(guards) == len(func.body):
        return code, 0
    lines = code.splitlines(keepends=True)
    for stmt in reversed(guards):
        del lines[stmt.lineno - 1: stmt.end_lineno]
    return "".join(lines), len(guards)


def _is_type_guard(stmt: ast.stmt, params: set[str]) -> bool:
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Raise) and stmt.body[0].exc is not None):
        return False
    exc = stmt.body[0].exc
    name = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(name, ast.Name) and name.id in ("ValueError", "TypeError") and _only_type_checks(stmt.test, params)


def _only_type_checks(node: ast.expr, names: set[str]) -> bool:
    """Whether the expression only asks isinstance questions about the given names (and/or/not, all/any)."""
    if isinstance(node, ast.BoolOp):
        return all(_only_type_checks(value, names) for value in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _only_type_checks(node.operand, names)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id == "isinstance" and len(node.args) == 2:
        return isinstance(node.args[0], ast.Name) and node.args[0].id in names
    if node.func.id in ("all", "any") and len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp):
        generator = node.args[0]
        loops = generator.generators
        if len(loops) != 1 or not isinstance(loops[0].target, ast.Name) or loops[0].ifs:
            return False
        return (isinstance(loops[0].iter, ast.Name) and loops[0].iter.id in names
                and _only_type_checks(generator.elt, {loops[0].target.id}))
    return False


def fix_automatically(code: str, spec: TaskSpec, earlier_names: frozenset[str], requirement: str,
                      available: frozenset[str] = frozenset(),
                      broken_names: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The mechanical fixes every generated module gets before its checks, and what each changed
    (`available`: the values the pipeline can pass the step, see `take_pipeline_values`; `broken_names`:
    the functions of earlier steps that failed their checks, see `privatise_broken_steps`)."""
    code, removed = replace_removed_names(code)
    code, renamed = rename_to_spec(code, spec, earlier_names)
    code, redefined = drop_redefined_steps(code, spec.function_name, earlier_names)
    code, privatised = privatise_broken_steps(code, spec.function_name, broken_names)
    code, shapes = bind_shape_letters(code, spec)
    code, taken = take_pipeline_values(code, spec, available)
    code, replacing, rerunning = keep_given_inputs(code, spec.function_name, earlier_names)
    code, imports = add_missing_imports(code, earlier_names)
    code, unused = drop_unused_missing_imports(code)
    code, guards = drop_type_guards(code, spec.function_name, requirement)
    code, widened = widen_one_character_strings(code)
    code, demo = drop_demo_code(code)
    fixed = removed + imports + shapes + ([f"renamed `{renamed}` to `{spec.function_name}`"] if renamed else [])
    fixed += [f"made `{spec.function_name}` take ({', '.join(taken)}), which it read but no cell defines, "
              "from the pipeline"] if taken else []
    fixed += [f"removed `{line}`: it replaced an input the step is given before reading it" for line in replacing]
    fixed += [f"removed `{line}`: it ran an earlier step again for a value nothing uses" for line in rerunning]
    fixed += [f"removed the unused import of `{module}`, which is not installed" for module in unused]
    fixed += [f"removed its own version of `{name}`: the earlier step's function is used" for name in redefined]
    fixed += [f"renamed its own version of `{name}` (a step above that failed its checks) to `_{name}`, so that "
              "the step above keeps its function" for name in privatised]
    fixed += [f"removed {demo} statement(s) of demo code after the definitions"] if demo else []
    fixed += [f"removed {guards} check(s) that refused inputs for their Python type"] if guards else []
    fixed += [f"made {widened} dtype=str array(s) dtype=object: dtype=str holds one character"] if widened else []
    return code, fixed


def check_module(code: str, spec: TaskSpec, defined_earlier: frozenset[str] = frozenset()) -> list[str]:
    """Problems that make the module unusable as this step; empty when it looks right.

    `defined_earlier` holds the functions of earlier steps: cells above define them.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        line = f"; failing line: `{exc.text.strip()}`" if exc.text and exc.text.strip() else ""
        return [f"it does not parse: {exc.msg} (line {exc.lineno}){line}"]
    undefined = [name for name in undefined_names(tree) if name not in defined_earlier]
    problems = [f"it uses the undefined name `{name}`" for name in undefined]
    modules_by_pip_name = {pip: module for module, pip in device_packages().items() if pip != module}
    for m in missing_imports(tree):
        if m in modules_by_pip_name:
            problems.append(f"`import {m}` names the pip package; the module to import is "
                            f"`{modules_by_pip_name[m]}`")
        elif m not in device_packages():
            problems.append(f"module '{m}' is not installed (pip install {m})")
    problems += [f"it uses a name that does not exist: {name}" for name in invented_names(tree)]
    args = _callable_arguments(tree, spec.function_name)
    if args is None:
        kind = "class" if spec.signature.is_class else "function"
        problems.append(f"it does not define the {kind} `{spec.function_name}`")
    else:
        got = _parameter_names(args)
        wanted = signature_parameter_names(spec.signature)
        if got[: len(wanted)] != wanted:
            problems.append(f"`{spec.function_name}` takes ({', '.join(got)}) instead of ({', '.join(wanted)})")
        elif extra := [name for name in _required_parameters(args) if name not in wanted]:
            problems.append(f"`{spec.function_name}` needs the extra parameters ({', '.join(extra)}) that callers "
                            f"of `{spec.signature.render()}` never pass: compute them inside or give them defaults")
    return problems


def _callable_arguments(tree: ast.Module, name: str) -> ast.arguments | None:
    """The parameters callers pass to the module-level function `name`, or to the class `name`'s constructor
    (its `__init__` without self, or a dataclass's fields); None when the module defines neither."""
    func = _top_level_function(tree, name)
    if func is not None:
        return func.args
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if cls is None:
        return None
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is not None:
        positional = init.args.posonlyargs + init.args.args
        return ast.arguments(posonlyargs=[], args=positional[1:], vararg=init.args.vararg,
                             kwonlyargs=init.args.kwonlyargs, kw_defaults=init.args.kw_defaults,
                             kwarg=init.args.kwarg, defaults=init.args.defaults)
    fields = [n for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
    defaults = [n.value for n in fields if n.value is not None]
    return ast.arguments(posonlyargs=[], args=[ast.arg(arg=n.target.id) for n in fields], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=defaults)


def _required_parameters(args: ast.arguments) -> list[str]:
    """Parameters a caller must pass: those without a default value."""
    positional = args.posonlyargs + args.args
    required = positional[: len(positional) - len(args.defaults)]
    required += [a for a, default in zip(args.kwonlyargs, args.kw_defaults) if default is None]
    return [a.arg for a in required]


def explain(code: str, spec: TaskSpec) -> str:
    """A markdown explanation from the module's own docs, so it never disagrees with the code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return spec.target
    func = _top_level_function(tree, spec.function_name)
    parts = [ast.get_docstring(tree) or ""]
    if func is not None and ast.get_docstring(func):
        parts.append(ast.get_docstring(func).split("\n\n")[0])
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    return text or spec.target


def earlier_functions(earlier: list[TaskSpec], broken: list[TaskSpec] = (), given: frozenset[str] = frozenset()) -> str:
    """How the prompt tells a step about the functions that cells above it define, and which of them not to call.

    An earlier step whose results the step is given (`given`: its parameters) is marked as done: told to
    "call them", the 1.5B ran steps 1 and 2 again inside step 3 and overwrote the `door_open` it was passed.
    """
    if not earlier and not broken:
        return "none (this is the first step)"
    lines = []
    for spec in earlier:
        returns = ", ".join(p.name for p in spec.outputs)
        done = [p.name for p in spec.outputs if p.name in given]
        note = (f" (already run: use your parameter{'s' if len(done) > 1 else ''} "
                f"{', '.join(f'`{name}`' for name in done)}, do not call it again)") if done else ""
        lines.append(f"- `{spec.signature.render()}` returns {returns}: {spec.target}{note}")
    for spec in broken:
        lines.append(f"- `{spec.function_name}` failed its checks: do NOT call it; write what you need of it "
                     f"({spec.target}) inside this module")
    return "\n".join(lines)


def _whole_requirement_user(requirement: str, signature: Signature) -> str:
    return render("codegen.user_whole.md", requirement=requirement, signature=signature.render(),
                  users_function=render("codegen.users_function.md").strip())


def whole_requirement_messages(requirement: str, signature: Signature) -> tuple[dict, dict]:
    """The code prompt for the user's whole function, written in one go from the requirement itself."""
    return ({"role": "system", "content": render("codegen.system.md")},
            {"role": "user", "content": _whole_requirement_user(requirement, signature)})


def plain_messages(requirement: str) -> tuple[dict, dict]:
    """The prompt a user would send the same model in a chat: a one-line system prompt and the requirement."""
    return ({"role": "system", "content": render("plain.system.md").strip()}, {"role": "user", "content": requirement})


def codegen_messages(task: Task, tasks: TaskList, spec: TaskSpec, earlier: list[TaskSpec],
                     problem: str = "", previous_code: str = "", broken: list[TaskSpec] = ()) -> tuple[dict, ...]:
    """The codegen prompt; after a failed attempt it carries the problem (and, to repair, the code).

    A one-task plan for a function whose signature the user wrote gets the requirement itself
    (`codegen.user_whole.md`), not the model's paraphrase of it: on the 1.5B the plan and spec
    added errors the plain requirement did not have (bench/results/iot-1.5b-s8).
    """
    if len(tasks.tasks) == 1 and spec.signature.required:
        user = _whole_requirement_user(tasks.requirement, spec.signature)
    else:
        # a last task planned as a first step ("Apply a band-pass filter") must not shrink the user's
        # function to that step
        users_function = "\n" + render("codegen.users_function.md").strip() if spec.signature.required else ""
        user = render("codegen.user.md", requirement=tasks.requirement, index=task.id, count=len(tasks.tasks),
                      title=task.title, description=task.description, spec=spec.markdown(),
                      signature=spec.signature.render(), users_function=users_function,
                      earlier=earlier_functions(earlier, broken, frozenset(signature_parameter_names(spec.signature))))
    return ({"role": "system", "content": render("codegen.system.md")},
            {"role": "user", "content": _with_problem(user, problem, previous_code)})


@lru_cache(maxsize=1)
def _error_hints() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(h["pattern"]), h["text"]) for h in tomllib.loads(load_text("error_hints.toml"))["hint"])


def with_known_fixes(problem: str) -> str:
    """The problem, followed by the hint of prompts/error_hints.toml for each known error it reports.

    "Found array with dim 3 ... StandardScaler" on IMU windows: the 1.5B's repairs flattened the
    windows into samples five times over; the message does not say that one row per window is needed.
    """
    hints = [text for pattern, text in _error_hints() if pattern.search(problem)]
    return problem + "".join(f"\nHint: {text}." for text in hints)


@lru_cache(maxsize=1)
def _technique_checks() -> tuple[dict, ...]:
    return tuple(tomllib.loads(load_text("technique_checks.toml"))["check"])


def technique_problems(code: str, words: str, inputs: tuple[str, ...] = (), input_words: str = "") -> list[str]:
    """The techniques that `words` (what the step is asked to do) name and `code` does not carry out.

    A check with `given` is moot for a step that takes the technique's product as an input (`inputs` are
    the step's parameter names): a step that finds the peak of an earlier step's `spectrum` needs no FFT.
    A check with `decodes` also reads `input_words` (the step's input descriptions) when the code decodes
    bytes: a plan step that reads `frames`, "a big-endian uint16 sensor id ...", in native byte order.

    A one-way `lfilter` where the user asked for a zero-phase filter runs and has the right shape, so no
    other check sees it. Over the 916 benchmark samples of sessions 1-14 (requirement as the words): 27
    flagged, all of which had failed their tests (most of them one task's), and none of the 68 that passed.
    The Fourier, PCA, Procrustes and MDS checks (session 16), over the 514 distinct samples with code in
    bench/results: 9 flagged, all failed; none of the 29 that passed; no benchmark reference is flagged.
    """
    problems = []
    for check in _technique_checks():
        said = words + (f". {input_words}" if re.search(check.get("decodes", "(?!)"), code) else "")
        if not re.search(check["words"], said, re.I) or re.search(check.get("unless", "(?!)"), said, re.I):
            continue
        if any(re.search(check.get("given", "(?!)"), name, re.I) for name in inputs):
            continue
        if not re.search(check["code"], code):
            problems.append(f"the step asks for {check['technique']}, but {check['problem']}")
    return problems


def _step_words(task: Task, spec: TaskSpec, requirement: str, code: str, earlier_names: frozenset[str]) -> str:
    """What the step is asked to do: its task and target, and the whole requirement when the step is the
    user's own function written in one piece (it calls no earlier step that could do part of it)."""
    words = f"{task.title}. {task.description}. {spec.target}"
    if spec.signature.required and not _names_used(code) & earlier_names:
        words += f". {requirement}"
    return words


def _names_used(code: str) -> set[str]:
    try:
        return _names_in(ast.parse(code))
    except SyntaxError:
        return set()


def _with_problem(user: str, problem: str, previous_code: str) -> str:
    """The user turn after a failed attempt: with the code to repair it, without it to write it again."""
    problem = with_known_fixes(problem)
    if problem and previous_code:
        return user + "\n\n" + render("codegen.repair.md", code=previous_code.strip("\n"), problem=problem)
    if problem:
        return user + "\n\n" + render("codegen.retry.md", problem=problem)
    return user


def _score(problems: list[str], validation: Validation | None) -> int:
    """Lower is better: clean and validated, then inconclusive, then failing at run time, then static problems.
    (generate_module adds 5 per technique the code lacks: worse than inconclusive, better than failing.)"""
    if problems and problems[0].startswith("it does not parse"):
        return 1000
    if validation is not None and validation.status == "failed":
        return 10  # it passed the static checks (else it was not run): it defines the function and may work
    if problems:
        return 100 + len(problems)
    if validation is None or validation.status == "passed":
        return 0
    return 1


def _repairable(finish_reason: str, repairing: bool) -> bool:
    """Whether the next attempt should fix this code rather than start again.

    With repair on, a complete answer is worth fixing: a wrong name, parameter
    list or bracket is a one-line edit for the model once it sees its code and
    the failing line, while a fresh attempt tends to repeat the mistake (the
    requirement's "[0.5, 1)" copied into an `in` test, at any seed). An answer
    cut off mid-loop is written again.
    """
    return repairing and finish_reason not in ("length", "repetition")


Prompt = Callable[[str, str], tuple[dict, ...]]  # (problem, previous code) -> chat messages


def generate_module(task: Task, tasks: TaskList, spec: TaskSpec, earlier: list[TaskSpec], caller: StageCaller,
                    config: GenerationConfig, validator: Validator | None = None,
                    broken: list[TaskSpec] = (), prompt: Prompt | None = None, label: str = "",
                    available: dict[str, Param] | None = None) -> CodeModule:
    """Write a module; regenerate while static checks fail, repair while it fails on sample inputs.

    `earlier` are the working steps above it, which it may call; `broken` those whose module failed its
    checks, which it must not call (their names count as undefined). `prompt` replaces the step's code
    prompt (the whole-requirement alternatives use it); `label` is added to the progress messages;
    `available` are the values the pipeline can pass the step beyond its spec's inputs (the module is
    checked against `spec_taking_pipeline_values`).

    Fresh attempts are bounded by `config.code_attempts`; repairs (with a validator: code that fails on
    sample inputs, or fails a static check in a complete answer) by `config.repair_attempts` and
    `config.repair_budget_s`, and end when a repair returns the code unchanged (the 1.5B, asked to fix a wrong
    CRC, gave the same code back three times). The best attempt wins; every attempt is logged in the module.
    """
    best: tuple[int, CodeModule] | None = None
    problem, previous_code = "", ""
    log: list[dict] = []
    static_tries = repairs = 0
    started = time.perf_counter()
    available = available or {}
    prompt_spec = spec  # a repair is shown the signature its code was checked against
    while True:
        attempt = len(log) + 1
        if previous_code:
            caller.notify(f"repairing step {task.id}{label} (attempt {repairs}/{config.repair_attempts})")
        else:
            caller.notify(f"writing code for step {task.id}{label}" + (f" (attempt {attempt})" if attempt > 1 else ""))
        messages = (prompt(problem, previous_code) if prompt
                    else codegen_messages(task, tasks, prompt_spec, earlier, problem, previous_code, broken))
        request = ChatRequest(
            messages=messages,
            max_tokens=config.limits.code_tokens,
            temperature=config.temperature if attempt == 1 else max(config.temperature, 0.5),
            seed=config.seed + attempt - 1,
        )
        answer = caller.call(request, until=closed_code_block)
        earlier_names = frozenset(e.function_name for e in earlier)
        code, fixed = fix_automatically(extract_code(answer.text), spec, earlier_names, tasks.requirement,
                                        frozenset(available), frozenset(b.function_name for b in broken))
        taking = spec_taking_pipeline_values(code, spec, available)
        problems = check_module(code, taking, earlier_names)
        unchanged = bool(previous_code) and code.strip() == previous_code.strip()  # a repair that changed nothing
        if answer.finish_reason in ("length", "repetition") and problems:
            problems.append(f"the answer was cut off ({answer.finish_reason})")
        missing = [] if problems else technique_problems(
            code, _step_words(task, taking, tasks.requirement, code, earlier_names), tuple(p.name for p in taking.inputs),
            " ".join(f"{p.name} ({p.type}): {p.description}" for p in taking.inputs))
        needs = needed_packages(code)
        module = CodeModule(task_id=task.id, function_name=spec.function_name, code=code,
                            explanation=explain(code, taking), attempts=attempt, problems=problems,
                            missing_techniques=missing, needs_packages=needs)
        validation = None
        if not problems and validator is not None:
            caller.notify(f"validating step {task.id}{label}")
            validation = Validation("skipped", f"it needs {', '.join(needs)}") if needs else validator(module)
            steps, validation = fixed_failing_lines(
                code, validation, taking, lambda c: validator(module.model_copy(update={"code": c})),
                accept=lambda c: not check_module(c, taking, earlier_names))
            if steps:
                code = steps[-1][0]
                module = module.model_copy(update={"code": code})
                fixed += [note for _, note in steps]
                # a repair that gave back the code before its mechanical fix changed nothing either
                unchanged = unchanged or bool(previous_code) and any(
                    c.strip() == previous_code.strip() for c, _ in steps)
            if validation.status == "failed":
                said = validation.problem  # "on a synthetic walk ...", "on the notebook's example data ...": as is
                problems = [said if said.startswith("on ") else f"on sample inputs, {said}"]
        log.append({"attempt": attempt, "problems": problems + missing, "validation": validation and validation.status,
                    "note": validation.problem if validation else "", "fixed": fixed, "tokens": answer.tokens,
                    "seconds": round(answer.seconds, 2), **({"unchanged": True} if unchanged else {})})
        module = module.model_copy(update={"problems": problems, "validation": validation and validation.status})
        score = _score(problems, validation) + 5 * len(missing)
        if best is None or score < best[0]:
            best = (score, module)
        if not problems and not missing:
            break
        if _repairable(answer.finish_reason, validator is not None):
            repairs += 1
            over_budget = time.perf_counter() - started > config.repair_budget_s
            if repairs > config.repair_attempts or over_budget or unchanged:
                break  # unchanged: asked to repair it, the model gave it back as it was; it cannot see the bug
            failed_run = validation is not None and validation.status == "failed"
            found = [validation.problem] if failed_run else problems
            problem, previous_code, prompt_spec = "; ".join(found + missing), code, taking
        else:
            static_tries += 1
            if static_tries >= max(1, config.code_attempts):
                break
            problem, previous_code, prompt_spec = (problems + missing)[0], "", spec
    _, module = best
    return module.model_copy(update={"attempts": len(log), "attempt_log": log})


def codegen_step(tasks: TaskList, specs: list[TaskSpec], modules: list[CodeModule], caller: StageCaller,
                 config: GenerationConfig, validation_stats: StageStats) -> CodeModule:
    """The module of the first task that has none yet, written after (and, with `config.validate`, run after) `modules`.

    One step at a time, so that a front-end can show each module as soon as it is
    written and a follow-up can regenerate one step alone (revise.py). A step whose function takes a value
    the pipeline already has beyond its spec's inputs (the sampling rate the user passes) gets that input
    in `specs[i]`, so that the wiring cell and later steps pass it (`spec_taking_pipeline_values`).
    """
    i = len(modules)
    task, spec = tasks.tasks[i], specs[i]
    available = pipeline_values(specs, i)
    # A broken step above is left out: this step is told not to call it, and is judged on its own work
    # (an output of the broken step it consumes gets a sample value, as a raw input does).
    callable_steps = [step for step in zip(tasks.tasks[:i], specs[:i], modules) if _works(step[2])]
    # a step that cannot import here cannot run before this one; one that calls it is not run either
    accepted = [step for step in callable_steps if not step[2].needs_packages]
    unrunnable = {m.function_name: m.needs_packages for m in modules if m.needs_packages}

    def validator(module: CodeModule) -> Validation:
        needs = sorted({p for name, packages in unrunnable.items() if name in _names_used(module.code)
                        for p in packages})
        if needs:
            return Validation("skipped", f"it calls a step that needs {', '.join(needs)}")
        started = time.perf_counter()
        taking = spec_taking_pipeline_values(module.code, spec, available)
        outcome = validate_steps(accepted + [(task, taking, module)], timeout=config.sandbox_timeout_s,
                                 requirement=tasks.requirement, datasets=config.available_data)
        validation_stats.seconds += time.perf_counter() - started
        validation_stats.calls += 1
        return outcome

    working = [earlier for _, earlier, _ in callable_steps]
    broken = [earlier for earlier, module in zip(specs[:i], modules) if not _works(module)]
    step_caller = caller.for_task(task.id, len(tasks.tasks))
    module = generate_module(task, tasks, spec, working, step_caller, config,
                             validator if config.validate else None, broken, available=available)
    specs[i] = spec_taking_pipeline_values(module.code, spec, available)
    if (config.validate and config.alternatives and spec.signature.required and i == len(tasks.tasks) - 1
            and module.validation != "skipped"):  # versions that cannot run here cannot be compared
        def write_alternative(number: int, validator: Validator) -> CodeModule:
            return alternative_module(task, tasks, spec, step_caller, config, number, validator)

        module = choose_users_function(module, accepted, task, spec, write_alternative, config, validation_stats,
                                       tasks.requirement)
    return module


def alternative_module(task: Task, tasks: TaskList, spec: TaskSpec, caller: StageCaller, config: GenerationConfig,
                       number: int, validator: Validator) -> CodeModule:
    """The user's function written in one go from the requirement, checked like a step and repaired once.

    The first alternative is the plain prompt's answer, sampled exactly as a user's chat would be (the
    step's seed and temperature). The others use the code prompt, warmer and with their own seeds, so
    that they are independent attempts. One repair (not the step's two, and no fresh retry) keeps the
    cost of each alternative to at most two model calls, while a version that crashed on sample inputs
    still gets a chance to take part.
    """
    plain = alternative_origin(number) == PLAIN_PROMPT

    def prompt(problem: str, previous_code: str) -> tuple[dict, ...]:
        system, user = (plain_messages(tasks.requirement) if plain
                        else whole_requirement_messages(tasks.requirement, spec.signature))
        return system, {**user, "content": _with_problem(user["content"], problem, previous_code)}

    sampling = ({} if plain else
                {"seed": config.seed + 1000 + number, "temperature": max(config.temperature, 0.5)})
    settings = replace(config, code_attempts=1, repair_attempts=min(config.repair_attempts, 1), **sampling)
    module = generate_module(task, tasks, spec, [], caller, settings, validator, prompt=prompt,
                             label=f" again from the whole requirement ({number}/{config.alternatives})")
    return module.model_copy(update={"attempt_log": [{"alternative": number, **entry} for entry in module.attempt_log]})


def _works(module: CodeModule) -> bool:
    """Whether later steps may call this module's function: no problem left, not failed on sample inputs
    (a step that needs a device library that is not installed here works: it was just not run)."""
    return not module.problems and module.validation != "failed"


def codegen(tasks: TaskList, specs: list[TaskSpec], caller: StageCaller, config: GenerationConfig,
            validation_stats: StageStats | None = None) -> list[CodeModule]:
    """One module per task, in order; with `config.validate`, each is run on sample inputs after the ones before it."""
    stats = validation_stats if validation_stats is not None else StageStats()
    modules: list[CodeModule] = []
    while len(modules) < len(tasks.tasks):
        modules.append(codegen_step(tasks, specs, modules, caller, config, stats))
    return modules
