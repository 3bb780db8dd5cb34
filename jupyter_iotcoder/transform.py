"""Stage 2, requirement transformation (RTSLM): Task -> TaskSpec.

The base model, no adapter, in a chain of two constrained prompts as in the
published design: first the target and function name, then the Input and
Output Specification. When the user's requirement names a function signature,
the final task keeps it exactly: that is enforced here, not left to the model.
"""

from __future__ import annotations

import ast
import keyword
import re
from typing import Iterator

from .calls import StageCaller
from .config import GenerationConfig
from .prompts import load_json, render
from .runtime import ChatRequest
from .schema import Param, Signature, Task, TaskList, TaskSpec

_CALL = re.compile(r"(?:\bdef\s+)?\b([A-Za-z_][A-Za-z0-9_]*)\(([^()]*)\)(\s*->\s*[A-Za-z_][\w\[\], .|]*)?")


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


def find_required_signature(requirement: str) -> Signature | None:
    """The first `name(params)` in the requirement that parses as a Python signature."""
    for match in _CALL.finditer(requirement):
        name, params = match.group(1), match.group(2)
        if keyword.iskeyword(name):
            continue
        for returns in _return_candidates(match.group(3) or ""):
            try:
                func = ast.parse(f"def {name}({params}) {returns}:\n    pass\n").body[0]
                break
            except SyntaxError:
                continue
        else:
            continue
        if not (func.args.args or func.args.posonlyargs or func.args.kwonlyargs or func.args.vararg):
            continue
        return Signature(
            function_name=name,
            parameters=_parameters(func.args),
            returns=ast.unparse(func.returns) if func.returns is not None else None,
            required=True,
        )
    return None


def signature_parameter_names(signature: Signature) -> list[str]:
    names = []
    for param in signature.parameters:
        name = re.split(r"[:=]", param, maxsplit=1)[0].strip().lstrip("*")
        if name:
            names.append(name)
    return names


def _safe_name(name: str, taken: set[str]) -> str:
    name = name + "_" if keyword.iskeyword(name) else name
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


_FILLER = frozenset({"a", "an", "the", "of", "to", "with", "and", "into", "from", "per", "on", "in", "by", "for",
                     "its", "each", "raw", "then"})


def name_from_title(task: Task) -> str:
    """A snake_case function name from the task's title: "Band-pass filter the PPG" -> band_pass_filter_ppg."""
    words = [w for w in re.findall(r"[a-z0-9]+", task.title.lower()) if w not in _FILLER][:4]
    name = "_".join(words) or f"step_{task.id}"
    return f"step_{name}" if name[0].isdigit() else name


def _params(items: list[dict]) -> list[Param]:
    taken: set[str] = set()
    return [Param(name=_safe_name(i["name"], taken), type=i["type"], description=i["description"]) for i in items]


_DIMS = re.compile(r"\(\s*[A-Za-z0-9_]+\s*(?:,\s*[A-Za-z0-9_]+\s*)+\)")
_UNIT = re.compile(r"\bin (m/s\^?2|m/s²|rad/s|deg/s|degrees(?: C| F)?|°C|degC|Hz|kHz|metres|meters|seconds|ms|dBm|"
                   r"dB|volts|V|mV|A|mA|W|kW|kWh|Pa|hPa|kPa|bpm|lux|ppm|%)(?![\w/])")
_ARRAY_WORDS = re.compile(r"\b(?:array|arrays|sequence|list|matrix|signal)\b|\b[123]-D\b", re.I)
_AFTER_BREAK = re.compile(r";|\.\s|\.$|,(?![^()]*\))|\b(?:and|where|while|that|to|if|or|when)\b")
_TOP_LEVEL_LIST = re.compile(r",\s*(?:and\s+)?(?![^()]*\))|\s+and\s+(?![^()]*\))")
_TAKES = re.compile(r"^\s*(?:that|which|,)?\s*(?:takes|taking|accepts|accepting)\s+(.+?)"
                    r"(?=,?\s+(?:and\s+)?(?:returns?|returning|computes?|outputs?|estimates?)\b|;|\.\s|\.$)")
_COUNTS = {"two": 2, "three": 3, "four": 4, "both": 2}
_ENGLISH = frozenset({"a", "an", "i", "in", "is", "it", "of", "on", "or", "to", "the", "and", "at", "as", "by"})


def _described_type(phrase: str) -> str | None:
    """The type text that the user's words about one parameter give, or None when they give none."""
    if re.match(r"\s*k?Hz\b", phrase) or re.search(r"\bsampl(?:ing|e) (?:rate|frequency)\b", phrase):
        return "float, Hz"
    unit = _UNIT.search(phrase)
    suffix = f", {unit.group(1)}" if unit else ""
    dims = _DIMS.search(phrase)
    if re.search(r"\btuples?\b|\bdicts?\b|\bdictionar", phrase):
        return None  # a structure the sample synthesiser cannot build from words; the annotation or model says more
    if _ARRAY_WORDS.search(phrase) or (dims and phrase.lstrip().startswith("(")):
        if re.search(r"\bstr(?:ing)?s?\b", phrase):
            return "list[str], length n_samples"
        if dims:
            return f"np.ndarray, shape {dims.group(0)}{suffix}"
        if re.search(r"\b2-D\b", phrase, re.I):
            return f"np.ndarray, shape (n_samples, n_channels){suffix}"
        return f"np.ndarray, shape (n_samples,){suffix}"
    return "float, Hz" if unit and unit.group(1) in ("Hz", "kHz") else None


def _taken_types(after_call: str, names: list[str]) -> dict[str, str]:
    """Types from "f(a, b) that takes an (N, 3) array and the sampling rate in Hz": the items, in order."""
    takes = _TAKES.match(after_call)
    if not takes:
        return {}
    items: list[str] = []
    for item in _TOP_LEVEL_LIST.split(takes.group(1)):
        count = _COUNTS.get(item.split(" ", 1)[0].lower(), 1)
        items += [item] * count
    return {name: kind for name, item in zip(names, items) if (kind := _described_type(item))}


def _mentioned_type(text: str, name: str, names: list[str]) -> str | None:
    """The type from the words around a mention of `name`: "acc is an (N, 3) array", "a 1-D NumPy array x"."""
    for mention in re.finditer(rf"(?<![\w.\[]){re.escape(name)}(?![\w(\[])", text):
        after = re.sub(r"^\s*(?:is|are)\b", "", text[mention.end():])
        stop = _AFTER_BREAK.search(after)
        after = after[: stop.start() if stop else 80][:80]
        before = text[max(0, mention.start() - 60): mention.start()]
        noun = re.search(r"\b(?:an?|the)\s+([^,;.]*?\b(?:array|list|sequence|matrix|signal))\s*$", before)
        phrase = f"{noun.group(1) if noun else ''} {after}"
        if any(n != name and re.search(rf"\b{re.escape(n)}\b", phrase) for n in names):
            continue
        described = _described_type(phrase)
        if described:
            return described
    return None


def requirement_types(requirement: str, signature: Signature) -> dict[str, str]:
    """Parameter name -> the type that the requirement's own words give it.

    Read from the list after "takes" that follows the signature ("takes an
    (N, 3) array in m/s^2 and the sampling rate in Hz", item i for parameter i),
    else from the words next to a mention of the name ("acc is an (N, 3)
    array", "a 1-D NumPy array x"), for a shape, dimensionality, strings or a
    unit. The user's words beat the model's guess: a wrong shape in the spec
    makes the code reject the real data.
    """
    names = signature_parameter_names(signature)
    call = re.search(rf"\b{re.escape(signature.function_name)}\(", requirement)
    end = requirement.find(")", call.end()) if call else -1
    if end < 0:
        return {name: kind for name in names if name not in _ENGLISH
                and (kind := _mentioned_type(requirement, name, names))}
    after_call = re.sub(r"^\s*->\s*[\w\[\], .|]+?(?=\s+(?:that|which)\b)", "", requirement[end + 1:])
    found = _taken_types(after_call, names)
    text = requirement[: call.start()] + " ; " + requirement[end + 1:]
    for name in names:
        if name not in found and name not in _ENGLISH:
            kind = _mentioned_type(text, name, names)
            if kind:
                found[name] = kind
    return found


def _required_inputs(signature: Signature, proposed: list[Param], requirement: str = "") -> list[Param]:
    """The user's parameters, in their order: typed by the requirement's words, else by the signature's
    annotation, else by the model where it used the same name."""
    by_name = {p.name: p for p in proposed}
    described = user_types(requirement, signature) if requirement else {}
    inputs = []
    for name in signature_parameter_names(signature):
        model = by_name.get(name)
        kind = described.get(name) or (model.type if model else "as in the requirement")
        inputs.append(Param(name=name, type=kind, description=model.description if model else "",
                            from_requirement=name in described))
    return inputs


def user_types(requirement: str, signature: Signature) -> dict[str, str]:
    """Parameter name -> the type the user gave it: the requirement's words where the annotation is absent or a
    bare array type (they add the shape), else the annotation."""
    described = requirement_types(requirement, signature)
    types = {}
    for source, name in zip(signature.parameters, signature_parameter_names(signature)):
        annotation = source.split(":", 1)[1].split("=", 1)[0].strip() if ":" in source else ""
        bare_array = annotation in ("", "np.ndarray", "ndarray", "numpy.ndarray")
        kind = (described.get(name) if bare_array else None) or annotation
        if kind:
            types[name] = kind
    return types


def with_user_types(spec: TaskSpec, types: dict[str, str]) -> TaskSpec:
    """An earlier step's spec whose inputs named like the user's parameters (the raw `acc`) carry the user's types."""
    if not any(p.name in types for p in spec.inputs):
        return spec
    inputs = [p.model_copy(update={"type": types[p.name], "from_requirement": True}) if p.name in types else p
              for p in spec.inputs]
    return spec.model_copy(update={"inputs": inputs})


def transform_task(
    task: Task,
    tasks: TaskList,
    earlier: list[TaskSpec],
    caller: StageCaller,
    config: GenerationConfig,
    required: Signature | None = None,
) -> TaskSpec:
    """Target first, then the I/O specification that builds on it."""
    context = dict(requirement=tasks.requirement, index=task.id, count=len(tasks.tasks),
                   title=task.title, description=task.description)
    caller.notify(f"specifying task {task.id}: target")
    target = caller.call_json(ChatRequest(
        messages=(
            {"role": "system", "content": render("target.system.md")},
            {"role": "user", "content": render("target.user.md", **context)},
        ),
        max_tokens=config.limits.target_tokens, temperature=config.temperature, seed=config.seed,
        json_schema=load_json("target.schema.json"),
    ))
    function_name = required.function_name if required else target["function_name"]
    available = [p.name for spec in earlier for p in spec.outputs]
    note = ""
    if required:
        note = f"The user fixed the signature: `{required.render()}`. Use exactly these parameters, in this order."
    caller.notify(f"specifying task {task.id}: inputs and outputs")
    io = caller.call_json(ChatRequest(
        messages=(
            {"role": "system", "content": render("io.system.md")},
            {"role": "user", "content": render(
                "io.user.md", **context, target=target["target"], function_name=function_name,
                available=", ".join(available) or "none (this is the first step)",
                consumes=", ".join(task.inputs) or "raw sensor data",
                produces=", ".join(task.outputs), signature_note=note,
            )},
        ),
        max_tokens=config.limits.io_tokens, temperature=config.temperature, seed=config.seed,
        json_schema=load_json("io.schema.json"),
    ))
    inputs, outputs = _params(io["inputs"]), _params(io["outputs"])
    if required:
        inputs = _required_inputs(required, inputs, tasks.requirement)
        signature = required
    else:
        signature = Signature(function_name=function_name, parameters=[p.name for p in inputs])
    return TaskSpec(task_id=task.id, target=target["target"], signature=signature, inputs=inputs, outputs=outputs)


def iter_transform(tasks: TaskList, caller: StageCaller, config: GenerationConfig) -> Iterator[TaskSpec]:
    """One spec per task, in order, each as soon as it is ready (the chat persona shows them one by one)."""
    required = find_required_signature(tasks.requirement)
    specs: list[TaskSpec] = []
    used_names: set[str] = {required.function_name} if required else set()
    types = user_types(tasks.requirement, required) if required else {}
    count = len(tasks.tasks)
    for task in tasks.tasks:
        final = task.id == count
        spec = transform_task(task, tasks, specs, caller.for_task(task.id, count), config,
                              required if final else None)
        if not final or required is None:
            name = spec.function_name
            if required is not None and name.replace("_", "").startswith(required.function_name.replace("_", "")):
                # an earlier step named after the user's function reads as that function to the code model
                name = name_from_title(task)
            unique = _safe_name(name, used_names)
            spec.signature = spec.signature.model_copy(update={"function_name": unique})
            spec = with_user_types(spec, types)
        specs.append(spec)
        yield spec


def transform(tasks: TaskList, caller: StageCaller, config: GenerationConfig) -> list[TaskSpec]:
    return list(iter_transform(tasks, caller, config))
