"""Chat records -> token ids; the loss covers the assistant's answer and nothing else."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("transformers")

from jupyter_iotcoder.training.config import TrainConfigError
from jupyter_iotcoder.training.examples import (
    IGNORE, parse_record, read_records, repeat_records, tokenize_record, tokenize_records,
)
from tiny_qwen import chat_record, tiny_tokenizer, write_chat_jsonl


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def _decode_labelled(tokenizer, example):
    return tokenizer.decode([label for label in example.labels if label != IGNORE])


def test_labels_cover_only_the_answer_and_its_end_of_turn_token(tokenizer):
    record = parse_record(json.dumps(chat_record(5)), "t:1")
    example = tokenize_record(tokenizer, record)
    answer = record.messages[-1]["content"]
    assert _decode_labelled(tokenizer, example) == answer + "<|im_end|>"
    first = example.labels.index(next(label for label in example.labels if label != IGNORE))
    prompt = tokenizer.decode(example.input_ids[:first])
    assert prompt.endswith("<|im_start|>assistant\n")
    assert record.messages[0]["content"] in prompt and record.messages[1]["content"] in prompt
    assert all(label == IGNORE for label in example.labels[:first])
    assert example.labels[-1] == IGNORE  # the template's newline after <|im_end|>


def test_system_and_user_tokens_are_minus_100_and_answer_tokens_equal_their_ids(tokenizer):
    example = tokenize_record(tokenizer, parse_record(json.dumps(chat_record(1)), "t:1"))
    labelled = [(i, t) for i, (t, label) in enumerate(zip(example.input_ids, example.labels)) if label != IGNORE]
    assert labelled and all(example.labels[i] == t for i, t in labelled)
    start, end = labelled[0][0], labelled[-1][0]
    assert list(range(start, end + 1)) == [i for i, _ in labelled]  # one contiguous answer span


def test_loss_on_last_skips_earlier_assistant_turns_and_all_keeps_them(tokenizer):
    record = chat_record(2)
    few_shot = [record["messages"][0],
                {"role": "user", "content": "example question"},
                {"role": "assistant", "content": "EXAMPLE ANSWER"},
                *record["messages"][1:]]
    parsed = parse_record(json.dumps({"messages": few_shot}), "t:1")
    last = _decode_labelled(tokenizer, tokenize_record(tokenizer, parsed, "last"))
    both = _decode_labelled(tokenizer, tokenize_record(tokenizer, parsed, "all"))
    assert "EXAMPLE ANSWER" not in last
    assert both.startswith("EXAMPLE ANSWER<|im_end|>") and both.endswith(last)


def test_examples_longer_than_max_length_are_dropped_and_counted(tokenizer):
    records = [parse_record(json.dumps(chat_record(i)), f"t:{i}") for i in range(4)]
    lengths = sorted(tokenize_record(tokenizer, r).length for r in records)
    kept = tokenize_records(tokenizer, records, max_length=lengths[1])
    assert kept.dropped_too_long == sum(length > lengths[1] for length in lengths)
    assert all(e.length <= lengths[1] for e in kept.examples)


@pytest.mark.parametrize("line, problem", [
    ("not json", "not valid JSON"),
    ('{"messages": []}', "non-empty"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', "last message must be the assistant"),
    ('{"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x"}]}', "role"),
    ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]}', "empty"),
])
def test_bad_record_is_a_clear_error_naming_file_and_line(line, problem):
    with pytest.raises(TrainConfigError, match=problem) as info:
        parse_record(line, "data.jsonl:7")
    assert "data.jsonl:7" in str(info.value)


def test_read_records_reads_every_nonblank_line(tmp_path):
    path = write_chat_jsonl(tmp_path / "d.jsonl", 3)
    path.write_text(path.read_text() + "\n\n")
    assert [r.meta["id"] for r in read_records(path)] == [0, 1, 2]
    with pytest.raises(TrainConfigError, match="cannot read"):
        read_records(tmp_path / "missing.jsonl")


@pytest.mark.real_model
def test_real_qwen_tokenizer_masks_system_and_user_like_the_runtime_renders_them():
    """The GGUF's own tokenizer and chat template: the prompt part is exactly what llama.cpp is sent."""
    from transformers import AutoTokenizer

    from jupyter_iotcoder.decompose import decompose_messages
    from jupyter_iotcoder.store import resolve_model

    path = resolve_model(None).path
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    messages = [*decompose_messages("Count steps from a 50 Hz wrist accelerometer.", 4),
                {"role": "assistant", "content": '{"tasks": [{"name": "filter"}]}'}]
    example = tokenize_record(tokenizer, parse_record(json.dumps({"messages": messages}), "t:1"))
    assert _decode_labelled(tokenizer, example) == '{"tasks": [{"name": "filter"}]}<|im_end|>'
    first = next(i for i, label in enumerate(example.labels) if label != IGNORE)
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    assert tokenizer.decode(example.input_ids[:first]) == prompt


def test_repeat_shows_flagged_records_that_many_times_and_the_rest_once(tmp_path):
    path = write_chat_jsonl(tmp_path / "d.jsonl", 3)
    records = read_records(path)
    flagged = [r if r.meta["id"] != 1 else r.__class__(r.messages, {**r.meta, "final": True}, r.source)
               for r in records]
    assert [r.meta["id"] for r in repeat_records(flagged, {"final": 3})] == [0, 1, 1, 1, 2]
    assert repeat_records(flagged, {}) == flagged
