"""The IoT knowledge base (data/knowledge/*.yaml): load, validate, and decide which combinations are valid.

The knowledge base is data reviewed by people, not code. This module only
checks it (every id it refers to exists, every rule is well formed) and applies
its rules: a (family, modality, representation, platform) combination is valid
when no rule excludes it. A malformed file raises KnowledgeError naming the
file and the entry.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FILES = ("families", "modalities", "representations", "platforms", "techniques", "rules")
STAGES = ("clean", "filter", "segment", "represent", "features", "model", "estimate", "detect_beats", "ranging",
          "position", "track", "deploy")
PLATFORM_CLASSES = ("mcu", "edge", "edge_gpu", "server", "cloud")


class KnowledgeError(ValueError):
    """The knowledge base is malformed; the message names the file and entry to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    id: str
    name: str
    senses: list[str] = Field(min_length=1)
    kind: Literal["classify", "detect", "estimate", "localise"]
    goals: list[str] = Field(min_length=1)
    result: str
    classes: list[str] = Field(default_factory=list)
    band: tuple[float, float]
    windows_s: list[float] = Field(min_length=1)
    pipeline: list[str] = Field(min_length=3)

    @model_validator(mode="after")
    def _known_stages(self):
        unknown = [s for s in self.pipeline if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown pipeline stages {unknown}; known: {list(STAGES)}")
        if self.band[0] > self.band[1]:
            raise ValueError(f"band {self.band} is reversed")
        return self


class Modality(_Strict):
    id: str
    name: str
    aliases: list[str] = Field(min_length=1)
    senses: list[str] = Field(min_length=1)
    data: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    shape: str
    units: str
    demo: str = Field(min_length=1, description="a NumPy expression of synthetic data (names: t, f0, rng, anchors)")
    rates: list[float] = Field(min_length=1)
    placements: list[str] = Field(min_length=1)
    representations: list[str] = Field(min_length=1)


class Representation(_Strict):
    id: str
    name: str


class Platform(_Strict):
    id: str
    name: str
    class_: Literal["mcu", "edge", "edge_gpu", "server", "cloud"] = Field(alias="class")
    ram_kb: int = Field(gt=0)
    flash_kb: int = Field(gt=0)
    aliases: list[str] = Field(min_length=1)


class Applies(_Strict):
    """A technique applies where every given list contains the combination's value."""

    modalities: list[str] | None = None
    families: list[str] | None = None
    kinds: list[str] | None = None
    representations: list[str] | None = None
    platform_classes: list[str] | None = None


class ProgramLink(_Strict):
    id: str
    map: dict[str, str | int | float] = Field(default_factory=dict)


class Technique(_Strict):
    id: str
    stage: str
    applies: Applies = Field(default_factory=Applies)
    titles: list[str] = Field(min_length=1)
    text: list[str] = Field(min_length=1)
    params: dict[str, list[str | int | float]] = Field(default_factory=dict)
    produces: str
    input_from: list[str] = Field(default_factory=list, description="earlier stages whose output it consumes")
    program: ProgramLink | None = None

    @model_validator(mode="after")
    def _known_stage(self):
        unknown = [s for s in [self.stage, *self.input_from] if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown stages {unknown}; known: {list(STAGES)}")
        return self


RuleField = Literal["family", "modality", "representation", "platform", "platform_class"]


class Rule(_Strict):
    id: str
    kind: Literal["senses", "representation", "exclude", "require"]
    when: dict[RuleField, list[str]] = Field(default_factory=dict)
    require: dict[RuleField, list[str]] = Field(default_factory=dict)
    reason: str = Field(min_length=5)

    @model_validator(mode="after")
    def _shape(self):
        if self.kind in ("exclude", "require") and not self.when:
            raise ValueError(f"a {self.kind!r} rule needs `when`")
        if self.kind == "require" and not self.require:
            raise ValueError("a 'require' rule needs `require`")
        return self


@dataclass(frozen=True)
class Combination:
    family: Family
    modality: Modality
    representation: Representation
    platform: Platform

    def field(self, name: str) -> str:
        if name == "platform_class":
            return self.platform.class_
        return getattr(self, name).id

    @property
    def key(self) -> str:
        return f"{self.family.id}/{self.modality.id}/{self.representation.id}/{self.platform.id}"


@dataclass(frozen=True)
class Exclusion:
    combination: Combination
    rule: str
    reason: str


@dataclass(frozen=True)
class KnowledgeBase:
    families: dict[str, Family]
    modalities: dict[str, Modality]
    representations: dict[str, Representation]
    platforms: dict[str, Platform]
    techniques: dict[str, Technique]
    rules: list[Rule]
    source: Path

    def violated_rule(self, combo: Combination) -> Rule | None:
        """The first rule the combination breaks, or None when it is valid."""
        for rule in self.rules:
            if rule.kind == "senses":
                if not set(combo.modality.senses) & set(combo.family.senses):
                    return rule
            elif rule.kind == "representation":
                if combo.representation.id not in combo.modality.representations:
                    return rule
            elif all(combo.field(f) in values for f, values in rule.when.items()):
                if rule.kind == "exclude":
                    return rule
                if not all(combo.field(f) in values for f, values in rule.require.items()):
                    return rule
        return None

    def all_combinations(self) -> list[Combination]:
        return [Combination(f, m, r, p) for f, m, r, p in itertools.product(
            self.families.values(), self.modalities.values(), self.representations.values(),
            self.platforms.values())]

    def valid_combinations(self) -> list[Combination]:
        return [c for c in self.all_combinations() if self.violated_rule(c) is None]

    def exclusions(self) -> list[Exclusion]:
        out = []
        for combo in self.all_combinations():
            rule = self.violated_rule(combo)
            if rule is not None:
                out.append(Exclusion(combo, rule.id, rule.reason))
        return out

    def techniques_for(self, stage: str, combo: Combination) -> list[Technique]:
        """Techniques that can fill `stage` for this combination, in file order."""
        values = {"modalities": combo.modality.id, "families": combo.family.id, "kinds": combo.family.kind,
                  "representations": combo.representation.id, "platform_classes": combo.platform.class_}
        found = []
        for tech in self.techniques.values():
            if tech.stage != stage:
                continue
            applies = tech.applies.model_dump()
            if all(applies[k] is None or v in applies[k] for k, v in values.items()):
                found.append(tech)
        return found


def default_knowledge_dir() -> Path:
    from ..config import resource_dir

    return resource_dir("data") / "knowledge"


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        raise KnowledgeError(f"{path}: missing knowledge-base file")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
    key = path.stem
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise KnowledgeError(f"{path}: expected a mapping with a list under `{key}:`")
    return doc[key]


def parse_entries(model: type[BaseModel], items: list, path: Path, error: type[Exception] | None = None,
                  kind: str = "entry", out: dict | None = None) -> dict[str, BaseModel]:
    """Validate each item as `model` into `out` by id; a bad or duplicate entry raises `error` naming file and entry."""
    error = error or KnowledgeError
    out = {} if out is None else out
    for index, item in enumerate(items):
        label = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        try:
            parsed = model.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())
            raise error(f"{path}: {kind} {label!r}: {problems}") from None
        if parsed.id in out:
            raise error(f"{path}: duplicate {'' if kind == 'entry' else kind + ' '}id {parsed.id!r}")
        out[parsed.id] = parsed
    return out


def _check_references(kb: KnowledgeBase, directory: Path) -> None:
    def unknown(values, known, where):
        missing = sorted(set(values) - set(known))
        if missing:
            raise KnowledgeError(f"{where}: unknown ids {missing}")

    senses = {s for m in kb.modalities.values() for s in m.senses}
    for fam in kb.families.values():
        unknown(fam.senses, senses, f"{directory / 'families.yaml'}: family {fam.id!r} senses (no modality senses)")
    for mod in kb.modalities.values():
        unknown(mod.representations, kb.representations, f"{directory / 'modalities.yaml'}: modality {mod.id!r}")
    kinds = {f.kind for f in kb.families.values()}
    for tech in kb.techniques.values():
        where = f"{directory / 'techniques.yaml'}: technique {tech.id!r} applies"
        a = tech.applies
        unknown(a.modalities or [], kb.modalities, where + ".modalities")
        unknown(a.families or [], kb.families, where + ".families")
        unknown(a.kinds or [], kinds, where + ".kinds")
        unknown(a.representations or [], kb.representations, where + ".representations")
        unknown(a.platform_classes or [], PLATFORM_CLASSES, where + ".platform_classes")
    fields = {"family": kb.families, "modality": kb.modalities, "representation": kb.representations,
              "platform": kb.platforms, "platform_class": PLATFORM_CLASSES}
    for rule in kb.rules:
        for part in (rule.when, rule.require):
            for name, values in part.items():
                unknown(values, fields[name], f"{directory / 'rules.yaml'}: rule {rule.id!r} {name}")


def load_knowledge(directory: str | Path | None = None) -> KnowledgeBase:
    """Read and check every knowledge-base file; raise KnowledgeError on the first problem."""
    directory = Path(directory) if directory is not None else default_knowledge_dir()
    parsed = {}
    models = {"families": Family, "modalities": Modality, "representations": Representation,
              "platforms": Platform, "techniques": Technique}
    for name, model in models.items():
        path = directory / f"{name}.yaml"
        parsed[name] = parse_entries(model, _read(path), path)
    rules_path = directory / "rules.yaml"
    rules = list(parse_entries(Rule, _read(rules_path), rules_path).values())
    kb = KnowledgeBase(rules=rules, source=directory, **parsed)
    _check_references(kb, directory)
    return kb
