"""The model card is written from the run's own records, next to the installed adapter."""

import json

from jupyter_iotcoder.training.card import write_model_card


def _run_folder(tmp_path, interrupted=False):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "stage": "codegen",
        "data": {"train": "data/built/codegen/train.jsonl", "eval": "data/built/codegen/heldout.jsonl",
                 "max_length": 2048, "eval_examples": 48, "loss_on": "last"},
        "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
        "optim": {"learning_rate": 2e-4, "weight_decay": 0.0, "warmup_steps": 20, "max_steps": 40,
                  "grad_accum": 4, "tokens_per_batch": 2048, "max_grad_norm": 1.0},
        "run": {"seed": 0, "precision": "bf16"},
    }))
    (run / "summary.json").write_text(json.dumps({
        "base_model": "qwen2.5-coder-0.5b", "steps": 30 if interrupted else 40, "max_steps": 40,
        "interrupted": interrupted, "tokens_seen": 250_000, "train_seconds": 5400.0, "examples": 4771,
        "dropped_too_long": 10, "trainable_parameters": 8_798_208, "device": "cpu", "torch_threads": 2,
        "machine": "trainbox-arch", "train_tokens_per_second": 46.3,
    }))
    records = [{"kind": "eval", "step": 0, "loss": 1.25}] + [
        {"kind": "train", "step": s, "loss": 1.2 - s / 100} for s in range(1, 41)] + [
        {"kind": "eval", "step": 40, "loss": 0.81}]
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "loss.png").write_bytes(b"\x89PNG fake")
    return run


def test_card_reports_steps_tokens_time_hardware_and_held_out_losses(tmp_path):
    run = _run_folder(tmp_path)
    adapter = tmp_path / "models" / "codegen.gguf"
    adapter.parent.mkdir()
    adapter.write_bytes(b"x" * 17_600_000)
    card = write_model_card(run, "codegen", adapter).read_text()
    assert "qwen2.5-coder-0.5b · codegen LoRA adapter" in card
    assert "(17.6 MB)" in card
    assert "steps: 40 of 40\n" in card
    assert "tokens seen: 250,000" in card
    assert "1.50 h on CPU (trainbox-arch, 2 torch threads)" in card  # the machine that trained, not this one
    assert "held-out loss: 1.250 (step 0), 0.810 (step 40)" in card
    assert "4771 examples; 10 dropped as longer than 2048 tokens" in card
    assert "LoRA r=16, alpha=32" in card and "learning rate 0.0002" in card
    assert (adapter.parent / "codegen.loss.png").read_bytes() == b"\x89PNG fake"
    assert (adapter.parent / "codegen.log.jsonl").read_text() == (run / "log.jsonl").read_text()


def test_card_of_an_interrupted_run_says_so(tmp_path):
    adapter = tmp_path / "codegen.gguf"
    adapter.write_bytes(b"x")
    card = write_model_card(_run_folder(tmp_path, interrupted=True), "codegen", adapter).read_text()
    assert "steps: 30 of 40 (interrupted)" in card


def test_reproduce_line_names_the_settings_that_differ_from_the_shipped_config(tmp_path):
    adapter = tmp_path / "codegen.gguf"
    adapter.write_bytes(b"x")
    card = write_model_card(_run_folder(tmp_path), "codegen", adapter).read_text()
    reproduce = next(line for line in card.splitlines() if "Reproduce with" in line)
    assert "`iotcoder train --stage codegen --max-steps 40`" in reproduce
    assert "lora.target_modules = ['q_proj', 'v_proj']" in reproduce and "(`--config`)" in reproduce
    assert "learning_rate" not in reproduce  # the same as the shipped config


def test_card_says_which_records_were_repeated(tmp_path):
    run = _run_folder(tmp_path)
    config = json.loads((run / "config.json").read_text())
    config["data"]["repeat"] = {"final": 4}
    (run / "config.json").write_text(json.dumps(config))
    adapter = tmp_path / "codegen.gguf"
    adapter.write_bytes(b"x")
    card = write_model_card(run, "codegen", adapter).read_text()
    assert "- repeated: records flagged `final` x4 per epoch" in card
