"""Replay validation on recorded benchmark code, without the model: what does it flag, and is it right?

Every distinct (task, code) among the samples in bench/results/*/samples.jsonl (or, with --references,
every task's reference solution) is validated as the user's own function, with the spec the pipeline
builds from the requirement alone (`transform.USERS_WORDS_ONLY`). Beside each verdict stands the
sample's recorded test result, so a change to validation can be judged in minutes: failing samples it
now catches, and passing ones (or references) it now refuses. Run it on two commits and compare:

    .venv/bin/python bench/validation_replay.py --out /tmp/after.jsonl [--tasks ID ...]
    (cd ../old && PYTHONPATH=. ../main/.venv/bin/python bench/validation_replay.py --out /tmp/before.jsonl)
    .venv/bin/python bench/validation_replay.py --compare /tmp/before.jsonl /tmp/after.jsonl

Both commits need `transform.users_function_spec` (session 16 on). The model's own I/O specification
(types of parameters the user did not describe) is absent here, so some verdicts differ from a real
run's; both sides of a comparison share that.
"""

from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import json
from pathlib import Path

from jupyter_iotcoder.bench.tasks import load_tasks
from jupyter_iotcoder.requirement import find_required_signature
from jupyter_iotcoder.schema import CodeModule, Task
from jupyter_iotcoder.transform import USERS_WORDS_ONLY, users_function_spec
from jupyter_iotcoder.validate import validate_steps

RESULTS = Path(__file__).resolve().parent / "results"


def candidates(references: bool, wanted: set[str], runs: str = "*") -> list[tuple[dict, str, bool]]:
    """(task, code, test passed) for each distinct recorded sample of the runs, or each task's reference."""
    tasks = {task.id: task.model_dump() for task in load_tasks() if not wanted or task.id in wanted}
    if references:
        return [(t, t["reference"], True) for t in tasks.values()]
    seen, found = set(), []
    for path in sorted(glob.glob(str(RESULTS / runs / "samples.jsonl"))):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            task = tasks.get(row.get("task_id"))
            code = "\n\n".join(row.get("cells") or [])
            if task and code and (task["id"], code) not in seen:
                seen.add((task["id"], code))
                found.append((task, code, bool(row["passed"])))
    return found


def replay(task: dict, code: str) -> tuple[str, str]:
    signature = find_required_signature(task["requirement"])
    if signature is None:
        return "skipped", "the requirement names no function"
    required = signature.model_copy(update={"required": True})
    spec = users_function_spec(task["requirement"], required, USERS_WORDS_ONLY)
    step = Task(id=1, title="The user's function", description=task["requirement"][:200], inputs=[], outputs=[])
    verdict = validate_steps([(step, spec, CodeModule(task_id=1, function_name=spec.function_name, code=code))],
                             timeout=10, call_last=True, requirement=task["requirement"])
    return verdict.status, verdict.problem


def compare(before_path: str, after_path: str) -> None:
    def read(path: str) -> dict:
        rows = (json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines())
        return {(r["task"], r["code"]): r for r in rows}

    before, after = read(before_path), read(after_path)
    counts = collections.Counter()
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        counts[(new["passed"], old["status"], new["status"])] += 1
        if old["status"] != new["status"]:
            print(f"{'PASSES' if new['passed'] else 'fails '} its test  {new['task']}: {old['status']} -> "
                  f"{new['status']}  {new['problem'][:160]}")
    print(f"{len(before.keys() & after.keys())} samples in both files")
    for (passed, old, new), n in sorted(counts.items()):
        print(f"  test {'passed' if passed else 'failed'}: validation {old} -> {new}: {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write one JSON line per sample here")
    parser.add_argument("--tasks", nargs="*", default=[], help="only these task ids")
    parser.add_argument("--runs", default="*", help="results folders to take samples from (a glob, e.g. iot-1.5b-full)")
    parser.add_argument("--references", action="store_true", help="replay each task's reference instead")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two --out files")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if not args.out:
        parser.error("--out or --compare is needed")
    with open(args.out, "w", encoding="utf-8") as out:
        for task, code, passed in candidates(args.references, set(args.tasks), args.runs):
            status, problem = replay(task, code)
            out.write(json.dumps({"task": task["id"], "code": hashlib.sha1(code.encode()).hexdigest()[:12],
                                  "passed": passed, "status": status, "problem": problem[:300]}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
