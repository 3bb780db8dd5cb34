"""The training loop: LoRA on a de-quantised base, loss on answer tokens, resumable to the bit.

One optimiser step = `grad_accum` length-bucketed micro-batches; the loss is
the summed cross-entropy of every answer token in the step divided by their
count, so long and short answers weigh what their tokens weigh. The lm_head
(a large share of a 0.5B model's compute) runs only at answer positions.
"""

from __future__ import annotations

import json
import logging
import platform
import signal
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..errors import IoTCoderError
from .batches import DataPosition, eval_batches, stream
from .checkpoint import TrainerState, checkpoint_dirs, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .examples import IGNORE, TokenizedExample, read_records, repeat_records, tokenize_records
from .model import BaseModel, add_lora, trainable_parameters
from .runlog import RunLog, plot_losses

log = logging.getLogger("jupyter_iotcoder")

CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "log.jsonl"
PLOT_FILE = "loss.png"
CONFIG_FILE = "config.json"
SUMMARY_FILE = "summary.json"
FINAL_ADAPTER_DIR = "adapter"


class TrainRunError(IoTCoderError):
    """A run cannot start or resume as asked."""

    exit_code = 2


@dataclass(frozen=True)
class StepRecord:
    step: int
    loss: float
    learning_rate: float
    tokens: int
    answer_tokens: int
    seconds: float


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    steps: int
    max_steps: int
    interrupted: bool
    tokens_seen: int
    train_seconds: float
    last_train_loss: float | None
    last_eval_loss: float | None
    adapter_dir: Path | None
    examples: int
    dropped_too_long: int
    trainable_parameters: int


def collate(examples: Sequence[TokenizedExample], pad_id: int, device: str):
    """Right-padded input ids, attention mask and labels (-100 on padding)."""
    import torch

    width = max(e.length for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        n = example.length
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    return ids.to(device), mask.to(device), labels.to(device)


def answer_loss_sum(model, ids, mask, labels, precision: str, device: str):
    """Summed next-token cross-entropy over the answer tokens of one micro-batch (fp32 reduction)."""
    import torch
    import torch.nn.functional as F

    targets = labels[:, 1:]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = targets != IGNORE
    autocast = (torch.autocast(device_type=device, dtype=torch.bfloat16) if precision == "bf16"
                else nullcontext())
    # The vocabulary projection only at the positions that predict an answer token: full logits of a
    # 2,048-token micro-batch over Qwen's 151,936 tokens would take 1.2 GB. Done by hand, since
    # `logits_to_keep` takes a mask only in newer transformers releases.
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    with autocast:
        hidden = causal_lm.model(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
        logits = causal_lm.lm_head(hidden[keep])
    return F.cross_entropy(logits.float(), labels[keep.roll(1, dims=1)], reduction="sum")


def evaluate(model, examples: Sequence[TokenizedExample], tokens_per_batch: int, pad_id: int,
             precision: str, device: str) -> float:
    """Mean cross-entropy per answer token on the held-out examples (dropout off, no RNG used)."""
    import torch

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in eval_batches([e.length for e in examples], tokens_per_batch):
            chosen = [examples[i] for i in batch]
            ids, mask, labels = collate(chosen, pad_id, device)
            total += float(answer_loss_sum(model, ids, mask, labels, precision, device))
            count += sum(e.label_tokens for e in chosen)
    model.train(was_training)
    return total / max(count, 1)


def _subset(examples: Sequence[TokenizedExample], n: int) -> list[TokenizedExample]:
    """`n` examples spread evenly over the file (held-out files are often grouped by family)."""
    if len(examples) <= n:
        return list(examples)
    step = len(examples) / n
    return [examples[int(i * step)] for i in range(n)]


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM set `stop` (the loop saves a checkpoint and returns); a second Ctrl-C aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping after this step and saving a checkpoint (Ctrl-C again to abort)", file=sys.stderr)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _prepare_out_dir(out_dir: Path, config: TrainConfig, resume: bool) -> None:
    saved = out_dir / CONFIG_FILE
    if resume:
        if not checkpoint_dirs(out_dir / CHECKPOINT_DIR):
            raise TrainRunError(f"--resume: {out_dir} has no checkpoint to resume from")
        before = json.loads(saved.read_text()) if saved.is_file() else None
        if before is not None and before != json.loads(json.dumps(config.to_dict())):
            raise TrainRunError(
                f"--resume: the config differs from the one {out_dir} was started with ({saved}); "
                "an exact resume needs the same config (use another --out for a new run)"
            )
        return
    if checkpoint_dirs(out_dir / CHECKPOINT_DIR) or (out_dir / LOG_FILE).exists():
        raise TrainRunError(f"{out_dir} already holds a run: pass --resume to continue it, or choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(config.to_dict(), indent=2))


def train(config: TrainConfig, base: BaseModel, out_dir: str | Path, *, resume: bool = False,
          device: str = "cpu", progress: bool = True, stop: threading.Event | None = None,
          on_step: Callable[[StepRecord], None] | None = None) -> TrainResult:
    """Train (or continue) a LoRA adapter for `config.stage` on `base`; everything lands in `out_dir`.

    Setting `stop` ends the run at the next step boundary with a checkpoint, as Ctrl-C does.
    """
    import torch
    from tqdm import tqdm
    from transformers import get_cosine_schedule_with_warmup

    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, config, resume)
    stop = stop or threading.Event()
    tokenizer = base.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    train_set = tokenize_records(tokenizer, repeat_records(read_records(config.data.train), config.data.repeat),
                                 config.data.max_length, config.data.loss_on)
    if not train_set.examples:
        raise TrainRunError(f"every example of {config.data.train} is longer than max_length={config.data.max_length}")
    eval_examples: list[TokenizedExample] = []
    if config.data.eval:
        eval_set = tokenize_records(tokenizer, read_records(config.data.eval), config.data.max_length,
                                    config.data.loss_on)
        eval_examples = _subset(eval_set.examples, config.data.eval_examples)
    log.info("%d training examples (%d tokens; %d dropped as longer than %d), %d held-out for evaluation",
             len(train_set.examples), train_set.tokens, train_set.dropped_too_long, config.data.max_length,
             len(eval_examples))

    model = add_lora(base.model, config.lora, config.run.seed)
    model.to(device)
    model.train()
    n_trainable = trainable_parameters(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.optim.learning_rate, weight_decay=config.optim.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, config.optim.warmup_steps, config.optim.max_steps)

    run_log = RunLog(out_dir / LOG_FILE)
    checkpoints = out_dir / CHECKPOINT_DIR
    state = TrainerState()
    config_dict = json.loads(json.dumps(config.to_dict()))
    if resume:
        latest = checkpoint_dirs(checkpoints)[-1]
        state, _ = load_checkpoint(latest, model, optimizer, scheduler)
        run_log.truncate_after(state.step)
        log.info("resuming from %s (step %d of %d)", latest, state.step, config.optim.max_steps)

    lengths = [e.length for e in train_set.examples]
    batches = stream(lengths, config.optim.tokens_per_batch, config.run.seed, state.position)
    precision = config.run.precision

    def run_eval() -> float | None:
        if not eval_examples:
            return None
        started = time.perf_counter()
        loss = evaluate(model, eval_examples, config.optim.tokens_per_batch, pad_id, precision, device)
        run_log.write({"kind": "eval", "step": state.step, "loss": loss,
                       "seconds": round(time.perf_counter() - started, 3)})
        return loss

    last_eval = None
    if config.run.eval_at_start and state.step == 0 and not resume:
        last_eval = run_eval()
    last_train, last_saved = None, state.step
    bar = tqdm(total=config.optim.max_steps, initial=state.step, desc=f"train {config.stage}", unit="step",
               disable=not progress, file=sys.stderr, dynamic_ncols=True)
    with stop_on_signals(stop), bar:
        while state.step < config.optim.max_steps and not stop.is_set():
            started = time.perf_counter()
            micro: list[tuple[DataPosition, list[int]]] = [next(batches) for _ in range(config.optim.grad_accum)]
            chosen = [[train_set.examples[i] for i in batch] for _, batch in micro]
            answer_tokens = sum(e.label_tokens for batch in chosen for e in batch)
            tokens = sum(e.length for batch in chosen for e in batch)
            loss_total = 0.0
            for batch in chosen:
                ids, mask, labels = collate(batch, pad_id, device)
                loss = answer_loss_sum(model, ids, mask, labels, precision, device) / answer_tokens
                loss.backward()
                loss_total += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(params, config.optim.max_grad_norm)
            learning_rate = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            seconds = time.perf_counter() - started
            state.step += 1
            state.position = micro[-1][0]
            state.tokens_seen += tokens
            state.train_seconds += seconds
            last_train = loss_total
            record = StepRecord(state.step, loss_total, learning_rate, tokens, answer_tokens, seconds)
            run_log.write({"kind": "train", "step": state.step, "loss": loss_total, "lr": learning_rate,
                           "tokens": tokens, "answer_tokens": answer_tokens, "seconds": round(seconds, 3),
                           "tokens_seen": state.tokens_seen, "epoch": state.position.epoch})
            bar.set_postfix(loss=f"{loss_total:.3f}", tok_s=f"{tokens / seconds:.0f}", refresh=False)
            bar.update(1)
            if on_step is not None:
                on_step(record)
            if state.step % config.run.eval_every == 0 or state.step == config.optim.max_steps:
                last_eval = run_eval()
            if state.step % config.run.save_every == 0 or state.step == config.optim.max_steps:
                save_checkpoint(checkpoints, model, optimizer, scheduler, state, config_dict,
                                config.run.keep_checkpoints)
                last_saved = state.step
        if state.step != last_saved:
            save_checkpoint(checkpoints, model, optimizer, scheduler, state, config_dict, config.run.keep_checkpoints)

    interrupted = state.step < config.optim.max_steps
    adapter_dir = None
    if not interrupted:
        adapter_dir = out_dir / FINAL_ADAPTER_DIR
        model.save_pretrained(adapter_dir)
    plot_losses(run_log.records(), out_dir / PLOT_FILE, f"{base.name} · {config.stage} LoRA r={config.lora.r}")
    result = TrainResult(
        out_dir=out_dir, steps=state.step, max_steps=config.optim.max_steps, interrupted=interrupted,
        tokens_seen=state.tokens_seen, train_seconds=state.train_seconds, last_train_loss=last_train,
        last_eval_loss=last_eval, adapter_dir=adapter_dir, examples=len(train_set.examples),
        dropped_too_long=train_set.dropped_too_long, trainable_parameters=n_trainable,
    )
    summary = {k: (str(v) if isinstance(v, Path) else v) for k, v in result.__dict__.items()}
    summary.update(base_model=base.name, base_gguf=str(base.gguf_path) if base.gguf_path else None,
                   device=device, torch_threads=torch.get_num_threads(), machine=platform.machine(),
                   train_tokens_per_second=state.tokens_seen / state.train_seconds if state.train_seconds else None)
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    return result

