"""Curated IoT programs (data/curated/*.yaml): load, check and instantiate them.

A program is a template of a spec (target, inputs, outputs), a documented
module and a test, with `${name}` placeholders (string.Template). Placeholders
are the function name `func`, the data parameter `x`, the returned data `out`
and the program's own parameters listed under `variants`. Instantiating a
program with values gives one candidate training example; the build keeps it
only if its module and test pass in the sandbox.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..schema import Param, Signature, TaskSpec
from .knowledge import parse_entries

NAMES = {"func", "x", "out"}
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CuratedError(ValueError):
    """A curated program file is malformed; the message names the file and program."""


class ParamTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str
    description: str = ""


class Program(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    category: str
    names: list[str] = Field(min_length=1)
    data_names: list[str] = Field(min_length=1)
    out_names: list[str] = Field(min_length=1)
    variants: dict[str, list[str | int | float]] | list[dict[str, str | int | float]] = Field(
        default_factory=dict, description="a grid (name -> values) or an explicit list of value sets")
    target: str
    inputs: list[ParamTemplate] = Field(min_length=1)
    outputs: list[ParamTemplate] = Field(min_length=1)
    contexts: list[str] = Field(min_length=1)
    code: str
    test: str

    @model_validator(mode="after")
    def _placeholders(self):
        if isinstance(self.variants, list):
            if not self.variants or any(set(v) != set(self.variants[0]) for v in self.variants):
                raise ValueError("every explicit variant must set the same parameters")
        known = NAMES | set(self.parameter_names())
        texts = [self.target, self.code, self.test, *self.contexts]
        texts += [p.name + p.type + p.description for p in (*self.inputs, *self.outputs)]
        for text in texts:
            template = Template(text)
            if not template.is_valid():
                raise ValueError(f"invalid ${{}} placeholder in {text[:60]!r}")
            unknown = set(template.get_identifiers()) - known
            if unknown:
                raise ValueError(f"unknown placeholders {sorted(unknown)}; declare them under `variants`")
        for name in (*self.names, *self.data_names, *self.out_names):
            if not IDENT.match(name):
                raise ValueError(f"{name!r} is not a Python identifier")
        if "def ${func}(" not in self.code:
            raise ValueError("the code must define `def ${func}(`")
        if "def check(" not in self.test:
            raise ValueError("the test must define `def check(candidate)`")
        return self

    def parameter_names(self) -> list[str]:
        return sorted(self.variants[0] if isinstance(self.variants, list) else self.variants)

    def default_values(self) -> dict:
        if isinstance(self.variants, list):
            return dict(self.variants[0])
        return {k: v[0] for k, v in self.variants.items()}

    def all_variants(self) -> list[dict]:
        if isinstance(self.variants, list):
            return [dict(v) for v in self.variants]
        keys = sorted(self.variants)
        return [dict(zip(keys, combo)) for combo in itertools.product(*(self.variants[k] for k in keys))]


_ORDINAL = re.compile(r"\b(\d*[023]?)([123])th\b")


def fix_ordinals(text: str) -> str:
    """'2th-order' -> '2nd-order' after filling a '{order}th' template (11th, 12th and 13th stay)."""
    def repl(m):
        if m.group(1).endswith("1"):
            return m.group(0)
        return m.group(1) + m.group(2) + {"1": "st", "2": "nd", "3": "rd"}[m.group(2)]
    return _ORDINAL.sub(repl, text)


def fmt(value) -> str:
    """A value as it appears in code and prose: 4 not 4.0, 2.56 not 2.5600000000000001."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


@dataclass(frozen=True)
class Instance:
    """One filled-in program: spec parts, module code and test."""

    program: str
    category: str
    values: tuple[tuple[str, str], ...]
    function_name: str
    target: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    code: str
    test: str

    def spec(self, task_id: int) -> TaskSpec:
        """The spec in the transform stage's form: the signature lists parameter names, as transform.py builds it."""
        return TaskSpec(task_id=task_id, target=self.target,
                        signature=Signature(function_name=self.function_name,
                                            parameters=[p.name for p in self.inputs]),
                        inputs=list(self.inputs), outputs=list(self.outputs))

    @property
    def execution_key(self) -> tuple[str, str, str]:
        return (self.code, self.test, self.function_name)


def instantiate(program: Program, values: dict | None = None, *, func: str | None = None, x: str | None = None,
                out: str | None = None) -> Instance:
    """Fill the program's templates; missing values take each variant list's first entry."""
    filled = program.default_values() | (values or {})
    subs = {k: fmt(v) for k, v in filled.items()}
    subs |= {"func": func or program.names[0], "x": x or program.data_names[0], "out": out or program.out_names[0]}
    if subs["x"] == subs["func"]:
        raise CuratedError(f"{program.id}: the data name and the function name are both {subs['x']!r}")

    def sub(text: str) -> str:
        return fix_ordinals(Template(text).substitute(subs))

    def params(items):
        return tuple(Param(name=sub(p.name), type=sub(p.type), description=sub(p.description)) for p in items)

    return Instance(program=program.id, category=program.category, values=tuple(sorted(subs.items())),
                    function_name=subs["func"], target=sub(program.target), inputs=params(program.inputs),
                    outputs=params(program.outputs), code=sub(program.code), test=sub(program.test))


def variant_values(program: Program, rng: random.Random, limit: int) -> list[dict]:
    """Up to `limit` distinct parameter combinations, in a seeded random order."""
    grid = program.all_variants()
    rng.shuffle(grid)
    return grid[:limit]


def context(program: Program, index: int, values: dict) -> str:
    text = program.contexts[index % len(program.contexts)]
    return Template(text).safe_substitute({k: fmt(v) for k, v in (program.default_values() | values).items()})


def default_curated_dir() -> Path:
    from ..config import resource_dir

    return resource_dir("data") / "curated"


def load_programs(directory: str | Path | None = None) -> dict[str, Program]:
    """All programs of every YAML file in `directory`; raise CuratedError on the first problem."""
    directory = Path(directory) if directory is not None else default_curated_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CuratedError(f"{directory}: no curated program files (*.yaml)")
    programs: dict[str, Program] = {}
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CuratedError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("programs"), list):
            raise CuratedError(f"{path}: expected a mapping with a list under `programs:`")
        parse_entries(Program, doc["programs"], path, CuratedError, kind="program", out=programs)
    return programs
