"""Notebook building, the run_pipeline wiring cell, and safe output paths."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from pyflakes import checker, messages
from scripted_answers import walking_signal

from jupyter_iotcoder.errors import OutputPathError
from jupyter_iotcoder.notebook import build_notebook, check_output_path, wiring_source, write_notebook
from jupyter_iotcoder.schema import CodeModule, Param, PipelineResult, Signature, Task, TaskList, TaskSpec

FIXTURE = Path(__file__).parent / "fixtures" / "pipeline_result.json"


@pytest.fixture
def result() -> PipelineResult:
    return PipelineResult.model_validate_json(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def nb(result):
    return build_notebook(result)


def kinds(nb) -> list[str]:
    return [cell.metadata["iotcoder"]["kind"] for cell in nb.cells]


def code_of(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def pyflakes_problems(source: str) -> list[str]:
    """pyflakes messages, minus re-imports: every step cell imports what it needs, which is harmless."""
    found = checker.Checker(ast.parse(source), "<notebook>").messages
    return [str(m) for m in found if not isinstance(m, messages.RedefinedWhileUnused)]


def spec(task_id: int, function: str, inputs: list[str], outputs: list[str], doc: str = "") -> TaskSpec:
    return TaskSpec(
        task_id=task_id,
        target=f"target {task_id}",
        signature=Signature(function_name=function, parameters=inputs),
        inputs=[Param(name=n, type="float", description=doc) for n in inputs],
        outputs=[Param(name=n, type="float") for n in outputs],
    )


def wire(specs: list[TaskSpec]) -> tuple[str, list[str], list[str]]:
    """wiring_source for bare specs; only the titles, specs and function names matter to it."""
    steps = []
    for s in specs:
        task = Task(id=s.task_id, title=f"multi-line\ntitle {s.task_id}", description="d")
        steps.append((task, s, CodeModule(task_id=s.task_id, function_name=s.function_name, code="pass")))
    return wiring_source(steps)


def single_task(result: PipelineResult) -> PipelineResult:
    return result.model_copy(
        update={
            "tasks": TaskList(requirement=result.requirement, tasks=result.tasks.tasks[:1]),
            "specs": result.specs[:1],
            "modules": result.modules[:1],
        }
    )


def test_cells_are_plan_then_markdown_and_code_per_task_then_wiring(nb, result):
    n = len(result.tasks.tasks)
    assert len(nb.cells) == 1 + 2 * n + 1
    assert kinds(nb) == ["plan"] + ["task-markdown", "task-code"] * n + ["wiring"]
    assert [c.cell_type for c in nb.cells] == ["markdown"] + ["markdown", "code"] * n + ["code"]


def test_every_cell_carries_iotcoder_metadata(nb, result):
    n = len(result.tasks.tasks)
    for cell in nb.cells:
        meta = cell.metadata["iotcoder"]
        assert set(meta) == {"run_id", "step", "task_id", "kind", "stage_outputs"}
        assert meta["run_id"] == result.run_id
        json.dumps(meta["stage_outputs"])
    plan, wiring = nb.cells[0].metadata["iotcoder"], nb.cells[-1].metadata["iotcoder"]
    assert (plan["step"], plan["task_id"]) == (0, None)
    assert (wiring["step"], wiring["task_id"]) == (n + 1, None)
    assert TaskList.model_validate(plan["stage_outputs"]["tasks"]) == result.tasks
    assert plan["stage_outputs"]["model"] == result.model
    assert plan["stage_outputs"]["adapters"] == result.adapters
    assert set(plan["stage_outputs"]["stats"]) == set(result.stats)


def test_task_cells_hold_their_task_spec_and_module(nb, result):
    for i, task in enumerate(result.tasks.tasks, start=1):
        for cell in nb.cells[2 * i - 1 : 2 * i + 1]:
            meta = cell.metadata["iotcoder"]
            assert (meta["step"], meta["task_id"]) == (i, task.id)
            stored = meta["stage_outputs"]
            assert Task.model_validate(stored["task"]) == task
            assert TaskSpec.model_validate(stored["spec"]) == result.specs[i - 1]
            assert CodeModule.model_validate(stored["module"]) == result.modules[i - 1]


def test_steps_are_numbered_in_task_order(nb, result):
    headings = [c.source.splitlines()[0] for c in nb.cells if c.metadata["iotcoder"]["kind"] == "task-markdown"]
    assert headings == [f"## Step {i}: {t.title}" for i, t in enumerate(result.tasks.tasks, start=1)]


def test_tasks_are_matched_to_specs_and_modules_by_id(result):
    shuffled = result.model_copy(update={"specs": result.specs[::-1], "modules": result.modules[::-1]})
    assert code_of(build_notebook(shuffled)) == code_of(build_notebook(result))


def test_missing_module_for_a_task_is_reported(result):
    with pytest.raises(ValueError, match=r"task\(s\) \[3\]"):
        build_notebook(result.model_copy(update={"modules": result.modules[:2]}))


def test_plan_cell_shows_requirement_plan_model_adapters_and_review_note(nb, result):
    plan = nb.cells[0].source
    assert plan.startswith("# ")
    for line in result.requirement.splitlines():
        assert f"> {line}" in plan
    for i, task in enumerate(result.tasks.tasks, start=1):
        assert f"{i}. **{task.title}**: {task.description}" in plan
    assert result.model in plan
    assert all(adapter in plan for adapter in result.adapters.values())
    assert "review" in plan.lower()


def test_spec_text_and_explanation_appear_in_task_markdown(nb, result):
    markdown = [c.source for c in nb.cells if c.metadata["iotcoder"]["kind"] == "task-markdown"]
    for text, task, task_spec, module in zip(markdown, result.tasks.tasks, result.specs, result.modules):
        assert task.description in text
        assert task_spec.markdown() in text
        assert module.explanation in text
        assert "**Consumes**: " + ", ".join(f"`{n}`" for n in task.inputs) in text
        assert "Warning" not in text


def test_code_cells_hold_the_module_code(nb, result):
    code = [c.source for c in nb.cells if c.metadata["iotcoder"]["kind"] == "task-code"]
    assert [c + "\n" for c in code] == [m.code for m in result.modules]


def test_module_problems_produce_a_visible_warning(result):
    problems = ["NameError: name 'butter' is not defined", "returned shape (10, 1), expected (10,)"]
    flawed = result.modules[1].model_copy(update={"problems": problems, "attempts": 3})
    nb = build_notebook(result.model_copy(update={"modules": [result.modules[0], flawed, result.modules[2]]}))
    text = nb.cells[3].source
    warning = next(line for line in text.splitlines() if "Warning" in line)
    assert warning.startswith("> ⚠️ **Warning")
    assert "3 attempt(s)" in warning
    for problem in problems:
        assert f"> - {problem}" in text
    assert "Warning" not in nb.cells[1].source + nb.cells[5].source


def test_notebook_metadata_names_kernel_language_and_run(nb, result):
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    assert nb.metadata.iotcoder == {"run_id": result.run_id, "model": result.model, "requirement": result.requirement}


def test_notebook_validates(nb, result):
    nbformat.validate(nb)
    nbformat.validate(build_notebook(single_task(result)))


def test_wiring_cell_parses_and_is_pyflakes_clean_with_step_cells(nb):
    wiring = nb.cells[-1].source
    tree = ast.parse(wiring)
    assert [node.name for node in tree.body] == ["run_pipeline"]
    assert pyflakes_problems(code_of(nb)) == []


def test_wiring_cell_chains_steps_and_takes_unbound_inputs_as_parameters(nb):
    wiring = nb.cells[-1].source
    assert wiring.startswith("def run_pipeline(acc, fs):")
    assert "magnitude = acceleration_magnitude(acc)" in wiring
    assert "smoothed = smooth_signal(magnitude, fs)" in wiring
    assert "step_count, step_times = count_steps(smoothed, fs)" in wiring
    assert wiring.rstrip().endswith("return step_count, step_times")
    assert ast.get_docstring(ast.parse(wiring).body[0]).count("fs (float)") == 1


def test_code_cells_run_and_run_pipeline_counts_steps(nb):
    namespace: dict = {"__name__": "generated_notebook"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<cell {cell.metadata['iotcoder']['step']}>", "exec"), namespace)
    step_count, step_times = namespace["run_pipeline"](walking_signal(cadence_hz=2.0), 50.0)
    assert 18 <= step_count <= 21
    assert len(step_times) == step_count
    assert np.allclose(np.diff(step_times), 0.5, atol=0.1)


def test_single_task_result_has_no_wiring_cell(result):
    nb = build_notebook(single_task(result))
    assert kinds(nb) == ["plan", "task-markdown", "task-code"]


def test_wiring_handles_no_outputs_keywords_shadowing_and_quotes_in_docs():
    doc = 'ends with a quote" and has """triple quotes""" and a \\ backslash'
    source, params, returns = wire(
        [
            spec(1, "read", ["port", "lambda"], ["read"], doc),
            spec(2, "log", ["read", "port"], [], doc),
            spec(3, "scale", ["read", "gain"], ["out", "err"], doc),
        ]
    )
    assert params == ["port", "lambda_", "gain"]
    assert returns == ["out", "err"]
    stubs = "def read(p, l):\n    return p + l\n\ndef log(r, p):\n    pass\n\ndef scale(r, g):\n    return r * g, 0.0\n"
    assert pyflakes_problems(stubs + "\n" + source) == []
    namespace: dict = {}
    exec(stubs + "\n" + source, namespace)
    assert namespace["run_pipeline"](1.0, 2.0, 10.0) == (30.0, 0.0)
    assert doc in namespace["run_pipeline"].__doc__


def test_wiring_with_last_step_without_outputs_returns_none():
    source, params, returns = wire([spec(1, "make", ["x"], ["y"]), spec(2, "show", ["y"], [])])
    namespace: dict = {}
    exec("def make(x):\n    return x + 1\n\nshown = []\ndef show(y):\n    shown.append(y)\n\n" + source, namespace)
    assert (params, returns) == (["x"], [])
    assert namespace["run_pipeline"](1) is None
    assert namespace["shown"] == [2]


def test_check_output_path_returns_resolved_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check_output_path("out.ipynb") == tmp_path.resolve() / "out.ipynb"


def test_check_output_path_refuses_existing_file_without_force(tmp_path):
    target = tmp_path / "out.ipynb"
    target.write_text("{}")
    with pytest.raises(OutputPathError, match="exists; pass --force"):
        check_output_path(target)


def test_check_output_path_accepts_existing_file_with_force(tmp_path):
    target = tmp_path / "out.ipynb"
    target.write_text("{}")
    assert check_output_path(target, force=True) == target.resolve()


def test_check_output_path_refuses_missing_parent_directory(tmp_path):
    with pytest.raises(OutputPathError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "out.ipynb")


def test_check_output_path_refuses_suffix_other_than_ipynb(tmp_path):
    with pytest.raises(OutputPathError, match=r"\.ipynb"):
        check_output_path(tmp_path / "out.py")


def test_check_output_path_refuses_a_directory_even_with_force(tmp_path):
    folder = tmp_path / "notebook.ipynb"
    folder.mkdir()
    with pytest.raises(OutputPathError, match="is a directory"):
        check_output_path(folder, force=True)


def test_check_output_path_refuses_parent_that_is_a_regular_file(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(OutputPathError, match="not a directory"):
        check_output_path(not_a_dir / "out.ipynb")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_check_output_path_refuses_unwritable_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            check_output_path(locked / "out.ipynb")
    finally:
        locked.chmod(0o700)


def test_write_notebook_writes_a_readable_notebook(nb, tmp_path):
    target = write_notebook(nb, tmp_path / "out.ipynb")
    assert target == (tmp_path / "out.ipynb").resolve()
    again = nbformat.read(target, as_version=4)
    nbformat.validate(again)
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert os.listdir(tmp_path) == ["out.ipynb"]


def test_write_notebook_refuses_existing_file_unless_forced(nb, tmp_path):
    target = tmp_path / "out.ipynb"
    target.write_text("keep me")
    with pytest.raises(OutputPathError, match="--force"):
        write_notebook(nb, target)
    assert target.read_text() == "keep me"
    write_notebook(nb, target, force=True)
    assert nbformat.read(target, as_version=4).metadata.iotcoder["run_id"] == nb.metadata.iotcoder["run_id"]


def test_write_notebook_leaves_nothing_when_serialising_fails(nb, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("serialiser crashed")

    monkeypatch.setattr(nbformat, "write", boom)
    with pytest.raises(RuntimeError, match="serialiser crashed"):
        write_notebook(nb, tmp_path / "out.ipynb")
    assert os.listdir(tmp_path) == []


def test_write_notebook_keeps_old_file_and_no_temp_when_replace_fails(nb, tmp_path, monkeypatch):
    target = tmp_path / "out.ipynb"
    target.write_text("old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputPathError, match="nothing was written"):
        write_notebook(nb, target, force=True)
    assert os.listdir(tmp_path) == ["out.ipynb"]
    assert target.read_text() == "old"


def test_write_notebook_leaves_no_file_when_replace_fails_on_a_new_path(nb, tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputPathError):
        write_notebook(nb, tmp_path / "out.ipynb")
    assert os.listdir(tmp_path) == []


def heart_rate_result(available_data: list[str]) -> PipelineResult:
    task = Task(id=1, title="Estimate the heart rate", description="Peaks of the PPG.", inputs=["ppg", "fs"],
                outputs=["bpm"])
    spec = TaskSpec(task_id=1, target="Heart rate from a PPG.",
                    signature=Signature(function_name="estimate_heart_rate", parameters=["ppg", "fs", "min_bpm=40.0"],
                                        required=True),
                    inputs=[Param(name="ppg", type="np.ndarray"), Param(name="fs", type="float, Hz"),
                            Param(name="min_bpm", type="float")],
                    outputs=[Param(name="bpm", type="float")])
    code = ("import numpy as np\nfrom scipy.signal import find_peaks\n\n\n"
            "def estimate_heart_rate(ppg, fs, min_bpm=40.0):\n    x = np.asarray(ppg, dtype=float)\n"
            "    peaks, _ = find_peaks(x - x.mean(), distance=int(0.33 * fs))\n"
            "    return 60.0 * len(peaks) / (len(x) / fs)\n")
    return PipelineResult(run_id="r1", requirement="Write estimate_heart_rate(ppg, fs, min_bpm=40.0).", model="m",
                          tasks=TaskList(requirement="r", tasks=[task]), specs=[spec],
                          modules=[CodeModule(task_id=1, function_name="estimate_heart_rate", code=code)],
                          available_data=available_data)


def test_a_notebook_for_chosen_example_data_ends_with_a_cell_that_runs_on_it():
    nb = build_notebook(heart_rate_result(["basic_motions", "ppg"]))
    assert kinds(nb) == ["plan", "task-markdown", "task-code", "example-run"]
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)
    assert "load_ppg()" in nb.cells[-1].source and "min_bpm" not in nb.cells[-1].source
    assert nb.cells[-1].metadata["iotcoder"]["step"] == 2  # numbered right after the one step
    assert 40 < namespace["result"] < 180


def test_no_example_cell_without_chosen_data_or_when_the_data_lacks_an_input(result):
    assert "example-run" not in kinds(build_notebook(heart_rate_result([])))
    assert "example-run" not in kinds(build_notebook(heart_rate_result(["basic_motions"])))
    assert "example-run" not in kinds(build_notebook(result.model_copy(update={"available_data": ["ppg"]})))


def test_a_step_lacking_the_named_technique_says_so_above_its_spec():
    result = heart_rate_result([])
    module = result.modules[0].model_copy(update={"missing_techniques": [
        "the step asks for zero-phase filtering, but the code filters in one direction only"]})
    nb = build_notebook(result.model_copy(update={"modules": [module]}))
    markdown = nb.cells[1].source
    assert "may not do what was asked" in markdown and "zero-phase filtering" in markdown
    assert markdown.index("zero-phase") < markdown.index("**Target**")


def test_a_step_that_needs_a_device_library_gives_the_pip_command_and_says_it_was_not_run():
    result = heart_rate_result([])
    module = result.modules[0].model_copy(update={"needs_packages": ["paho-mqtt"], "validation": "skipped"})
    markdown = build_notebook(result.model_copy(update={"modules": [module]})).cells[1].source
    assert "`pip install paho-mqtt`" in markdown and "not run on sample inputs" in markdown
