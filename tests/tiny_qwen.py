"""A tiny randomly initialised Qwen2-architecture model and a byte-level ChatML tokenizer.

Built in memory in well under a second, so the trainer's tests run in seconds
and need no model file. Same architecture class and same chat markup as the
real Qwen2.5 models; only the sizes differ.
"""

from __future__ import annotations

import json
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import BPE
    from transformers import PreTrainedTokenizerFast

    vocab = {char: i for i, char in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>",
                                        additional_special_tokens=["<|im_start|>"])
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_model(vocab_size: int, seed: int = 0):
    """initializer_range 0.2 (not 0.02): the frozen lm_head must be able to express confident logits,
    or a LoRA on the projections cannot lower the loss much at this size."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=False, initializer_range=0.2)
    return Qwen2ForCausalLM(config)


def tiny_base(seed: int = 0):
    """Model and tokenizer; torch runs on one thread, since tiny matrices only lose time to thread hand-offs."""
    import torch

    from jupyter_iotcoder.training.model import BaseModel

    torch.set_num_threads(1)

    tokenizer = tiny_tokenizer()
    return BaseModel(model=tiny_model(len(tokenizer), seed), tokenizer=tokenizer, name="tiny-qwen2")


def chat_record(i: int) -> dict:
    """A learnable example: the answer is a fixed JSON shape filled from the question."""
    sensor = ["accelerometer", "gyroscope", "PPG", "microphone"][i % 4]
    rate = [25, 50, 100, 200][(i // 4) % 4]
    return {
        "messages": [
            {"role": "system", "content": "Split the IoT requirement into tasks. Answer in JSON."},
            {"role": "user", "content": f"Read a {sensor} at {rate} Hz and count events."},
            {"role": "assistant", "content": json.dumps({"tasks": [f"read {sensor}", f"filter {rate} Hz",
                                                                   "count events"]})},
        ],
        "meta": {"id": i},
    }


def write_chat_jsonl(path: Path, n: int, start: int = 0) -> Path:
    path.write_text("".join(json.dumps(chat_record(i)) + "\n" for i in range(start, start + n)))
    return path
