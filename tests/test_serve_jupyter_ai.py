"""Jupyter AI's clients on the local model through `iotcoder serve` (docs/jupyter-ai.md).

Jupyternaut and `%%ai` reach models through LiteLLM; `iotcoder serve` is an
OpenAI-compatible server, so LiteLLM's `openai/<model alias>` with `api_base`
reaches the same local model that IoTCoder uses. These tests start the real
server with the 0.5B model and use the clients exactly as the docs say.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("litellm", reason="needs the chat extra (jupyter-ai[jupyternaut,magics])")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

API_KEY = "iotcoder-jupyter-ai-key"
MODEL = "openai/qwen2.5-coder-0.5b"
PROMPT = "Write a Python function celsius_to_fahrenheit(c) that converts Celsius to Fahrenheit. Reply with code only."


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    """`iotcoder serve` on a free loopback port with an API key, as docs/jupyter-ai.md starts it."""
    from jupyter_iotcoder import serve

    directory = tmp_path_factory.mktemp("serve")
    options = serve.ServeOptions(port=serve.free_port(), api_key=API_KEY, n_ctx=2048, n_threads=1, adapters="none")
    plan = serve.plan_server(options)
    assert plan.aliases[0] == "qwen2.5-coder-0.5b"
    with open(directory / "server.log", "wb") as log_file, serve.running_server(plan, directory, log_file):
        yield plan.base_url


@pytest.mark.real_model
def test_litellm_completes_a_chat_against_iotcoder_serve(server_url):
    import litellm

    response = litellm.completion(model=MODEL, api_base=server_url, api_key=API_KEY, temperature=0,
                                  max_tokens=120, messages=[{"role": "user", "content": PROMPT}])
    text = response.choices[0].message.content
    assert "def celsius_to_fahrenheit" in text
    assert response.usage.completion_tokens > 0


@pytest.mark.real_model
def test_litellm_streams_from_iotcoder_serve(server_url):
    import litellm

    chunks = litellm.completion(model=MODEL, api_base=server_url, api_key=API_KEY, temperature=0, max_tokens=120,
                                stream=True, messages=[{"role": "user", "content": PROMPT}])
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert len([p for p in pieces if p]) > 5, "the answer came in one piece, not streamed"
    assert "def celsius_to_fahrenheit" in "".join(pieces)


@pytest.mark.real_model
def test_wrong_api_key_is_refused(server_url):
    import litellm

    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(model=MODEL, api_base=server_url, api_key="wrong", max_tokens=8, num_retries=0,
                           messages=[{"role": "user", "content": "hi"}])


@pytest.mark.real_model
def test_jupyternaut_chat_model_with_the_documented_custom_model_params_answers(server_url):
    """Jupyternaut builds `ChatLiteLLM(**custom_model.params, model=custom_model.model_id, streaming=True)`."""
    from jupyter_ai_jupyternaut.jupyternaut.chat_models import ChatLiteLLM
    from jupyter_ai_jupyternaut.config.config_models import CustomModel

    custom = CustomModel(name="IoTCoder local 0.5B", model_id=MODEL,
                         params={"api_base": server_url, "api_key": API_KEY, "temperature": 0, "max_tokens": 120})
    model = ChatLiteLLM(**custom.params, model=custom.model_id, streaming=True)

    async def ask() -> str:
        parts = [chunk.content async for chunk in model.astream([("system", "You are a coding assistant."),
                                                                 ("user", PROMPT)])]
        return "".join(parts)

    assert "def celsius_to_fahrenheit" in asyncio.run(ask())


@pytest.mark.real_model
def test_ai_cell_magic_with_an_alias_answers_from_the_local_model(server_url, tmp_path):
    """`%ai alias` + `%%ai` in an IPython shell, with the key in OPENAI_API_KEY as the docs say."""
    script = textwrap.dedent(f"""
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "jupyter_ai_magic_commands")
        ip.run_line_magic("ai", "alias iotcoder {MODEL} --api-base {server_url}")
        out = ip.run_cell_magic("ai", "iotcoder -f text", {PROMPT!r})
        print("ANSWER:", out.data["text/plain"] if hasattr(out, "data") else out)
    """)
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "IPYTHONDIR": str(tmp_path / "ipython")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = done.stdout.split("ANSWER:", 1)[-1]
    assert "def celsius_to_fahrenheit" in answer, done.stdout[-2000:] + done.stderr[-2000:]
