"""The runtime's pure parts: loop detection, complete(), device choice and the AMX probe (no model is loaded)."""

from __future__ import annotations

import json
import sys
import threading
import types

import pytest

from jupyter_iotcoder import runtime
from jupyter_iotcoder.errors import ContextOverflowError, GenerationCancelled
from jupyter_iotcoder.runtime import (
    ChatRequest,
    choose_gpu_layers,
    complete,
    extra_buffer_types_safe,
    is_looping,
    probe_default_load,
)

from conftest import ScriptedRuntime

ORDINARY_CODE = '''"""Step counting."""
import numpy as np


def count_steps(acc, fs):
    """Count peaks."""
    magnitude = np.linalg.norm(acc, axis=1)
    magnitude = magnitude - magnitude.mean()
    peaks = []
    for i in range(1, magnitude.size - 1):
        if magnitude[i] > magnitude[i - 1] and magnitude[i] >= magnitude[i + 1]:
            peaks.append(i)
    return len(peaks)
'''


class PiecesRuntime:
    """Streams fixed pieces; keeps each generator so that only an explicit close() can finalise it."""

    model_name = "pieces"

    def __init__(self, pieces: list[str], n_ctx: int = 4096) -> None:
        self.pieces = pieces
        self.n_ctx = n_ctx
        self.requests: list[ChatRequest] = []
        self.generators: list = []
        self.closed = False
        self.yielded = 0

    def stream(self, request: ChatRequest):
        self.requests.append(request)

        def gen():
            try:
                for piece in self.pieces:
                    self.yielded += 1
                    yield piece
            finally:
                self.closed = True

        g = gen()
        self.generators.append(g)  # a live reference: garbage collection cannot close it for complete()
        return g

    def count_tokens(self, messages) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 3

    def adapters(self) -> dict[str, str]:
        return {}


def request(max_tokens: int = 100, content: str = "hi") -> ChatRequest:
    return ChatRequest(messages=({"role": "user", "content": content},), max_tokens=max_tokens)


# --- is_looping ----------------------------------------------------------------


def test_is_looping_true_for_a_line_repeated_three_times():
    assert is_looping("def test():\n" + "    assert f(1) == 2\n" * 3)


def test_is_looping_true_for_a_repeated_block_of_lines():
    block = "if x > 0:\n    y = 1\nelse:\n    y = 2\n"
    assert is_looping("result = []\n" + block * 3)


def test_is_looping_ignores_blank_lines_between_repeats():
    assert is_looping("print(1)\n\nprint(1)\n\n\nprint(1)\n")


def test_is_looping_false_for_a_line_repeated_only_twice():
    assert not is_looping("x = 0\n" + "x += 1\n" * 2)


def test_is_looping_false_for_ordinary_code():
    assert not is_looping(ORDINARY_CODE)


def test_is_looping_false_for_a_block_longer_than_max_period():
    block = "".join(f"a{i} = {i}\n" for i in range(9))
    assert not is_looping(block * 3, max_period=8)
    assert is_looping(block * 3, max_period=9)


# --- complete ------------------------------------------------------------------


def test_complete_returns_the_whole_text_with_finish_stop():
    rt = PiecesRuntime(["def ", "f():", "\n", "    return 1\n"])
    result = complete(rt, request(max_tokens=100))
    assert result.text == "def f():\n    return 1\n"
    assert result.tokens == 4
    assert result.finish_reason == "stop"


def test_complete_reports_length_when_the_token_cap_is_reached():
    rt = PiecesRuntime(["a", "b", "c", "d"])
    result = complete(rt, request(max_tokens=4))
    assert (result.text, result.tokens, result.finish_reason) == ("abcd", 4, "length")


def test_complete_stops_at_until_and_returns_its_text():
    rt = PiecesRuntime(["```py", "thon\n", "x = 1\n", "```", "\nprose", " never", " read"])

    def until(text: str) -> str | None:
        end = text.find("\n```", 10)
        return text[: end + 4] if end >= 0 else None

    result = complete(rt, request(max_tokens=100), until=until)
    assert result.text == "```python\nx = 1\n```"
    assert result.finish_reason == "until"
    assert result.tokens == 4
    assert rt.yielded == 4


def test_complete_stops_a_repetition_loop():
    rt = PiecesRuntime(["def test():\n"] + ["    assert f(1) == 2\n"] * 50)
    result = complete(rt, request(max_tokens=1000))
    assert result.finish_reason == "repetition"
    assert result.tokens == 4  # the header and three equal lines
    assert rt.yielded == 4


def test_complete_clips_max_tokens_to_the_context_room():
    rt = ScriptedRuntime(["ok"], n_ctx=200)
    content = "x" * 400  # 400 // 4 + 3 = 103 prompt tokens: 97 left
    complete(rt, request(max_tokens=1000, content=content))
    assert rt.history[0].max_tokens == 200 - rt.count_tokens(({"role": "user", "content": content},))
    assert rt.history[0].max_tokens == 97


def test_complete_keeps_max_tokens_that_fit_the_context():
    rt = ScriptedRuntime(["ok"], n_ctx=4096)
    complete(rt, request(max_tokens=50))
    assert rt.history[0].max_tokens == 50


def test_complete_raises_context_overflow_when_the_prompt_does_not_fit():
    rt = ScriptedRuntime(["never sent"], n_ctx=64)
    with pytest.raises(ContextOverflowError, match="--n-ctx"):
        complete(rt, request(content="x" * 400))
    assert rt.history == []


def test_complete_raises_generation_cancelled_when_cancel_is_set():
    rt = PiecesRuntime(["a", "b", "c"])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        complete(rt, request(), cancel=cancel)


def test_complete_cancel_set_during_generation_stops_it():
    rt = PiecesRuntime([f"t{i} " for i in range(20)])
    cancel = threading.Event()

    def on_token(tokens: int, elapsed: float) -> None:
        if tokens == 3:
            cancel.set()

    with pytest.raises(GenerationCancelled):
        complete(rt, request(), cancel=cancel, on_token=on_token)
    assert rt.yielded == 4
    assert rt.closed


def test_complete_reports_progress_per_token():
    rt = PiecesRuntime(["a", "b", "c"])
    seen: list[int] = []
    complete(rt, request(), on_token=lambda tokens, elapsed: seen.append(tokens))
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("case", ["stop", "length", "until", "repetition", "cancel", "error"])
def test_complete_closes_the_stream_generator(case):
    pieces = ["x = 1\n"] * 6 if case == "repetition" else ["a", "b", "c", "d", "e"]
    rt = PiecesRuntime(pieces)
    cancel = threading.Event()
    kwargs: dict = {}
    if case == "until":
        kwargs["until"] = lambda text: text if len(text) >= 2 else None
    if case == "cancel":
        cancel.set()
        kwargs["cancel"] = cancel
    if case == "error":
        def on_token(tokens, elapsed):
            raise RuntimeError("display failed")
        kwargs["on_token"] = on_token
    max_tokens = 5 if case == "length" else 100

    if case == "cancel":
        with pytest.raises(GenerationCancelled):
            complete(rt, request(max_tokens), **kwargs)
    elif case == "error":
        with pytest.raises(RuntimeError, match="display failed"):
            complete(rt, request(max_tokens), **kwargs)
    else:
        result = complete(rt, request(max_tokens), **kwargs)
        assert result.finish_reason == case
    assert rt.closed


# --- choose_gpu_layers ---------------------------------------------------------


@pytest.mark.parametrize("gpu", [True, False])
def test_choose_gpu_layers_cpu_keeps_everything_on_cpu(gpu):
    layers, message = choose_gpu_layers("cpu", gpu)
    assert layers == 0
    assert "CPU" in message


def test_choose_gpu_layers_auto_with_gpu_offloads_all_layers():
    layers, message = choose_gpu_layers("auto", True)
    assert layers == -1
    assert "GPU" in message


def test_choose_gpu_layers_auto_without_gpu_runs_on_cpu():
    layers, message = choose_gpu_layers("auto", False)
    assert layers == 0
    assert "CPU" in message
    assert "CMAKE_ARGS" not in message


def test_choose_gpu_layers_cuda_with_gpu_offloads_all_layers():
    assert choose_gpu_layers("cuda", True)[0] == -1


def test_choose_gpu_layers_cuda_without_gpu_falls_back_and_says_how_to_rebuild():
    layers, message = choose_gpu_layers("cuda", False)
    assert layers == 0
    assert "CMAKE_ARGS=-DGGML_CUDA=on" in message


# --- probe_default_load --------------------------------------------------------


def test_probe_default_load_false_when_the_child_crashes_with_sigsegv():
    command = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    assert probe_default_load("unused.gguf", command=command, timeout=60) is False


def test_probe_default_load_true_when_the_child_exits_0():
    assert probe_default_load("unused.gguf", command=[sys.executable, "-c", "pass"], timeout=60) is True


def test_probe_default_load_false_when_the_child_exits_non_zero():
    command = [sys.executable, "-c", "raise SystemExit(3)"]
    assert probe_default_load("unused.gguf", command=command, timeout=60) is False


def test_probe_default_load_false_on_timeout():
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    assert probe_default_load("unused.gguf", command=command, timeout=0.5) is False


# --- extra_buffer_types_safe ---------------------------------------------------


def fake_llama_cpp(version: str = "0.3.36", info: bytes = b"CPU : AVX512 = 1 | AMX_INT8 = 1 |"):
    return types.SimpleNamespace(__version__=version, llama_print_system_info=lambda: info)


@pytest.fixture
def probe(monkeypatch, tmp_path):
    """AMX on CPU and build, a cache in tmp_path, and a counting stand-in for the child-process probe."""
    monkeypatch.setenv("IOTCODER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(runtime, "_cpu_has_amx", lambda: True)
    monkeypatch.setattr(runtime, "_build_has_amx", lambda llama_cpp: True)
    state = types.SimpleNamespace(calls=[], verdict=False)

    def fake_probe(model_path, command=None, timeout=180):
        state.calls.append(model_path)
        return state.verdict

    monkeypatch.setattr(runtime, "probe_default_load", fake_probe)
    return state


@pytest.mark.parametrize("verdict", [False, True])
def test_extra_buffer_types_safe_probes_once_and_caches_the_verdict(probe, tmp_path, verdict):
    probe.verdict = verdict
    llama_cpp = fake_llama_cpp()
    assert extra_buffer_types_safe("m.gguf", llama_cpp) is verdict
    assert probe.calls == ["m.gguf"]
    assert json.loads((tmp_path / "amx_probe.json").read_text())["safe"] is verdict

    assert extra_buffer_types_safe("m.gguf", llama_cpp) is verdict
    assert probe.calls == ["m.gguf"]


def test_extra_buffer_types_safe_probes_again_for_another_llama_cpp_build(probe):
    extra_buffer_types_safe("m.gguf", fake_llama_cpp(version="0.3.36"))
    extra_buffer_types_safe("m.gguf", fake_llama_cpp(version="0.3.37"))
    assert len(probe.calls) == 2


def test_extra_buffer_types_safe_true_without_probing_when_the_cpu_has_no_amx(probe, monkeypatch, tmp_path):
    monkeypatch.setattr(runtime, "_cpu_has_amx", lambda: False)
    assert extra_buffer_types_safe("m.gguf", fake_llama_cpp()) is True
    assert probe.calls == []
    assert not (tmp_path / "amx_probe.json").exists()


def test_extra_buffer_types_safe_true_without_probing_when_the_build_has_no_amx(probe, monkeypatch):
    monkeypatch.setattr(runtime, "_build_has_amx", lambda llama_cpp: False)
    assert extra_buffer_types_safe("m.gguf", fake_llama_cpp()) is True
    assert probe.calls == []


def test_build_has_amx_reads_the_system_info():
    assert runtime._build_has_amx(fake_llama_cpp(info=b"AMX_INT8 = 1 |")) is True
    assert runtime._build_has_amx(fake_llama_cpp(info=b"AVX2 = 1 |")) is False
