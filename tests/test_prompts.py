"""Prompt templates and JSON schemas under prompts/, and strict filling (jupyter_iotcoder.prompts)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from jupyter_iotcoder import prompts
from jupyter_iotcoder.bench.humaneval import answer_problem, load_problems
from jupyter_iotcoder.config import GenerationConfig, resource_dir
from jupyter_iotcoder.decompose import decompose_schema
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.prompts import PromptError, fill, placeholders
from scripted_answers import CODE_2, IO_2, PLAN, REQUIREMENT, TARGET_2, full_run

from conftest import ScriptedRuntime

PROMPTS = resource_dir("prompts")
TEMPLATES = sorted(p.name for p in PROMPTS.glob("*.md"))
SCHEMAS = sorted(p.name for p in PROMPTS.glob("*.schema.json"))


def test_fill_raises_prompt_error_on_missing_variable():
    with pytest.raises(PromptError, match="missing \\['b'\\]"):
        fill("{a} and {b}", a="x")


def test_fill_raises_prompt_error_on_unused_variable():
    with pytest.raises(PromptError, match="unused \\['c'\\]"):
        fill("{a}", a="x", c="y")


def test_fill_inserts_braces_in_a_value_literally():
    requirement = 'Parse {x} packets like {"t": 1, "v": [2, 3]} and {b}'
    assert fill("<r>{requirement}</r>", requirement=requirement) == f"<r>{requirement}</r>"


def test_fill_does_not_reinterpret_a_placeholder_produced_by_an_earlier_value():
    # `{b}` inside a's value must stay as it is, even though b is a variable of the template.
    assert fill("{a}|{b}", a="{b}", b="B") == "{b}|B"


def test_fill_replaces_every_occurrence_of_a_placeholder():
    assert fill("{a}-{a}", a="1") == "1-1"


def test_placeholders_ignores_json_braces_and_upper_case():
    assert placeholders('{"key": 1} {Name} {name} {snake_case_2}') == {"name", "snake_case_2"}


def test_prompts_folder_has_the_templates_the_stages_use():
    assert {"decompose.system.md", "decompose.user.md", "target.system.md", "target.user.md", "io.system.md",
            "io.user.md", "codegen.system.md", "codegen.user.md", "codegen.retry.md"} <= set(TEMPLATES)


def test_every_template_is_filled_by_the_stages_with_exactly_its_placeholders(monkeypatch):
    """A pipeline run with example data, a codegen retry and a repair, plus a HumanEval question, renders every
    template; fill() raises on a mismatch."""
    rendered: list[str] = []
    original = prompts.load_text

    def recording_load_text(name: str) -> str:
        rendered.append(name)
        return original(name)

    monkeypatch.setattr(prompts, "load_text", recording_load_text)
    # The first code answer does not parse and the second fails on sample inputs: both are repaired (codegen.repair.md).
    answers = full_run()
    answers.insert(5, "```python\ndef acceleration_magnitude(acc:\n```")
    answers.insert(6, "```python\nimport numpy as np\n\ndef acceleration_magnitude(acc):\n    return np.asarray(acc) + 'x'\n```")
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(available_data=("basic_motions",)))
    # A one-task plan for the user's function renders codegen.user_whole.md; without validation, code that does
    # not parse is written again (codegen.retry.md).
    one_task = {"tasks": [dict(PLAN["tasks"][1], inputs=["acc", "fs"])]}
    whole = CODE_2.replace("magnitude = acceleration_magnitude(acc)",
                           "magnitude = np.abs(np.asarray(acc, dtype=float)).reshape(len(acc), -1).sum(1)")
    runtime.enqueue(one_task, TARGET_2, IO_2, "```python\ndef step_count(acc:\n```", whole)
    generate(REQUIREMENT, runtime, GenerationConfig(max_tasks=1, alternatives=0, validate=False))
    problem = load_problems(limit=1)[0]
    answer_problem(problem, runtime.enqueue("```python\n" + problem["prompt"] + "    return False\n```"), None, 0, 0.2)

    assert result.modules[0].attempts == 3
    assert set(TEMPLATES) <= set(rendered)
    variables = set().union(*(placeholders(prompts.load_text(name)) for name in TEMPLATES))
    for request in runtime.history:
        for message in request.messages:
            assert not placeholders(message["content"]) & variables, message["content"]


def test_every_schema_file_is_a_valid_json_schema():
    assert SCHEMAS, "no *.schema.json under prompts/"
    for name in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(json.loads((PROMPTS / name).read_text(encoding="utf-8")))


def test_decompose_schema_with_max_tasks_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(decompose_schema(GenerationConfig().max_tasks))


def test_decompose_example_answer_validates_against_decompose_schema():
    example = json.loads((PROMPTS / "decompose.example.json").read_text(encoding="utf-8"))
    schema = json.loads((PROMPTS / "decompose.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(example["answer"], schema)
    jsonschema.validate(example["answer"], decompose_schema(GenerationConfig().max_tasks))


def test_decompose_schema_rejects_an_answer_with_too_many_tasks():
    example = json.loads((PROMPTS / "decompose.example.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(example["answer"], decompose_schema(len(example["answer"]["tasks"]) - 1))

