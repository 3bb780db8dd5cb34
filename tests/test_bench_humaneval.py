"""HumanEval regression check: answers become programs, run sandboxed against each problem's own check."""

from __future__ import annotations

import json

from jupyter_iotcoder.bench.humaneval import humaneval_report, load_problems, program_for, run_humaneval

from conftest import ScriptedRuntime

PROBLEMS = load_problems(limit=2)


def test_the_package_ships_all_164_problems():
    assert len(load_problems()) == 164


def test_a_body_only_answer_is_appended_to_the_prompt():
    problem = PROBLEMS[0]
    program = program_for(problem, "```python\n" + problem["canonical_solution"] + "```")
    assert program.startswith(problem["prompt"])


def test_a_whole_function_answer_keeps_the_prompts_imports():
    problem = PROBLEMS[0]
    answer = "```python\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    return False\n```"
    program = program_for(problem, answer)
    assert program.startswith("from typing import List\n") and program.count("def has_close_elements") == 1


def test_right_answers_pass_wrong_ones_fail_and_lora_is_skipped_without_an_adapter(tmp_path):
    right = "```python\n" + PROBLEMS[0]["prompt"] + PROBLEMS[0]["canonical_solution"] + "```"
    wrong = "```python\ndef separate_paren_groups(paren_string):\n    return []\n```"
    runtime = ScriptedRuntime([right, wrong])
    path = run_humaneval(runtime, "scripted", ["base", "base+lora"], tmp_path, limit=2, progress=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["config"], r["passed"]) for r in rows] == [("base", True), ("base", False)]
    assert "| base | 2 | 0.500 |" in humaneval_report(path, "scripted")


def test_adapter_answers_are_cached_per_adapter_files_and_reported_only_for_the_current_ones(tmp_path):
    right = "```python\n" + PROBLEMS[0]["prompt"] + PROBLEMS[0]["canonical_solution"] + "```"
    runtime = ScriptedRuntime([right, right], adapters={"codegen": "codegen.gguf"})
    path = run_humaneval(runtime, "scripted", ["base+lora"], tmp_path, limit=1, progress=False, adapters_id="old")
    assert "| base+lora | 1 | 1.000 |" in humaneval_report(path, "scripted", "old")
    assert "base+lora" not in humaneval_report(path, "scripted", "new")
    run_humaneval(runtime, "scripted", ["base+lora"], tmp_path, limit=1, progress=False, adapters_id="new")
    assert len(path.read_text().splitlines()) == 2  # the retrained adapter answered again
    run_humaneval(runtime, "scripted", ["base+lora"], tmp_path, limit=1, progress=False, adapters_id="new")
    assert len(path.read_text().splitlines()) == 2  # and is cached from then on
