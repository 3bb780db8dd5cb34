"""End to end with the REAL 0.5B model from the PyPI parts: requirement -> notebook, through the CLI."""

from __future__ import annotations

import ast

import nbformat
import pytest

from jupyter_iotcoder import cli
from jupyter_iotcoder.known_answers import SIGNALS, check_source, known_answer
from jupyter_iotcoder.requirement import find_required_signature
from jupyter_iotcoder.sandbox import run_cells

pytestmark = pytest.mark.real_model

REQUIREMENT = ("Smooth a 3-axis accelerometer signal sampled at 50 Hz and count the steps; "
               "write count_steps(acc, fs) that returns the number of steps.")


def test_cli_generates_a_notebook_with_the_real_model(tmp_path, capsys):
    out = tmp_path / "steps.ipynb"
    code = cli.main(["generate", REQUIREMENT, "-o", str(out), "--max-tasks", "2", "--code-attempts", "2", "--repair-attempts", "1",
                     "--device", "cuda"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "running on CPU" in err, "a CUDA request without a GPU falls back with a message"

    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    meta = [c.metadata["iotcoder"] for c in nb.cells]
    run_ids = {m["run_id"] for m in meta}
    assert len(run_ids) == 1
    assert meta[0]["kind"] == "plan"
    tasks = meta[0]["stage_outputs"]["tasks"]["tasks"]
    assert 1 <= len(tasks) <= 2
    task_cells = nb.cells[1: 1 + 2 * len(tasks)]
    assert [c.cell_type for c in task_cells] == ["markdown", "code"] * len(tasks)
    assert [m["step"] for m in meta[1: 1 + 2 * len(tasks)]] == [i for i in range(1, len(tasks) + 1) for _ in (0, 1)]
    for cell in task_cells:
        if cell.cell_type == "code":
            ast.parse(cell.source)
            spec = cell.metadata["iotcoder"]["stage_outputs"]["spec"]
            module = cell.metadata["iotcoder"]["stage_outputs"]["module"]
            assert f"def {spec['signature']['function_name']}(" in cell.source or module["problems"]
        else:
            assert "**Target**" in cell.source and "**Input Specification**" in cell.source
    final_spec = task_cells[-1].metadata["iotcoder"]["stage_outputs"]["spec"]
    assert final_spec["signature"]["function_name"] == "count_steps"
    assert final_spec["signature"]["parameters"] == ["acc", "fs"]
    # the user's function was written twice more from the whole requirement (a plain and a code prompt) and compared
    final_module = task_cells[-1].metadata["iotcoder"]["stage_outputs"]["module"]
    summary = final_module["attempt_log"][-1]
    assert [c["origin"] for c in summary["selection"]] == ["pipeline", "plain prompt", "whole requirement"]
    if summary["chosen"] and final_module["validation"] == "passed":  # an alternative won: the markdown says why
        assert any(note in task_cells[-2].source for note in ("Cross-checked", "Rewritten", "kept on the tie"))
    elif summary["chosen"]:  # none passed: the one that got furthest, and the markdown says to check it
        assert "passed validation" in task_cells[-2].source and "check it before use" in task_cells[-2].source
    assert "Notebook written to" in err
    if final_module["validation"] == "passed":  # then it got the known answer: steps counted on a synthetic walk
        answer = known_answer(REQUIREMENT, find_required_signature(REQUIREMENT))
        harness = (f"import numpy as _np\n{SIGNALS}\n"
                   f"_result = count_steps({', '.join(source for _, source in answer.inputs)})\n{check_source(answer)}")
        ran = run_cells([c.source for c in task_cells if c.cell_type == "code"] + [harness], timeout=60)
        assert ran.cells[-1].ok, ran.cells[-1].error
