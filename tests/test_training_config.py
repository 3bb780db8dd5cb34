"""Per-stage training configs: the shipped files load, typos and bad values are clear errors."""

from __future__ import annotations

import pytest

from jupyter_iotcoder.training.config import (
    STAGES, TrainConfigError, config_from_dict, load_config, with_overrides,
)


@pytest.mark.parametrize("stage", STAGES)
def test_shipped_stage_config_loads_with_lora_on_attention_and_mlp(stage):
    config = load_config(stage)
    assert config.stage == stage and config.data.train.endswith(".jsonl")
    assert set(config.lora.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                               "down_proj"}
    assert config.run.precision == "bf16"


def test_unknown_key_or_section_is_an_error_not_a_silent_default():
    with pytest.raises(TrainConfigError, match="learning_rat"):
        config_from_dict("codegen", {"data": {"train": "t.jsonl"}, "optim": {"learning_rat": 1e-4}})
    with pytest.raises(TrainConfigError, match="unknown section"):
        config_from_dict("codegen", {"data": {"train": "t.jsonl"}, "trainer": {}})


@pytest.mark.parametrize("values, problem", [
    ({"run": {"precision": "fp8"}}, "precision"),
    ({"optim": {"max_steps": 0}}, "max_steps must be positive"),
    ({"optim": {"tokens_per_batch": 100}}, "tokens_per_batch must be at least"),
    ({"lora": {"dropout": 1.5}}, "dropout"),
    ({"data": {"train": "t.jsonl", "loss_on": "first"}}, "loss_on"),
    ({"data": {"train": "t.jsonl", "repeat": {"final": 0}}}, "repeat"),
])
def test_bad_values_are_rejected_before_training_starts(values, problem):
    data = {"data": {"train": "t.jsonl"}, **values}
    with pytest.raises(TrainConfigError, match=problem):
        config_from_dict("decompose", data)


def test_missing_train_path_and_unreadable_file_are_clear_errors(tmp_path):
    with pytest.raises(TrainConfigError, match="required"):
        config_from_dict("decompose", {"data": {}})
    (tmp_path / "bad.toml").write_text("[data\n")
    with pytest.raises(TrainConfigError, match="not valid TOML"):
        load_config("decompose", tmp_path / "bad.toml")
    with pytest.raises(TrainConfigError, match="unknown stage"):
        load_config("transform")


def test_command_line_overrides_replace_only_what_they_name():
    config = load_config("decompose")
    changed = with_overrides(config, train="mine.jsonl", max_steps=7)
    assert changed.data.train == "mine.jsonl" and changed.optim.max_steps == 7
    assert changed.data.eval == config.data.eval and changed.lora == config.lora


def test_the_micro_batch_shape_can_be_set_from_the_command_line_and_is_checked():
    config = load_config("codegen")
    gpu = with_overrides(config, tokens_per_batch=8192, grad_accum=1)
    assert (gpu.optim.tokens_per_batch, gpu.optim.grad_accum) == (8192, 1)
    assert gpu.optim.learning_rate == config.optim.learning_rate
    with pytest.raises(TrainConfigError, match="at least \\[data\\] max_length"):
        with_overrides(config, tokens_per_batch=512)
