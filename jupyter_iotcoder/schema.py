"""Typed objects that flow between the pipeline stages.

requirement -> TaskList -> [TaskSpec] -> [CodeModule] -> PipelineResult -> notebook.
Every object serialises to JSON (`model_dump_json`) so a stage can be replayed
from a fixture.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
# The type of a parameter of the user's signature that neither the user's words nor the model describe.
UNTYPED = "as in the requirement"
_STATED_DTYPE = " as stated"


def with_stated_dtype(type_text: str, dtype: str) -> str:
    """A parameter type that carries the NumPy dtype the user gave it, for validation to check."""
    return f"{type_text}, dtype {dtype}{_STATED_DTYPE}"


def stated_dtype(type_text: str) -> str | None:
    """The NumPy dtype the user gave a parameter (`with_stated_dtype`), or None."""
    found = re.search(rf"\bdtype (\w+){_STATED_DTYPE}\b", type_text)
    return found.group(1) if found else None


class Task(BaseModel):
    """One ordered step of the application, as decomposed by the TDSLM."""

    id: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    inputs: list[str] = Field(default_factory=list, description="data this task consumes")
    outputs: list[str] = Field(default_factory=list, description="data this task produces")


class TaskList(BaseModel):
    requirement: str
    tasks: list[Task] = Field(min_length=1)
    # Set when the model gave no valid plan and the requirement became one step (decompose.one_step_plan).
    fallback_reason: str = ""


class Param(BaseModel):
    """One input or output of a step: `name (type): description`."""

    name: str = Field(pattern=IDENTIFIER)
    type: str = Field(min_length=1)
    description: str = ""
    # The type comes from the user's own words or annotation, not the model's guess: the validator may
    # then treat a step's refusal of inputs built from it as a bug rather than a careful check, and it
    # checks the user's function's outputs only against such types.
    from_requirement: bool = False
    # Python source of an example value the user gave for this input ("e.g. [(0.004, 895.0)]"): the
    # validator calls the function on it instead of a synthetic sample.
    example: str = ""

    def markdown(self) -> str:
        text = f"- `{self.name}` ({self.type})"
        return f"{text}: {self.description}" if self.description else text


class Signature(BaseModel):
    """A function signature; `required` is True when the user's requirement fixed it."""

    function_name: str = Field(pattern=IDENTIFIER)
    parameters: list[str] = Field(default_factory=list, description="parameter source, e.g. 'fs: float = 50.0'")
    returns: str | None = None
    required: bool = False
    is_class: bool = False  # the user asked for a class; `parameters` are its constructor's

    def render(self) -> str:
        if self.is_class:
            return f"class {self.function_name}: def __init__({', '.join(['self', *self.parameters])})"
        ret = f" -> {self.returns}" if self.returns else ""
        return f"def {self.function_name}({', '.join(self.parameters)}){ret}"


class TaskSpec(BaseModel):
    """The RTSLM's structured spec for one task (the published Target / Input / Output format)."""

    task_id: int
    target: str
    signature: Signature
    inputs: list[Param]
    outputs: list[Param]

    @property
    def function_name(self) -> str:
        return self.signature.function_name

    def markdown(self) -> str:
        lines = [f"**Target**: {self.target}", "", f"**Function**: `{self.signature.render()}`", ""]
        lines += ["**Input Specification**:"] + [p.markdown() for p in self.inputs] + [""]
        lines += ["**Output Specification**:"] + [p.markdown() for p in self.outputs]
        return "\n".join(lines)


class CodeModule(BaseModel):
    """The CGSLM's documented Python module for one task."""

    task_id: int
    function_name: str
    code: str
    explanation: str = ""
    attempts: int = 1
    problems: list[str] = Field(default_factory=list, description="issues left after the last attempt")
    validation: str | None = Field(
        default=None, description="passed | inconclusive | failed | skipped (cannot run here) | None (not run)")
    attempt_log: list[dict] = Field(default_factory=list, description="every attempt: problems, validation, time")
    agreement: str = Field(default="", description="what comparing it with other versions on sample inputs showed")
    needs_packages: list[str] = Field(
        default_factory=list, description="pip names of device or protocol libraries it imports that are not installed")
    missing_techniques: list[str] = Field(
        default_factory=list, description="techniques the step names that its code does not carry out; it still runs")

    @field_validator("code")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip("\n") + "\n"


class StageStats(BaseModel):
    """Time and tokens one stage used, summed over its model calls."""

    seconds: float = 0.0
    tokens: int = 0
    calls: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class PipelineResult(BaseModel):
    run_id: str
    requirement: str
    model: str
    adapters: dict[str, str] = Field(default_factory=dict, description="stage -> adapter file used")
    tasks: TaskList
    specs: list[TaskSpec]
    modules: list[CodeModule]
    stats: dict[str, StageStats] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    available_data: list[str] = Field(default_factory=list, description="example datasets the notebook may load")
