"""Execution-guided selection for the user's own function: write it more than once, keep what most agree on.

Validation checks types, sizes and crashes, but not values: on the 1.5B most
final steps that passed validation still returned wrong numbers
(bench/results/iot-1.5b-s8-heldout). Independent candidates give the missing
value oracle. The pipeline's module and a few modules written from the whole
requirement (another prompt, other seeds, each repaired once when it fails)
run on the same sample inputs; the outputs are compared by digest, and the
module in the largest group of agreeing, validated candidates wins (as in
CodeT and MBR-exec). Empty results agree with nothing. With no validated
version, the one that got furthest is kept (one that ran beats one that fails
a static check and may not even import).

The first alternative is the answer to the plain prompt (what a user gets from
the same model in a chat), the others use the pipeline's code prompt. On a
tie the plain answer wins, then the pipeline's module: on the 1.5B the plain
prompt passed 12 of 78 benchmark samples (60 distinct tasks) and the pipeline 5
(bench/results/iot-1.5b-s8 to -s11).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .config import GenerationConfig
from .schema import CodeModule, StageStats, Task, TaskSpec
from .validate import Validation, Validator, informative, validate_steps

Step = tuple[Task, TaskSpec, CodeModule]


PIPELINE, PLAIN_PROMPT, WHOLE_REQUIREMENT = "pipeline", "plain prompt", "whole requirement"
# Which origin wins a tie, best first (see the module's docstring for the measurement behind it).
TIE_ORDER = (PLAIN_PROMPT, PIPELINE, WHOLE_REQUIREMENT)


def alternative_origin(number: int) -> str:
    """How the `number`-th alternative (1-based) is written: the plain prompt first, then the code prompt."""
    return PLAIN_PROMPT if number == 1 else WHOLE_REQUIREMENT


@dataclass(frozen=True)
class Candidate:
    module: CodeModule
    validation: Validation
    origin: str  # PIPELINE | PLAIN_PROMPT | WHOLE_REQUIREMENT


_PROGRESS_ORDER = ("passed", "inconclusive", "ran", "static")


def _tie_rank(origin: str) -> int:
    return TIE_ORDER.index(origin) if origin in TIE_ORDER else len(TIE_ORDER)


def pick(validations: list[Validation], origins: list[str], progresses: list[str] | None = None,
         lacking: list[bool] | None = None) -> tuple[int, int]:
    """Index of the winning candidate (the pipeline's is first) and how many candidates agree with it.

    Validated candidates are grouped by their outputs' digest; the largest group wins. On a tie the
    group holding the origin that comes first in TIE_ORDER wins (then the earlier candidate's). A group
    is represented by its first candidate, so the pipeline's module stays when another agrees with it.
    Empty outputs agree with nothing (each is a group of one). Without a validated candidate the one
    that got furthest wins (see `progress`; TIE_ORDER among equals), or the first when `progresses` is
    not given. Versions `lacking` a technique the step names (codegen.technique_problems) agree with
    nothing and rank after their equals while a version that has it passed: two one-way filters agreeing
    must not outvote the one zero-phase filter.
    """
    lacking = lacking or [False] * len(validations)
    passed = [i for i, v in enumerate(validations) if v.status == "passed" and v.fingerprint]
    outvoted = {i for i in passed if lacking[i]} if any(not lacking[i] for i in passed) else set()
    groups: dict[str, list[int]] = {}
    for i in passed:
        if i not in outvoted:
            fingerprint = validations[i].fingerprint
            groups.setdefault(fingerprint if informative(fingerprint) else f"{fingerprint}#{i}", []).append(i)
    if not groups:
        if not progresses:
            return 0, 0
        return min(range(len(validations)), key=lambda i: (_PROGRESS_ORDER.index(progresses[i]), lacking[i],
                                                           _tie_rank(origins[i]), i)), 0
    best = max(groups.values(), key=lambda members: (len(members), -min(_tie_rank(origins[i]) for i in members),
                                                     -members[0]))
    return best[0], len(best)


def progress(candidate: Candidate) -> str:
    """How far a version got: "passed" validation, could not be judged ("inconclusive"), "ran" and failed on
    sample inputs, or failed a "static" check (it may not even import)."""
    if candidate.validation.status in ("passed", "inconclusive"):
        return candidate.validation.status
    return "static" if candidate.module.problems and candidate.module.validation is None else "ran"


def agreement_note(candidates: list[Candidate], chosen: int, agreeing: int) -> str:
    """The sentence the step's markdown cell shows about the comparison."""
    total = len(candidates)
    elsewhere = (" This version is written from the whole requirement and does not call the steps above.*"
                 if chosen else "*")
    if chosen and not agreeing:
        how = ("could not be judged on sample inputs" if candidates[chosen].validation.status == "inconclusive"
               else "ran, but failed on sample inputs")
        return (f"*None of the {total} versions of this function passed validation; this one got furthest "
                f"({how}); check it before use." + elsewhere)
    if agreeing and not informative(candidates[chosen].validation.fingerprint):
        return ("*Not cross-checked: on sample inputs this function's result was empty or an object with no "
                "comparable value, so independently written versions of it could not be compared; check it on "
                "your own data." + elsewhere)
    if chosen and agreeing == 1 and candidates[0].validation.status == "passed":
        return (f"*Not confirmed: the {total} versions of this function gave different outputs on sample inputs; "
                f"this one, the answer to a plain prompt, is kept on the tie because such answers were more often "
                f"right in the benchmark; check its values." + elsewhere)
    if chosen and agreeing == 1:
        return ("*Rewritten: the plan's version of this function did not pass validation; this version did, but "
                "no other version confirmed its outputs; check its values." + elsewhere)
    if chosen:
        return (f"*Cross-checked: {agreeing} of {total} independently written versions of this function gave "
                f"the same outputs on sample inputs, and the plan's version was not among them." + elsewhere)
    if agreeing > 1:
        return (f"*Cross-checked: {agreeing} of {total} independently written versions of this function gave "
                f"the same outputs on sample inputs.*")
    if agreeing == 1 and any(c.validation.status == "passed" for c in candidates[1:]):
        return (f"*Not confirmed: {total - 1} other versions of this function, written from the whole "
                f"requirement, gave different outputs on sample inputs; check its values.*")
    return ""


def choose_users_function(module: CodeModule, earlier: list[Step], task: Task, spec: TaskSpec,
                          write_alternative: Callable[[int, Validator], CodeModule], config: GenerationConfig,
                          validation_stats: StageStats, requirement: str = "") -> CodeModule:
    """`module`, or an alternative that more candidates agree with on sample inputs; the choice is logged.

    `earlier` are the working steps above, which `module` may call; `write_alternative(n, validator)`
    writes the n-th alternative (1-based), which calls none of them, and may run `validator` on its
    attempts to repair them (each code is run once: the comparison reuses the result).
    """
    seen: dict[tuple[str, ...], Validation] = {}

    def run(steps: list[Step]) -> Validation:
        if steps[-1][2].problems:
            return Validation("failed", steps[-1][2].problems[0])
        key = tuple(step_module.code for _, _, step_module in steps)
        if key not in seen:
            started = time.perf_counter()
            seen[key] = validate_steps(steps, timeout=config.sandbox_timeout_s, call_last=True,
                                       requirement=requirement, datasets=config.available_data)
            validation_stats.seconds += time.perf_counter() - started
            validation_stats.calls += 1
        return seen[key]

    def run_alone(candidate: CodeModule) -> Validation:
        return run([(task, spec, candidate)])

    candidates = [Candidate(module, run(earlier + [(task, spec, module)]), PIPELINE)]
    for number in range(1, config.alternatives + 1):
        alternative = write_alternative(number, run_alone)
        candidates.append(Candidate(alternative, run_alone(alternative), alternative_origin(number)))
    chosen, agreeing = pick([c.validation for c in candidates], [c.origin for c in candidates],
                            [progress(c) for c in candidates], [bool(c.module.missing_techniques) for c in candidates])
    summary = {"selection": [{"origin": c.origin, "validation": c.validation.status, "progress": progress(c),
                              "note": c.validation.problem[:300], "outputs": c.validation.fingerprint,
                              "lacking": c.module.missing_techniques, "code": c.module.code} for c in candidates],
               "chosen": chosen, "agreeing": agreeing}
    log = module.attempt_log + [entry for c in candidates[1:] for entry in c.module.attempt_log] + [summary]
    update = {"attempt_log": log, "agreement": agreement_note(candidates, chosen, agreeing)}
    if chosen and agreeing:
        update.update(validation="passed", problems=[], attempts=module.attempts + config.alternatives)
    elif chosen:
        update.update(attempts=module.attempts + config.alternatives)
    return candidates[chosen].module.model_copy(update=update)
