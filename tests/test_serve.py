"""`iotcoder serve`: the llama-cpp-python server config it builds, and where it refuses to listen."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from jupyter_iotcoder import cli, serve, store
from jupyter_iotcoder.serve import ServeError, ServeOptions, build_plan, check_bind
from jupyter_iotcoder.runtime import stage_adapters

MODEL = Path("/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")


def test_loopback_plan_runs_llama_cpp_python_server_with_the_local_model():
    plan = build_plan("qwen2.5-coder-0.5b", MODEL, {}, ServeOptions(port=8123, n_ctx=2048, n_threads=2))
    assert plan.command("/tmp/c.json") == [sys.executable, "-m", "llama_cpp.server", "--config_file", "/tmp/c.json"]
    assert plan.base_url == "http://127.0.0.1:8123/v1"
    settings = plan.settings
    assert settings["host"] == "127.0.0.1" and settings["port"] == 8123
    assert settings["interrupt_requests"] is False, "a new request must not cut off another kernel's answer"
    assert "api_key" not in settings
    (base,) = settings["models"]
    assert base["model"] == str(MODEL) and base["model_alias"] == "qwen2.5-coder-0.5b"
    assert base["n_ctx"] == 2048 and base["n_threads"] == 2 and base["n_threads_batch"] == 2
    assert base["logits_all"] is False


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_flag(host):
    check_bind(host, allow_remote=False, api_key=None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "gpu-box.lab", "::"])
def test_other_hosts_are_refused_without_allow_remote(host):
    with pytest.raises(ServeError, match="--allow-remote"):
        check_bind(host, allow_remote=False, api_key="k")


def test_allow_remote_still_needs_an_api_key():
    with pytest.raises(ServeError, match="needs an API key"):
        check_bind("0.0.0.0", allow_remote=True, api_key=None)
    plan = build_plan("m", MODEL, {}, ServeOptions(host="0.0.0.0", allow_remote=True, api_key="secret"))
    assert plan.settings["host"] == "0.0.0.0" and plan.settings["api_key"] == "secret"


def test_cli_refuses_a_public_host_before_loading_anything(monkeypatch, capsys):
    monkeypatch.delenv("IOTCODER_API_KEY", raising=False)
    monkeypatch.setattr(serve, "plan_server", lambda options: pytest.fail("must not get this far"))
    assert cli.main(["serve", "--host", "0.0.0.0", "--allow-remote"]) == 2
    assert "needs an API key" in capsys.readouterr().err


def test_shipped_adapters_become_extra_model_aliases(tmp_path, monkeypatch):
    adapters_dir = tmp_path / "adapters" / "qwen2.5-coder-0.5b"
    adapters_dir.mkdir(parents=True)
    for stage in ("decompose", "codegen"):
        (adapters_dir / f"{stage}.gguf").write_bytes(b"GGUF")

    def find_adapter(model_name, stage):
        path = tmp_path / "adapters" / model_name / f"{stage}.gguf"
        return path if path.is_file() else None

    monkeypatch.setattr(store, "find_adapter", find_adapter)
    adapters = stage_adapters("qwen2.5-coder-0.5b", "all")  # both ship off by default (adapters.toml)
    assert adapters == {"decompose": adapters_dir / "decompose.gguf", "codegen": adapters_dir / "codegen.gguf"}
    plan = build_plan("qwen2.5-coder-0.5b", MODEL, adapters, ServeOptions())
    assert plan.aliases == ["qwen2.5-coder-0.5b", "codegen", "decompose"], "the base model stays the default"
    by_alias = {m["model_alias"]: m for m in plan.settings["models"]}
    assert "lora_path" not in by_alias["qwen2.5-coder-0.5b"]
    assert by_alias["codegen"]["lora_path"] == str(adapters_dir / "codegen.gguf")
    assert by_alias["codegen"]["model"] == str(MODEL), "each adapter runs on the same base model"
    assert stage_adapters("another-model", "all") == {}


def test_cpu_whose_amx_kernels_crash_gets_the_server_without_extra_buffer_types():
    plan = build_plan("m", MODEL, {}, ServeOptions(), extra_bufts_safe=False)
    assert plan.command("c.json")[1:3] == ["-m", "jupyter_iotcoder.serve"]


def test_config_file_is_private_because_it_can_hold_the_api_key(tmp_path):
    plan = build_plan("m", MODEL, {}, ServeOptions(host="0.0.0.0", allow_remote=True, api_key="secret"))
    path = serve.write_config(plan, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == plan.settings


def test_server_child_ignores_variables_that_would_move_its_address():
    env = serve.server_env({"HOST": "0.0.0.0", "PORT": "80", "CONFIG_FILE": "/tmp/x.json", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}


def test_print_config_shows_the_plan_and_hides_the_key(monkeypatch, capsys):
    def plan_server(options):
        return build_plan("m", MODEL, {}, options)

    monkeypatch.setattr(serve, "plan_server", plan_server)
    monkeypatch.setenv("IOTCODER_API_KEY", "secret")
    assert cli.main(["serve", "--port", "8124", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert '"port": 8124' in out and '"api_key": "***"' in out and "secret" not in out
    assert "llama_cpp.server --config_file" in out


def _static_server_plan(tmp_path, monkeypatch):
    """A plan whose 'server' is Python's http.server answering /v1/models from a folder."""
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "models").write_text("{}")
    plan = build_plan("qwen2.5-coder-0.5b", MODEL, {}, ServeOptions(port=serve.free_port()))
    command = [sys.executable, "-m", "http.server", str(plan.settings["port"]), "--bind", "127.0.0.1",
               "--directory", str(tmp_path)]
    monkeypatch.setattr(serve.ServePlan, "command", lambda self, config, python=sys.executable: command)
    return plan


def test_running_server_is_ready_inside_the_block_and_stopped_after_an_error(tmp_path, monkeypatch):
    plan = _static_server_plan(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError, match="the caller failed"):
        with serve.running_server(plan, tmp_path, timeout=30) as proc:
            serve.wait_until_ready(plan.base_url, proc, timeout=1)  # already answering
            raise RuntimeError("the caller failed")
    assert proc.poll() is not None, "the server outlived its block"


def test_running_server_reports_a_server_that_exits_before_it_is_ready(tmp_path, monkeypatch):
    plan = build_plan("qwen2.5-coder-0.5b", MODEL, {}, ServeOptions(port=serve.free_port()))
    monkeypatch.setattr(serve.ServePlan, "command",
                        lambda self, config, python=sys.executable: [sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(ServeError, match="exited with code 3 before it was ready"):
        with serve.running_server(plan, tmp_path, timeout=30):
            pass
