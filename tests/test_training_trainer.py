"""The trainer on a tiny randomly initialised Qwen2 model: loss falls, resume is exact, logs are written."""

from __future__ import annotations

import json
import threading

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from jupyter_iotcoder.training.checkpoint import checkpoint_dirs
from jupyter_iotcoder.training.config import config_from_dict
from jupyter_iotcoder.training.trainer import TrainRunError, train
from tiny_qwen import tiny_base, write_chat_jsonl


def _config(tmp_path, **optim):
    train_file = write_chat_jsonl(tmp_path / "train.jsonl", 24)
    eval_file = write_chat_jsonl(tmp_path / "heldout.jsonl", 6, start=100)
    return config_from_dict("decompose", {
        "data": {"train": str(train_file), "eval": str(eval_file), "max_length": 256, "eval_examples": 4},
        "lora": {"r": 8, "alpha": 16, "dropout": 0.1},
        "optim": {"learning_rate": 3e-2, "warmup_steps": 2, "max_steps": 8, "grad_accum": 2,
                  "tokens_per_batch": 512, **optim},
        "run": {"seed": 1, "precision": "fp32", "eval_every": 4, "save_every": 3, "keep_checkpoints": 2},
    })


def _adapter_weights(result):
    from safetensors.torch import load_file

    return load_file(str(result.adapter_dir / "adapter_model.safetensors"))


def _losses(out_dir, kind="train"):
    return [r["loss"] for r in map(json.loads, (out_dir / "log.jsonl").read_text().splitlines()) if r["kind"] == kind]


def test_training_a_few_steps_lowers_the_training_and_held_out_loss(tmp_path):
    config = _config(tmp_path, max_steps=12)
    result = train(config, tiny_base(), tmp_path / "run", progress=False)
    losses = _losses(tmp_path / "run")
    evals = _losses(tmp_path / "run", "eval")
    assert result.steps == 12 and not result.interrupted and len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3
    assert evals[-1] < evals[0]  # eval at step 0 (before training) and at the end
    assert (tmp_path / "run" / "loss.png").stat().st_size > 1000
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["steps"] == 12 and summary["tokens_seen"] > 0


def test_only_lora_weights_change(tmp_path):
    base = tiny_base()
    before = {k: v.clone() for k, v in base.model.state_dict().items()}
    train(_config(tmp_path, max_steps=2), base, tmp_path / "run", progress=False)
    after = {k.replace("base_model.model.", "").replace(".base_layer", ""): v
             for k, v in base.model.state_dict().items() if "lora_" not in k}
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_interrupted_run_resumes_to_exactly_the_same_weights_and_losses(tmp_path):
    config = _config(tmp_path)
    straight = train(config, tiny_base(), tmp_path / "straight", progress=False)

    stop = threading.Event()
    first = train(config, tiny_base(), tmp_path / "resumed", progress=False, stop=stop,
                  on_step=lambda record: record.step == 4 and stop.set())
    assert first.interrupted and first.steps == 4 and first.adapter_dir is None
    assert [p.name for p in checkpoint_dirs(tmp_path / "resumed" / "checkpoints")] == ["step-000003", "step-000004"]

    resumed = train(config, tiny_base(), tmp_path / "resumed", resume=True, progress=False)
    assert resumed.steps == 8 and not resumed.interrupted
    assert _losses(tmp_path / "resumed") == _losses(tmp_path / "straight")
    assert _losses(tmp_path / "resumed", "eval") == _losses(tmp_path / "straight", "eval")
    a, b = _adapter_weights(straight), _adapter_weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_resume_after_a_hard_kill_restarts_from_the_last_periodic_checkpoint(tmp_path):
    """No graceful save: the log past the checkpoint is dropped and those steps are trained again."""
    import shutil

    config = _config(tmp_path)
    train(config, tiny_base(), tmp_path / "straight", progress=False)
    stop = threading.Event()
    train(config, tiny_base(), tmp_path / "killed", progress=False, stop=stop,
          on_step=lambda record: record.step == 5 and stop.set())
    shutil.rmtree(tmp_path / "killed" / "checkpoints" / "step-000005")  # as if killed before saving
    resumed = train(config, tiny_base(), tmp_path / "killed", resume=True, progress=False)
    assert resumed.steps == 8
    assert _losses(tmp_path / "killed") == _losses(tmp_path / "straight")


def test_a_finished_run_is_not_overwritten_and_resume_needs_the_same_config(tmp_path):
    config = _config(tmp_path, max_steps=2)
    train(config, tiny_base(), tmp_path / "run", progress=False)
    with pytest.raises(TrainRunError, match="already holds a run"):
        train(config, tiny_base(), tmp_path / "run", progress=False)
    with pytest.raises(TrainRunError, match="config differs"):
        train(_config(tmp_path, max_steps=3), tiny_base(), tmp_path / "run", resume=True, progress=False)
    with pytest.raises(TrainRunError, match="no checkpoint"):
        train(config, tiny_base(), tmp_path / "empty", resume=True, progress=False)


def test_bf16_autocast_trains_on_cpu(tmp_path):
    config = _config(tmp_path, max_steps=2)
    config = config.__class__(**{**config.__dict__, "run": config.run.__class__(
        **{**config.run.__dict__, "precision": "bf16"})})
    result = train(config, tiny_base(), tmp_path / "run", progress=False)
    assert result.steps == 2 and all(loss == loss for loss in _losses(tmp_path / "run"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (runs on the device machine, not in CI)")
def test_on_cuda_bf16_training_lowers_the_loss_and_resumes_where_it_stopped(tmp_path):
    config = _config(tmp_path, max_steps=8)
    config = config.__class__(**{**config.__dict__, "run": config.run.__class__(
        **{**config.run.__dict__, "precision": "bf16"})})
    straight = train(config, tiny_base(), tmp_path / "straight", device="cuda", progress=False)
    losses = _losses(tmp_path / "straight")
    assert straight.steps == 8 and sum(losses[-3:]) < sum(losses[:3])
    assert json.loads((tmp_path / "straight" / "summary.json").read_text())["device"] == "cuda"

    stop = threading.Event()
    train(config, tiny_base(), tmp_path / "resumed", device="cuda", progress=False, stop=stop,
          on_step=lambda record: record.step == 4 and stop.set())
    resumed = train(config, tiny_base(), tmp_path / "resumed", resume=True, device="cuda", progress=False)
    assert resumed.steps == 8
    assert _losses(tmp_path / "resumed") == pytest.approx(losses, rel=1e-3)
