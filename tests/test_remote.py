"""The OpenAI-compatible server backend.

Error paths, retries, adapters per request and configuration run against a tiny
scripted HTTP server on 127.0.0.1 (fast, no model). The tests marked real_model
start llama-cpp-python's own server with the real 0.5B model (as `iotcoder serve`
does) and run the full pipeline through it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import jsonschema
import pytest

from jupyter_iotcoder import cli, remote, runtime
from jupyter_iotcoder.calls import StageCaller
from jupyter_iotcoder.config import GenerationConfig, ServerConfig, StageLimits
from jupyter_iotcoder.errors import ContextOverflowError, GenerationError
from jupyter_iotcoder.prompts import load_json
from jupyter_iotcoder.remote import (OpenAIRuntime, ServerAuthError, ServerConfigError, ServerModelError,
                                     ServerTimeoutError, load_server_config, normalize_base_url, parse_mapping)
from jupyter_iotcoder.runtime import ChatRequest, complete
from jupyter_iotcoder.schema import StageStats
from scripted_answers import REQUIREMENT

HELLO = ({"role": "user", "content": "Write a Python function that adds two numbers."},)

Behaviour = Callable[["_Handler", dict], None]


class _Handler(BaseHTTPRequestHandler):
    stub: "StubServer"

    def log_message(self, *args) -> None:
        pass

    def _json(self, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.stub.api_key and self.headers.get("Authorization") != f"Bearer {self.stub.api_key}":
            self._json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
            return False
        return True

    def do_GET(self) -> None:
        if self._authorised():
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.stub.models]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self._authorised():
            return
        self.stub.requests.append(body)
        behaviours = self.stub.chat
        behaviour = behaviours.pop(0) if len(behaviours) > 1 else behaviours[0]
        behaviour(self, body)


class StubServer:
    """An OpenAI-compatible server whose chat answers are scripted; records every chat request body."""

    def __init__(self) -> None:
        self.models = ["base"]
        self.api_key: str | None = None
        self.chat: list[Behaviour] = [sse("ok")]
        self.requests: list[dict] = []
        self.release = threading.Event()
        handler = type("Handler", (_Handler,), {"stub": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def config(self, **kwargs) -> ServerConfig:
        return ServerConfig(**{"base_url": self.url, "max_retries": 0, "timeout": 5.0, **kwargs})

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _chunk(piece: str) -> bytes:
    data = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "base",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    return f"data: {json.dumps(data)}\n\n".encode()


def sse(text: str, delay: float = 0.0) -> Behaviour:
    """Stream `text` four characters per chunk, like a server streams tokens."""
    def answer(handler: _Handler, body: dict) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        for i in range(0, len(text), 4):
            handler.wfile.write(_chunk(text[i: i + 4]))
            handler.wfile.flush()
            time.sleep(delay)
        handler.wfile.write(b"data: [DONE]\n\n")
    return answer


def status(code: int, message: str) -> Behaviour:
    return lambda handler, body: handler._json(code, {"error": {"message": message, "type": "error"}})


def hang(handler: _Handler, body: dict) -> None:
    handler.stub.release.wait(30)


def stall_after_first_chunk(handler: _Handler, body: dict) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    handler.wfile.write(_chunk("def "))
    handler.wfile.flush()
    handler.stub.release.wait(30)


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


@pytest.fixture
def no_server_env(monkeypatch):
    for name in ["IOTCODER_SERVER_CONFIG", *remote._ENV]:
        monkeypatch.delenv(name, raising=False)


# --- configuration ---------------------------------------------------------------

def test_config_file_is_read_and_environment_overrides_it(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text('base_url = "http://gpu-box:8000/v1"\nmodel = "Qwen/Qwen2.5-Coder-7B-Instruct"\n'
                    'timeout = 60\n[stage_models]\ndecompose = "decompose"\ncodegen = "codegen"\n')
    config = load_server_config(path, environ={"IOTCODER_SERVER_MODEL": "other", "IOTCODER_API_KEY": "k"})
    assert config.base_url == "http://gpu-box:8000/v1"
    assert config.model == "other" and config.api_key == "k" and config.timeout == 60.0
    assert config.stage_models == {"decompose": "decompose", "codegen": "codegen"}
    assert "k" not in repr(config), "the API key never shows up in logs or tracebacks"
    assert load_server_config(path, base_url="http://127.0.0.1:9", environ={}).base_url == "http://127.0.0.1:9/v1"


def test_without_a_base_url_the_local_model_is_used(tmp_path):
    assert load_server_config(environ={"IOTCODER_API_KEY": "k"}) is None
    path = tmp_path / "server.toml"
    path.write_text('model = "m"\n')
    with pytest.raises(ServerConfigError, match="sets no base_url"):
        load_server_config(path, environ={})


def test_config_file_with_an_unknown_key_is_refused(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text('base_url = "http://h:1"\nbase_ulr = "x"\n')
    with pytest.raises(ServerConfigError, match="unknown key.*base_ulr"):
        load_server_config(path, environ={})


def test_stage_mappings_from_the_environment_are_parsed_and_checked():
    config = load_server_config(environ={"IOTCODER_BASE_URL": "http://h:1", "IOTCODER_LORA_IDS": "decompose=0, codegen=1",
                                         "IOTCODER_STAGE_MODELS": "decompose=tdslm"})
    assert config.lora_ids == {"decompose": 0, "codegen": 1}
    assert config.stage_models == {"decompose": "tdslm"}
    with pytest.raises(ServerConfigError, match="not stage=value"):
        parse_mapping("decompose", "IOTCODER_STAGE_MODELS")
    with pytest.raises(ServerConfigError, match="unknown stage.*planning"):
        parse_mapping("planning=x", "IOTCODER_STAGE_MODELS")
    with pytest.raises(ServerConfigError, match="integers"):
        parse_mapping("codegen=first", "IOTCODER_LORA_IDS", as_int=True)


@pytest.mark.parametrize("given, expected", [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"),
    ("https://api.example.com/openai/v1", "https://api.example.com/openai/v1"),
])
def test_base_url_gets_v1_only_when_it_has_no_path(given, expected):
    assert normalize_base_url(given) == expected


def test_base_url_that_is_not_http_is_refused():
    with pytest.raises(ServerConfigError, match="not an http"):
        normalize_base_url("127.0.0.1:8000")


def test_load_runtime_returns_the_server_backend_when_a_base_url_is_set(stub, monkeypatch, no_server_env):
    monkeypatch.setenv("IOTCODER_BASE_URL", stub.url)
    loaded = runtime.load_runtime()
    assert isinstance(loaded, OpenAIRuntime)
    assert loaded.model_name == "base" and loaded.n_ctx == 4096


# --- error paths -------------------------------------------------------------------

def _unused_port() -> int:
    from jupyter_iotcoder.serve import free_port

    return free_port()


def test_server_down_is_a_clear_error_and_nothing_is_written(tmp_path, capsys, no_server_env):
    out = tmp_path / "out.ipynb"
    url = f"http://127.0.0.1:{_unused_port()}/v1"
    code = cli.main(["generate", REQUIREMENT, "--base-url", url, "-o", str(out)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"cannot reach {url}" in err and "is the server running?" in err and "iotcoder serve" in err
    assert not out.exists()


def test_bad_api_key_is_a_clear_error(stub):
    stub.api_key = "right"
    with pytest.raises(ServerAuthError, match="refused the API key.*IOTCODER_API_KEY"):
        OpenAIRuntime.connect(stub.config(api_key="wrong"))
    assert OpenAIRuntime.connect(stub.config(api_key="right")).model_name == "base"


def test_unknown_model_name_lists_what_the_server_offers(stub):
    stub.models = ["base", "codegen"]
    with pytest.raises(ServerModelError, match=r"does not serve 'qwen-typo'; it offers: base, codegen"):
        OpenAIRuntime.connect(stub.config(model="qwen-typo"))


def test_malformed_json_answer_stops_the_pipeline_and_writes_nothing(stub, tmp_path, capsys, no_server_env):
    stub.chat = [sse('{"tasks": [{"title": "Filter')]
    out = tmp_path / "out.ipynb"
    code = cli.main(["generate", REQUIREMENT, "--base-url", stub.url, "-o", str(out)])
    err = capsys.readouterr().err
    assert code != 0 and "not valid JSON" in err
    assert not out.exists()
    stages = [request["messages"][0]["content"][:40] for request in stub.requests]
    assert len(stub.requests) == 6 and len(set(stages[:4])) == 1, \
        "two plans and their retries, then the one-step plan's target call and its retry; no code stage ran"


def test_answer_that_breaks_the_schema_raises_generation_error(stub):
    stub.chat = [sse('{"target": "x"}')]
    caller = StageCaller(OpenAIRuntime(stub.config()), "transform", StageStats())
    schema = load_json("target.schema.json")
    with pytest.raises(GenerationError, match="does not match its schema"):
        caller.call_json(ChatRequest(HELLO, max_tokens=32, json_schema=schema))


def test_hanging_server_times_out_within_the_configured_timeout(stub):
    stub.chat = [hang]
    rt = OpenAIRuntime(stub.config(timeout=1.0))
    start = time.monotonic()
    with pytest.raises(ServerTimeoutError, match="sent nothing for 1 s"):
        complete(rt, ChatRequest(HELLO, max_tokens=8))
    assert time.monotonic() - start < 3.0


def test_server_that_stalls_mid_answer_times_out(stub):
    stub.chat = [stall_after_first_chunk]
    with pytest.raises(ServerTimeoutError):
        complete(OpenAIRuntime(stub.config(timeout=1.0)), ChatRequest(HELLO, max_tokens=8))


@pytest.mark.parametrize("code", [429, 503])
def test_busy_server_is_retried_with_backoff(stub, code):
    stub.chat = [status(code, "busy"), sse("def add(a, b):")]
    result = complete(OpenAIRuntime(stub.config(max_retries=2)), ChatRequest(HELLO, max_tokens=8))
    assert result.text == "def add(a, b):"
    assert len(stub.requests) == 2


def test_busy_server_after_the_last_retry_says_what_it_answered(stub):
    stub.chat = [status(503, "loading model")]
    with pytest.raises(remote.ServerError, match="HTTP 503.*loading model"):
        complete(OpenAIRuntime(stub.config(max_retries=1)), ChatRequest(HELLO, max_tokens=8))
    assert len(stub.requests) == 2


def test_prompt_over_the_context_is_refused_before_any_request(stub):
    rt = OpenAIRuntime(stub.config(), n_ctx=256)
    with pytest.raises(ContextOverflowError):
        complete(rt, ChatRequest(({"role": "user", "content": "sensor " * 400},), max_tokens=8))
    assert stub.requests == []


def test_context_overflow_on_the_server_is_a_context_error(stub):
    stub.chat = [status(400, "This model's maximum context length is 2048 tokens.")]
    with pytest.raises(ContextOverflowError, match="maximum context length"):
        complete(OpenAIRuntime(stub.config()), ChatRequest(HELLO, max_tokens=8))


# --- adapters, JSON shapes, ordering ------------------------------------------------------

def test_stage_models_name_the_adapter_in_each_request(stub):
    stub.models = ["base", "tdslm"]
    rt = OpenAIRuntime.connect(stub.config(stage_models={"decompose": "tdslm"}))
    assert rt.adapters() == {"decompose": "tdslm"}
    complete(rt, ChatRequest(HELLO, max_tokens=8, adapter="decompose"))
    complete(rt, ChatRequest(HELLO, max_tokens=8, adapter="transform"))
    assert [r["model"] for r in stub.requests] == ["tdslm", "base"]


def test_adapters_served_under_stage_names_are_used_without_configuration(stub):
    stub.models = ["base", "decompose", "codegen"]
    assert OpenAIRuntime.connect(stub.config()).adapters() == {"decompose": "decompose", "codegen": "codegen"}
    plain = OpenAIRuntime.connect(stub.config(), use_adapters=False)
    assert plain.adapters() == {} and plain.model_name == "base"


def test_llama_server_lora_ids_scale_only_the_active_stage(stub):
    rt = OpenAIRuntime.connect(stub.config(lora_ids={"codegen": 1, "decompose": 0}))
    complete(rt, ChatRequest(HELLO, max_tokens=8, adapter="codegen"))
    complete(rt, ChatRequest(HELLO, max_tokens=8, adapter="transform"))
    assert [r["model"] for r in stub.requests] == ["base", "base"]
    assert stub.requests[0]["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 1.0}]
    assert stub.requests[1]["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]


def test_json_schema_is_sent_in_the_openai_shape(stub):
    schema = load_json("target.schema.json")
    stub.chat = [sse('{"target": "t", "function_name": "f"}')]
    rt = OpenAIRuntime(stub.config(json_mode="json_schema"))
    complete(rt, ChatRequest(HELLO, max_tokens=32, json_schema=schema))
    sent = stub.requests[0]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == schema
    assert sent["json_schema"]["name"]


def test_server_that_rejects_json_schema_gets_json_object_from_then_on(stub):
    schema = load_json("target.schema.json")

    def llama_cpp_python_like(handler, body):
        if body["response_format"]["type"] == "json_schema":
            status(500, "Input should be 'text' or 'json_object'")(handler, body)
        else:
            sse('{"target": "t", "function_name": "f"}')(handler, body)

    stub.chat = [llama_cpp_python_like]
    rt = OpenAIRuntime(stub.config(max_retries=2))
    for _ in range(2):
        complete(rt, ChatRequest(HELLO, max_tokens=32, json_schema=schema))
    assert [r["response_format"]["type"] for r in stub.requests] == ["json_schema", "json_object", "json_object"]
    assert stub.requests[1]["response_format"]["schema"] == schema
    assert rt.json_mode == "json_object"


def _arrivals(stub: StubServer, runtimes: list[OpenAIRuntime]) -> list[float]:
    """When each of two concurrent calls reached the server; each answer takes ~0.5 s to stream."""
    arrivals: list[float] = []

    def answer(handler, body):
        arrivals.append(time.monotonic())
        sse("x" * 40, delay=0.05)(handler, body)

    stub.chat = [answer]
    threads = [threading.Thread(target=complete, args=(rt, ChatRequest(HELLO, max_tokens=64))) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(arrivals)


def test_one_runtime_sends_its_requests_one_after_the_other(stub):
    shared = OpenAIRuntime(stub.config())
    first, second = _arrivals(stub, [shared, shared])
    assert second - first >= 0.45, "one kernel's second request waits until its first answer is complete"


def test_separate_runtimes_reach_the_server_concurrently(stub):
    first, second = _arrivals(stub, [OpenAIRuntime(stub.config()), OpenAIRuntime(stub.config())])
    assert second - first < 0.3, "two kernels are not serialised on the client side"


def test_models_list_shows_what_the_server_offers(stub, capsys, no_server_env):
    stub.models = ["base", "decompose"]
    assert cli.main(["models", "list", "--base-url", stub.url]) == 0
    out = capsys.readouterr().out
    assert "base" in out and "default" in out and "decompose" in out


# --- the real llama-cpp-python server with the 0.5B model ---------------------------------

API_KEY = "iotcoder-test-key"


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    from jupyter_iotcoder import serve

    directory = tmp_path_factory.mktemp("server")
    # One thread: on a shared 2-core machine, two llama.cpp threads spin-wait for each other and crawl.
    options = serve.ServeOptions(port=serve.free_port(), api_key=API_KEY, n_ctx=4096, n_threads=1, adapters="none")
    plan = serve.plan_server(options)
    with open(directory / "server.log", "wb") as log_file, serve.running_server(plan, directory, log_file):
        yield ServerConfig(base_url=plan.base_url, api_key=API_KEY, timeout=300)


def _structure(nb) -> list[tuple]:
    """What must not depend on the backend: cell types, kinds, steps and which stage outputs each cell keeps."""
    return [(c.cell_type, c.metadata["iotcoder"]["kind"], c.metadata["iotcoder"].get("step"),
             sorted(c.metadata["iotcoder"].get("stage_outputs", {}))) for c in nb.cells]


@pytest.mark.real_model
def test_full_pipeline_through_the_server_gives_the_local_notebook_structure(real_server):
    import ast

    from jupyter_iotcoder.notebook import build_notebook
    from jupyter_iotcoder.pipeline import generate
    from scripted_answers import full_run

    from conftest import ScriptedRuntime

    # The 0.5B model decomposes this one quickly; grammar sampling is slow on long JSON strings.
    requirement = (Path(__file__).parents[1] / "examples" / "requirements" / "step_counter.txt").read_text()
    config = GenerationConfig(max_tasks=2, code_attempts=1, repair_attempts=0,
                              limits=StageLimits(decompose_tokens=400, target_tokens=120, io_tokens=300,
                                                 code_tokens=300))
    result = generate(requirement, OpenAIRuntime.connect(real_server), config)
    local = generate(REQUIREMENT, ScriptedRuntime(full_run()), config)

    assert result.model == "qwen2.5-coder-0.5b"
    assert all(result.stats[s].calls >= 1 for s in ("decompose", "transform", "codegen"))
    nb = build_notebook(result)
    assert _structure(nb) == _structure(build_notebook(local)), "two tasks: plan, markdown+code per task, wiring"
    for cell, module in zip(nb.cells[2:-1:2], result.modules):
        try:
            ast.parse(cell.source)
        except SyntaxError:
            assert module.problems, "code that does not parse is reported as a problem"
    for cell in nb.cells[1:-1:2]:
        assert "**Target**" in cell.source and "**Input Specification**" in cell.source
    assert result.specs[-1].signature.function_name == "count_steps"


@pytest.mark.real_model
def test_json_constrained_answer_from_the_real_server_validates(real_server):
    schema = load_json("target.schema.json")
    rt = OpenAIRuntime.connect(real_server)
    messages = ({"role": "user", "content": "Give the target and a function name for: smooth a 50 Hz IMU signal."},)
    result = complete(rt, ChatRequest(messages, max_tokens=120, temperature=0.0, json_schema=schema))
    jsonschema.validate(json.loads(result.text), schema)
    assert rt.json_mode == "json_object", "llama-cpp-python's server takes the json_object shape"


@pytest.mark.real_model
def test_wrong_model_name_on_the_real_server_lists_its_models(real_server):
    from dataclasses import replace

    with pytest.raises(ServerModelError, match="qwen2.5-coder-0.5b"):
        OpenAIRuntime.connect(replace(real_server, model="qwen2.5-coder-7b"))


@pytest.mark.real_model
def test_wrong_api_key_is_refused_by_the_real_server(real_server):
    from dataclasses import replace

    with pytest.raises(ServerAuthError, match="IOTCODER_API_KEY"):
        OpenAIRuntime.connect(replace(real_server, api_key="wrong"))


@pytest.mark.real_model
def test_adapter_alias_of_iotcoder_serve_is_used_for_its_stage_only(tmp_path):
    """`iotcoder serve` serves a shipped adapter as an alias; the runtime finds it and uses it for that stage."""
    from jupyter_iotcoder import serve, store
    from test_runtime_llama import _random_lora

    model = store.resolve_model(None, progress=False)
    _random_lora(tmp_path / "codegen.gguf", model.path)
    plan = serve.build_plan(model.name, model.path, {"codegen": tmp_path / "codegen.gguf"},
                            serve.ServeOptions(port=serve.free_port(), n_ctx=1024, n_threads=1))
    with open(tmp_path / "server.log", "wb") as log_file, serve.running_server(plan, tmp_path, log_file):
        rt = OpenAIRuntime.connect(ServerConfig(base_url=plan.base_url, timeout=300))
        answers = [complete(rt, ChatRequest(HELLO, max_tokens=12, temperature=0.0, adapter=stage)).text
                   for stage in (None, "codegen", "transform")]
    assert rt.adapters() == {"codegen": "codegen"} and rt.model_name == model.name
    base, tuned, other_stage = answers
    assert tuned != base, "the codegen alias runs with the adapter"
    assert other_stage == base, "a stage without an adapter gets the base model back"
