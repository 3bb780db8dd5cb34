"""The whole build on a small --limit: deterministic, runtime-format records, a card, and the CLI wiring."""

import json
from pathlib import Path

from jupyter_iotcoder.cli import main
from jupyter_iotcoder.codegen import extract_code
from jupyter_iotcoder.data.build import BuildConfig, build, read_jsonl

SMALL = {"scipy.signal": ["butter", "sosfiltfilt"]}


def _config(out: Path, seed: int) -> BuildConfig:
    return BuildConfig(seed=seed, out=out, card=out / "CARD.md", limit=3, crawl_targets=SMALL,
                       variants_per_program=3)


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jsonl"))}


def test_two_builds_with_the_same_seed_give_identical_files(tmp_path):
    build(_config(tmp_path / "a", seed=7), progress=False)
    build(_config(tmp_path / "b", seed=7), progress=False)
    build(_config(tmp_path / "c", seed=8), progress=False)
    first, second, other = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert set(first) == {"decompose/train.jsonl", "decompose/heldout.jsonl", "codegen/train.jsonl",
                          "codegen/heldout.jsonl"}
    assert sum(len(v) for v in first.values()) > 0
    assert first == second
    assert first != other


def test_built_records_have_chat_format_meta_and_code_answers(tmp_path):
    stats = build(_config(tmp_path, seed=1), progress=False)
    code = read_jsonl(tmp_path / "codegen" / "train.jsonl")
    plans = read_jsonl(tmp_path / "decompose" / "train.jsonl") + read_jsonl(tmp_path / "decompose" / "heldout.jsonl")
    assert code and plans
    for record in code:
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert record["meta"]["source"] in {"curated", "curated-pipeline", "crawled"}
        assert record["messages"][-1]["content"].startswith("```python\n")
        compile(extract_code(record["messages"][-1]["content"]), "<answer>", "exec")
    for record in plans:
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant", "user", "assistant"]
        assert json.loads(record["messages"][-1]["content"])["tasks"]
    card = (tmp_path / "CARD.md").read_text()
    assert "Share of crawled examples that survived execution" in card
    assert stats["codegen"]["survived_execution"]


def test_cli_data_build_writes_the_files_and_a_card(tmp_path, capsys):
    out = tmp_path / "built"
    assert main(["data", "build", "--limit", "1", "--out", str(out), "--card", str(out / "CARD.md"),
                 "--quiet", "--nice", "0"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["files"]) == {"decompose.train", "decompose.heldout", "codegen.train", "codegen.heldout"}
    assert (out / "CARD.md").is_file() and (out / "stats.json").is_file()
