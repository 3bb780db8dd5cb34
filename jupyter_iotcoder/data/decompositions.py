"""Expert decompositions from the knowledge base, with IoT augmentation and user voices.

For a valid (family, modality, representation, platform) combination, each
stage slot of the family's pipeline is filled with a technique that applies to
it, its parameters drawn from the technique's values and the combination's
sampling rate, band and budget. The platform changes the plan (an MCU adds
feature selection, quantisation and memory checks; a server may train a deep
model), the modality changes cleaning and filtering, the representation
changes the transform. The requirement is written in one of several voices.

The training pair is exactly what the runtime sends at inference
(`decompose.decompose_messages`) plus the answer, which must validate against
`decompose.decompose_schema`.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from string import Formatter

import jsonschema

from ..config import GenerationConfig
from ..decompose import decompose_messages, decompose_schema
from ..schema import Task, TaskList
from .curated import Instance, Program, context, fix_ordinals, fmt, instantiate
from .knowledge import Combination, KnowledgeBase, Technique

MIN_TASKS, MAX_TASKS = 3, 7
DATA_STAGES = {"filter", "segment", "represent", "features", "estimate", "detect_beats"}
NAMED_KINDS = {"estimate", "detect", "localise"}


@dataclass(frozen=True)
class PlannedTask:
    """One task of a plan, with the technique behind it and, when linked, the curated program that implements it."""

    task: Task
    stage: str
    technique: str
    program: Instance | None = None
    parts: tuple[Instance, ...] = ()

    def programs(self) -> tuple[Instance, ...]:
        """The curated programs that together do this task's work, in order; empty when a step has none.

        A plain task has its own program; a merged task, or the final task that implements the user's
        named function, has those of the steps it does.
        """
        return self.parts or ((self.program,) if self.program is not None else ())


@dataclass(frozen=True)
class Decomposition:
    requirement: str
    combination: Combination
    voice: str
    max_tasks: int
    planned: tuple[PlannedTask, ...]
    named_function: str | None = None
    facts: dict = field(default_factory=dict)

    def answer(self) -> dict:
        return {"tasks": [p.task.model_dump(include={"title", "description", "inputs", "outputs"})
                          for p in self.planned]}

    def task_list(self) -> TaskList:
        return TaskList(requirement=self.requirement, tasks=[p.task for p in self.planned])

    def messages(self) -> list[dict]:
        """The inference prompt for this requirement followed by the expert answer."""
        prompt = list(decompose_messages(self.requirement, self.max_tasks))
        return prompt + [{"role": "assistant", "content": json.dumps(self.answer())}]

    def validate(self) -> None:
        jsonschema.validate(self.answer(), decompose_schema(self.max_tasks))


def num(value: float) -> str:
    """A short human form of a number: 0.45, 2.56, 50, 0.0167."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return fmt(float(round(value)))
    text = f"{value:.3g}"
    return fmt(float(text))


def _size(kb: int) -> str:
    if kb >= 1024 * 1024:
        return f"{kb // (1024 * 1024)} GB"
    if kb >= 1024:
        return f"{kb // 1024} MB"
    return f"{kb} KB"


class _Context(dict):
    """Format values; an unknown placeholder in a KB template is a KB bug and raises."""

    def __missing__(self, key):
        raise KeyError(f"the knowledge base template uses an unknown placeholder {{{key}}}")


def _fill(template: str, values: dict) -> str:
    return fix_ordinals(Formatter().vformat(template, (), _Context(values)))


def _a(noun: str) -> str:
    """'a' or 'an' before a noun phrase (by its first letter; acronyms like IMU, ECG, UWB take 'an')."""
    first = noun.split()[0] if noun.split() else noun
    spelled = first.isupper() and first not in {"MEMS", "NASA"}
    vowel_sound = first[:1].lower() in "aeio" or (spelled and first[:1] in "AEFHILMNORSX")
    return ("an " if vowel_sound else "a ") + noun


def _context(combo: Combination, rng: random.Random) -> dict:
    fam, mod, plat = combo.family, combo.modality, combo.platform
    fs = rng.choice(mod.rates)
    hi = min(fam.band[1], 0.45 * fs)
    lo = min(fam.band[0], hi / 4) if fam.band[0] > 0 else 0.0
    return {
        "fs": num(fs), "fs_value": fs, "lo": num(lo), "hi": num(hi), "lo_value": lo, "hi_value": hi,
        "win": num(rng.choice(fam.windows_s)), "overlap": rng.choice([0, 25, 50, 50, 75]),
        "classes": ", ".join(fam.classes), "n_classes": len(fam.classes) or 2,
        "platform": plat.name, "ram_kb": plat.ram_kb, "flash_kb": plat.flash_kb,
        "ram": _size(plat.ram_kb), "flash": _size(plat.flash_kb),
        "raw": mod.data, "result": fam.result, "shape": mod.shape,
        "sensor": rng.choice(mod.aliases), "placement": rng.choice(mod.placements),
    }


def _program_values(tech: Technique, params: dict, ctx: dict, program: Program) -> dict:
    """Values for the linked program: mapped from the technique's parameters or the context, else the program's defaults."""
    values = {}
    for name, source in tech.program.map.items():
        if isinstance(source, str) and source in params:
            value = params[source]
        elif isinstance(source, str) and f"{source}_value" in ctx:
            value = float(num(ctx[f"{source}_value"]))
        elif isinstance(source, str) and source in ctx:
            value = ctx[source]
        else:
            value = source
        values[name] = float(value) if isinstance(value, str) and re.fullmatch(r"-?[0-9.]+", value) else value
    allowed = program.parameter_names()
    return {k: v for k, v in values.items() if k in allowed}


def plan(kb: KnowledgeBase, programs: dict[str, Program], combo: Combination, rng: random.Random,
         named: bool = False) -> tuple[list[PlannedTask], dict] | None:
    """Fill the family's stage slots for this combination; None when fewer than 3 tasks apply."""
    ctx = _context(combo, rng)
    outputs_by_stage: dict[str, str] = {}
    current = combo.modality.data
    planned: list[PlannedTask] = []
    stages = [s for s in combo.family.pipeline if not (named and s == "deploy")]
    for stage in stages:
        candidates = kb.techniques_for(stage, combo)
        if not candidates:
            continue
        tech = rng.choice(candidates)
        params = {k: rng.choice(v) for k, v in sorted(tech.params.items())}
        values = {**ctx, **{k: (num(v) if isinstance(v, float) else v) for k, v in params.items()},
                  "data": current}
        source = next((outputs_by_stage[s] for s in tech.input_from if s in outputs_by_stage), current)
        values["data"] = source
        produces = _fill(tech.produces, values)
        if produces == source:
            continue
        instance = None
        if tech.program is not None and tech.program.id in programs:
            program = programs[tech.program.id]
            func = rng.choice(program.names)
            if func not in (source, produces):
                instance = instantiate(program, _program_values(tech, params, ctx, program), func=func,
                                       x=source, out=produces)
        if instance is not None:
            inputs = [p.name for p in instance.inputs]
            outputs = [p.name for p in instance.outputs]
        else:
            inputs = [source] + (["fs"] if stage in DATA_STAGES else [])
            if stage == "model" and combo.family.kind == "classify":
                inputs.append("labels")
            if stage == "position" and combo.family.id == "indoor_localisation":
                inputs.append("anchors")
            outputs = [produces]
        task = Task(id=len(planned) + 1, title=_fill(rng.choice(tech.titles), values)[:100],
                    description=_fill(rng.choice(tech.text), values), inputs=inputs[:6], outputs=outputs[:4])
        planned.append(PlannedTask(task=task, stage=stage, technique=tech.id, program=instance))
        outputs_by_stage[stage] = produces
        current = produces
    if len(planned) < MIN_TASKS:
        return None
    return planned[:MAX_TASKS], ctx


# ------------------------------------------------------------------ voices

_CONSTRAINTS = [
    "It has to run in real time.", "Latency per decision must stay under {latency} ms.",
    "The device runs on a coin cell, so keep the computation light.", "Data arrive in chunks of a few seconds.",
    "False alarms are costly, so prefer precision over recall.", "Readings can drop out for a few samples.",
    "The firmware team wants plain, well-documented Python first, to port later.",
    "Some recordings are noisy because the sensor is loosely attached.",
    "Please keep memory use predictable; no unbounded buffers.", "Results are reviewed by a clinician, so explain each step.",
    "We have a few labelled recordings but not many.", "Timestamps can jitter by a few milliseconds.",
    "The output feeds a dashboard that refreshes every minute.", "Sensor placement varies between users.",
    "Temperature changes during the day shift the sensor offset.", "It must keep working when one channel fails.",
]
_RATE = ["{fs} Hz", "fs = {fs} Hz", "{fs} samples per second", "a sampling rate of {fs} Hz"]
_BUDGET = ["{ram} of RAM", "{ram} RAM and {flash} flash", "a {ram} RAM budget", "only {ram} of memory"]
_REP_HINT = {
    "raw": ["", "directly on the raw samples", "without any fancy transforms"],
    "filtered": ["on the filtered time series", "working in the time domain after filtering"],
    "spectrogram": ["using spectrograms (STFT)", "working on time-frequency spectrograms"],
    "doppler": ["using micro-Doppler signatures", "from Doppler spectrograms"],
    "wavelet": ["using wavelet coefficients", "with a wavelet-based front end"],
    "features": ["with hand-crafted statistical features", "using simple statistical features"],
    "csi_amplitude": ["from the CSI amplitude", "using CSI amplitude only"],
    "csi_phase": ["from the sanitised CSI phase", "using the CSI phase"],
    "envelope": ["with envelope analysis", "using the envelope spectrum"],
}


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def requirement_text(combo: Combination, ctx: dict, voice: str, rng: random.Random,
                     signature: str | None) -> str:
    """The user's requirement in one of four voices; wording, units and clause order vary."""
    fam, plat = combo.family, combo.platform
    goal = rng.choice(fam.goals)
    rate = _fill(rng.choice(_RATE), ctx)
    budget = _fill(rng.choice(_BUDGET), ctx)
    target = rng.choice(plat.aliases)
    hint = rng.choice(_REP_HINT[combo.representation.id])
    classes = f" ({ctx['classes']})" if fam.classes and rng.random() < 0.6 else ""
    extra = [_fill(c, {"latency": rng.choice([50, 100, 200, 500])}) for c in rng.sample(_CONSTRAINTS, 2)]
    sensor, placement = ctx["sensor"], ctx["placement"]
    ask = f" Write {signature} that returns the {fam.result.replace('_', ' ')}." if signature else ""
    on_platform = f"{target} ({budget})" if plat.class_ == "mcu" and "RAM" not in target else target
    if voice == "novice":
        openers = ["Hi! I'm new to IoT.", "I'm a student and not sure where to start.", "Beginner here.",
                   "I've never done signal processing before.", "I'm a web developer trying my first sensor project.",
                   "Hello, quick question from a hobbyist.", "My thesis supervisor suggested this project.",
                   "I bought a dev kit last week."]
        asks = ["How should I structure the code?", "What steps do I need?", "Can you break this into steps?",
                "Where do I start?", "What would the processing chain look like?"]
        text = (f"{rng.choice(openers)} I have {_a(sensor)} {placement} that samples at {rate}, and I want to "
                f"{goal}{classes}. It should run on {on_platform}. {rng.choice(extra)} {rng.choice(asks)}")
    elif voice == "expert":
        parts = [f"{cap_first(goal)}{classes} from {_a(sensor)} ({placement}, {rate}, {ctx['shape']}).",
                 f"Target: {on_platform}.", f"Approach: {hint}." if hint else "", " ".join(extra)]
        head, rest = parts[0], [p for p in parts[1:] if p]
        rng.shuffle(rest)
        text = " ".join([head, *rest])
    elif voice == "terse":
        arrow = rng.choice(["->", "=>", ":"])
        text = f"{sensor}, {placement}, {rate} {arrow} {goal}{classes}. {on_platform}."
        if hint:
            text += f" {cap_first(hint)}."
    else:
        settings = ["We are building a pilot deployment", "Our start-up is prototyping a product",
                    "For a research project we are setting up a testbed", "Our facility team asked for a system",
                    "A customer wants a proof of concept", "We are replacing a legacy system",
                    "Our lab is running a month-long field study", "An insurance partner asked us for a solution"]
        text = (f"{rng.choice(settings)} with {_a(sensor)} {placement}. It streams data at {rate} "
                f"({combo.modality.units}). The goal is to {goal}{classes}. All processing has to happen on "
                f"{on_platform}, so the pipeline must respect that platform's limits. "
                + (f"We would like to work {hint}. " if hint else "") + " ".join(extra))
    return re.sub(r"\s+", " ", text + ask).strip()


VOICES = ("novice", "expert", "terse", "verbose")


def _signature_name(combo: Combination, rng: random.Random, reserved: set[str]) -> str:
    fam, mod = combo.family, combo.modality
    options = [f"{fam.result}_from_{mod.data}", f"compute_{fam.result}", f"{mod.data}_to_{fam.result}"]
    options = [o for o in options if o not in reserved]
    return rng.choice(options) if options else f"run_{fam.id}_pipeline"


def _shorten(text: str, limit: int, clauses: bool = False) -> str:
    """`text` cut to at most `limit` characters without a dangling joiner: at the last comma when `clauses`
    and one is in the second half, else at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    comma = cut.rfind(", ")
    cut = cut[:comma] if clauses and comma > limit // 2 else cut.rsplit(" ", 1)[0]
    return re.sub(r"(\s|[,;:+(\-]|\band|\bthen|\bwith|\bof|\bto|\bthe|\ba)+$", "", cut)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _merge(group: list[PlannedTask]) -> PlannedTask:
    """One task doing the work of neighbouring tasks, in order; it consumes what the group needs from outside."""
    if len(group) == 1:
        return group[0]
    first, produced, inputs = group[0].task, set(), []
    for p in group:
        inputs += [n for n in p.task.inputs if n not in produced and n not in inputs]
        produced.update(p.task.outputs)
    titles = [p.task.title for p in group]
    title = ", ".join([titles[0]] + [_lower_first(t) for t in titles[1:-1]]) + f" and {_lower_first(titles[-1])}"
    if len(title) > 100:  # name the first and the last step; the description lists them all
        title = f"{_shorten(titles[0], 48)}, then {_lower_first(_shorten(titles[-1], 44))}"
    descriptions = [p.task.description.rstrip(".") for p in group]
    if sum(len(d) for d in descriptions) + 8 * len(group) > 600:
        # keep every step's first clause (its technique and parameters) over detail, within an equal share
        share = 600 // len(group) - 8
        descriptions = [_shorten(re.split(r"(?<=[.;])\s", d, maxsplit=1)[0].rstrip(".;"), share, clauses=True)
                        for d in descriptions]
    description = "; then ".join([descriptions[0]] + [_lower_first(d) for d in descriptions[1:]]) + "."
    task = Task(id=first.id, title=_shorten(title, 100), description=_shorten(description, 600),
                inputs=inputs[:6], outputs=group[-1].task.outputs)
    parts = tuple(x for p in group for x in p.programs()) if all(p.programs() for p in group) else ()
    return PlannedTask(task=task, stage="+".join(p.stage for p in group),
                       technique="+".join(p.technique for p in group), parts=parts)


def compress(planned: list[PlannedTask], limit: int) -> list[PlannedTask]:
    """Merge neighbouring tasks (the shortest pair first) until at most `limit` remain, as an expert would under a cap.

    The last task keeps its outputs, so the plan still ends with the result the user asked for.
    """
    groups = [[p] for p in planned]
    while len(groups) > limit:
        sizes = [sum(len(p.task.description) for p in groups[i] + groups[i + 1]) for i in range(len(groups) - 1)]
        i = sizes.index(min(sizes))
        groups[i:i + 2] = [groups[i] + groups[i + 1]]
    merged = [_merge(g) for g in groups]
    return [p if p.task.id == n else PlannedTask(task=p.task.model_copy(update={"id": n}), stage=p.stage,
                                                   technique=p.technique, program=p.program, parts=p.parts)
            for n, p in enumerate(merged, start=1)]


def task_cap(rng: random.Random) -> int:
    """The `--max-tasks` a user gives: mostly the default, otherwise anything from 1 to 8 (the CLI's range).

    Plans longer than the cap are compressed, so the adapter learns to plan within any cap instead of
    cutting a long template off before its final task.
    """
    default = GenerationConfig.max_tasks
    return default if rng.random() < 0.4 else rng.randint(1, 8)


def generate(kb: KnowledgeBase, programs: dict[str, Program], combo: Combination, rng: random.Random,
             reserved_names: set[str] = frozenset()) -> Decomposition | None:
    """One decomposition of this combination: a plan, a voice and, sometimes, a named final function."""
    named = combo.family.kind in NAMED_KINDS and rng.random() < 0.35
    made = plan(kb, programs, combo, rng, named=named)
    if made is None:
        return None
    planned, ctx = made
    max_tasks = task_cap(rng)
    if len(planned) > max_tasks:
        planned = compress(planned, max_tasks)
    signature = None
    if named:
        name = _signature_name(combo, rng, set(reserved_names))
        args = [combo.modality.data, "fs"] + (["anchors"] if combo.family.id == "indoor_localisation" else [])
        signature = f"{name}({', '.join(args)})"
        last = planned[-1].task
        steps = ", ".join(f"`{p.task.title.lower()}`" for p in planned[:-1])
        calls = (f" This task implements `{signature}`: it calls the earlier steps ({steps}) in order and returns "
                 f"{combo.family.result}." if steps else f" This task implements `{signature}` and returns "
                 f"{combo.family.result}.")
        final = last.model_copy(update={
            "title": f"Implement {name}"[:100],
            "description": _shorten((_shorten(last.description, max(0, 599 - len(calls)), clauses=True).rstrip(".;, ") + "."
                                     + calls).strip(), 600),
            "inputs": args, "outputs": [combo.family.result]})
        planned[-1] = PlannedTask(task=final, stage=planned[-1].stage, technique=planned[-1].technique,
                                  parts=planned[-1].programs())
    voice = rng.choice(VOICES)
    requirement = requirement_text(combo, ctx, voice, rng, signature)
    band_centre = (ctx["lo_value"] + ctx["hi_value"]) / 2 or ctx["fs_value"] / 10  # the demo signal's frequency
    decomposition = Decomposition(requirement=requirement, combination=combo, voice=voice, max_tasks=max_tasks,
                                  planned=tuple(planned), named_function=signature,
                                  facts={"fs": ctx["fs"], "win": ctx["win"], "fs_value": ctx["fs_value"],
                                         "f0": float(num(band_centre))})
    decomposition.validate()
    return decomposition


# ------------------------------------------------------------------ one-utility requirements

def _third_person(sentence: str) -> str:
    """'Compute the CRC of x.' -> 'computes the CRC of x.': the target as what the function does."""
    verb, _, rest = sentence.partition(" ")
    verb = verb.lower()
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        verb = verb[:-1] + "ies"
    elif verb.endswith(("s", "sh", "ch", "x", "z")):
        verb += "es"
    else:
        verb += "s"
    return f"{verb} {rest}".strip()


def _technique_title(target: str) -> str:
    """The target's first clause as a task title: 'Compute the CRC-16/CCITT of the bytes data'."""
    head = re.split(r"\s\(|:|;|, (?:then|and|so|where|returning)\b|\.\s", target, maxsplit=1)[0].rstrip(". ")
    return _shorten(head, 90)


_UTILITY_VOICES = (
    "{context} Write {signature} that {does}",
    "{context} {target} Implement it as {signature}, returning {returns}.",
    "{signature}: {target_lower}",
    "{context} I need a Python function {signature}. {target}{edge}",
    "For our IoT device: {target_lower} The function should be {signature} and return {returns}.{edge}",
)


@dataclass(frozen=True)
class UtilityDecomposition:
    """A requirement for one IoT utility (a checksum, a frame parser, a quantiser, one filter) and its short plan.

    The knowledge base's plans are all sensor pipelines (clean, filter, window, ...); without these a
    tuned planner forces that template onto a request for a protocol frame or a weight quantiser.
    """

    requirement: str
    signature: str
    program: str
    category: str
    voice: int
    max_tasks: int
    tasks: tuple[Task, ...]

    def answer(self) -> dict:
        return {"tasks": [t.model_dump(include={"title", "description", "inputs", "outputs"}) for t in self.tasks]}

    def messages(self) -> list[dict]:
        prompt = list(decompose_messages(self.requirement, self.max_tasks))
        return prompt + [{"role": "assistant", "content": json.dumps(self.answer())}]

    def validate(self) -> None:
        jsonschema.validate(self.answer(), decompose_schema(self.max_tasks))


def utility_decomposition(program: Program, rng: random.Random, reserved_names: set[str] = frozenset()
                          ) -> UtilityDecomposition | None:
    """One requirement naming a function for `program`'s technique, planned as the technique, then the function.

    Under a cap of 1 the one task does both. None when every function name the program offers is reserved
    (a benchmark entry point).
    """
    names = [n for n in program.names if n not in reserved_names]
    if not names:
        return None
    values = rng.choice(program.all_variants() or [{}])
    func = rng.choice(names)
    data = rng.choice([n for n in program.data_names if n != func] or ["data"])
    instance = instantiate(program, values, func=func, x=data, out=rng.choice(program.out_names))
    inputs = [p.name for p in instance.inputs][:6]
    outputs = [p.name for p in instance.outputs][:4]
    signature = f"{func}({', '.join(inputs)})"
    target = instance.target.strip()
    edges = [f"{p.name}: {p.description}" for p in instance.inputs if p.description]
    edge = f" Inputs: {'; '.join(edges)}." if edges and rng.random() < 0.5 else ""
    returns = ", ".join(f"{p.name} ({p.type})" for p in instance.outputs)
    voice = rng.randrange(len(_UTILITY_VOICES))
    requirement = _UTILITY_VOICES[voice].format(
        context=context(program, rng.randrange(len(program.contexts)), values), signature=signature,
        does=_third_person(target), target=target, target_lower=_lower_first(target), returns=returns, edge=edge)
    checks = "; ".join(f"{p.name} ({p.type}): {p.description}" for p in instance.inputs)
    final_text = (f"Implement `{signature}` as the requirement states it: check the inputs ({checks}) and raise "
                  f"ValueError on invalid ones, then ")
    max_tasks = task_cap(rng)
    if max_tasks == 1:
        tasks = [Task(id=1, title=f"Implement {func}"[:100],
                      description=_shorten(final_text + _lower_first(target), 600), inputs=inputs, outputs=outputs)]
    else:
        core = Task(id=1, title=cap_first(_technique_title(target)), description=_shorten(target, 600),
                    inputs=inputs, outputs=outputs)
        final = Task(id=2, title=f"Implement {func}"[:100],
                     description=_shorten(final_text + f"call step 1 and return {', '.join(outputs)}.", 600),
                     inputs=inputs, outputs=outputs)
        tasks = [core, final]
    made = UtilityDecomposition(requirement=re.sub(r"\s+", " ", requirement).strip(), signature=signature,
                                program=program.id,
                                category=program.category, voice=voice, max_tasks=max_tasks, tasks=tuple(tasks))
    made.validate()
    return made
