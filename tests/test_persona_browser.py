"""The IoTCoder persona in JupyterLab's chat, in headless Chromium, with the real 0.5B model in the server.

A person opens a notebook and a chat, says hello, sends a short requirement to
IoTCoder (the default persona here, as `c.PersonaManager.default_persona_id`
makes it), watches the plan, the specs and the code arrive, gets a notebook
file, says "insert" to put the cells into the open notebook, and asks for a
change to one step.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from jupyterlab_fixture import (  # noqa: F401  (lab_page is a fixture)
    ARTIFACTS,
    LabPage,
    JupyterLabServer,
    lab_page,
    start_jupyterlab,
    stop_jupyterlab,
)

PERSONA_ID = "jupyter-ai-personas::jupyter_iotcoder::IoTCoderPersona"
REQUIREMENT = ("Count steps from a wrist-worn 3-axis accelerometer sampled at 50 Hz: "
               "compute the acceleration magnitude, then count its peaks.")
GENERATION_TIMEOUT_S = 2400  # minutes on an idle 2-core machine; far more when it is shared


@pytest.fixture(scope="module")
def jupyterlab_server(tmp_path_factory):
    """JupyterLab with IoTCoder as the chat's default persona; two steps at most, no sandbox runs, one model thread.

    One thread: on a shared 2-core machine two llama.cpp threads spin-wait for each other and crawl.
    """
    server = start_jupyterlab(tmp_path_factory.mktemp("persona-lab"), extra_args=[
        f"--PersonaManager.default_persona_id={PERSONA_ID}",
        "--IoTCoderPersona.max_tasks=2", "--IoTCoderPersona.validate_steps=False", "--IoTCoderPersona.threads=1"])
    try:
        yield server
    finally:
        stop_jupyterlab(server)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "jupyterlab-persona.log").write_text(server.log_tail(200_000))


class ChatPage:
    """The chat panel as a person uses it: type, press Enter, read the persona's messages."""

    def __init__(self, page, server: JupyterLabServer) -> None:
        self.page, self.server = page, server

    def open(self, path: str) -> None:
        (self.server.root / path).write_text(json.dumps({"messages": [], "users": {}, "attachments": {},
                                                          "metadata": {}}))
        self.page.evaluate("async (p) => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }",
                           path)
        self.page.locator(".jp-jai-personaControls-persona").filter(has_text="IoTCoder").wait_for()

    def show(self, path: str) -> None:
        """Bring the tab of `path` (the chat or a notebook) to the front."""
        self.page.evaluate("async (p) => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }",
                           path)
        self.page.wait_for_function("(p) => window.jupyterapp.shell.currentWidget.context.path === p", arg=path)

    @property
    def messages(self):
        return self.page.locator(".jp-chat-messages-container")

    def text(self) -> str:
        return self.messages.inner_text()

    def send(self, text: str) -> None:
        box = self.page.locator(".jp-chat-input-textfield textarea[placeholder]")
        box.click()
        box.fill(text)
        box.press("Enter")

    def headings(self) -> list[str]:
        return self.page.evaluate("() => [...document.querySelectorAll('.jp-chat-messages-container h3')]"
                                  ".map(h => h.textContent.replace('¶', '').trim())")  # headings carry an anchor link

    def wait_for_text(self, text: str, timeout_s: float, count: int = 1) -> dict[str, float]:
        """Until `text` shows `count` times in the chat; returns when each heading first showed (streaming)."""
        seen: dict[str, float] = {}
        deadline = time.monotonic() + timeout_s
        while True:
            shown = self.text()
            for heading in self.headings() + (["Notebook"] if "Notebook:" in shown else []):
                seen.setdefault(heading, time.monotonic())
            if shown.count(text) >= count:
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed in the chat; it shows:\n{shown[-3000:]}\n"
                                     f"server log:\n{self.server.log_tail()}")
            time.sleep(0.5)


def notebook_cells(page, path: str) -> list[dict]:
    """The cells of the open notebook `path`, read from its live model in the browser."""
    return page.evaluate(
        "(p) => { for (const w of window.jupyterapp.shell.widgets('main')) {"
        " if (w.context && w.context.path === p) return w.content.model.sharedModel.toJSON().cells; }"
        " return null; }", path)


@pytest.mark.real_model
@pytest.mark.browser
def test_persona_answers_in_the_chat_with_plan_specs_code_and_a_notebook(jupyterlab_server, lab_page):
    page, server = lab_page, jupyterlab_server
    lab, chat = LabPage(page, server), ChatPage(page, server)
    lab.open_notebook(server.write_notebook("analysis.ipynb", ["print('my own cell')"]))
    chat.open("iot.chat")

    chat.send("hello")
    chat.wait_for_text("Write what to build", 60)

    chat.send(f"@IoTCoder {REQUIREMENT}")
    seen = chat.wait_for_text("Next:", GENERATION_TIMEOUT_S)
    lab.screenshot("chat-persona-answer.png")
    shown = chat.text()
    assert "Could not finish" not in shown and "could not be loaded" not in shown, shown[-2000:]
    assert seen["Plan"] < seen["Code"] <= seen["Notebook"], f"the reply did not stream: {seen}"
    assert "Target" in shown and "Input Specification" in shown and "def " in shown
    written = sorted(server.root.glob("iotcoder-*.ipynb"))
    assert len(written) == 1
    link = page.locator(".jp-chat-messages-container a", has_text=written[0].name)
    with page.context.expect_page() as opened:
        link.click()
    notebook_tab = opened.value
    notebook_tab.wait_for_function("(p) => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                   " && window.jupyterapp.shell.currentWidget.context"
                                   " && window.jupyterapp.shell.currentWidget.context.path === p",
                                   arg=written[0].name, timeout=120_000)
    notebook_tab.close()
    generated = nbformat.read(written[0], as_version=4)
    kinds = [cell.metadata["iotcoder"]["kind"] for cell in generated.cells]
    assert kinds[0] == "plan" and kinds.count("task-code") in (1, 2)

    chat.send("insert")
    chat.wait_for_text("below the active cell of your open notebook", 120)
    cells = notebook_cells(page, "analysis.ipynb")
    assert cells[0]["source"] == "print('my own cell')"
    assert [c["cell_type"] for c in cells[1:]] == [c.cell_type for c in generated.cells]
    assert [c["source"] for c in cells[1:]] == [c.source for c in generated.cells]
    # one transaction through the extension's iotcoder:insert-cells: the cells are a run the step buttons know
    assert [c["metadata"]["iotcoder"]["kind"] for c in cells[1:]] == kinds
    assert len({c["metadata"]["iotcoder"]["run_id"] for c in cells[1:]}) == 1
    assert len({c["id"] for c in cells}) == len(cells)
    chat.show("analysis.ipynb")
    lab.screenshot("chat-persona-inserted.png")
    chat.show("iot.chat")

    chat.send("make step 1 return the magnitude as float32")
    chat.wait_for_text("Regenerating only step 1", 120)
    chat.wait_for_text("Next:", GENERATION_TIMEOUT_S, count=2)
    assert "Could not finish" not in chat.text()
    assert len(list(server.root.glob("iotcoder-*.ipynb"))) == 2
    lab.screenshot("chat-persona-follow-up.png")
