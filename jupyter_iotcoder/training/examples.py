"""Chat records -> token ids with a loss mask that covers only the assistant's answer.

A record is one JSONL line `{"messages": [{"role", "content"}, ...], "meta": {...}}`
ending with an assistant turn. The text is rendered with the model's own chat
template (the one stored in the GGUF, which llama.cpp also applies at
inference), so training and inference see the same tokens. Labels are -100
everywhere except the assistant's content and its closing end-of-turn token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .config import TrainConfigError

IGNORE = -100
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class ChatRecord:
    messages: tuple[dict[str, str], ...]
    meta: dict[str, Any]
    source: str  # "file:line", for error messages


@dataclass(frozen=True)
class TokenizedExample:
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]

    @property
    def length(self) -> int:
        return len(self.input_ids)

    @property
    def label_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


@dataclass(frozen=True)
class TokenizedSet:
    examples: tuple[TokenizedExample, ...]
    dropped_too_long: int

    @property
    def tokens(self) -> int:
        return sum(e.length for e in self.examples)


def parse_record(line: str, source: str) -> ChatRecord:
    """One JSONL line -> ChatRecord; any problem names the file and line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TrainConfigError(f"{source}: not valid JSON ({exc.msg})") from None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages:
        raise TrainConfigError(f"{source}: expected an object with a non-empty \"messages\" list")
    for i, message in enumerate(messages):
        if (not isinstance(message, dict) or message.get("role") not in ROLES
                or not isinstance(message.get("content"), str)):
            raise TrainConfigError(f"{source}: message {i} needs a role in {ROLES} and a string content")
    if messages[-1]["role"] != "assistant":
        raise TrainConfigError(f"{source}: the last message must be the assistant's answer")
    if not messages[-1]["content"].strip():
        raise TrainConfigError(f"{source}: the assistant's answer is empty")
    meta = data.get("meta") or {}
    return ChatRecord(tuple({"role": m["role"], "content": m["content"]} for m in messages), meta, source)


def read_records(path: str | Path) -> list[ChatRecord]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainConfigError(f"cannot read training data {path}: {exc}") from exc
    records = [parse_record(line, f"{path}:{n}") for n, line in enumerate(lines, start=1) if line.strip()]
    if not records:
        raise TrainConfigError(f"{path} holds no examples")
    return records


def _render(tokenizer, messages: Sequence[dict], *, generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=generation_prompt)


def answer_spans(tokenizer, record: ChatRecord, loss_on: str = "last") -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans the loss covers.

    A span starts where the template's generation prompt ("<|im_start|>assistant\\n")
    ends and runs to the end of the assistant turn's end-of-turn token; the
    template's newline after that token is not part of the answer.
    """
    text = _render(tokenizer, record.messages, generation_prompt=False)
    eos = tokenizer.eos_token or ""
    spans = []
    for i, message in enumerate(record.messages):
        if message["role"] != "assistant" or (loss_on == "last" and i != len(record.messages) - 1):
            continue
        prefix = _render(tokenizer, record.messages[:i], generation_prompt=True)
        upto = _render(tokenizer, record.messages[: i + 1], generation_prompt=False)
        if not (text.startswith(upto) and upto.startswith(prefix)):
            raise TrainConfigError(
                f"{record.source}: the chat template does not render the conversation as a growing prefix, "
                "so the answer tokens cannot be located"
            )
        found = upto.find(message["content"], len(prefix))
        content_end = found + len(message["content"]) if found >= 0 else len(prefix)
        eos_at = upto.find(eos, content_end) if eos else -1
        end = eos_at + len(eos) if eos_at >= 0 else len(upto)
        spans.append((len(prefix), end))
    return text, spans


def tokenize_record(tokenizer, record: ChatRecord, loss_on: str = "last") -> TokenizedExample:
    """Token ids of the whole conversation; labels only on the answer spans."""
    text, spans = answer_spans(tokenizer, record, loss_on)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    labels = [IGNORE] * len(ids)
    for index, (start, end) in enumerate(encoded["offset_mapping"]):
        if any(span_start <= start and end <= span_end for span_start, span_end in spans) and end > start:
            labels[index] = ids[index]
    if all(label == IGNORE for label in labels):
        raise TrainConfigError(f"{record.source}: no answer tokens found after tokenizing")
    return TokenizedExample(tuple(ids), tuple(labels))


def repeat_records(records: Sequence[ChatRecord], repeat: dict[str, int]) -> list[ChatRecord]:
    """Each record as often as its most repeated meta flag says (once without one): a rare kind of example
    that matters (the final named-function task) is seen often enough in a short run."""
    out = []
    for record in records:
        out += [record] * max([1] + [n for flag, n in repeat.items() if record.meta.get(flag)])
    return out


def tokenize_records(tokenizer, records: Iterable[ChatRecord], max_length: int,
                     loss_on: str = "last") -> TokenizedSet:
    """Tokenize all records; the ones longer than `max_length` are dropped (a cut answer teaches nothing good)."""
    kept, dropped = [], 0
    for record in records:
        example = tokenize_record(tokenizer, record, loss_on)
        if example.length > max_length:
            dropped += 1
        else:
            kept.append(example)
    return TokenizedSet(tuple(kept), dropped)
