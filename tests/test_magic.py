"""The %%iotcoder cell magic in a real IPython shell, with a scripted model."""

from __future__ import annotations

import threading

import IPython
import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

from jupyter_iotcoder import frontend
from jupyter_iotcoder.jobs import KernelGenerator
from jupyter_iotcoder.magic import IoTCoderMagics, load_ipython_extension, magic_cell_id
from scripted_answers import PLAN, REQUIREMENT, full_run

from conftest import Loads, ScriptedRuntime


@pytest.fixture(scope="module")
def shell():
    """IPython's test shell (one per process: start_ipython returns None once it runs)."""
    return start_ipython() or IPython.get_ipython()


@pytest.fixture
def loads():
    return Loads()


@pytest.fixture
def magics(shell, loads, monkeypatch, tmp_path):
    """The magic registered on the shell with a scripted runtime, writing fallback notebooks in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    instance = IoTCoderMagics(shell, KernelGenerator(loads))
    shell.register_magics(instance)
    return instance


def test_load_ext_registers_the_cell_magic(shell):
    load_ipython_extension(shell)
    assert "iotcoder" in shell.magics_manager.magics["cell"]
    shell.run_line_magic("load_ext", "jupyter_iotcoder")
    assert "iotcoder" in shell.magics_manager.magics["cell"]


def test_options_become_the_generation_config(magics):
    request = magics.request("--model tiny --max-tasks 2 --temperature 0.5 --seed 7 --no-validate --threads 1 "
                             "--replace --data basic_motions ppg basic_motions --adapters all", REQUIREMENT)
    assert request.model == "tiny" and request.runtime.n_threads == 1 and request.runtime.adapters == "all"
    assert (request.config.max_tasks, request.config.temperature, request.config.seed) == (2, 0.5, 7)
    assert request.config.validate is False
    assert request.config.available_data == ("basic_motions", "ppg")
    assert request.replace and request.insert
    assert request.requirement == REQUIREMENT


def test_defaults_insert_and_validate(magics):
    request = magics.request("", REQUIREMENT)
    assert request.insert and not request.replace and request.config.validate
    assert request.model is None and request.config.available_data == ()
    assert request.runtime.n_threads is None  # all cores
    assert request.runtime.adapters == "default"  # the shipped policy decides


@pytest.mark.parametrize("line, message", [
    ("--max-tasks 9", "--max-tasks must be between 1 and 8"),
    ("--temperature 3", "--temperature must be between 0 and 2"),
    ("--replace --no-insert", "cannot be used together"),
    ("--threads 0", "--threads must be at least 1"),
    ("--data no_such_data", "unknown --data no_such_data; choose from basic_motions"),
    ("--max-tasks two", "invalid int value"),
    ("--adapters some", "invalid choice"),
])
def test_bad_options_are_usage_errors(magics, line, message):
    with pytest.raises(UsageError, match=message):
        magics.request(line, REQUIREMENT)


def test_an_empty_body_says_so_and_loads_no_model(shell, magics, loads, capsys, tmp_path):
    shell.run_cell("%%iotcoder --max-tasks 2\n   \n")
    err = capsys.readouterr().err
    assert "iotcoder: The requirement is empty" in err
    assert loads.models == [] and magics.generator.active is None
    assert list(tmp_path.iterdir()) == []


def test_plain_ipython_runs_synchronously_and_writes_a_new_notebook(shell, magics, loads, capsys, tmp_path):
    shell.run_cell(f"%%iotcoder --max-tasks 2 --no-validate\n{REQUIREMENT}\n")
    out = capsys.readouterr().out
    assert "iotcoder: loading the model" in out and "decomposing the requirement" in out
    written = list(tmp_path.glob("iotcoder-*.ipynb"))
    assert len(written) == 1
    assert f"There is no Jupyter kernel frontend here, so the cells were written to {written[0]}" in out
    nb = nbformat.read(written[0], as_version=4)
    assert [c.metadata.iotcoder.kind for c in nb.cells] == ["plan", "task-markdown", "task-code",
                                                             "task-markdown", "task-code", "wiring"]


def test_the_runtime_is_loaded_once_per_kernel(shell, magics, loads, capsys):
    for _ in range(2):
        shell.run_cell(f"%%iotcoder --no-validate\n{REQUIREMENT}\n")
    assert loads.models == [None]


def test_no_insert_prints_the_cells_and_writes_nothing(shell, magics, capsys, tmp_path):
    shell.run_cell(f"%%iotcoder --no-insert --no-validate\n{REQUIREMENT}\n")
    out = capsys.readouterr().out
    assert "## Step 2: Count the steps" in out and "def count_steps" in out
    assert list(tmp_path.iterdir()) == []


def test_a_magic_run_while_another_generates_is_refused(shell, magics, capsys):
    gate, started = threading.Event(), threading.Event()

    def slow(request):
        started.set()
        gate.wait(10)
        return PLAN

    magics.generator = KernelGenerator(Loads(lambda: ScriptedRuntime([slow] + full_run(validated=False)[1:])))
    worker = threading.Thread(target=shell.run_cell, args=(f"%%iotcoder --no-validate\n{REQUIREMENT}\n",))
    worker.start()
    assert started.wait(10)
    magics.iotcoder("", REQUIREMENT)
    err = capsys.readouterr().err
    gate.set()
    worker.join(20)
    assert "already generating (decomposing the requirement); wait for it to finish or press its Cancel" in err


def test_in_a_kernel_the_magic_returns_at_once_and_inserts_from_the_background(shell, magics, monkeypatch):
    """The widget path: the cell returns while the job runs; the job asks the frontend to insert."""
    opened = []

    class Frontend:
        def __init__(self, target_name, data):
            opened.append(data)

        def on_msg(self, callback):
            self.reply = callback
            data = opened[-1]
            threading.Timer(0.05, callback, args=({"content": {"data": {
                "status": "inserted", "request_id": data["request_id"], "count": len(data["cells"])}}},)).start()

        def on_close(self, callback):
            pass

        def close(self):
            pass

    class FakeKernel:
        def get_parent(self, channel):
            return {"metadata": {"cellId": "magic-cell-1"}}

    monkeypatch.setattr(shell, "kernel", FakeKernel(), raising=False)
    monkeypatch.setattr(frontend, "_default_comm_factory", Frontend)
    monkeypatch.setattr(magics, "_deliverer", lambda in_kernel: (
        lambda result, request: frontend.deliver(result, request.magic_cell_id, replace=request.replace,
                                                 in_kernel=in_kernel, comm_factory=Frontend)))
    displayed = []
    monkeypatch.setattr("IPython.display.display", displayed.append)
    assert magics.in_kernel()
    magics.iotcoder("--no-validate --replace", REQUIREMENT)
    job = magics.generator.active
    assert job is not None and job.thread.is_alive()  # the cell has returned; generation goes on
    job.thread.join(30)
    assert len(displayed) == 1  # the progress widget
    assert opened[0]["magic_cell_id"] == "magic-cell-1" and opened[0]["replace"] is True
    assert {c["metadata"]["iotcoder"]["magic_cell_id"] for c in opened[0]["cells"]} == {"magic-cell-1"}
    assert job.delivery.status == "inserted" and job.delivery.count == 6


def test_magic_cell_id_reads_the_execute_requests_metadata():
    class Shell:
        class kernel:
            @staticmethod
            def get_parent(channel):
                assert channel == "shell"
                return {"metadata": {"cellId": "abc"}}

    class NoKernel:
        pass

    assert magic_cell_id(Shell()) == "abc"
    assert magic_cell_id(NoKernel()) is None


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    (b"not a gguf at all", "is not a GGUF file"),
])
def test_a_missing_or_corrupt_model_gets_the_stores_message_in_the_output(shell, capsys, monkeypatch, tmp_path,
                                                                            content, message):
    """The real loader (store + runtime), no stand-in: the error text reaches the cell and nothing is written."""
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.gguf"
    if content is not None:
        model.write_bytes(content)
    shell.register_magics(IoTCoderMagics(shell))
    shell.run_cell(f"%%iotcoder --model {model}\n{REQUIREMENT}\n")
    out = capsys.readouterr().out
    assert message in out and "iotcoder models fetch" in out
    assert [p.name for p in tmp_path.iterdir()] == (["model.gguf"] if content else [])
