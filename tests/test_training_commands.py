"""`iotcoder train`, `models export` and `models merge`: bad input gives a clear error and writes nothing."""

from __future__ import annotations

import pytest

from jupyter_iotcoder import cli


def test_train_with_missing_data_file_says_how_to_build_it(tmp_path, capsys):
    pytest.importorskip("torch")
    code = cli.main(["train", "--stage", "decompose", "--data", str(tmp_path / "none.jsonl"),
                     "--out", str(tmp_path / "run")])
    assert code != 0
    assert "iotcoder data build" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_train_rejects_an_unknown_stage(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--stage", "transform"])
    assert "invalid choice" in capsys.readouterr().err


def test_export_of_a_folder_without_an_adapter_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["models", "export", str(tmp_path)]) == 1
    assert "neither a finished training run" in capsys.readouterr().err


def test_merge_with_a_missing_adapter_file_writes_nothing(tmp_path, capsys):
    out = tmp_path / "merged.gguf"
    code = cli.main(["models", "merge", "--stage", "codegen", "--adapter", str(tmp_path / "none.gguf"),
                     "-o", str(out)])
    assert code == 1
    assert "cannot read the GGUF adapter" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_merge_refuses_an_unknown_quantisation(tmp_path, capsys):
    code = cli.main(["models", "merge", "--stage", "codegen", "--adapter", str(tmp_path / "a.gguf"),
                     "-o", str(tmp_path / "m.gguf"), "--quant", "Q3_XYZ"])
    assert code == 1 and "unknown quantisation" in capsys.readouterr().err


@pytest.mark.real_model
def test_train_two_steps_on_the_real_model_then_llama_cpp_loads_its_adapter(tmp_path, capsys):
    """`iotcoder train` end to end on the real 0.5B GGUF with the runtime's own decompose prompts."""
    import json
    import os
    from pathlib import Path

    pytest.importorskip("torch")
    from jupyter_iotcoder.config import RuntimeConfig
    from jupyter_iotcoder.runtime import LlamaRuntime
    from jupyter_iotcoder.store import resolve_model

    os.nice(19)
    data = Path(__file__).parent / "fixtures" / "train_decompose.jsonl"
    config = tmp_path / "quick.toml"
    config.write_text(
        f'[data]\ntrain = "{data}"\neval = "{data}"\nmax_length = 1536\neval_examples = 1\n'
        '[optim]\nmax_steps = 2\nwarmup_steps = 1\ngrad_accum = 1\ntokens_per_batch = 1536\n'
        '[run]\neval_every = 2\nsave_every = 1\n'
    )
    run = tmp_path / "run"
    assert cli.main(["train", "--stage", "decompose", "--config", str(config), "--out", str(run)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert summary["steps"] == 2 and summary["tokens_seen"] > 1000
    assert [r["kind"] for r in records] == ["eval", "train", "train", "eval"]
    assert all(0 < r["loss"] < 10 for r in records)
    print(f"\nreal 0.5B, 2 steps: {summary['tokens_seen']} tokens in {summary['train_seconds']:.1f} s "
          f"({summary['train_tokens_per_second']:.0f} tokens/s, {summary['torch_threads']} threads)")
    runtime = LlamaRuntime(resolve_model(None).path, RuntimeConfig(n_ctx=512),
                           {"decompose": run / "adapter.gguf"})
    try:
        assert runtime.adapters() == {"decompose": "adapter.gguf"}
    finally:
        runtime.close()
