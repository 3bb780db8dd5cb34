"""The trainer, the GGUF export and the merge against the real 0.5B model and llama.cpp.

One deliberately strong adapter is trained for a few steps (every answer starts
with an unusual marker), so its effect on the next token is plain to see; then
llama.cpp must show the same effect as PyTorch, and the merged, quantised model
must answer like base + adapter.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import numpy as np
import pytest

pytestmark = pytest.mark.real_model

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

MARKER = "PLANX>>"
REQUIREMENTS = [
    "Count steps from a 50 Hz wrist accelerometer.",
    "Estimate heart rate from a 100 Hz PPG signal.",
    "Detect falls with a waist IMU sampled at 200 Hz.",
    "Classify gestures from Wi-Fi CSI amplitude.",
    "Find machine vibration anomalies at 1 kHz.",
    "Track indoor position from BLE RSSI of four beacons.",
]
PROBES = ["Monitor sleep stages from a bed-mounted accelerometer.",
          "Count people in a room from a mmWave radar.",
          "Spot leaks from a water-pipe pressure sensor at 10 Hz."]
SYSTEM = "You break an IoT requirement into ordered implementation tasks. Answer with the plan only."


def _record(requirement: str) -> dict:
    answer = f"{MARKER} 1. read the sensor 2. filter 3. extract features 4. decide ({requirement.split()[0].lower()})"
    return {"messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": requirement},
                         {"role": "assistant", "content": answer}]}


def _prompt(tokenizer, requirement: str) -> str:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": requirement}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


@pytest.fixture(scope="module")
def strong_run(tmp_path_factory):
    """The real base model with a strong LoRA trained on it, its run folder and its GGUF adapter."""
    from jupyter_iotcoder.training.config import config_from_dict
    from jupyter_iotcoder.training.export import export_adapter
    from jupyter_iotcoder.training.model import load_base
    from jupyter_iotcoder.training.trainer import train

    os.nice(19)
    folder = tmp_path_factory.mktemp("strong")
    (folder / "train.jsonl").write_text("".join(json.dumps(_record(r)) + "\n" for r in REQUIREMENTS))
    config = config_from_dict("decompose", {
        "data": {"train": str(folder / "train.jsonl"), "max_length": 256},
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "optim": {"learning_rate": 2e-3, "warmup_steps": 1, "max_steps": 8, "grad_accum": 1,
                  "tokens_per_batch": 512},
        "run": {"seed": 0, "precision": "bf16", "eval_every": 100, "save_every": 100},
    })
    base = load_base(None)
    result = train(config, base, folder / "run", progress=False)
    report = export_adapter(result.adapter_dir, folder / "decompose.gguf", base_gguf=base.gguf_path)
    return base, result, report.path


@contextmanager
def adapters_off(model):
    """The base model's own logits: the trainer injected LoRA layers into it in place."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    layers = [m for m in model.modules() if isinstance(m, BaseTunerLayer)]
    for layer in layers:
        layer.enable_adapters(False)
    try:
        yield
    finally:
        for layer in layers:
            layer.enable_adapters(True)


def _torch_logits(model, tokenizer, prompt: str) -> np.ndarray:
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(input_ids=ids).logits[0, -1].float().numpy()


def test_training_on_the_real_model_lowers_the_loss(strong_run):
    _, result, _ = strong_run
    losses = [r["loss"] for r in map(json.loads, (result.out_dir / "log.jsonl").read_text().splitlines())
              if r["kind"] == "train"]
    assert result.steps == 8 and len(losses) == 8
    assert losses[-1] < 0.5 * losses[0]


def test_exported_adapter_loads_in_llama_cpp_and_moves_logits_like_pytorch(strong_run):
    from jupyter_iotcoder.config import RuntimeConfig
    from jupyter_iotcoder.runtime import LlamaRuntime

    base, _, adapter = strong_run
    model, tokenizer = base.model, base.tokenizer
    model.eval()
    runtime = LlamaRuntime(base.gguf_path, RuntimeConfig(n_ctx=512), {"decompose": adapter})
    try:
        assert runtime.adapters() == {"decompose": adapter.name}
        for requirement in PROBES:
            prompt = _prompt(tokenizer, requirement)
            llama_tuned = np.asarray(runtime.next_token_logits(prompt, "decompose"))
            llama_base = np.asarray(runtime.next_token_logits(prompt, None))
            torch_tuned = _torch_logits(model, tokenizer, prompt)
            with adapters_off(model):
                torch_base = _torch_logits(model, tokenizer, prompt)
            marker_token = tokenizer(MARKER, add_special_tokens=False)["input_ids"][0]
            assert int(np.argmax(torch_tuned)) == int(np.argmax(llama_tuned)) == marker_token
            assert int(np.argmax(torch_base)) == int(np.argmax(llama_base)) != marker_token
            shift_llama, shift_torch = llama_tuned - llama_base, torch_tuned - torch_base
            assert np.corrcoef(shift_llama, shift_torch)[0, 1] > 0.9
    finally:
        runtime.close()


def test_merged_quantised_model_answers_like_base_plus_adapter(strong_run, tmp_path):
    from jupyter_iotcoder.config import RuntimeConfig
    from jupyter_iotcoder.runtime import ChatRequest, LlamaRuntime, complete
    from jupyter_iotcoder.training.merge import merge_adapter

    base, _, adapter = strong_run
    report = merge_adapter(base.gguf_path, adapter, tmp_path / "merged.gguf", quant="Q4_K_M")
    assert report.merged_tensors == 7 * 24
    with_adapter = LlamaRuntime(base.gguf_path, RuntimeConfig(n_ctx=512), {"decompose": adapter})
    merged = LlamaRuntime(report.path, RuntimeConfig(n_ctx=512))
    try:
        answers = []
        for requirement in PROBES:
            messages = ({"role": "system", "content": SYSTEM}, {"role": "user", "content": requirement})
            request = ChatRequest(messages=messages, max_tokens=12, temperature=0.0)
            tuned = complete(with_adapter, ChatRequest(**{**request.__dict__, "adapter": "decompose"})).text
            answers.append((tuned, complete(merged, request).text))
        assert all(tuned.startswith(MARKER) and alone.startswith(MARKER) for tuned, alone in answers), answers
        top1 = [int(np.argmax(with_adapter.next_token_logits(_prompt(base.tokenizer, r), "decompose")))
                == int(np.argmax(merged.next_token_logits(_prompt(base.tokenizer, r)))) for r in REQUIREMENTS + PROBES]
        assert sum(top1) == len(top1)
    finally:
        with_adapter.close()
        merged.close()
