"""Generate candidates for benchmark tasks under several configurations, run them sandboxed, cache results.

Generation and scoring are separated by a file: every sample becomes one JSON
line in `samples.jsonl`, keyed by configuration, model, task and sample
number, so an interrupted run resumes where it stopped and a report can be
rebuilt from the file alone. Sandbox runs overlap with the next generation.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from ..codegen import closed_code_block, extract_code, plain_messages, whole_requirement_messages
from ..config import GenerationConfig
from ..errors import GenerationError
from ..requirement import find_required_signature
from ..runtime import ChatRequest, Runtime, complete
from ..sandbox import run_cells
from .metrics import plan_format_ok, plan_score
from .tasks import BenchTask

# Runs before `--alternatives` existed used 2 and have no alternatives in their keys; other numbers are keyed.
KEYLESS_ALTERNATIVES = 2


@dataclass(frozen=True)
class BenchConfig:
    name: str
    pipeline: bool
    adapters: bool
    validate: bool
    help: str
    prompt: str = "plain"  # without the pipeline: "plain" (codegen.plain_messages) or "codegen" (the pipeline's code prompt)


CONFIGS = {c.name: c for c in (
    BenchConfig("direct", False, False, False, "(a) the base model prompted once with the whole requirement"),
    BenchConfig("direct+code-prompt", False, False, False,
                "the base model prompted once with the pipeline's code prompt for the whole requirement "
                "(codegen.system.md, codegen.user_whole.md): separates the prompt from the plan and spec",
                prompt="codegen"),
    BenchConfig("pipeline", True, False, False, "(b) the three-stage pipeline on the base model"),
    BenchConfig("pipeline+lora", True, True, False, "(c) the pipeline with the tuned LoRA adapters"),
    BenchConfig("pipeline+repair", True, False, True,
                "(d) the pipeline on the base model plus execution-guided validation and repair"),
    BenchConfig("pipeline+lora+repair", True, True, True, "(c) and (d) together: adapters, validation and repair"),
)}


def adapters_fingerprint(paths: dict[str, Path], scales: dict[str, float] | None = None) -> str:
    """A short hash of the adapter files (and any scale other than 1) by stage; empty without adapters."""
    digest = hashlib.sha256()
    for stage, path in sorted(paths.items()):
        digest.update(stage.encode())
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
        scale = (scales or {}).get(stage, 1.0)
        if scale != 1.0:  # scale 1 hashes as before, so earlier results keep their keys
            digest.update(f"scale={scale:g}".encode())
    return digest.hexdigest()[:12] if paths else ""


def shipped_adapters(model_name: str) -> tuple[dict[str, Path], str]:
    """Every shipped adapter of the model (the `+lora` configurations use all of them) and their fingerprint."""
    from ..runtime import adapter_scales, stage_adapters

    paths = stage_adapters(model_name, "all")
    return paths, adapters_fingerprint(paths, adapter_scales(model_name, paths))


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
    steps: list[dict] = field(default_factory=list)  # per generated module: attempts, validation, problems left
    cpu_seconds: float | None = None  # CPU time of this process while generating: llama.cpp threads, not sandboxes


def generate_direct(requirement: str, runtime: Runtime, seed: int, temperature: float,
                    max_tokens: int = 1024, prompt: str = "plain") -> Candidate:
    """One answer to one prompt: the plain chat prompt, or the pipeline's code prompt for the named function."""
    messages = plain_messages(requirement)
    if prompt == "codegen":
        signature = find_required_signature(requirement)
        if signature is None:
            return Candidate([], 0.0, 0, error="the requirement names no function for the code prompt")
        messages = whole_requirement_messages(requirement, signature)
    request = ChatRequest(messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed)
    answer = complete(runtime, request, until=closed_code_block)
    return Candidate([extract_code(answer.text)], answer.seconds, answer.tokens)


def generate_pipeline(requirement: str, runtime: Runtime, config: GenerationConfig,
                      reference_plan: list[list[str]] | None = None) -> Candidate:
    from ..notebook import build_notebook
    from ..pipeline import generate

    start = time.perf_counter()
    try:
        result = generate(requirement, runtime, config)
    except GenerationError as exc:
        return Candidate([], time.perf_counter() - start, 0, plan_ok=False, plan_score=0.0, error=str(exc))
    notebook = build_notebook(result)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    plan_text = " ".join(f"{t.title} {t.description}" for t in result.tasks.tasks)
    tokens = sum(s.tokens for s in result.stats.values())
    n_steps = len(result.tasks.tasks)
    score = plan_score(plan_text, reference_plan) if reference_plan else None
    steps = [{"step": m.task_id, "function": m.function_name, "attempts": m.attempts, "validation": m.validation,
              "problems": [p[:200] for p in m.problems],
              "selection": next((e for e in m.attempt_log if "selection" in e), None)} for m in result.modules]
    plan_ok = plan_format_ok(n_steps, config.max_tasks) and not result.tasks.fallback_reason
    return Candidate(cells, time.perf_counter() - start, tokens, plan_ok=plan_ok,
                     plan_score=score, n_steps=n_steps, steps=steps)


def generate_candidate(config_name: str, requirement: str, runtime: Runtime, generation: GenerationConfig,
                       reference_plan: list[list[str]] | None = None) -> Candidate:
    """One candidate program for `requirement` under a named configuration (see CONFIGS).

    `generation` carries the seed, temperature and example data; the direct
    configuration sees the same example-data description as the pipeline.
    """
    config = CONFIGS[config_name]
    runtime = runtime if config.adapters else _BaseOnly(runtime)
    if not config.pipeline:
        from ..requirement import with_available_data

        prompt = with_available_data(requirement, generation.available_data)
        return generate_direct(prompt, runtime, generation.seed, generation.temperature, prompt=config.prompt)
    return generate_pipeline(requirement, runtime, replace(generation, validate=config.validate), reference_plan)


@dataclass
class BenchRun:
    """One benchmark run: which configurations, tasks and samples, and where results go."""

    runtime: Runtime | None  # None only to read cached samples (--report-only)
    model_id: str
    configs: list[str]
    tasks: list[BenchTask]
    out_dir: Path
    samples: int = 1
    seed: int = 0
    temperature: float = 0.2
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    memory_mb: int = 2048
    adapters_id: str = ""  # which adapter files the +lora configurations ran with (see adapters_fingerprint)

    @property
    def samples_file(self) -> Path:
        return self.out_dir / "samples.jsonl"

    def key(self, config: str, task_id: str, sample: int) -> str:
        """Everything a cached sample depends on: a new adapter or another --max-tasks is a new sample."""
        key = f"{config}|{self.model_id}|{task_id}|{sample}|t={self.temperature}|seed={self.seed}"
        if CONFIGS[config].pipeline:
            key += f"|max_tasks={self.generation.max_tasks}"
        if CONFIGS[config].adapters and self.adapters_id:
            key += f"|adapters={self.adapters_id}"
        if CONFIGS[config].validate and self.generation.alternatives != KEYLESS_ALTERNATIVES:
            key += f"|alternatives={self.generation.alternatives}"
        return key

    def keys(self) -> set[str]:
        return {self.key(c, t.id, i) for t in self.tasks for i in range(self.samples) for c in self.configs}

    def done_keys(self) -> set[str]:
        return done_keys(self.samples_file)

    def pending(self) -> list[tuple[str, BenchTask, int]]:
        done = self.done_keys()
        # Task-major, so a run cut short still compares every configuration on the same tasks.
        return [(config, task, sample) for task in self.tasks for sample in range(self.samples)
                for config in self.configs if self.key(config, task.id, sample) not in done]

    def _generate(self, config_name: str, task: BenchTask, sample: int) -> Candidate:
        generation = replace(self.generation, seed=self.seed + sample, temperature=self.temperature)
        cpu = time.process_time()  # unlike wall time, not counting a pause (SIGSTOP) or another job's share
        candidate = generate_candidate(config_name, task.requirement, self.runtime, generation, task.reference_plan)
        return replace(candidate, cpu_seconds=round(time.process_time() - cpu, 3))

    def _score(self, key: str, config: str, task: BenchTask, sample: int, candidate: Candidate) -> dict:
        if candidate.cells:
            result = run_cells(candidate.cells, test_code=task.test, entry_point=task.entry_point,
                               timeout=task.timeout, memory_mb=self.memory_mb)
            status, reason, cells_ok = result.status, result.reason, result.cells_ok
            exec_seconds, exec_rss = result.seconds, result.peak_rss_mb
        else:
            status, reason, cells_ok, exec_seconds, exec_rss = "no-code", candidate.error, 0, 0.0, 0.0
        versions = self._versions_passed(candidate, task, status == "passed")
        return {
            "key": key, "config": config, "model": self.model_id, "task_id": task.id, "category": task.category,
            "sample": sample, "passed": status == "passed", "status": status, "reason": reason[:500],
            "cells_total": len(candidate.cells), "cells_ok": cells_ok, "gen_seconds": round(candidate.seconds, 3),
            "gen_cpu_seconds": candidate.cpu_seconds,
            "tokens": candidate.tokens, "plan_ok": candidate.plan_ok, "plan_score": candidate.plan_score,
            "n_steps": candidate.n_steps, "exec_seconds": round(exec_seconds, 3), "exec_peak_rss_mb": exec_rss,
            "cells": candidate.cells, "steps": candidate.steps, "versions_passed": versions,
        }

    def _versions_passed(self, candidate: Candidate, task: BenchTask, chosen_passed: bool) -> list[bool] | None:
        """Whether the task's test passes with each compared version of the user's function in its cell.

        Separates generation from selection: a task none of whose versions passes needs better versions,
        one where another version passes needed a better choice. None without a comparison.
        """
        selection = candidate.steps[-1].get("selection") if candidate.steps else None
        if not selection or not all("code" in version for version in selection["selection"]):
            return None
        versions = [version["code"].rstrip("\n") for version in selection["selection"]]
        chosen = versions[selection["chosen"]]
        if chosen not in candidate.cells:
            return None
        at = candidate.cells.index(chosen)
        passed = {chosen: chosen_passed}  # each code is tested once, however many versions share it
        for code in versions:
            if code not in passed:
                cells = candidate.cells[:at] + [code] + candidate.cells[at + 1:]
                passed[code] = run_cells(cells, test_code=task.test, entry_point=task.entry_point,
                                         timeout=task.timeout, memory_mb=self.memory_mb).status == "passed"
        return [passed[code] for code in versions]

    def run(self, progress: bool = True) -> int:
        """Generate and score every pending sample; returns how many were added."""
        from tqdm import tqdm

        self.out_dir.mkdir(parents=True, exist_ok=True)
        todo = self.pending()
        bar = tqdm(total=len(todo), disable=not progress, unit="sample", desc="benchmark")
        scoring: list[Future] = []
        with ThreadPoolExecutor(max_workers=1) as pool:
            def score_and_write(*args) -> None:
                # written by the one scoring thread, before its future completes: a done-callback could run
                # after the main thread had already closed the file, losing the last sample. The file is opened
                # for each sample, so one replaced meanwhile (a git checkout of committed samples) gets it too.
                line = json.dumps(self._score(*args)) + "\n"
                with self.samples_file.open("a") as out:
                    out.write(line)
                bar.update(1)

            for config, task, sample in todo:
                bar.set_postfix_str(f"{config} {task.id}")
                candidate = self._generate(config, task, sample)
                scoring.append(pool.submit(score_and_write, self.key(config, task.id, sample), config, task,
                                           sample, candidate))
            for future in scoring:
                future.result()
        bar.close()
        return len(todo)


def done_keys(path: Path) -> set[str]:
    """Keys of the results already in a JSONL cache; a line cut short by an interruption is skipped."""
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        try:
            keys.add(json.loads(line)["key"])
        except (ValueError, KeyError):
            continue
    return keys


def load_samples(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
