"""Validation measured against the benchmark's tests, without the model.

The final code of recorded benchmark samples is validated again with the current validator and set
beside what the task's tests said of it: validation that fails code the tests pass is a false alarm
(a repair would change working code), code the tests fail but validation passes is a miss. Where
validation fails a cell, the failing-line fixes (`codegen.fixed_failing_lines`) are applied as generation
would apply them, and the task's tests run again on the result.

The spec of the user's function is built from the requirement's words alone (`USERS_WORDS_ONLY`): the
run's own spec came from the model and is not recorded, so this measures validation on what the user
said. One sample's cells are the user's function for `--max-tasks 1` runs; for longer plans the last cell
is judged alone.

The configuration `reference` adds each task's reference solution as one more cell that passes its tests:
programs known to be right (170 in all), on which any failed validation is a false alarm.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from ..codegen import fixed_failing_lines
from ..requirement import find_required_signature
from ..sandbox import run_cells
from ..schema import CodeModule, Task, TaskSpec
from ..transform import USERS_WORDS_ONLY, users_function_spec
from ..validate import Validation, validate_steps
from .tasks import BenchTask

_STEP = Task(id=1, title="The user's function", description="The requirement as a whole.")


@dataclass(frozen=True)
class Revalidation:
    key: str
    task_id: str
    config: str
    tests_passed: bool  # what the run recorded
    validation: str  # passed | inconclusive | failed | skipped
    problem: str = ""
    fixes: tuple[str, ...] = ()
    validation_after_fixes: str = ""
    tests_passed_after_fixes: bool | None = None


REFERENCE = "reference"  # the pseudo-configuration of the tasks' reference solutions


def reference_sample(task: BenchTask) -> dict:
    """The task's reference solution as a recorded sample that passed its tests."""
    return {"key": f"{REFERENCE}|{task.id}", "config": REFERENCE, "task_id": task.id, "passed": True,
            "cells": [task.reference]}


def users_spec(task: BenchTask) -> TaskSpec | None:
    """The spec of the task's entry point from its requirement's words, or None when it names no signature."""
    signature = find_required_signature(task.requirement)
    if signature is None:
        return None
    return users_function_spec(task.requirement, signature.model_copy(update={"required": True}), USERS_WORDS_ONLY)


def _validate(code: str, spec: TaskSpec, task: BenchTask) -> Validation:
    module = CodeModule(task_id=1, function_name=spec.function_name, code=code)
    return validate_steps([(_STEP, spec, module)], requirement=task.requirement, call_last=True)


def revalidate_sample(sample: dict, task: BenchTask) -> Revalidation | None:
    """The current validator's verdict on the sample's last cell, and the failing-line fixes' effect on its tests."""
    spec = users_spec(task)
    if spec is None or not sample.get("cells"):
        return None
    code = sample["cells"][-1]
    verdict = _validate(code, spec, task)
    first = Revalidation(sample["key"], task.id, sample["config"], bool(sample["passed"]), verdict.status,
                         verdict.problem[:300])
    steps, verdict = fixed_failing_lines(code, verdict, spec, lambda fixed: _validate(fixed, spec, task))
    if not steps:
        return first
    tests = run_cells([steps[-1][0]], test_code=task.test, entry_point=task.entry_point, timeout=task.timeout,
                      memory_mb=2048)
    return Revalidation(**{**asdict(first), "fixes": tuple(note for _, note in steps),
                           "validation_after_fixes": verdict.status, "tests_passed_after_fixes": tests.passed})


def summarize(rows: list[Revalidation]) -> dict:
    """Counts of (tests, validation) per configuration, false alarms, misses, and fixes that made tests pass."""
    summary = {}
    for config in dict.fromkeys(r.config for r in rows):
        mine = [r for r in rows if r.config == config]
        table = Counter((("tests pass" if r.tests_passed else "tests fail"), r.validation) for r in mine)
        failing = [r for r in mine if not r.tests_passed]
        summary[config] = {
            "cells": len(mine),
            "table": {f"{tests} / validation {status}": n for (tests, status), n in sorted(table.items())},
            "false_alarms": sum(r.tests_passed and r.validation == "failed" for r in mine),
            "caught": sum(r.validation == "failed" for r in failing),
            "missed": sum(r.validation == "passed" for r in failing),
            "tests_failing": len(failing),
            "fixed_cells": sum(bool(r.fixes) for r in mine),
            "fixed_to_pass": sum(bool(r.tests_passed_after_fixes) and not r.tests_passed for r in mine),
            "fixed_broke": sum(r.tests_passed and r.tests_passed_after_fixes is False for r in mine),
        }
    return summary


def markdown(summary: dict) -> str:
    lines = ["| configuration | cells | tests fail | caught by validation | missed (validation passed) | "
             "false alarms | cells fixed mechanically | fixed to pass | fixes that broke a passing cell |",
             "|---|---|---|---|---|---|---|---|---|"]
    for config, s in summary.items():
        lines.append(f"| {config} | {s['cells']} | {s['tests_failing']} | {s['caught']} | {s['missed']} | "
                     f"{s['false_alarms']} | {s['fixed_cells']} | {s['fixed_to_pass']} | {s['fixed_broke']} |")
    return "\n".join(lines) + "\n"
