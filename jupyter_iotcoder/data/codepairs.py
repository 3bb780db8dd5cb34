"""Code-generation training pairs: spec -> documented module, in the runtime's own prompt format.

Three sources, each a list of candidates that the execution filter then runs:
- pipeline: a task of an expert decomposition whose technique links a curated
  program; the prompt is exactly `codegen.codegen_messages(task, tasks, spec,
  earlier)` with the spec from `TaskSpec.markdown()` (what the transform stage
  produces), the answer the program's module;
- curated: the same programs on their own (step 1 of 1), over all variants;
- crawled: the three published instruction types from installed packages'
  documentation. "example implementation" uses `codegen_messages` too; "module
  description" and "module implementation" have their own short user prompts
  (the published wording) with the same system prompt, and their answers are
  also one documented ```python module, so every answer has the form that
  `codegen.extract_code` reads.
"""

from __future__ import annotations

import ast
import keyword
import random
import re
import textwrap
from dataclasses import dataclass, field

from ..codegen import check_module, codegen_messages, missing_imports, undefined_names
from ..prompts import render
from ..schema import Param, Signature, Task, TaskList, TaskSpec
from .crawler import ApiDoc
from .curated import Instance, Program, context, fmt, instantiate, variant_values
from .decompositions import Decomposition, cap_first, num
from .execution import Job

_IMPORT = re.compile(r"^(import\s+\S|from\s+\S+\s+import\s)")


@dataclass
class Candidate:
    """One candidate pair: the prompt, the answer, and the job that must succeed for it to be kept."""

    messages: list[dict]
    answer: str
    jobs: list[Job]
    meta: dict = field(default_factory=dict)

    def record(self, kept_job: Job) -> dict:
        return {"messages": self.messages + [{"role": "assistant", "content": fence(kept_job.code)}],
                "meta": self.meta}


def fence(code: str) -> str:
    return f"```python\n{code.strip(chr(10))}\n```"


def _system() -> dict:
    return {"role": "system", "content": render("codegen.system.md")}


def static_problems(code: str) -> list[str]:
    """What codegen.check_module would say about any module, without a spec: parse, names, imports."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"it does not parse: {exc.msg}"]
    return [f"undefined name {n}" for n in undefined_names(tree)] + [f"missing module {m}" for m in missing_imports(tree)]


# ------------------------------------------------------------------ curated programs

def _generic_spec(task: Task, taken: set[str]) -> TaskSpec:
    """A spec for an earlier task that has no curated program: names as the plan gives them."""
    base = f"compute_{task.outputs[0]}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return TaskSpec(task_id=task.id, target=task.title, signature=Signature(function_name=name, parameters=task.inputs),
                    inputs=[Param(name=i, type="as produced by the earlier steps") for i in task.inputs],
                    outputs=[Param(name=o, type="see the step description") for o in task.outputs])


def _candidate(instance: Instance, task: Task, tasks: TaskList, earlier: list[TaskSpec], meta: dict) -> Candidate | None:
    spec = instance.spec(task.id)
    names = frozenset(e.function_name for e in earlier)
    if spec.function_name in names or check_module(instance.code, spec, names):
        return None
    messages = [dict(m) for m in codegen_messages(task, tasks, spec, earlier)]
    return Candidate(messages=messages, answer=fence(instance.code),
                     jobs=[Job(instance.code, instance.test, instance.function_name)], meta=meta)


def _split_module(code: str) -> tuple[list[str], str]:
    """(top-level import lines, the definitions): without the module docstring and the `__main__` demonstration."""
    tree = ast.parse(code)
    lines = code.splitlines()
    imports, keep = [], []
    for node in tree.body:
        text = "\n".join(lines[node.lineno - 1: node.end_lineno])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue
        elif isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            continue
        else:
            keep.append(text)
    return imports, "\n\n\n".join(keep)


def _demo_lines(decomposition: Decomposition, function_name: str, args: list[str]) -> list[str]:
    """A `__main__` demonstration: synthetic data of the sensor's shape and units through the whole chain."""
    modality, facts = decomposition.combination.modality, decomposition.facts
    fs = float(facts["fs_value"])
    # several of the plan's windows, at most 20,000 samples
    seconds = float(num(min(max(60.0, 4 * float(facts["win"])), 20000.0 / fs)))
    lines = ['if __name__ == "__main__":', "    rng = np.random.default_rng(0)", f"    fs = {fmt(fs)}",
             f"    t = np.arange(int({fmt(seconds)} * fs)) / fs", f"    f0 = {fmt(facts['f0'])}"]
    if "anchors" in args or "anchors" in modality.demo:
        lines.append("    anchors = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 8.0], [0.0, 8.0]])")
    lines += [f"    {modality.data} = {modality.demo}", f"    print({function_name}({', '.join(args)}))"]
    return lines


def composed_module(decomposition: Decomposition, task: Task, parts: tuple[Instance, ...],
                    ) -> tuple[str, TaskSpec] | None:
    """The final task of a named requirement: the last steps' programs plus the user's function, which calls
    every step in order (earlier steps' functions are defined in cells above) and returns the result.

    None when the chain cannot be wired: a step needs a value that neither the signature nor an earlier
    step gives, or its result has more than one part.
    """
    name = task.title.removeprefix("Implement ").strip()
    args = list(task.inputs)
    steps = [p.program for p in decomposition.planned[:-1]] + list(parts)
    if any(step is None for step in steps) or len(steps[-1].outputs) != 1:
        return None
    available = set(args)
    for step in steps:
        if any(p.name not in available for p in step.inputs) or step.function_name == name:
            return None
        available.update(p.name for p in step.outputs)
    used, calls = set(), []
    for step in reversed(steps):  # only the steps whose results the final one needs, in order
        if step is steps[-1] or used & {p.name for p in step.outputs}:
            outputs = [p.name for p in step.outputs] if step is not steps[-1] else [task.outputs[0]]
            calls.insert(0, (step, f"    {', '.join(outputs)} = {step.function_name}("
                                   f"{', '.join(p.name for p in step.inputs)})"))
            used.update(p.name for p in step.inputs)
    modality, result = decomposition.combination.modality, steps[-1].outputs[0]
    described = {
        modality.data: Param(name=modality.data, type=f"np.ndarray, shape {modality.shape}",
                             description=f"raw {modality.name} samples, {modality.units}"),
        "fs": Param(name="fs", type="float, Hz", description="sampling rate"),
        "anchors": Param(name="anchors", type="np.ndarray, shape (n_anchors, 2), metres",
                         description="known anchor positions"),
    }
    if any(a not in described for a in args):
        return None
    inputs = [described[a] for a in args]
    output = Param(name=task.outputs[0], type=result.type, description=result.description)
    imports, bodies = [], []
    for part in parts:
        part_imports, body = _split_module(part.code)
        imports += part_imports
        bodies.append(body)
    imports = list(dict.fromkeys(["import numpy as np", *imports]))
    doc_params = []
    for p in inputs:
        doc_params += [f"    {p.name} : {p.type}", f"        {cap_first(p.description)}."]
    first_step = calls[0][0].function_name
    docstring = "\n".join([
        f'    """{cap_first(decomposition.combination.family.result.replace("_", " "))} from raw '
        f'{modality.name} data: every step of the pipeline, in order.', "",
        "    Parameters", "    ----------", *doc_params, "",
        "    Returns", "    -------", f"    {output.name} : {output.type}", f"        {cap_first(output.description)}.",
        '    """'])
    checks = [f"    if np.size({modality.data}) == 0:",
              f'        raise ValueError("{modality.data} is empty")',
              "    if not float(fs) > 0:", '        raise ValueError("fs must be a positive sampling rate in Hz")']
    entry = [f"def {name}({', '.join(args)}):", docstring, *checks, *(line for _, line in calls),
             f"    return {task.outputs[0]}"]
    summary = task.title if len(calls) == 1 else f"{name}: the whole pipeline, from {modality.data} to {output.name}"
    code = "\n".join([f'"""{summary}; it calls {first_step} and the other steps in order."""', "",
                      *imports, "", "", *([b + "\n\n" for b in bodies if b]), *entry, "", "",
                      *_demo_lines(decomposition, name, args), ""])
    spec = TaskSpec(task_id=task.id, target=task.description,
                    signature=Signature(function_name=name, parameters=args), inputs=inputs, outputs=[output])
    return code, spec


def final_candidate(decomposition: Decomposition, earlier: list[TaskSpec], prelude: list[str],
                    meta: dict) -> Candidate | None:
    """A pair for the task that implements the user's named function, checked by running the whole chain."""
    planned = decomposition.planned[-1]
    if not planned.programs() or len(prelude) != len(decomposition.planned) - 1:
        return None
    made = composed_module(decomposition, planned.task, planned.programs())
    if made is None:
        return None
    code, spec = made
    if check_module(code, spec, frozenset(e.function_name for e in earlier)):
        return None
    messages = [dict(m) for m in codegen_messages(planned.task, decomposition.task_list(), spec, earlier)]
    return Candidate(messages=messages, answer=fence(code), jobs=[Job(code, prelude=tuple(prelude))],
                     meta={**meta, "program": "+".join(p.program for p in planned.programs()), "final": True})


def pipeline_candidates(decomposition: Decomposition, split: str) -> list[Candidate]:
    """One candidate per task of the plan that a curated program implements, and one for the final task
    that implements the user's named function when every step before it has a program."""
    tasks = decomposition.task_list()
    taken: set[str] = set()
    earlier: list[TaskSpec] = []
    prelude: list[str] = []
    out = []
    combo = decomposition.combination
    for planned in decomposition.planned:
        meta = {"source": "curated-pipeline", "family": combo.family.id, "modality": combo.modality.id,
                "platform": combo.platform.id, "technique": planned.technique, "split": split}
        if planned.program is not None:
            meta |= {"program": planned.program.program, "category": planned.program.category}
            made = _candidate(planned.program, planned.task, tasks, earlier, meta)
            if made is not None:
                out.append(made)
                taken.add(planned.program.function_name)
                earlier.append(planned.program.spec(planned.task.id))
                prelude.append(planned.program.code)
                continue
        if decomposition.named_function and planned is decomposition.planned[-1]:
            final = final_candidate(decomposition, earlier, prelude, meta | {"category": "pipeline"})
            if final is not None:
                out.append(final)
            break
        earlier.append(_generic_spec(planned.task, taken))
    return out


def standalone_candidates(program: Program, rng: random.Random, limit: int) -> list[Candidate]:
    """The program alone (step 1 of 1) over its variants, contexts, function and data names."""
    out = []
    for index, values in enumerate(variant_values(program, rng, limit)):
        func, x = rng.choice(program.names), rng.choice(program.data_names)
        if func == x:
            continue
        instance = instantiate(program, values, func=func, x=x, out=rng.choice(program.out_names))
        requirement = context(program, index, values)
        title = instance.target.split(",")[0].split(" with ")[0].rstrip(".")[:100]
        task = Task(id=1, title=title, description=instance.target,
                    inputs=[p.name for p in instance.inputs], outputs=[p.name for p in instance.outputs])
        tasks = TaskList(requirement=requirement, tasks=[task])
        meta = {"source": "curated", "program": program.id, "category": program.category, "split": "train",
                "values": dict(instance.values)}
        made = _candidate(instance, task, tasks, [], meta)
        if made is not None:
            out.append(made)
    return out


# ------------------------------------------------------------------ crawled documentation

def _phrase(summary: str) -> str:
    text = summary.strip().rstrip(".")
    return text[:1].lower() + text[1:]


def _split_imports(script: str) -> tuple[list[str], list[str]]:
    imports, body = [], []
    for line in script.splitlines():
        (imports if _IMPORT.match(line) else body).append(line)
    return list(dict.fromkeys(imports)), body


def _doc_block(doc: ApiDoc, full: bool) -> str:
    lines = [f"{doc.qualified}{doc.signature}" if full else f"{doc.summary}", ""]
    if full:
        lines += [doc.summary, ""]
        if doc.extended:
            lines += textwrap.wrap(doc.extended, 100) + [""]
        named = [p for p in doc.parameters if p.name]
        if named:
            lines += ["Parameters", "----------"]
            for p in named:
                lines.append(f"{p.name} : {p.type}" if p.type else p.name)
                lines += ["    " + w for w in textwrap.wrap(p.description, 96)[:4]]
            lines.append("")
        if doc.returns:
            lines += ["Returns", "-------"]
            for p in doc.returns:
                lines.append(f"{p.name} : {p.type}" if p.name else (p.type or "result"))
                lines += ["    " + w for w in textwrap.wrap(p.description, 96)[:3]]
            lines.append("")
        if doc.notes:
            lines += ["Tips", "----"] + textwrap.wrap(doc.notes[:400], 100) + [""]
    else:
        lines += [f"Shows how to use `{doc.qualified}` ({doc.distribution} {doc.version})."]
    text = "\n".join(lines).rstrip().replace("\\", "\\\\").replace('"""', "'''")
    return f'"""{text}\n"""'


def demo_module(doc: ApiDoc, full: bool) -> str:
    """The doctest script as a module: imports on top, the rest inside `demo()`, run under __main__."""
    imports, body = _split_imports(doc.example_script)
    own = f"from {doc.module} import {doc.name}"
    if not any(re.search(rf"\b{re.escape(doc.name)}\b", line) for line in imports):
        imports.append(own)
    name = "describe_" if full else "demo_"
    func = f"{name}{_snake(doc.name)}"
    inner = textwrap.indent("\n".join(body).strip("\n"), "    ")
    what = "Run the documented example" if full else f"Use {doc.qualified} step by step"
    return "\n".join([_doc_block(doc, full), "", *imports, "", "",
                      f"def {func}() -> None:", f'    """{what}."""', inner or "    pass", "", "",
                      'if __name__ == "__main__":', f"    {func}()", ""])


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _literal(value) -> str | None:
    text = repr(value)
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return text if len(text) <= 40 else None


def _wrapper_parameters(doc: ApiDoc):
    """(required names, [(name, default source)]) of a function that a wrapper can pass through, or None."""
    try:
        tree = ast.parse(f"def f{doc.signature}: pass").body[0].args
    except SyntaxError:
        return None
    if tree.posonlyargs or tree.vararg or any(d is None for d in tree.kw_defaults):
        return None
    params = tree.args
    defaults = [None] * (len(params) - len(tree.defaults)) + list(tree.defaults)
    required, optional = [], []
    for arg, default in zip(params, defaults):
        if arg.arg in ("self",) or keyword.iskeyword(arg.arg):
            return None
        if default is None:
            required.append(arg.arg)
        elif len(optional) < 3:
            try:
                value = ast.literal_eval(default)
            except ValueError:
                continue
            source = _literal(value)
            if source is not None:
                optional.append((arg.arg, source))
    return (required, optional) if required else None


def wrapper_candidate(doc: ApiDoc) -> Candidate | None:
    """'Example implementation': a spec (Target / Input / Output) -> a documented wrapper module, in the codegen prompt."""
    if doc.kind != "function" or not doc.example_script:
        return None
    parts = _wrapper_parameters(doc)
    if parts is None:
        return None
    required, optional = parts
    wrapper = f"apply_{_snake(doc.name)}"
    described = {p.name: p for p in doc.parameters if p.name}
    names = required + [n for n, _ in optional]
    if wrapper in names or any(n not in described for n in required):
        return None
    inputs = [Param(name=n, type=(described[n].type if n in described else "see documentation")[:80] or "object",
                    description=(described[n].description if n in described else "")[:240]) for n in names]
    taken: set[str] = set()
    outputs = []
    for index, ret in enumerate(doc.returns[:4] or ()):
        name = ret.name if ret.name and re.match(r"^[A-Za-z_]\w*$", ret.name) else f"result_{index + 1}"
        if name in taken or keyword.iskeyword(name):
            continue
        taken.add(name)
        outputs.append(Param(name=name, type=(ret.type or "object")[:80], description=ret.description[:240]))
    if not outputs:
        outputs = [Param(name="result", type="object", description="what the library call returns")]
    spec = TaskSpec(task_id=1, target=f"{doc.summary.rstrip('.')} by calling {doc.qualified}.",
                    signature=Signature(function_name=wrapper, parameters=names), inputs=inputs, outputs=outputs)
    signature = ", ".join(required + [f"{n}={d}" for n, d in optional] + ["**options"])
    call = ", ".join(required + [f"{n}={n}" for n, _ in optional] + ["**options"])
    doc_params = []
    for p in inputs:
        doc_params += [f"    {p.name} : {p.type}"] + ["        " + w for w in textwrap.wrap(p.description, 88)[:3]]
    doc_params += ["    **options", f"        Further keyword arguments of `{doc.qualified}`."]
    doc_returns = []
    for p in outputs:
        doc_returns += [f"    {p.name} : {p.type}"] + ["        " + w for w in textwrap.wrap(p.description, 88)[:2]]
    body = "\n".join([f'    """{doc.summary}', "", "    Parameters", "    ----------", *doc_params, "",
                      "    Returns", "    -------", *doc_returns, '    """'])
    body = body.replace("\\", "\\\\")
    imports, demo = _split_imports(doc.example_script)
    head = [f'"""{doc.summary.rstrip(".")}: a documented wrapper around {doc.qualified}."""', "",
            *[i for i in imports if i != f"from {doc.module} import {doc.name}"],
            f"from {doc.module} import {doc.name}", "", "",
            f"def {wrapper}({signature}):", body, f"    return {doc.name}({call})", "", ""]
    pattern = re.compile(rf"(?<![\w.])(?:[A-Za-z_]\w*\.)*{re.escape(doc.name)}\(")
    demo_text = "\n".join(demo).strip("\n")
    variants = [pattern.sub(f"{wrapper}(", demo_text), demo_text]
    jobs = []
    for demo_variant in dict.fromkeys(variants):
        code = "\n".join(head + ['if __name__ == "__main__":', textwrap.indent(demo_variant, "    ") or "    pass", ""])
        if not check_module(code, spec):
            jobs.append(Job(code))
    if not jobs:
        return None
    requirement = (f"My sensor data pipeline needs a small, documented helper that uses {doc.qualified} from "
                   f"{doc.distribution} to {_phrase(doc.summary)}.")
    task = Task(id=1, title=f"Wrap {doc.name} from {doc.distribution}"[:100], description=doc.summary,
                inputs=names, outputs=[o.name for o in outputs])
    messages = [dict(m) for m in codegen_messages(task, TaskList(requirement=requirement, tasks=[task]), spec, [])]
    return Candidate(messages=messages, answer="", jobs=jobs,
                     meta={"source": "crawled", "instruction": "example implementation", "package": doc.distribution,
                           "module": doc.module, "api": doc.name, "version": doc.version, "license": doc.license})


def crawled_candidates(doc: ApiDoc) -> list[Candidate]:
    """The three published instruction types for one API; each keeps only answers that run."""
    if not doc.example_script:
        return []
    meta = {"source": "crawled", "package": doc.distribution, "module": doc.module, "api": doc.name,
            "version": doc.version, "license": doc.license}
    out = []
    target = _phrase(doc.summary)
    prompts = {
        "module description": (f"Provide a detailed description of the {doc.kind} `{doc.name}` from a Python package "
                               f"named {doc.distribution} (module `{doc.module}`) to {target}.", True),
        "module implementation": (f"Write some Python code with comments and documentation to {target} by using the "
                                  f"`{doc.name}` from a Python package named {doc.distribution}.", False),
    }
    for instruction, (user, full) in prompts.items():
        code = demo_module(doc, full)
        if static_problems(code):
            continue
        out.append(Candidate(messages=[_system(), {"role": "user", "content": user}], answer=fence(code),
                             jobs=[Job(code)], meta={**meta, "instruction": instruction}))
    wrapped = wrapper_candidate(doc)
    if wrapped is not None:
        out.append(wrapped)
    return out
