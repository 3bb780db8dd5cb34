"""What the chat persona says: how a message is read, and the markdown of each stage's output.

Pure functions, so the persona (persona.py) stays a thin shell and all of this
is testable without Jupyter AI installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .config import GenerationConfig
from .errors import RequirementError
from .requirement import EXAMPLE, check_requirement
from .revise import Revision, RevisionError, looks_like_follow_up, parse_follow_up
from .schema import CodeModule, PipelineResult, TaskList, TaskSpec

_MENTION = re.compile(r"^\s*(?:@[\w.-]+[\s,:]*)+")
_INSERT_WORDS = {"insert", "add", "put", "paste", "it", "them", "the", "these", "cells", "cell", "into", "in", "to",
                 "my", "this", "active", "open", "current", "notebook", "please", "here", "now", "below"}


@dataclass(frozen=True)
class Intent:
    """What to do with one chat message.

    kind: "help" (no requirement in it: answer how to write one), "generate" (a new
    requirement), "revise" (change one step of the last result) or "insert" (put the
    last result's cells into the open notebook). `text` is the cleaned message,
    `note` the reason a help answer is given.
    """

    kind: str
    text: str = ""
    revision: Revision | None = None
    note: str = ""


def strip_mentions(body: str) -> str:
    """The message without leading @mentions (`@IoTCoder make ...`)."""
    return _MENTION.sub("", body or "").strip()


def is_insert_request(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return bool(words) and words[0] in ("insert", "add", "put", "paste") and set(words) <= _INSERT_WORDS


def classify(body: str, last: PipelineResult | None, config: GenerationConfig | None = None) -> Intent:
    """Read a chat message: insert, a follow-up on the last result, a new requirement, or none of these."""
    text = strip_mentions(body)
    if last is not None and is_insert_request(text):
        return Intent("insert", text)
    if looks_like_follow_up(text, last):
        try:
            return Intent("revise", text, revision=parse_follow_up(text, last))
        except RevisionError as exc:
            return Intent("help", text, note=str(exc))
    try:
        check_requirement(text, config or GenerationConfig())
    except RequirementError as exc:
        return Intent("help", text, note=str(exc))
    return Intent("generate", text)


def help_markdown(note: str = "", has_result: bool = False) -> str:
    lines = []
    if note:
        lines += [note.replace(" (or pass --allow-off-topic to try anyway)", ""), ""]
    lines += [
        "I am **IoTCoder**: I turn an IoT application requirement into a notebook, one documented Python "
        "step per task, using a small model that runs on this machine.",
        "",
        "Write what to build: the sensor(s) and sampling rate, what to compute, and, if you want, the "
        f"function to write and the target device; {EXAMPLE}",
    ]
    if has_result:
        lines += ["", "To change one step of the last result, name it: *make step 2 use a Kalman filter*. "
                      "To put its cells into the notebook you have open, say *insert*."]
    return "\n".join(lines)


def queue_markdown(ahead: int) -> str:
    waiting = "1 request is" if ahead == 1 else f"{ahead} requests are"
    return (f"Your request is number {ahead + 1} in the queue: {waiting} ahead of it on the local model, "
            "which works on one request at a time. I will start as soon as it is free.")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def start_markdown(intent: Intent, model: str | None) -> str:
    on = f" with `{model}`" if model else ""
    if intent.kind == "revise" and intent.revision is not None:
        return f"Regenerating only step {intent.revision.task_id}{on}: *{_one_line(intent.revision.instruction)}*\n\n"
    return f"Working on it{on}: first the plan, then a spec per step, then the code of each step.\n\n"


def plan_markdown(tasks: TaskList, revised: int | None = None) -> str:
    lines = ["### Plan", ""]
    for task in tasks.tasks:
        mark = " *(revised)*" if task.id == revised else ""
        lines.append(f"{task.id}. **{_one_line(task.title)}**{mark}: {_one_line(task.description)}")
    return "\n".join(lines) + "\n\n"


def spec_markdown(spec: TaskSpec, first: bool) -> str:
    head = "### Specs\n\n" if first else ""
    return f"{head}#### Step {spec.task_id}: `{spec.signature.render()}`\n\n{spec.markdown()}\n\n"


def module_markdown(module: CodeModule, first: bool) -> str:
    head = "### Code\n\n" if first else ""
    status = {"passed": "ran on sample inputs and matched its spec",
              "inconclusive": "runs, but rejected the synthetic sample inputs"}.get(module.validation or "", "")
    lines = [f"{head}#### Step {module.task_id}: `{module.function_name}`", ""]
    if status:
        lines += [f"*Checked: {status}.*", ""]
    if module.needs_packages:
        lines += [f"*Not run here: needs `pip install {' '.join(module.needs_packages)}`.*", ""]
    review = module.problems + module.missing_techniques
    if review:
        lines += [f"> **Review this step**: {'; '.join(_one_line(p) for p in review)}", ""]
    lines += ["```python", module.code.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n\n"


def result_markdown(result: PipelineResult, notebook: Path | None, link: str | None, can_insert: bool) -> str:
    """The end of the reply: totals, warnings, the notebook link and what to say next."""
    seconds = sum(s.seconds for s in result.stats.values())
    tokens = sum(s.tokens for s in result.stats.values())
    lines = [f"Done in {seconds:.0f} s ({tokens} tokens, run `{result.run_id}`)."]
    lines += [f"> {_one_line(w)}" for w in result.warnings]
    if notebook is not None:
        lines += ["", f"**Notebook**: [{notebook.name}]({link or notebook.name}) (written next to this chat)."]
    hints = ["change one step by naming it (*make step 2 use a Kalman filter*)"]
    if can_insert:
        hints.append("say *insert* to add these cells below the active cell of the notebook you have open")
    lines += ["", "Next: " + "; or ".join(hints) + "."]
    return "\n".join(lines) + "\n"


def notebook_name(result: PipelineResult) -> str:
    """`iotcoder-<first words of the requirement>-<run id>.ipynb`."""
    words = re.findall(r"[a-z0-9]+", result.requirement.lower())[:5]
    return f"iotcoder-{'-'.join(words) or 'app'}-{result.run_id[:6]}.ipynb"


def free_path(directory: Path, name: str) -> Path:
    """`directory/name`, or `name-2`, `name-3`... when taken: an existing file is never overwritten."""
    path = directory / name
    stem, suffix, n = path.stem, path.suffix, 2
    while path.exists():
        path, n = directory / f"{stem}-{n}{suffix}", n + 1
    return path
