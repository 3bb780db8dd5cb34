"""Execution filter: run candidate code answers in the sandbox and keep only those that run (and pass their test).

Snippets are batched: one sandbox subprocess (jupyter_iotcoder.sandbox.run_cells)
runs many jobs, each in its own fresh namespace, each with its own time limit
(an interval timer inside the child). Importing numpy/scipy/sklearn once per
batch instead of once per snippet is what makes thousands of snippets
affordable on two cores. A batch that dies as a whole (memory, a crash, the
batch timeout) is rerun one job per subprocess so one bad snippet cannot sink
its neighbours.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from ..sandbox import run_cells

_RUNNER = '''
import builtins as _iotcoder_builtins
import signal as _iotcoder_signal


def _iotcoder_timeout(signum, frame):
    raise TimeoutError("the snippet ran past its time limit")


def _iotcoder_job(prelude, code, test, entry, seconds):
    """Run one snippet (after its prelude, and then its test) in a fresh namespace with its own timer."""
    _iotcoder_signal.signal(_iotcoder_signal.SIGALRM, _iotcoder_timeout)
    _iotcoder_signal.setitimer(_iotcoder_signal.ITIMER_REAL, seconds)
    try:
        namespace = {"__name__": "__main__", "__builtins__": _iotcoder_builtins}
        for cell in prelude:
            exec(compile(cell, "<earlier cell>", "exec"), namespace)
        exec(compile(code, "<snippet>", "exec"), namespace)
        if test is not None:
            checks = {"__name__": "__test__", "__builtins__": _iotcoder_builtins}
            exec(compile(test, "<test>", "exec"), checks)
            checks["check"](namespace[entry])
    finally:
        _iotcoder_signal.setitimer(_iotcoder_signal.ITIMER_REAL, 0)
'''


@dataclass(frozen=True)
class Job:
    """A module to run, optionally a test defining check(candidate) and the name of the candidate.

    `prelude` holds the cells of earlier steps, run first in the same namespace, as in a notebook.
    """

    code: str
    test: str | None = None
    entry: str | None = None
    prelude: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        text = "\0".join((*self.prelude, self.code, self.test or "", self.entry or ""))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class JobResult:
    ok: bool
    error: str = ""
    stdout: str = ""


def _cell(job: Job, seconds: float) -> str:
    return f"_iotcoder_job({job.prelude!r}, {job.code!r}, {job.test!r}, {job.entry!r}, {seconds!r})"


def run_batch(jobs: list[Job], *, job_timeout: float = 10.0, memory_mb: int = 2048) -> list[JobResult]:
    """Run `jobs` in one sandbox subprocess; fall back to one subprocess per job if the batch dies."""
    if not jobs:
        return []
    cells = [_RUNNER] + [_cell(job, job_timeout) for job in jobs]
    outcome = run_cells(cells, timeout=job_timeout * len(jobs) + 30, memory_mb=memory_mb, max_output_chars=400)
    if len(outcome.cells) == len(cells) and outcome.cells[0].ok:
        return [JobResult(c.ok, c.error, c.stdout) for c in outcome.cells[1:]]
    if len(jobs) == 1:
        return [JobResult(False, f"{outcome.status}: {outcome.reason}")]
    return [result for job in jobs for result in run_batch([job], job_timeout=job_timeout, memory_mb=memory_mb)]


def run_jobs(jobs: Iterable[Job], *, batch_size: int = 25, workers: int = 1, job_timeout: float = 10.0,
             on_batch: Callable[[int], None] | None = None) -> dict[str, JobResult]:
    """Run each distinct job once; results by `Job.key`. Order of the input does not change any result."""
    unique = {job.key: job for job in jobs}
    keys = sorted(unique)
    batches = [keys[i:i + batch_size] for i in range(0, len(keys), batch_size)]
    results: dict[str, JobResult] = {}

    def work(batch: list[str]) -> list[tuple[str, JobResult]]:
        return list(zip(batch, run_batch([unique[k] for k in batch], job_timeout=job_timeout)))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for pairs in pool.map(work, batches):
            results.update(pairs)
            if on_batch is not None:
                on_batch(len(pairs))
    return results
