"""Generate candidates for benchmark tasks under several configurations, run them sandboxed, cache results.

Generation and scoring are separated by a file: every sample becomes one JSON
line in `samples.jsonl`, keyed by configuration, model, task and sample
number, so an interrupted run resumes where it stopped and a report can be
rebuilt from the file alone. Sandbox runs overlap with the next generation.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..codegen import closed_code_block, extract_code
from ..config import GenerationConfig
from ..errors import GenerationError
from ..runtime import ChatRequest, Runtime, complete
from ..sandbox import run_cells
from .metrics import plan_score
from .tasks import BenchTask

DIRECT_SYSTEM = "You are a helpful coding assistant. Answer with Python code in one ```python block."


@dataclass(frozen=True)
class BenchConfig:
    name: str
    pipeline: bool
    adapters: bool
    validate: bool
    help: str


CONFIGS = {c.name: c for c in (
    BenchConfig("direct", False, False, False, "(a) the base model prompted once with the whole requirement"),
    BenchConfig("pipeline", True, False, False, "(b) the three-stage pipeline on the base model"),
    BenchConfig("pipeline+lora", True, True, False, "(c) the pipeline with the tuned LoRA adapters"),
    BenchConfig("pipeline+repair", True, True, True,
                "(d) the pipeline (with adapters where shipped) plus execution-guided validation and repair"),
)}


class _BaseOnly:
    """The same runtime with its adapters hidden, so a configuration can run on the base model alone."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.model_name = runtime.model_name
        self.n_ctx = runtime.n_ctx

    def stream(self, request: ChatRequest) -> Iterator[str]:
        return self._runtime.stream(request)

    def count_tokens(self, messages) -> int:
        return self._runtime.count_tokens(messages)

    def adapters(self) -> dict[str, str]:
        return {}


@dataclass
class Candidate:
    cells: list[str]
    seconds: float
    tokens: int
    plan_ok: bool | None = None
    plan_score: float | None = None
    n_steps: int | None = None
    error: str = ""


def generate_direct(task: BenchTask, runtime: Runtime, seed: int, temperature: float,
                    max_tokens: int = 1024) -> Candidate:
    request = ChatRequest(
        messages=({"role": "system", "content": DIRECT_SYSTEM}, {"role": "user", "content": task.requirement}),
        max_tokens=max_tokens, temperature=temperature, seed=seed,
    )
    answer = complete(runtime, request, until=closed_code_block)
    return Candidate([extract_code(answer.text)], answer.seconds, answer.tokens)


def generate_pipeline(task: BenchTask, runtime: Runtime, config: GenerationConfig) -> Candidate:
    from ..notebook import build_notebook
    from ..pipeline import generate

    start = time.perf_counter()
    try:
        result = generate(task.requirement, runtime, config)
    except GenerationError as exc:
        return Candidate([], time.perf_counter() - start, 0, plan_ok=False, plan_score=0.0, error=str(exc))
    notebook = build_notebook(result)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    plan_text = " ".join(f"{t.title} {t.description}" for t in result.tasks.tasks)
    tokens = sum(s.tokens for s in result.stats.values())
    n_steps = len(result.tasks.tasks)
    return Candidate(cells, time.perf_counter() - start, tokens, plan_ok=2 <= n_steps <= 8,
                     plan_score=plan_score(plan_text, task.reference_plan), n_steps=n_steps)


@dataclass
class BenchRun:
    """One benchmark run: which configurations, tasks and samples, and where results go."""

    runtime: Runtime
    model_id: str
    configs: list[str]
    tasks: list[BenchTask]
    out_dir: Path
    samples: int = 1
    seed: int = 0
    temperature: float = 0.2
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    memory_mb: int = 2048

    @property
    def samples_file(self) -> Path:
        return self.out_dir / "samples.jsonl"

    def key(self, config: str, task_id: str, sample: int) -> str:
        return f"{config}|{self.model_id}|{task_id}|{sample}|t={self.temperature}|seed={self.seed}"

    def done_keys(self) -> set[str]:
        if not self.samples_file.exists():
            return set()
        keys = set()
        for line in self.samples_file.read_text().splitlines():
            try:
                keys.add(json.loads(line)["key"])
            except (ValueError, KeyError):
                continue
        return keys

    def pending(self) -> list[tuple[str, BenchTask, int]]:
        done = self.done_keys()
        # Task-major, so a run cut short still compares every configuration on the same tasks.
        return [(config, task, sample) for task in self.tasks for sample in range(self.samples)
                for config in self.configs if self.key(config, task.id, sample) not in done]

    def _generate(self, config_name: str, task: BenchTask, sample: int) -> Candidate:
        config = CONFIGS[config_name]
        runtime = self.runtime if config.adapters else _BaseOnly(self.runtime)
        seed = self.seed + sample
        if not config.pipeline:
            return generate_direct(task, runtime, seed, self.temperature)
        generation = GenerationConfig(**{**self.generation.__dict__, "seed": seed, "temperature": self.temperature,
                                         "validate": config.validate})
        return generate_pipeline(task, runtime, generation)

    def _score(self, key: str, config: str, task: BenchTask, sample: int, candidate: Candidate) -> dict:
        if candidate.cells:
            result = run_cells(candidate.cells, test_code=task.test, entry_point=task.entry_point,
                               timeout=task.timeout, memory_mb=self.memory_mb)
            status, reason, cells_ok = result.status, result.reason, result.cells_ok
            exec_seconds, exec_rss = result.seconds, result.peak_rss_mb
        else:
            status, reason, cells_ok, exec_seconds, exec_rss = "no-code", candidate.error, 0, 0.0, 0.0
        return {
            "key": key, "config": config, "model": self.model_id, "task_id": task.id, "category": task.category,
            "sample": sample, "passed": status == "passed", "status": status, "reason": reason[:500],
            "cells_total": len(candidate.cells), "cells_ok": cells_ok, "gen_seconds": round(candidate.seconds, 3),
            "tokens": candidate.tokens, "plan_ok": candidate.plan_ok, "plan_score": candidate.plan_score,
            "n_steps": candidate.n_steps, "exec_seconds": round(exec_seconds, 3), "exec_peak_rss_mb": exec_rss,
        }

    def run(self, progress: bool = True) -> int:
        """Generate and score every pending sample; returns how many were added."""
        from tqdm import tqdm

        self.out_dir.mkdir(parents=True, exist_ok=True)
        todo = self.pending()
        bar = tqdm(total=len(todo), disable=not progress, unit="sample", desc="benchmark")
        scoring: list[Future] = []
        with ThreadPoolExecutor(max_workers=1) as pool, self.samples_file.open("a") as out:
            def write(future: Future) -> None:
                out.write(json.dumps(future.result()) + "\n")
                out.flush()
                bar.update(1)

            for config, task, sample in todo:
                bar.set_postfix_str(f"{config} {task.id}")
                candidate = self._generate(config, task, sample)
                future = pool.submit(self._score, self.key(config, task.id, sample), config, task, sample, candidate)
                future.add_done_callback(write)
                scoring.append(future)
            for future in scoring:
                future.result()
        bar.close()
        return len(todo)


def load_samples(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
