"""Code pairs from expert plans: the final task that implements the user's named function gets a pair too."""

import ast
import random

from jupyter_iotcoder.codegen import extract_code
from jupyter_iotcoder.data.codepairs import pipeline_candidates
from jupyter_iotcoder.data.curated import load_programs
from jupyter_iotcoder.data.decompositions import generate
from jupyter_iotcoder.data.execution import Job, run_jobs
from jupyter_iotcoder.data.knowledge import load_knowledge


def _named_plans_with_final_pairs(limit: int):
    kb, programs = load_knowledge(), load_programs()
    found = []
    for combo in sorted(kb.valid_combinations(), key=lambda c: c.key)[::5]:
        for i in range(2):
            d = generate(kb, programs, combo, random.Random(f"0:{combo.key}:{i}"))
            if d is None or not d.named_function:
                continue
            finals = [c for c in pipeline_candidates(d, "train") if c.meta.get("final")]
            if finals:
                found.append((d, finals[0]))
                if len(found) == limit:
                    return found
    return found


def test_final_named_task_pair_defines_the_requirements_function_and_calls_the_earlier_steps():
    found = _named_plans_with_final_pairs(6)
    assert len(found) == 6
    for d, cand in found:
        name = d.named_function.split("(")[0]
        code = extract_code(cand.answer)
        tree = ast.parse(code)
        entry = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
        called = {n.func.id for n in ast.walk(entry) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        earlier = {p.program.function_name for p in d.planned[:-1]}
        assert called & earlier or len(d.planned) == 1
        assert f"def {name}(" in cand.messages[-1]["content"] and name in d.requirement
        assert 'if __name__ == "__main__":' in code
        assert len(cand.jobs[0].prelude) == len(d.planned) - 1


def test_final_pair_is_kept_only_when_the_whole_chain_runs_on_the_demonstration_data():
    found = _named_plans_with_final_pairs(4)
    results = run_jobs([cand.jobs[0] for _, cand in found], workers=1)
    assert any(r.ok for r in results.values())
    _, cand = found[0]
    broken = Job(cand.jobs[0].code, prelude=())  # without the earlier cells, the earlier steps are undefined
    [result] = run_jobs([broken]).values()
    assert not result.ok and "NameError" in result.error
