"""The `iotcoder` command's paths, with a scripted model (the real model is in test_e2e_real_model.py)."""

from __future__ import annotations

import json

import nbformat
import pytest

from jupyter_iotcoder import cli, runtime
from scripted_answers import REQUIREMENT, full_run

from conftest import ScriptedRuntime


@pytest.fixture
def fake_model(monkeypatch):
    """Make the CLI load a scripted runtime instead of llama.cpp; returns it for inspection."""
    scripted = ScriptedRuntime(full_run())
    monkeypatch.setattr(runtime, "load_runtime", lambda *a, **k: scripted)
    return scripted


@pytest.mark.parametrize("flags,expected", [([], "default"), (["--adapters", "all"], "all"),
                                            (["--no-adapters"], "none"), (["--adapters", "none"], "none")])
def test_generate_passes_the_adapter_choice_to_the_runtime(tmp_path, monkeypatch, flags, expected):
    seen = {}

    def load(model, config, **kwargs):
        seen["adapters"] = config.adapters
        return ScriptedRuntime(full_run())

    monkeypatch.setattr(runtime, "load_runtime", load)
    assert cli.main(["generate", REQUIREMENT, "-o", str(tmp_path / "x.ipynb"), *flags]) == 0
    assert seen["adapters"] == expected


def test_generate_writes_notebook_with_cells_per_task(tmp_path, fake_model, capsys):
    out = tmp_path / "steps.ipynb"
    assert cli.main(["generate", REQUIREMENT, "-o", str(out)]) == 0
    nb = nbformat.read(out, as_version=4)
    kinds = [c.metadata["iotcoder"]["kind"] for c in nb.cells]
    assert kinds == ["plan", "task-markdown", "task-code", "task-markdown", "task-code", "wiring"]
    assert "Notebook written to" in capsys.readouterr().err


def test_without_a_terminal_each_stage_message_is_a_line_of_the_log(tmp_path, fake_model, capsys):
    assert cli.main(["generate", REQUIREMENT, "-o", str(tmp_path / "steps.ipynb")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert any(line.endswith("decompose · decomposing the requirement into tasks") for line in lines)
    assert any("codegen · task 2/2 · validating step 2" in line for line in lines)


def test_generate_json_prints_plan_and_code(tmp_path, fake_model, capsys):
    assert cli.main(["generate", REQUIREMENT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["title"] for t in data["tasks"]["tasks"]][1] == "Count the steps"
    assert "def count_steps(acc, fs)" in data["modules"][1]["code"]
    assert not (tmp_path / "iotcoder.ipynb").exists()


def test_requirement_from_file(tmp_path, fake_model):
    req = tmp_path / "req.txt"
    req.write_text(REQUIREMENT)
    out = tmp_path / "o.ipynb"
    assert cli.main(["generate", "--file", str(req), "-o", str(out)]) == 0
    assert nbformat.read(out, as_version=4).metadata["iotcoder"]["requirement"] == REQUIREMENT


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_requirement_fails_before_loading_the_model(tmp_path, fake_model, capsys, text):
    assert cli.main(["generate", text, "-o", str(tmp_path / "x.ipynb")]) == 2
    assert "empty" in capsys.readouterr().err
    assert fake_model.history == []


def test_too_long_requirement_is_refused_with_the_limit(tmp_path, fake_model, capsys):
    assert cli.main(["generate", "sensor data " * 2000, "-o", str(tmp_path / "x.ipynb")]) == 2
    assert "limit is 6000" in capsys.readouterr().err
    assert fake_model.history == []


def test_off_topic_requirement_is_refused(tmp_path, fake_model, capsys):
    assert cli.main(["generate", "Who won the 1998 world cup?", "-o", str(tmp_path / "x.ipynb")]) == 2
    assert "--allow-off-topic" in capsys.readouterr().err


def test_existing_output_is_never_overwritten_without_force(tmp_path, fake_model, capsys):
    out = tmp_path / "mine.ipynb"
    out.write_text("my precious notebook")
    assert cli.main(["generate", REQUIREMENT, "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "my precious notebook"
    assert fake_model.history == [], "refused before spending model time"


def test_force_overwrites_existing_output(tmp_path, fake_model):
    out = tmp_path / "mine.ipynb"
    out.write_text("old")
    assert cli.main(["generate", REQUIREMENT, "-o", str(out), "--force"]) == 0
    assert nbformat.read(out, as_version=4).cells


def test_unwritable_output_path_fails_before_generation(tmp_path, fake_model, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert cli.main(["generate", REQUIREMENT, "-o", str(blocker / "out.ipynb")]) == 2
    assert "afile" in capsys.readouterr().err
    assert fake_model.history == []


def test_missing_model_file_gives_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IOTCODER_MODEL", str(tmp_path / "nowhere.gguf"))
    assert cli.main(["generate", REQUIREMENT, "-o", str(tmp_path / "x.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "nowhere.gguf" in err and "Traceback" not in err
    assert not (tmp_path / "x.ipynb").exists()


def test_corrupt_model_file_gives_clear_error_not_a_crash(tmp_path, capsys):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    assert cli.main(["generate", REQUIREMENT, "--model", str(bad), "-o", str(tmp_path / "x.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "broken.gguf" in err and "GGUF" in err


def test_ctrl_c_during_generation_leaves_no_notebook(tmp_path, monkeypatch, capsys):
    scripted = ScriptedRuntime(full_run()[:3] + [KeyboardInterrupt()])
    monkeypatch.setattr(runtime, "load_runtime", lambda *a, **k: scripted)
    out = tmp_path / "x.ipynb"
    assert cli.main(["generate", REQUIREMENT, "-o", str(out)]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_max_tasks_out_of_range_is_refused(tmp_path, fake_model, capsys):
    assert cli.main(["generate", REQUIREMENT, "--max-tasks", "12", "-o", str(tmp_path / "x.ipynb")]) == 2
    assert "between 1 and 8" in capsys.readouterr().err


def test_models_list_shows_manifest_models(capsys):
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-coder-0.5b" in out and "qwen2.5-coder-1.5b" in out


def test_models_list_says_which_shipped_adapters_are_on_by_default():
    assert cli._adapter_summary("qwen2.5-coder-0.5b") == "decompose: off, codegen: off"
    assert cli._adapter_summary("qwen2.5-coder-1.5b") == "none"


def test_no_validate_and_repair_attempts_reach_the_pipeline(tmp_path, fake_model, capsys):
    out = tmp_path / "o.ipynb"
    assert cli.main(["generate", REQUIREMENT, "-o", str(out), "--no-validate", "--repair-attempts", "0"]) == 0
    modules = [c.metadata["iotcoder"]["stage_outputs"]["module"] for c in nbformat.read(out, as_version=4).cells
               if c.metadata["iotcoder"]["kind"] == "task-code"]
    assert [m["validation"] for m in modules] == [None, None]
    assert "not validated" in capsys.readouterr().err


def test_validated_steps_are_reported(tmp_path, fake_model, capsys):
    assert cli.main(["generate", REQUIREMENT, "-o", str(tmp_path / "o.ipynb")]) == 0
    assert "validation passed" in capsys.readouterr().err


def test_log_messages_reach_the_stderr_of_each_call_not_the_first(capsys):
    """pytest and Jupyter swap sys.stderr between calls; the CUDA fallback message was lost that way."""
    import contextlib
    import io

    first, second = io.StringIO(), io.StringIO()
    for stream in (first, second):
        with contextlib.redirect_stderr(stream):
            assert cli.main(["models", "list"]) == 0
            cli.log.info("written during this call")
    for stream in (first, second):
        assert "INFO: written during this call\n" in stream.getvalue()
        assert "Logging error" not in stream.getvalue()
