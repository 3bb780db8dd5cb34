"""The IoTCoder chat persona inside Jupyter AI's real PersonaManager and chat model, with a scripted model.

The chat is jupyterlab-chat's WsChatModel (the chat of a JupyterLab without
real-time collaboration), the manager loads personas from the real entry points.
Only the model is scripted; test_persona_real.py runs the real one.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("jupyter_ai_persona_manager", reason="needs the chat extra")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from jupyter_ai_persona_manager import PersonaManager  # noqa: E402
from jupyterlab_chat.models import Message, NewMessage  # noqa: E402
from jupyterlab_chat.websocket_model import WsChatModel  # noqa: E402

from jupyter_iotcoder import worker as worker_module  # noqa: E402
from jupyter_iotcoder.errors import ModelNotFoundError  # noqa: E402
from jupyter_iotcoder.persona import IoTCoderPersona  # noqa: E402
from scripted_answers import CODE_1, CODE_2, IO_2, REQUIREMENT, TARGET_2, full_run  # noqa: E402

from conftest import ScriptedRuntime  # noqa: E402

PERSONA_ID = "jupyter-ai-personas::jupyter_iotcoder::IoTCoderPersona"
USER = "human"


class Models:
    """The loader the shared worker gets: hands out one ScriptedRuntime and records what was asked for."""

    def __init__(self, runtime: ScriptedRuntime | BaseException) -> None:
        self.runtime = runtime
        self.loaded: list[str | None] = []
        self.configs: list = []

    def __call__(self, model: str | None, config):
        self.loaded.append(model)
        self.configs.append(config)
        if isinstance(self.runtime, BaseException):
            raise self.runtime
        return self.runtime


@pytest.fixture
def install_worker(monkeypatch):
    """Replace the process's shared worker with one whose model is scripted."""
    workers = []

    def install(runtime: ScriptedRuntime | BaseException) -> Models:
        models = Models(runtime)
        worker = worker_module.RuntimeWorker(load=models)
        workers.append(worker)
        monkeypatch.setattr(worker_module, "_shared", worker)
        return models

    yield install
    for worker in workers:
        worker.close()


def open_chat(root: Path, name: str = "iot.chat") -> tuple[WsChatModel, IoTCoderPersona]:
    """A chat file under `root`, its PersonaManager (real entry points) and the IoTCoder persona in it."""
    (root / name).write_text("")
    chat = WsChatModel(name, root)
    manager = PersonaManager(chat=chat, root_dir=str(root), event_loop=asyncio.get_running_loop())
    persona = manager.personas[PERSONA_ID]
    persona.validate_steps = False
    return chat, persona


def send(chat: WsChatModel, body: str, **metadata) -> Message:
    """What the chat UI does: the message lands in the chat, addressed to the persona."""
    msg_id = chat.add_message(NewMessage(body=body, sender=USER))
    message = chat.get_message(msg_id)
    message.metadata = {"to_persona": PERSONA_ID, **metadata}
    return message


def replies(chat: WsChatModel) -> list[str]:
    return [m.body for m in chat.get_messages() if m.sender == PERSONA_ID]


def wait_for(condition, timeout: float = 20.0) -> None:
    """Block the calling (model) thread until `condition()` holds; fail the run if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_model_picker_lists_the_manifest_models_and_update_model_switches(tmp_path, install_worker):
    models = install_worker(ScriptedRuntime(full_run(validated=False)))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        config = persona.get_model_configuration()
        assert [o.id for o in config.options] == ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
        assert config.current == "qwen2.5-coder-0.5b"
        assert "ready" in config.options[0].description
        persona.threads = 1
        await persona.on_message(send(chat, REQUIREMENT, model={"id": "qwen2.5-coder-1.5b"}))
        assert persona.get_model() == "qwen2.5-coder-1.5b"
        await persona.update_model("no-such-model")
        return chat

    chat = asyncio.run(scenario())
    assert models.loaded == ["qwen2.5-coder-1.5b"] and models.configs[0].n_threads == 1
    assert "unknown model 'no-such-model'" in replies(chat)[-1]


@pytest.mark.parametrize("body", ["hello!", "", "@IoTCoder", "What is the capital of France?"])
def test_message_without_a_requirement_gets_help_and_no_model_call(tmp_path, install_worker, body):
    runtime = ScriptedRuntime([])
    models = install_worker(runtime)

    async def scenario():
        chat, persona = open_chat(tmp_path)
        await persona.on_message(send(chat, body))
        return chat, persona

    chat, persona = asyncio.run(scenario())
    [answer] = replies(chat)
    assert "Write what to build" in answer and "count_steps(acc, fs)" in answer
    assert models.loaded == [] and runtime.history == []
    assert worker_module.shared_worker().pending == 0


def test_reply_streams_plan_then_specs_then_code_as_each_is_ready(tmp_path, install_worker):
    chat_box: list[WsChatModel] = []

    def body() -> str:
        return "".join(replies(chat_box[0]))

    def code_1_after_specs_shown(request):
        wait_for(lambda: "### Specs" in body() and "#### Step 2: `def count_steps" in body())
        assert "### Code" not in body()
        return CODE_1

    def code_2_after_code_1_shown(request):
        wait_for(lambda: "#### Step 1: `acceleration_magnitude`" in body())
        return CODE_2

    def io_1_after_plan_shown(request):
        wait_for(lambda: "### Plan" in body())
        return full_run(validated=False)[2]

    answers = full_run(validated=False)
    answers[2], answers[5], answers[6] = io_1_after_plan_shown, code_1_after_specs_shown, code_2_after_code_1_shown
    install_worker(ScriptedRuntime(answers))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        chat_box.append(chat)
        await persona.on_message(send(chat, REQUIREMENT))
        return chat, persona

    chat, persona = asyncio.run(scenario())
    [reply] = replies(chat)
    order = [reply.index(marker) for marker in (
        "### Plan", "1. **Compute the acceleration magnitude**", "### Specs", "**Target**", "### Code",
        "```python", "magnitude = acceleration_magnitude(acc)", "**Notebook**")]
    assert order == sorted(order)
    assert persona.last_result is not None and len(persona.last_result.modules) == 2


def test_result_is_written_as_a_notebook_next_to_the_chat_and_linked(tmp_path, install_worker):
    install_worker(ScriptedRuntime(full_run(validated=False) + full_run(validated=False)))
    (tmp_path / "sub").mkdir()

    async def scenario():
        (tmp_path / "sub" / "iot.chat").write_text("")
        chat = WsChatModel("sub/iot.chat", tmp_path)
        manager = PersonaManager(chat=chat, root_dir=str(tmp_path), event_loop=asyncio.get_running_loop(),
                                 base_url="/user/ada/")
        persona = manager.personas[PERSONA_ID]
        persona.validate_steps = False
        await persona.on_message(send(chat, REQUIREMENT))
        await persona.on_message(send(chat, REQUIREMENT))
        return chat, persona

    chat, persona = asyncio.run(scenario())
    written = sorted((tmp_path / "sub").glob("*.ipynb"))
    assert len(written) == 2, "a second run must not overwrite the first notebook"
    for path, reply in zip(sorted(written, key=lambda p: p.stat().st_mtime), replies(chat)):
        assert f"[{path.name}](/user/ada/lab/tree/sub/{path.name})" in reply
        nb = nbformat.read(path, as_version=4)
        assert [c.metadata["iotcoder"]["kind"] for c in nb.cells] == [
            "plan", "task-markdown", "task-code", "task-markdown", "task-code", "wiring"]
    assert any(persona.last_result.run_id[:6] in path.name for path in written)


def test_second_chat_is_told_its_place_in_the_queue_at_once_and_runs_after_the_first(tmp_path, install_worker):
    release = threading.Event()
    active, most_active = [0], [0]

    class CountingRuntime(ScriptedRuntime):
        def stream(self, request):
            active[0] += 1
            most_active[0] = max(most_active[0], active[0])
            try:
                yield from super().stream(request)
            finally:
                active[0] -= 1

    def plan_held_until_released(request):
        assert release.wait(20), "the test never released the first request"
        return full_run(validated=False)[0]

    install_worker(CountingRuntime([plan_held_until_released] + full_run(validated=False)[1:] + full_run(validated=False)))

    async def scenario():
        chat_a, persona_a = open_chat(tmp_path, "a.chat")
        chat_b, persona_b = open_chat(tmp_path, "b.chat")
        first = asyncio.create_task(persona_a.on_message(send(chat_a, REQUIREMENT)))
        while worker_module.shared_worker().pending == 0:
            await asyncio.sleep(0.01)
        second = asyncio.create_task(persona_b.on_message(send(chat_b, REQUIREMENT)))
        while not replies(chat_b):
            await asyncio.sleep(0.01)
        queued_answer = replies(chat_b)[0]
        first_done_when_b_was_answered = first.done()
        release.set()
        await asyncio.gather(first, second)
        return chat_a, chat_b, queued_answer, first_done_when_b_was_answered

    chat_a, chat_b, queued_answer, first_done = asyncio.run(scenario())
    assert "number 2 in the queue" in queued_answer and "1 request is ahead" in queued_answer
    assert not first_done
    assert most_active[0] == 1, "two requests ran on the model at the same time"
    assert "**Notebook**" in replies(chat_a)[-1] and "**Notebook**" in replies(chat_b)[-1]
    assert worker_module.shared_worker().pending == 0


def test_second_message_in_the_same_chat_is_answered_with_its_place_before_it_waits(tmp_path, install_worker):
    release = threading.Event()

    def plan_held_until_released(request):
        assert release.wait(20)
        return full_run(validated=False)[0]

    install_worker(ScriptedRuntime([plan_held_until_released] + full_run(validated=False)[1:] + full_run(validated=False)))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        first = asyncio.create_task(persona.on_message(send(chat, REQUIREMENT)))
        while worker_module.shared_worker().pending == 0:
            await asyncio.sleep(0.01)
        second = asyncio.create_task(persona.on_message(send(chat, REQUIREMENT + " Target: ESP32.")))
        while not any("in the queue" in r for r in replies(chat)):
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(first, second)
        return chat

    chat = asyncio.run(scenario())
    answers = replies(chat)
    assert "number 2 in the queue" in answers[1]
    assert sum("**Notebook**" in a for a in answers) == 2


def test_follow_up_regenerates_only_the_named_step(tmp_path, install_worker):
    new_code_2 = CODE_2.replace("0.3 * fs", "0.25 * fs")
    runtime = ScriptedRuntime(full_run(validated=False) + [TARGET_2, IO_2, new_code_2])
    install_worker(runtime)

    async def scenario():
        chat, persona = open_chat(tmp_path)
        await persona.on_message(send(chat, REQUIREMENT))
        before = persona.last_result
        await persona.on_message(send(chat, "make step 2 use a 0.25 s minimum distance between peaks"))
        return chat, before, persona.last_result

    chat, before, after = asyncio.run(scenario())
    assert len(runtime.history) == 7 + 3 and runtime.queue == []
    reply = replies(chat)[-1]
    assert "Regenerating only step 2" in reply and "2. **Count the steps** *(revised)*" in reply
    assert after.run_id != before.run_id
    assert after.modules[0] == before.modules[0] and after.specs[0] == before.specs[0]
    assert after.tasks.tasks[0] == before.tasks.tasks[0]
    assert "0.25 * fs" in after.modules[1].code and "0.25 * fs" not in before.modules[1].code
    assert "Change requested by the user: make this step use a 0.25 s" in after.tasks.tasks[1].description
    assert len(list(tmp_path.glob("*.ipynb"))) == 2


def test_missing_model_gets_a_clear_chat_message(tmp_path, install_worker):
    install_worker(ModelNotFoundError("no model file: run `iotcoder models fetch`"))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        await persona.on_message(send(chat, REQUIREMENT))
        return chat

    chat = asyncio.run(scenario())
    assert "**The model could not be loaded**: no model file: run `iotcoder models fetch`" in replies(chat)[-1]
    assert list(tmp_path.glob("*.ipynb")) == []
    assert worker_module.shared_worker().pending == 0


def test_stop_button_cancels_generation(tmp_path, install_worker):
    started, released = threading.Event(), threading.Event()

    def slow_plan(request):
        started.set()
        released.wait(30)  # the plan call ends only after Stop was pressed, however loaded the machine is
        return full_run(validated=False)[0]

    install_worker(ScriptedRuntime([slow_plan]))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        task = asyncio.create_task(persona.on_message(send(chat, REQUIREMENT)))
        while not started.is_set():
            await asyncio.sleep(0.01)
        await persona.cancel_response()
        released.set()
        await task
        return chat

    chat = asyncio.run(scenario())
    assert "**Stopped** at your request" in replies(chat)[-1]
    assert list(tmp_path.glob("*.ipynb")) == []


def test_insert_puts_every_cell_below_the_active_cell_in_the_senders_browser(tmp_path, install_worker, monkeypatch):
    from jupyterlab_commands_toolkit.tools import target_client_id

    install_worker(ScriptedRuntime(full_run(validated=False)))
    calls = []

    async def lab_command(command, args):
        calls.append((command, args, target_client_id.get()))
        return {"success": True, "result": {"inserted": len(args["cells"]), "path": "analysis.ipynb"}}

    monkeypatch.setattr(IoTCoderPersona, "lab_command", staticmethod(lab_command))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        await persona.on_message(send(chat, REQUIREMENT))
        await persona.on_message(send(chat, "insert into my notebook", web_client_id="tab-7"))
        return chat

    chat = asyncio.run(scenario())
    (command, args, client), = calls  # one command: one transaction in the browser
    assert command == "iotcoder:insert-cells" and client == "tab-7"
    cells = args["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "markdown", "code", "markdown", "code", "code"]
    assert cells[2]["source"].startswith('"""Acceleration magnitude')
    kinds = [c["metadata"]["iotcoder"]["kind"] for c in cells]
    assert kinds == ["plan", "task-markdown", "task-code", "task-markdown", "task-code", "wiring"]
    assert len({c["metadata"]["iotcoder"]["run_id"] for c in cells}) == 1
    json.dumps(args)  # it crosses to the browser as JSON
    assert "Inserted 6 cells" in replies(chat)[-1]


def test_insert_that_the_browser_refuses_says_why_and_where_the_notebook_is(tmp_path, install_worker, monkeypatch):
    install_worker(ScriptedRuntime(full_run(validated=False)))
    async def lab_command(command, args):
        return {"success": False, "error": "No notebook is open: open one and click the cell to insert below"}

    monkeypatch.setattr(IoTCoderPersona, "lab_command", staticmethod(lab_command))

    async def scenario():
        chat, persona = open_chat(tmp_path)
        await persona.on_message(send(chat, REQUIREMENT))
        await persona.on_message(send(chat, "insert"))
        return chat

    reply = replies(asyncio.run(scenario()))[-1]
    assert "Nothing was inserted" in reply and "No notebook is open" in reply and ".ipynb" in reply


BLOCK_JUPYTER_AI = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('jupyter_ai', 'jupyter_ai_persona_manager', 'jupyterlab_chat', 'litellm'):
            raise ImportError(f'No module named {name!r} (blocked)')
sys.meta_path.insert(0, Block())
"""


def test_everything_but_the_persona_imports_without_jupyter_ai():
    code = BLOCK_JUPYTER_AI + """
import jupyter_iotcoder, jupyter_iotcoder.cli, jupyter_iotcoder.pipeline, jupyter_iotcoder.revise
import jupyter_iotcoder.chat, jupyter_iotcoder.worker, jupyter_iotcoder.notebook
try:
    import jupyter_iotcoder.persona
except ImportError as exc:
    print("persona:", exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "persona: The IoTCoder chat persona needs Jupyter AI 3: pip install 'jupyter-iotcoder[chat]'" in done.stdout
