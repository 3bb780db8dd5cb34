"""Curated programs: templates load, fill strictly, and give modules that codegen.check_module accepts."""

import random

import pytest

from jupyter_iotcoder.codegen import check_module
from jupyter_iotcoder.data.curated import CuratedError, fix_ordinals, instantiate, load_programs, variant_values
from jupyter_iotcoder.data.execution import Job, run_jobs


def test_every_program_instantiates_to_a_module_the_codegen_check_accepts():
    programs = load_programs()
    assert len(programs) >= 40
    for program in programs.values():
        instance = instantiate(program, x=program.data_names[-1], func=program.names[-1])
        assert check_module(instance.code, instance.spec(1)) == [], program.id
        assert instance.spec(1).signature.parameters == [p.name for p in instance.inputs]


def test_variants_of_one_program_pass_their_test_in_the_sandbox():
    program = load_programs()["butter_lowpass"]
    instances = [instantiate(program, v) for v in variant_values(program, random.Random(0), 3)]
    results = run_jobs([Job(i.code, i.test, i.function_name) for i in instances])
    assert len({i.code for i in instances}) == 3 and all(r.ok for r in results.values())


def test_unknown_placeholder_is_a_clear_error(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "programs:\n  - id: bad\n    category: x\n    names: [f]\n    data_names: [x]\n    out_names: [y]\n"
        "    target: 'uses ${nope}'\n    inputs: [{name: '${x}', type: t}]\n    outputs: [{name: y, type: t}]\n"
        "    contexts: [c]\n    code: 'def ${func}(${x}):\\n    return ${x}\\n'\n    test: 'def check(f):\\n    pass\\n'\n")
    with pytest.raises(CuratedError, match=r"bad.yaml: program 'bad'.*unknown placeholders \['nope'\]"):
        load_programs(tmp_path)


def test_ordinals_are_fixed_after_filling():
    assert fix_ordinals("a 2th-order and 3th-order, 4th and 11th") == "a 2nd-order and 3rd-order, 4th and 11th"
