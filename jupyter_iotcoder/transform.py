"""Stage 2, requirement transformation (RTSLM): Task -> TaskSpec.

The base model, no adapter, in a chain of two constrained prompts as in the
published design: first the target and function name, then the Input and
Output Specification. When the user's requirement names a function signature,
the final task keeps it exactly: that is enforced here, not left to the model.
"""

from __future__ import annotations

import keyword
import re
from typing import Iterator

from .calls import StageCaller
from .config import GenerationConfig
from .errors import GenerationError
from .prompts import load_json, render
from .requirement import (described_return, find_required_signature, parameter_parts, requirement_examples,
                          return_phrases, same_size_as, signature_parameter_names, stated_result_dtype,
                          stated_result_length, stated_result_range, user_types)
from .runtime import ChatRequest
from .schema import UNTYPED, Param, Signature, Task, TaskList, TaskSpec, stated_dtype, with_stated_dtype
from .sensors import is_example_loader


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


def step_name(name: str, task: Task) -> str:
    """The step's function name, unless it is an example-data loader's: a cell defining it would hide the loader.

    The 1.5B planned "load_basic_motions(load_basic_motions)" for a HAR notebook: the step's cell
    shadowed the import it needed and called its own array argument.
    """
    if not is_example_loader(name):
        return name
    titled = name_from_title(task)
    return titled if not is_example_loader(titled) else "prepare_" + name.split("_", 1)[1]


def whole_sentences(description: str, limit: int) -> str:
    """A long description that stops mid-sentence, back to its last complete sentence.

    The 1.5B often copies the requirement into a parameter's description until the grammar's length
    limit (or its own stop) cuts it mid-clause ("... Return a list of (start_s, end_s) tuples in
    seconds. Raise"): a half rule in the spec misleads the code model. A description over half the
    limit that does not end a sentence was cut; a short phrase ("sampling rate") is the model's own.
    """
    if len(description) < limit // 2 or re.search(r"[.!?)\]]\s*$", description):
        return description
    ends = [m.end() for m in re.finditer(r"[.;!?](?=\s)", description)]
    return description[: ends[-1]] if ends else description


def _params(items: list[dict]) -> list[Param]:
    taken: set[str] = set()
    limit = load_json("io.schema.json")["properties"]["inputs"]["items"]["properties"]["description"]["maxLength"]
    return [Param(name=_safe_name(i["name"], taken), type=i["type"], description=whole_sentences(i["description"], limit))
            for i in items]


def _required_inputs(signature: Signature, proposed: list[Param]) -> list[Param]:
    """The user's parameters, in their order, described by the model where it used the same name."""
    by_name = {p.name: p for p in proposed}
    inputs = []
    for name, annotation, _ in map(parameter_parts, signature.parameters):
        if not name:
            continue
        if name in by_name:
            inputs.append(by_name[name])
            continue
        inputs.append(Param(name=name, type=annotation or UNTYPED))
    return inputs


def with_user_types(spec: TaskSpec, types: dict[str, str], examples: dict[str, str] | None = None) -> TaskSpec:
    """The spec with the user's types (and example values) on its inputs named like the user's parameters.

    The user's words beat the model's guess ("acc (float, Hz)"), in the user's function and in every
    earlier step that consumes the same raw data: a wrong type in a spec makes the code reject the data.
    """
    examples = examples or {}
    if not any(p.name in types or p.name in examples for p in spec.inputs):
        return spec
    inputs = []
    for p in spec.inputs:
        if p.name in types:
            p = p.model_copy(update={"type": types[p.name], "from_requirement": True})
        if p.name in examples:
            p = p.model_copy(update={"example": examples[p.name]})
        inputs.append(p)
    return spec.model_copy(update={"inputs": inputs})


_DATA_TYPE = re.compile(r"ndarray|array|list|sequence|series|matrix|dict|bytes|frame", re.I)


def with_planned_inputs(inputs: list[Param], task: Task, earlier: list[TaskSpec]) -> list[Param]:
    """The step's inputs with the earlier steps' results that the plan says it consumes and the model's I/O
    specification left out: each in the place of a data input the plan does not feed it, else appended.

    The 1.5B planned "find the intervals where door_open changes" consuming `door_open`, then specified
    the step as taking the raw `mag_ut`: the code recomputed the earlier step inside (or failed), and the
    notebook's steps no longer fed each other as the plan says. Only data (arrays, lists, records) is
    replaced, never a setting such as `fs`; a step whose code still reads the raw data gets it back as a
    pipeline value (`codegen.take_pipeline_values`).
    """
    produced = {p.name: p for spec in earlier for p in spec.outputs}
    names = {p.name for p in inputs}
    missing = [produced[name] for name in dict.fromkeys(task.inputs) if name in produced and name not in names]
    unplanned = [i for i, p in enumerate(inputs) if p.name not in task.inputs and _DATA_TYPE.search(p.type)]
    planned = list(inputs)
    for index, param in zip(unplanned, missing):
        planned[index] = param
    return planned + missing[len(unplanned):]


_SAMPLING_RATE = re.compile(r"^(?:fs|sr)(?:_\w+)?$|_fs$|^sampl\w*_(?:rate|freq\w*)(?:_hz)?$|^rate_hz$", re.I)
# "the first 2 seconds", "at least 0.5 s", "windows of window_s seconds", "a 0.5 Hz cut-off": time or frequency
_NEEDS_RATE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds?|minutes?|min|hours?|h|k?Hz)\b"
                         r"|\b(?:seconds?|minutes?|per second|Hz)\b|\w+_s\b", re.I)


def with_sampling_rate(inputs: list[Param], task: Task, target: str, user: Signature | None) -> list[Param]:
    """The step's inputs with the user's sampling rate when the step works in seconds or Hz and takes no rate.

    The 1.5B planned "the median of the first 2 seconds of mag_ut" as `median(mag_ut)`, then wrote
    `mag_ut[:2 * mag_ut.shape[1]]` for want of `fs` (an IndexError no repair could fix, since the spec
    forbids the parameter). The rate is the one parameter of the user's function named as a sampling rate
    (`fs`, `fs_hz`, `sample_rate`); the user's words type it later (`with_user_types`). A step works in
    seconds when its title, description or target says so, or an input does (`window_s (float, seconds)`).
    """
    rates = [name for name in signature_parameter_names(user) if _SAMPLING_RATE.search(name)] if user else []
    words = " ".join([task.title, task.description, target, *(f"{p.name} ({p.type})" for p in inputs)])
    if (len(rates) != 1 or any(p.name == rates[0] or _SAMPLING_RATE.search(p.name) for p in inputs)
            or not _NEEDS_RATE.search(words)):
        return inputs
    return [*inputs, Param(name=rates[0], type="float, Hz", description="sampling rate of the data")]


_BARE_SCALAR = re.compile(r"\s*(?:float|int|integer|number|scalar)\b(?!\s*(?:array|list|\[))", re.I)
# "RMS ... for each window", "one value per segment": a value per part of the data is an array of them
_PER_PART = re.compile(r"\b(?:for each|of each|per|one per|in each)\s+(?:\w+\s+)?(?:window|segment|frame|epoch|sample|"
                       r"reading|row|channel|axis|sensor|node|device|packet|beat|step|event|interval)s?\b", re.I)
# `cleaned_acc`, `acc_filtered`: the input, transformed
_TRANSFORMED = ("clean", "cleaned", "filtered", "smoothed", "normalized", "normalised", "detrended", "resampled",
                "scaled", "calibrated", "denoised", "centered", "centred", "aligned", "interpolated", "despiked")


def with_consistent_outputs(outputs: list[Param], inputs: list[Param]) -> list[Param]:
    """A plan step's outputs whose bare scalar type the rest of its spec contradicts, typed as arrays.

    The 1.5B typed "RMS of each window's magnitude, for each window" as `float` and "the cleaned
    accelerometer data" `cleaned_acc` as `float`: right code returns arrays, fails the check and no repair
    can fix it (the spec is wrong, not the code). A value per part of the data is an array of them; a
    transformed input (`cleaned_acc`, `acc_filtered`) has the input's type.
    """
    arrays = {p.name: p.type for p in inputs if _DATA_TYPE.search(p.type) and "dict" not in p.type.lower()}
    fixed = []
    for param in outputs:
        if _BARE_SCALAR.match(param.type):
            source = next((arrays[name] for name in arrays for word in _TRANSFORMED
                           if param.name in (f"{word}_{name}", f"{name}_{word}")), None)
            per_part = _PER_PART.search(param.description) or _PER_PART.search(param.type)
            if source:
                param = param.model_copy(update={"type": source})
            elif per_part:
                param = param.model_copy(update={"type": f"np.ndarray, one {param.type.split(',')[0].strip()} "
                                                         f"{per_part.group(0).lower()}"})
        fixed.append(param)
    return fixed


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower().replace("ndarray", "array"))) - {"np", "numpy", "typing", "a", "the"}


def _outputs_for_returns(outputs: list[Param], returns: str | None, requirement: str) -> list[Param]:
    """The user's function returns one value of the annotated type when its annotation (or, without one, the
    requirement's words: "returns the heart rate (float)") says so (`-> np.ndarray`).

    A model that adds outputs of its own (a `valid` flag beside the rates) makes the code return a
    tuple the caller never asked for. The output kept is the one whose type names the annotation's
    type, then whose words best match what the requirement says is returned ("return the flagged
    indices as ..."); the annotation leads its type when the model's type does not name it.
    """
    if not returns or not outputs or re.match(r"\s*(?:tuple|Tuple|typing\.Tuple)\b", returns):
        return outputs
    annotation = _words(returns)
    returned = set().union(*map(_words, return_phrases(requirement)))

    def names_annotation(kind: str) -> int:
        if returns in ("float", "int", "bool", "str"):  # "list[float]" is not a float
            return int(kind.lower().lstrip().startswith(returns))
        return len(annotation & _words(kind))

    def score(param: Param) -> tuple[int, int]:
        return (names_annotation(param.type),
                len(returned & _words(f"{param.name.replace('_', ' ')} {param.type} {param.description}")))

    best = max(outputs, key=score)  # the first of equals: the model lists the main result first
    kind = best.type if score(best)[0] else f"{returns}, {best.type}"
    return [best.model_copy(update={"type": kind, "from_requirement": True})]


def _with_said_of_result(spec: TaskSpec, phrase: str) -> TaskSpec:
    """The spec whose first output's type also carries `phrase`, something the user said of the result."""
    first = spec.outputs[0]
    if phrase in first.type:
        return spec
    outputs = [first.model_copy(update={"type": f"{first.type}, {phrase}", "from_requirement": True}),
               *spec.outputs[1:]]
    return spec.model_copy(update={"outputs": outputs})


def with_output_size(spec: TaskSpec, rule: tuple[str, str] | None) -> TaskSpec:
    """The spec with the size the user gave its first result ("same length as x"), which validation checks."""
    if rule is None or not spec.outputs:
        return spec
    return _with_said_of_result(spec, "same {} as {}".format(*rule))


def with_output_length(spec: TaskSpec, expression: str | None) -> TaskSpec:
    """The spec with the length the user computed for its first result ("of length len(x) - 1"), which validation
    checks on the inputs it passes."""
    if expression is None or not spec.outputs:
        return spec
    return _with_said_of_result(spec, f"length = {expression}")


def with_output_dtype(spec: TaskSpec, dtype: str | None) -> TaskSpec:
    """The spec with the NumPy type the user gave the returned array ("an int16 array"), which validation checks.

    It goes to the first output typed as an array (the model may list a float scale before it), else the first.
    """
    if dtype is None or not spec.outputs:
        return spec
    index = next((i for i, p in enumerate(spec.outputs) if re.search(r"array|mask|list", p.type, re.I)), 0)
    marked = spec.outputs[index]
    if stated_dtype(marked.type) == dtype:
        return spec
    outputs = list(spec.outputs)
    outputs[index] = marked.model_copy(update={"type": with_stated_dtype(marked.type, dtype),
                                               "from_requirement": True})
    return spec.model_copy(update={"outputs": outputs})


def with_output_range(spec: TaskSpec, interval: tuple[float, float] | None) -> TaskSpec:
    """The spec with the interval the user gave every returned number ("clipped to [0, 100]"), which validation checks."""
    if interval is None or not spec.outputs:
        return spec
    return _with_said_of_result(spec, "in [{:g}, {:g}]".format(*interval))


# The I/O specification when the model gives none: the user's signature and words say the rest.
USERS_WORDS_ONLY = {"inputs": [], "outputs": [{"name": "result", "type": UNTYPED,
                                              "description": "what the requirement says the function returns"}]}


def users_function_spec(requirement: str, required: Signature, io: dict, task_id: int = 1,
                        target: str = "The function the requirement names.") -> TaskSpec:
    """The spec of the user's own function: the model's I/O specification `io` under the user's signature, the
    result the user's words describe and its size, and the types and example values the user gave."""
    inputs = _required_inputs(required, _params(io["inputs"]))
    if required.is_class:  # what the user says is returned, a method returns: the constructor gives the instance
        spec = TaskSpec(task_id=task_id, target=target, signature=required, inputs=inputs,
                        outputs=_params(io["outputs"]))
        return with_user_types(spec, user_types(requirement, required), requirement_examples(requirement, required))
    outputs = _outputs_for_returns(_params(io["outputs"]), described_return(requirement, required), requirement)
    spec = TaskSpec(task_id=task_id, target=target, signature=required, inputs=inputs, outputs=outputs)
    spec = with_output_size(spec, same_size_as(requirement, required))
    spec = with_output_length(spec, stated_result_length(requirement, required))
    spec = with_output_dtype(spec, stated_result_dtype(requirement, required))
    spec = with_output_range(spec, stated_result_range(requirement, required))
    return with_user_types(spec, user_types(requirement, required), requirement_examples(requirement, required))


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
    io_request = ChatRequest(
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
    )
    try:
        io = caller.call_json(io_request)
    except GenerationError:
        if not required:
            raise
        # The user's signature already says what goes in: code can still be written and checked
        # (lo-uwb-ds-twr's spec of six parameters looped past twice its token cap).
        caller.notify(f"specifying task {task.id}: no valid spec from the model; using the user's signature")
        io = USERS_WORDS_ONLY
    if required:
        return users_function_spec(tasks.requirement, required, io, task.id, target["target"])
    # an input named after a function is that function's result: the step calls the function instead
    inputs = [p for p in _params(io["inputs"]) if p.name != function_name and not is_example_loader(p.name)]
    inputs = with_planned_inputs(inputs, task, earlier)
    user = find_required_signature(tasks.requirement)
    inputs = with_sampling_rate(inputs, task, target["target"], user)
    signature = Signature(function_name=function_name, parameters=[p.name for p in inputs])
    spec = TaskSpec(task_id=task.id, target=target["target"], signature=signature, inputs=inputs,
                    outputs=_params(io["outputs"]))
    if user:
        spec = with_user_types(spec, user_types(tasks.requirement, user), requirement_examples(tasks.requirement, user))
    # after the user's types: `cleaned_acc` takes the (N, 3) that the user gave `acc`, not the model's guess
    return spec.model_copy(update={"outputs": with_consistent_outputs(spec.outputs, spec.inputs)})


def iter_transform(tasks: TaskList, caller: StageCaller, config: GenerationConfig) -> Iterator[TaskSpec]:
    """One spec per task, in order, each as soon as it is ready (the chat persona shows them one by one)."""
    required = find_required_signature(tasks.requirement)
    specs: list[TaskSpec] = []
    used_names: set[str] = {required.function_name} if required else set()
    count = len(tasks.tasks)
    for task in tasks.tasks:
        final = task.id == count
        spec = transform_task(task, tasks, specs, caller.for_task(task.id, count), config,
                              required if final else None)
        if not final or required is None:
            name = step_name(spec.function_name, task)
            if required is not None and name.replace("_", "").startswith(required.function_name.replace("_", "")):
                # an earlier step named after the user's function reads as that function to the code model
                name = name_from_title(task)
            unique = _safe_name(name, used_names)
            spec.signature = spec.signature.model_copy(update={"function_name": unique})
        specs.append(spec)
        yield spec


def transform(tasks: TaskList, caller: StageCaller, config: GenerationConfig) -> list[TaskSpec]:
    return list(iter_transform(tasks, caller, config))
