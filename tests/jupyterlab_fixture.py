"""A real JupyterLab server and a headless Chromium page on it, for browser tests.

Use in a test module:

    from jupyterlab_fixture import jupyterlab_server, lab_page  # noqa: F401  (pytest fixtures)

    def test_something(jupyterlab_server, lab_page):
        lab = LabPage(lab_page, jupyterlab_server)
        lab.open_notebook(jupyterlab_server.write_notebook("t.ipynb", ["print(1)"]))
        ...

`jupyterlab_server` runs `jupyter lab` from this virtualenv on a random free
port with a random token, in a temporary root folder with its own settings,
workspace, data and runtime folders (no browser, no news or update checks,
`window.jupyterapp` exposed so tests can read the notebook model).
`lab_page` is a Playwright page in Debian's /usr/bin/chromium (Playwright
never downloads a browser here). Every wait has a deadline, so a broken setup
fails with the server log instead of hanging.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import nbformat
import pytest

CHROMIUM = os.environ.get("IOTCODER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SERVER_START_TIMEOUT_S = 180
DEFAULT_TIMEOUT_MS = 60_000

# JupyterLab user settings that keep a test run quiet and deterministic.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class JupyterLabServer:
    """One running `jupyter lab`; `root` is its notebook folder."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str = "", workspace: str | None = None) -> str:
        """JupyterLab at `path`; a named `workspace` starts with only that file open (no restored tabs)."""
        tree = f"/tree/{path}" if path else ""
        space = f"/workspaces/{workspace}" if workspace else ""
        return f"{self.url}/lab{space}{tree}?token={self.token}"

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def write_notebook(self, name: str, sources: list[str]) -> str:
        """A notebook of code cells in the server's root; returns its path for `lab_url`."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        nbformat.write(nb, self.root / name)
        return name

    def api(self, path: str) -> object:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def start_jupyterlab(base: Path, extra_args: list[str] | None = None, env: dict | None = None) -> JupyterLabServer:
    """Start JupyterLab in `base`/root and wait until its API answers; raises with the log if it does not."""
    root, settings = base / "root", base / "settings"
    for folder in (root, settings, base / "workspaces", base / "data", base / "runtime", base / "config",
                   base / "ipython"):
        folder.mkdir(parents=True, exist_ok=True)
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    server_env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
                  "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "IPYTHONDIR": str(base / "ipython"),
                  "JUPYTER_PLATFORM_DIRS": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                  "PYTHONUNBUFFERED": "1", **(env or {})}
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [
        str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
        # jupyter-ai's MCP server extension binds port 3001 by default: give each server its own
        f"--MCPExtensionApp.mcp_port={free_port()}",
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []), *(extra_args or []),
    ]
    log_path = base / "jupyterlab.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(command, cwd=root, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = JupyterLabServer(root, port, token, process, log_path, server_env)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    stop_jupyterlab(server)
    raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}")


def stop_jupyterlab(server: JupyterLabServer) -> None:
    """SIGTERM the server's own process group (it shuts its kernels down), SIGKILL after 30 s."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def jupyterlab_server(tmp_path_factory) -> Iterator[JupyterLabServer]:
    server = start_jupyterlab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        stop_jupyterlab(server)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(server.log_path, ARTIFACTS / f"jupyterlab-{server.port}.log")


@pytest.fixture
def lab_page(jupyterlab_server):
    """A fresh Chromium page (1400x1000); fails clearly when Chromium or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make setup` does) to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.new_page()
            yield page
        finally:
            browser.close()


class LabPage:
    """What a person does in JupyterLab, as Playwright steps with deadlines."""

    _workspaces = itertools.count(1)  # one fresh JupyterLab workspace per opened notebook

    def __init__(self, page, server: JupyterLabServer) -> None:
        self.page = page
        self.server = server

    def open_notebook(self, path: str, kernel_timeout_ms: int = 120_000) -> None:
        """Open `path` alone in a workspace of its own and wait until it is the current tab with an idle kernel.

        The default workspace would restore the notebooks of earlier tests on the same server, and one of
        them can end up as the current tab, so every later step would act on the wrong notebook.
        """
        self.page.goto(self.server.lab_url(path, workspace=f"test-{next(self._workspaces)}"))
        self.page.wait_for_function("(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                                    " return w && w.context && w.context.path === path && w.content"
                                    " && w.content.model; }", arg=path, timeout=kernel_timeout_ms)
        self.wait_for_kernel_idle(kernel_timeout_ms)

    def wait_for_kernel_idle(self, timeout_ms: int = 120_000) -> None:
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
            " return k && k.status === 'idle'; }", timeout=timeout_ms)

    def cells(self) -> list[dict]:
        """The current notebook's cells as nbformat JSON, read from the live model."""
        return self.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.sharedModel"
                                  ".toJSON().cells")

    def run_cell(self, index: int) -> None:
        """Select cell `index` and run it (the notebook:run-cell command, as Ctrl+Enter does)."""
        self.page.evaluate(
            "async (i) => { const w = window.jupyterapp.shell.currentWidget;"
            " w.content.activeCellIndex = i; w.content.deselectAll();"
            " await window.jupyterapp.commands.execute('notebook:run-cell'); }", index)

    def wait_for_execution(self, index: int, timeout_ms: int = 120_000) -> None:
        """Until cell `index` has an execution count (its execute_reply arrived)."""
        self.page.wait_for_function(
            "(i) => { const c = window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells[i];"
            " return c && c.execution_count !== null && c.execution_count !== undefined; }",
            arg=index, timeout=timeout_ms)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=False)
        return path
