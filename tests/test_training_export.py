"""PEFT LoRA -> GGUF LoRA adapter: names, metadata, shapes and the weight delta llama.cpp will apply."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
gguf = pytest.importorskip("gguf")

from jupyter_iotcoder.training.config import LoraConfig
from jupyter_iotcoder.training.export import (
    AdapterExportError, check_fits_base, export_adapter, read_gguf_adapter, read_peft_adapter,
)
from jupyter_iotcoder.training.model import add_lora
from tiny_qwen import tiny_model

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@pytest.fixture()
def peft_dir(tmp_path):
    """A tiny model's LoRA with random (non-zero) A and B, saved the way the trainer saves it."""
    torch.set_num_threads(1)
    model = add_lora(tiny_model(300), LoraConfig(r=4, alpha=8, dropout=0.0, target_modules=TARGETS), seed=0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    model.save_pretrained(tmp_path / "adapter")
    return tmp_path / "adapter", model


def test_export_writes_llama_cpp_adapter_metadata_and_gguf_tensor_names(peft_dir, tmp_path):
    folder, _ = peft_dir
    report = export_adapter(folder, tmp_path / "a.gguf", name="tiny decompose LoRA")
    reader = gguf.GGUFReader(str(report.path))
    fields = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert fields["general.type"] == "adapter" and fields["adapter.type"] == "lora"
    assert fields["general.architecture"] == "qwen2" and fields["adapter.lora.alpha"] == 8.0
    names = {t.name for t in reader.tensors}
    assert "blk.0.attn_q.weight.lora_a" in names and "blk.1.ffn_down.weight.lora_b" in names
    assert len(names) == report.tensors == 2 * 2 * len(TARGETS)
    q_a = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight.lora_a")
    q_b = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight.lora_b")
    # llama.cpp's check: a.ne[0] == in, b.ne[1] == out, a.ne[1] == b.ne[0] == r
    assert list(q_a.shape) == [32, 4] and list(q_b.shape) == [4, 32]
    assert q_a.tensor_type == gguf.GGMLQuantizationType.F16


def test_exported_delta_equals_peft_delta_for_every_module(peft_dir, tmp_path):
    folder, model = peft_dir
    weights = read_gguf_adapter(export_adapter(folder, tmp_path / "a.gguf", dtype="f32").path)
    checked = 0
    for name, module in model.named_modules():
        if hasattr(module, "get_delta_weight") and "default" in getattr(module, "lora_A", {}):
            layer = name.split(".layers.")[1].split(".")[0]
            kind = name.rsplit(".", 1)[1]
            gguf_name = {"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
                         "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down"}[kind]
            expected = module.get_delta_weight("default").detach().numpy()
            np.testing.assert_allclose(weights.delta(f"blk.{layer}.{gguf_name}.weight"), expected, rtol=1e-5, atol=1e-6)
            checked += 1
    assert checked == 2 * len(TARGETS)


def test_rslora_alpha_is_converted_to_llama_cpp_scaling(peft_dir):
    folder, _ = peft_dir
    config = json.loads((folder / "adapter_config.json").read_text())
    config["use_rslora"] = True
    (folder / "adapter_config.json").write_text(json.dumps(config))
    weights = read_peft_adapter(folder)
    assert weights.alpha / weights.rank == pytest.approx(8 / 4 ** 0.5)


def test_adapter_for_another_model_is_refused_with_the_reason(peft_dir):
    weights = read_peft_adapter(peft_dir[0])
    with pytest.raises(AdapterExportError, match="llama"):
        check_fits_base(weights, "llama", {}, "other.gguf")
    shapes = {name: (b.shape[0], a.shape[1]) for name, (a, b) in weights.pairs.items()}
    shapes["blk.0.attn_q.weight"] = (64, 32)
    with pytest.raises(AdapterExportError, match="another model"):
        check_fits_base(weights, "qwen2", shapes, "bigger.gguf")


def test_folder_without_an_adapter_is_a_clear_error(tmp_path):
    with pytest.raises(AdapterExportError, match="not a PEFT LoRA adapter"):
        export_adapter(tmp_path, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def _tiny_base_gguf(path, model):
    """A GGUF holding the tiny model's weights under their GGUF names: enough for shape checks."""
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, model.config.num_hidden_layers)
    writer = gguf.GGUFWriter(str(path), "qwen2")
    for name, tensor in model.state_dict().items():
        target = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if target is not None:
            writer.add_tensor(target, tensor.numpy().astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_models_export_command_checks_the_base_and_installs_where_the_runtime_looks(peft_dir, tmp_path,
                                                                                   monkeypatch, capsys):
    from jupyter_iotcoder import cli, config, store

    folder, _ = peft_dir
    base = _tiny_base_gguf(tmp_path / "tiny-base.gguf", tiny_model(300))
    (tmp_path / "models").mkdir()
    shutil.copy(config.resource_dir("models") / "manifest.toml", tmp_path / "models")
    for module in (config, store):
        monkeypatch.setattr(module, "resource_dir", lambda name: tmp_path / name)
    out = tmp_path / "decompose-lora.gguf"
    code = cli.main(["models", "export", str(folder), "-o", str(out), "--base", str(base),
                     "--stage", "decompose", "--install"])
    assert code == 0, capsys.readouterr().err
    installed = tmp_path / "models" / "adapters" / "tiny-base" / "decompose.gguf"
    assert installed.read_bytes() == out.read_bytes()
    assert store.find_adapter("tiny-base", "decompose") == installed
    assert read_gguf_adapter(installed).rank == 4


def test_models_export_refuses_a_base_of_another_shape(peft_dir, tmp_path, capsys):
    from jupyter_iotcoder import cli
    from transformers import Qwen2Config, Qwen2ForCausalLM

    wider = Qwen2ForCausalLM(Qwen2Config(vocab_size=300, hidden_size=64, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2))
    base = _tiny_base_gguf(tmp_path / "wider.gguf", wider)
    code = cli.main(["models", "export", str(peft_dir[0]), "-o", str(tmp_path / "x.gguf"), "--base", str(base)])
    assert code == 1 and "trained on another model" in capsys.readouterr().err
    assert not (tmp_path / "x.gguf").exists()
