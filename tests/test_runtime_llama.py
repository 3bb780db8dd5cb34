"""The llama.cpp runtime against the REAL 0.5B model (slow-ish: seconds per test on 2 cores)."""

from __future__ import annotations

import json
import threading
import time

import jsonschema
import numpy as np
import pytest

from jupyter_iotcoder.config import RuntimeConfig
from jupyter_iotcoder.prompts import load_json
from jupyter_iotcoder.runtime import ChatRequest, LlamaRuntime, complete

pytestmark = pytest.mark.real_model

HELLO = ({"role": "user", "content": "Write a Python function that adds two numbers."},)


@pytest.fixture(scope="module")
def model_path():
    from jupyter_iotcoder.store import resolve_model

    return resolve_model(None, progress=False).path


@pytest.fixture(scope="module")
def llama(model_path):
    runtime = LlamaRuntime(model_path, RuntimeConfig(n_ctx=1024))
    yield runtime
    runtime.close()


def test_streams_a_greedy_answer(llama):
    result = complete(llama, ChatRequest(HELLO, max_tokens=24, temperature=0.0))
    assert result.tokens > 5 and result.text.strip()
    again = complete(llama, ChatRequest(HELLO, max_tokens=24, temperature=0.0))
    assert again.text == result.text, "greedy decoding is deterministic"


def test_json_schema_constrains_the_answer(llama):
    schema = load_json("target.schema.json")
    messages = ({"role": "user", "content": "Give the target and a function name for: smooth a 50 Hz IMU signal."},)
    result = complete(llama, ChatRequest(messages, max_tokens=120, temperature=0.0, json_schema=schema))
    jsonschema.validate(json.loads(result.text), schema)


def test_prompt_longer_than_the_context_is_refused(llama):
    from jupyter_iotcoder.errors import ContextOverflowError

    long = ({"role": "user", "content": "sensor " * 2000},)
    with pytest.raises(ContextOverflowError, match="context"):
        complete(llama, ChatRequest(long, max_tokens=16))


def test_concurrent_callers_are_serialised(llama):
    spans: dict[str, list[float]] = {"a": [], "b": []}
    texts: dict[str, str] = {}

    def worker(name: str) -> None:
        def on_token(tokens, elapsed):
            spans[name].append(time.monotonic())
        texts[name] = complete(llama, ChatRequest(HELLO, max_tokens=16, temperature=0.0), on_token=on_token).text

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    first, second = sorted(spans.values(), key=lambda s: s[0])
    assert first[-1] <= second[0], "one generation finished before the other started"
    assert texts["a"] == texts["b"], "no interleaving corrupted either answer"


def _random_lora(path, model_path, rank=4, scale=0.5):
    """A LoRA adapter in llama.cpp's GGUF format over every layer's ffn_down, with random weights."""
    import gguf

    reader = gguf.GGUFReader(model_path)
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(rank))
    rng = np.random.default_rng(0)
    for tensor in reader.tensors:
        if tensor.name.endswith("ffn_down.weight"):
            n_in, n_out = (int(x) for x in tensor.shape[:2])
            writer.add_tensor(tensor.name + ".lora_a", (rng.standard_normal((rank, n_in)) * scale).astype(np.float32))
            writer.add_tensor(tensor.name + ".lora_b", (rng.standard_normal((n_out, rank)) * scale).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_lora_adapter_is_switched_per_request_on_one_base_model(tmp_path, model_path, capfd):
    adapter = tmp_path / "codegen.gguf"
    _random_lora(adapter, model_path)
    capfd.readouterr()
    runtime = LlamaRuntime(model_path, RuntimeConfig(n_ctx=512), {"codegen": adapter})
    loading = capfd.readouterr()
    assert "llama_adapter_lora" not in loading.out + loading.err, "llama.cpp's per-tensor notes stay out of the user's output"
    try:
        assert runtime.adapters() == {"codegen": "codegen.gguf"}
        base = complete(runtime, ChatRequest(HELLO, max_tokens=12, temperature=0.0)).text
        tuned = complete(runtime, ChatRequest(HELLO, max_tokens=12, temperature=0.0, adapter="codegen")).text
        base_again = complete(runtime, ChatRequest(HELLO, max_tokens=12, temperature=0.0)).text
        unknown_stage = complete(runtime, ChatRequest(HELLO, max_tokens=12, temperature=0.0, adapter="transform")).text
    finally:
        runtime.close()
    assert tuned != base, "the adapter changes the answer"
    assert base_again == base, "switching back restores the base model exactly"
    assert unknown_stage == base, "a stage without an adapter runs on the base model"


def test_lora_scale_from_the_policy_reaches_llama_cpp(tmp_path, model_path):
    adapter = tmp_path / "codegen.gguf"
    _random_lora(adapter, model_path, scale=0.05)  # small enough that the logits move in proportion
    prompt = "<|im_start|>user\nWrite a Python function that adds two numbers.<|im_end|>\n<|im_start|>assistant\n"
    shift = {}
    for scale in (1.0, 0.1):
        runtime = LlamaRuntime(model_path, RuntimeConfig(n_ctx=512), {"codegen": adapter},
                               adapter_scales={"codegen": scale})
        try:
            base = np.array(runtime.next_token_logits(prompt))
            tuned = np.array(runtime.next_token_logits(prompt, adapter="codegen"))
        finally:
            runtime.close()
        shift[scale] = float(np.abs(tuned - base).mean())
    # switching kernels when an adapter is set moves the logits a little (~0.04) even at a small scale
    assert 0 < shift[0.1] < shift[1.0] / 2, f"a tenth of the adapter moves the logits less: {shift}"
