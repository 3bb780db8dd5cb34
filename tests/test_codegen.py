"""Stage 3: TaskSpec -> CodeModule: fences, static checks, retries and explanations."""

from __future__ import annotations

import re

import pytest

from jupyter_iotcoder.calls import StageCaller
from jupyter_iotcoder.codegen import (
    add_missing_imports,
    arrays_from_list_inputs,
    bind_shape_letters,
    check_module,
    closed_code_block,
    codegen,
    drop_demo_code,
    drop_redefined_steps,
    drop_unused_missing_imports,
    drop_type_guards,
    earlier_functions,
    extract_code,
    fix_automatically,
    generate_module,
    integer_counts_on_failing_line,
    keep_given_inputs,
    length_tests_for_emptiness,
    lists_from_array_inputs,
    needed_packages,
    pipeline_values,
    privatise_broken_steps,
    replace_removed_names,
    spec_taking_pipeline_values,
    take_pipeline_values,
    technique_problems,
    widen_one_character_strings,
    with_known_fixes,
)
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.notebook import wiring_source
from jupyter_iotcoder.schema import CodeModule, Param, Signature, StageStats, Task, TaskList, TaskSpec
from jupyter_iotcoder.validate import Validation
from scripted_answers import CODE_1, CODE_2, PLAN, REQUIREMENT, SELF_CONTAINED_MAGNITUDE

from conftest import ScriptedRuntime

TASKS = TaskList(requirement=REQUIREMENT,
                 tasks=[Task(id=i, **item) for i, item in enumerate(PLAN["tasks"], start=1)])
SPEC_1 = TaskSpec(
    task_id=1, target="Compute the gravity-free acceleration magnitude in m/s^2.",
    signature=Signature(function_name="acceleration_magnitude", parameters=["acc"]),
    inputs=[Param(name="acc", type="np.ndarray")], outputs=[Param(name="magnitude", type="np.ndarray")],
)
SPEC_2 = TaskSpec(
    task_id=2, target="Count the steps in the magnitude signal.",
    signature=Signature(function_name="count_steps", parameters=["acc", "fs"], required=True),
    inputs=[Param(name="acc", type="np.ndarray"), Param(name="fs", type="float")],
    outputs=[Param(name="step_count", type="int")],
)
GOOD = '''"""Scale a signal."""
import numpy as np


def acceleration_magnitude(acc):
    """Return the norm."""
    return np.linalg.norm(np.asarray(acc), axis=1)
'''


def fenced(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}```\n"


def caller_for(runtime: ScriptedRuntime) -> StageCaller:
    return StageCaller(runtime, "codegen", StageStats())


# --- fences --------------------------------------------------------------------


def test_closed_code_block_is_none_until_the_fence_closes():
    assert closed_code_block("Here it is:\n") is None
    assert closed_code_block("```python\n") is None
    assert closed_code_block("```python\nx = 1\n") is None
    assert closed_code_block("```python\nx = 1\n``") is None


def test_closed_code_block_returns_the_text_up_to_the_closing_fence():
    text = "```python\nx = 1\ny = 2\n```\nTrailing prose."
    assert closed_code_block(text) == "```python\nx = 1\ny = 2\n```"


def test_closed_code_block_works_for_a_bare_fence_after_prose():
    assert closed_code_block("Sure:\n```\nx = 1\n```\nmore") == "Sure:\n```\nx = 1\n```"


def test_extract_code_from_a_python_fence():
    assert extract_code("Sure:\n```python\nx = 1\n```\nBye.") == "x = 1"


def test_extract_code_from_a_bare_fence():
    assert extract_code("```\nx = 1\ny = 2\n```") == "x = 1\ny = 2"


def test_extract_code_from_an_unclosed_fence_runs_to_the_end():
    assert extract_code("```python\nx = 1\ny = 2\n") == "x = 1\ny = 2\n"


def test_extract_code_without_a_fence_returns_the_text():
    assert extract_code("\nx = 1\n") == "x = 1"


def test_extract_code_takes_the_first_block_only():
    assert extract_code("```python\na = 1\n```\ntext\n```python\nb = 2\n```") == "a = 1"


# --- check_module --------------------------------------------------------------


def test_check_module_returns_nothing_for_good_code():
    assert check_module(GOOD, SPEC_1) == []


def test_check_module_reports_a_syntax_error():
    problems = check_module("def acceleration_magnitude(acc:\n    return 1\n", SPEC_1)
    assert len(problems) == 1
    assert problems[0].startswith("it does not parse")


def test_check_module_reports_an_undefined_name():
    code = GOOD.replace("np.asarray(acc)", "smooth(acc)")
    assert check_module(code, SPEC_1) == ["it uses the undefined name `smooth`"]


def test_check_module_reports_an_undefined_name_used_twice_once():
    code = GOOD.replace("return np.linalg.norm(np.asarray(acc), axis=1)", "return smooth(acc) + smooth(acc)")
    assert check_module(code, SPEC_1) == ["it uses the undefined name `smooth`"]


def test_generate_module_prefers_one_repeated_problem_over_two_distinct_ones():
    repeated = fenced(GOOD.replace("np.asarray(acc)", "smooth(smooth(smooth(acc)))"))
    two_distinct = fenced(GOOD.replace("np.asarray(acc)", "smooth(acc)").replace("import numpy", "import not_a_real_module_xyz, numpy"))
    runtime = ScriptedRuntime([two_distinct, repeated])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime),
                             GenerationConfig(code_attempts=2))
    assert module.problems == ["it uses the undefined name `smooth`"]


def test_check_module_accepts_a_name_defined_by_an_earlier_step():
    code = CODE_2.split("\n", 1)[1].rsplit("```", 1)[0]
    assert any("acceleration_magnitude" in p for p in check_module(code, SPEC_2))
    assert check_module(code, SPEC_2, frozenset({"acceleration_magnitude"})) == []


def test_check_module_reports_a_missing_function():
    code = GOOD.replace("def acceleration_magnitude", "def magnitude")
    assert check_module(code, SPEC_1) == ["it does not define the function `acceleration_magnitude`"]


def test_check_module_does_not_accept_a_nested_function():
    code = "def outer():\n    def acceleration_magnitude(acc):\n        return acc\n    return acceleration_magnitude\n"
    assert "it does not define the function `acceleration_magnitude`" in check_module(code, SPEC_1)


def test_check_module_reports_wrong_parameters():
    code = GOOD.replace("def acceleration_magnitude(acc)", "def acceleration_magnitude(data)").replace(
        "np.asarray(acc)", "np.asarray(data)")
    assert check_module(code, SPEC_1) == ["`acceleration_magnitude` takes (data) instead of (acc)"]


def test_check_module_reports_parameters_in_the_wrong_order():
    code = "def count_steps(fs, acc):\n    return 0\n"
    assert check_module(code, SPEC_2) == ["`count_steps` takes (fs, acc) instead of (acc, fs)"]


def test_check_module_reports_extra_parameters_that_callers_never_pass():
    code = "def count_steps(acc, fs, threshold, *, window):\n    return 0\n"
    problems = check_module(code, SPEC_2)
    assert len(problems) == 1 and "extra parameters (threshold, window)" in problems[0]


def test_check_module_accepts_extra_parameters_with_defaults():
    code = "def count_steps(acc, fs, threshold=1.2, *, window=25):\n    return 0\n"
    assert check_module(code, SPEC_2) == []


def test_check_module_reports_a_missing_import():
    code = "import not_a_real_module_xyz\n" + GOOD
    assert check_module(code, SPEC_1) == ["module 'not_a_real_module_xyz' is not installed (pip install not_a_real_module_xyz)"]


def test_check_module_accepts_stdlib_and_installed_imports():
    code = "import json\nimport os.path\nfrom scipy import signal\n" + GOOD
    assert check_module(code, SPEC_1) == []


# --- generate_module -----------------------------------------------------------


def test_generate_module_retries_after_code_that_does_not_parse():
    runtime = ScriptedRuntime([fenced("def acceleration_magnitude(acc:\n"), CODE_1])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig(seed=5))
    assert module.attempts == 2
    assert module.problems == []
    assert "def acceleration_magnitude(acc):" in module.code
    assert "Some trailing prose" not in module.code
    assert [r.seed for r in runtime.history] == [5, 6]
    retry_prompt = runtime.history[1].messages[-1]["content"]
    assert "rejected because it does not parse" in retry_prompt
    assert "rejected" not in runtime.history[0].messages[-1]["content"]


def test_generate_module_stops_after_the_first_good_attempt():
    runtime = ScriptedRuntime([CODE_1, "never used"])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig())
    assert module.attempts == 1
    assert len(runtime.history) == 1


def test_generate_module_keeps_the_best_attempt_and_records_its_problems_when_all_fail():
    not_parsing = fenced("def acceleration_magnitude(acc:\n")
    one_problem = fenced(GOOD.replace("np.asarray(acc)", "smooth(acc)"))
    two_problems = fenced(GOOD.replace("np.asarray(acc)", "smooth(acc)").replace(
        "def acceleration_magnitude", "def magnitude"))
    runtime = ScriptedRuntime([not_parsing, one_problem, two_problems])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime),
                             GenerationConfig(code_attempts=3))
    assert module.attempts == 3
    assert "smooth(acc)" in module.code and "def acceleration_magnitude" in module.code
    assert module.problems == ["it uses the undefined name `smooth`"]


def test_generate_module_keeps_parsing_code_over_code_that_does_not_parse():
    with_problems = fenced("def magnitude(x):\n    return y\n")
    runtime = ScriptedRuntime([with_problems, fenced("def acceleration_magnitude(acc:\n")])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime),
                             GenerationConfig(code_attempts=2))
    assert module.code == "def magnitude(x):\n    return y\n"
    assert len(module.problems) == 2


def test_generate_module_records_a_cut_off_answer_that_has_problems():
    looping = "```python\ndef acceleration_magnitude(acc):\n" + "    x = undefined_z\n" * 5
    runtime = ScriptedRuntime([looping])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime),
                             GenerationConfig(code_attempts=1))
    assert module.problems == ["it uses the undefined name `undefined_z`", "the answer was cut off (repetition)"]


def test_generate_module_does_not_flag_a_cut_off_answer_without_problems():
    looping = "```python\ndef acceleration_magnitude(acc):\n" + "    x = 1\n" * 5
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(ScriptedRuntime([looping])),
                             GenerationConfig(code_attempts=1))
    assert module.problems == []


def test_explanation_comes_from_the_module_docstring():
    runtime = ScriptedRuntime([CODE_1])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig())
    assert module.explanation.startswith("Acceleration magnitude without gravity.")
    assert "Return the zero-mean Euclidean norm" in module.explanation


def test_explanation_falls_back_to_the_target_without_docstrings():
    runtime = ScriptedRuntime([fenced("def acceleration_magnitude(acc):\n    return acc\n")])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig())
    assert module.explanation == SPEC_1.target


def test_codegen_prompt_lists_earlier_functions():
    runtime = ScriptedRuntime([CODE_1, CODE_2])
    modules = codegen(TASKS, [SPEC_1, SPEC_2], caller_for(runtime), GenerationConfig(alternatives=0))
    first, second = (r.messages[-1]["content"] for r in runtime.history)
    assert "none (this is the first step)" in first
    assert "`def acceleration_magnitude(acc)` returns magnitude" in second
    assert "`def count_steps(acc, fs)`" in second
    assert [m.problems for m in modules] == [[], []]


def test_only_the_users_own_function_is_told_to_do_everything_the_application_asks():
    runtime = ScriptedRuntime([CODE_1, CODE_2])
    codegen(TASKS, [SPEC_1, SPEC_2], caller_for(runtime), GenerationConfig(alternatives=0))
    first, second = (r.messages[-1]["content"] for r in runtime.history)
    note = "This is the user's own function: it must do everything the application asks of it"
    assert note not in first and note in second  # SPEC_2's signature is the user's (required)


def test_earlier_functions_lists_each_signature_outputs_and_target():
    assert earlier_functions([]) == "none (this is the first step)"
    assert earlier_functions([SPEC_1, SPEC_2]).splitlines() == [
        f"- `def acceleration_magnitude(acc)` returns magnitude: {SPEC_1.target}",
        f"- `def count_steps(acc, fs)` returns step_count: {SPEC_2.target}",
    ]


def test_an_earlier_step_whose_result_the_step_is_given_is_marked_as_already_run():
    listed = earlier_functions([SPEC_1, SPEC_2], given=frozenset({"magnitude", "fs"})).splitlines()
    assert listed[0].endswith("(already run: use your parameter `magnitude`, do not call it again)")
    assert listed[1].endswith(SPEC_2.target)


def test_check_module_reports_names_a_library_does_not_have():
    code = ("import numpy as np\nfrom scipy.signal import butter, sosfreq\nfrom scipy import signal as sg\n\n"
            "def acceleration_magnitude(acc):\n    b = sg.welchh(acc)\n    return np.mode(acc)\n")
    problems = check_module(code, SPEC_1)
    assert sorted(problems) == ["it uses a name that does not exist: `numpy` has no `mode`",
                                "it uses a name that does not exist: `scipy.signal` has no `sosfreq`",
                                "it uses a name that does not exist: `scipy.signal` has no `welchh`"]


def test_check_module_reports_an_example_data_name_that_does_not_exist():
    code = ("import numpy as np\nfrom jupyter_iotcoder.sensors import BasicMotions, load_basic_motions\n\n"
            "def acceleration_magnitude(acc):\n    return np.linalg.norm(acc, axis=1)\n")
    assert check_module(code, SPEC_1) == [
        "it uses a name that does not exist: `jupyter_iotcoder.sensors` has no `BasicMotions`"]


def test_check_module_accepts_real_submodules_and_a_parameter_that_shadows_a_module():
    code = ("import numpy as np\nimport scipy.signal\nfrom scipy import signal\n\n"
            "def acceleration_magnitude(acc, signal=None):\n"
            "    spectrum = np.fft.rfft(np.random.default_rng(0).normal(size=8))\n"
            "    peaks = scipy.signal.find_peaks(spectrum.real)[0]\n"
            "    return signal.mean() if signal is not None else np.linalg.norm(acc, axis=1)\n")
    assert check_module(code, SPEC_1) == []


def test_forgotten_imports_with_an_obvious_source_are_added_after_the_docstring():
    from jupyter_iotcoder.codegen import add_missing_imports

    code = ('"""Filter."""\ndef acceleration_magnitude(acc, fs=50.0):\n    data = load_basic_motions()\n'
            '    b, a = butter(4, 5, fs=fs)\n    return np.abs(filtfilt(b, a, acc)) + helper(acc) + mystery(acc)\n')
    fixed, added = add_missing_imports(code, frozenset({"helper"}))
    assert added == ["from jupyter_iotcoder.sensors import load_basic_motions", "from scipy.signal import butter",
                     "import numpy as np", "from scipy.signal import filtfilt"]
    assert fixed.startswith('"""Filter."""\nfrom jupyter_iotcoder.sensors import load_basic_motions\n')
    assert check_module(fixed, SPEC_1, frozenset({"helper"})) == ["it uses the undefined name `mystery`"]
    stdlib = "def acceleration_magnitude(acc):\n    return json.dumps(struct.unpack('<h', acc)) + datetime.now()\n"
    assert add_missing_imports(stdlib)[1] == ["import json", "import struct"]  # `datetime` may mean the class


def test_generate_module_adds_a_forgotten_numpy_import_instead_of_retrying():
    runtime = ScriptedRuntime([fenced("def acceleration_magnitude(acc):\n    return np.linalg.norm(acc, axis=1)\n")])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig())
    assert module.problems == [] and module.attempts == 1
    assert module.code.startswith("import numpy as np\n")


def test_the_one_function_taking_the_specs_parameters_is_renamed_to_the_specs_name():
    from jupyter_iotcoder.codegen import rename_to_spec

    code = ('"""Counts steps (see steps_from_acc)."""\n\n\ndef steps_from_acc(acc, fs):\n    return helper(acc) + 0\n\n\n'
            'def helper(acc):\n    return len(acc)\n\n\nif __name__ == "__main__":\n    print(steps_from_acc([1], 50))\n')
    renamed, old = rename_to_spec(code, SPEC_2)
    assert old == "steps_from_acc"
    assert "def count_steps(acc, fs):" in renamed and "print(count_steps([1], 50))" in renamed
    assert '"""Counts steps (see steps_from_acc)."""' in renamed, "text inside strings is left alone"
    assert check_module(renamed, SPEC_2) == []


def test_no_rename_when_the_function_exists_or_the_choice_is_not_clear():
    from jupyter_iotcoder.codegen import rename_to_spec

    two = "def a(acc, fs):\n    return 1\n\n\ndef b(acc, fs):\n    return 2\n"
    for code, defined in ((two, frozenset()), ("def count_steps(acc, fs):\n    return 1\n", frozenset()),
                          ("def other(x):\n    return 1\n", frozenset())):
        assert rename_to_spec(code, SPEC_2, defined) == (code, "")


def test_generate_module_renames_instead_of_retrying_and_logs_the_fix():
    answer = fenced("import numpy as np\n\ndef steps_from_acc(acc, fs):\n    return int(np.size(acc))\n")
    runtime = ScriptedRuntime([answer])
    module = generate_module(TASKS.tasks[1], TASKS, SPEC_2, [SPEC_1], caller_for(runtime), GenerationConfig())
    assert module.problems == [] and module.attempts == 1 and "def count_steps(acc, fs)" in module.code
    assert module.attempt_log[0]["fixed"] == ["renamed `steps_from_acc` to `count_steps`"]


def test_a_function_named_like_an_earlier_step_is_renamed_where_defined_only():
    from jupyter_iotcoder.codegen import rename_to_spec

    code = ("def acceleration_magnitude(acc, fs):\n    return len(acceleration_magnitude(acc))\n\n\n"
            "if __name__ == '__main__':\n    print(acceleration_magnitude([1], 50))\n")
    renamed, old = rename_to_spec(code, SPEC_2, frozenset({"acceleration_magnitude"}))
    assert old == "acceleration_magnitude" and renamed.startswith("def count_steps(acc, fs):")
    assert renamed.count("acceleration_magnitude(") == 2, "calls still reach the earlier step's function"


GUARDED = '''import numpy as np


def segment_windows(acc, labels, fs):
    """Windows."""
    if not isinstance(acc, np.ndarray) or not isinstance(labels, list) or not isinstance(fs, float):
        raise ValueError("Invalid input types.")
    if not all(isinstance(v, float) for v in acc):
        raise TypeError("floats only")
    if len(acc) < 2:
        raise ValueError("too short")
    return np.asarray(acc)[:: int(fs)], labels
'''


def test_checks_that_refuse_inputs_for_their_python_type_are_removed():
    code, removed = drop_type_guards(GUARDED, "segment_windows", "Cut windows from acc sampled at fs Hz.")
    assert removed == 2
    assert "isinstance" not in code and 'raise ValueError("too short")' in code
    namespace: dict = {}
    exec(code, namespace)
    _, labels = namespace["segment_windows"]([1.0, 2.0, 3.0], namespace["np"].array(["a", "b", "c"]), 1)
    assert list(labels) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="too short"):
        namespace["segment_windows"]([1.0], ["a"], 1)


def test_type_checks_stay_when_the_requirement_asks_for_a_type_error():
    assert drop_type_guards(GUARDED, "segment_windows", "Raise TypeError unless labels is a list.") == (GUARDED, 0)


def test_a_guard_that_also_checks_values_is_kept():
    code = ("def f(x):\n    if not isinstance(x, list) or len(x) == 0:\n        raise ValueError('empty')\n"
            "    return x\n")
    assert drop_type_guards(code, "f", "Write f(x).") == (code, 0)


TRILATERATION = TaskSpec(
    task_id=1, target="Least-squares tag position.",
    signature=Signature(function_name="trilaterate", parameters=["anchors", "ranges"], required=True),
    inputs=[Param(name="anchors", type="np.ndarray, shape (N, D), metres"),
            Param(name="ranges", type="np.ndarray, shape (N,), metres")],
    outputs=[Param(name="position", type="np.ndarray, shape (D,)")],
)


def test_shape_letters_used_as_variables_are_bound_from_the_inputs():
    code = ('def trilaterate(anchors, ranges):\n    """Position."""\n    if len(anchors) < D + 1:\n'
            '        raise ValueError("need D + 1 anchors")\n    return np.zeros(D) + N\n')
    fixed, lines = bind_shape_letters(code, TRILATERATION)
    assert lines == ["N = np.shape(anchors)[0]", "D = np.shape(anchors)[1]"]
    fixed, _ = add_missing_imports(fixed)
    assert check_module(fixed, TRILATERATION) == []
    namespace: dict = {}
    exec(fixed, namespace)
    assert namespace["trilaterate"]([[0, 0], [1, 0], [0, 1]], [1, 1, 1]).tolist() == [3.0, 3.0]


def test_code_that_defines_its_shape_letters_is_left_alone():
    code = "def trilaterate(anchors, ranges):\n    N, D = anchors.shape\n    return D\n"
    assert bind_shape_letters(code, TRILATERATION) == (code, [])


REMOVED_API_CODE = """import numpy as np
import scipy.signal as ss
from scipy import signal
from scipy.signal import butter, hann as hann_window
from scipy.integrate import simps, cumtrapz

def acceleration_magnitude(acc):
    w = {"°C": ss.hann(8)}["°C"] * signal.hamming(8) * hann_window(8)  # ast columns count UTF-8 bytes
    area = simps(np.abs(acc), np.arange(len(acc))) + np.trapz(acc) + cumtrapz(acc)[-1]
    total = np.product([np.float(2), np.NaN if False else 1.0])
    return np.asarray(acc, dtype=np.float_) * w.sum() + area + total + butter(2, 0.1)[0][0]
"""


def test_names_numpy_and_scipy_removed_are_replaced_by_their_successors_and_logged():
    code, log = replace_removed_names(REMOVED_API_CODE)
    assert "from scipy.signal.windows import hann as hann_window" in code
    assert "from scipy.signal import butter\n" in code
    assert "from scipy.integrate import simpson as simps" in code
    assert '{"°C": ss.windows.hann(8)}["°C"] * signal.windows.hamming(8)' in code
    assert "np.trapezoid(acc)" in code and "np.prod([float(2), np.nan" in code and "dtype=np.float64" in code
    assert "replaced `numpy.float` (removed) with `float`" in log
    assert "replaced `scipy.signal.hann` (removed) with `scipy.signal.windows.hann`" in log
    assert check_module(REMOVED_API_CODE, SPEC_1) != []
    assert check_module(code, SPEC_1) == []
    namespace = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    assert namespace["acceleration_magnitude"]([1.0] * 8).shape == (8,)


def test_names_the_libraries_still_have_and_rebound_names_are_left_alone():
    code = ("import numpy as np\nfrom scipy import signal\n\n"
            "def acceleration_magnitude(acc, signal=None):\n"
            "    return np.nan_to_num(signal.hann(acc)) if signal else np.nan * np.trapezoid(acc)\n")
    assert replace_removed_names(code) == (code, [])
    assert replace_removed_names("def broken(:\n") == ("def broken(:\n", [])


def test_generate_module_replaces_a_removed_window_instead_of_retrying():
    runtime = ScriptedRuntime([fenced("import numpy as np\nfrom scipy.signal import hann\n\n"
                                      "def acceleration_magnitude(acc):\n    return np.asarray(acc) * hann(len(acc))\n")])
    module = generate_module(TASKS.tasks[0], TASKS, SPEC_1, [], caller_for(runtime), GenerationConfig())
    assert module.problems == [] and module.attempts == 1
    assert "from scipy.signal.windows import hann" in module.code
    assert module.attempt_log[0]["fixed"] == ["replaced `scipy.signal.hann` (removed) with `scipy.signal.windows.hann`"]


def test_arrays_preallocated_with_dtype_str_become_object_arrays_that_keep_whole_labels():
    code = ("import numpy as np\nfrom numpy import empty\n\ndef window_labels(labels, n):\n"
            "    out = np.zeros(n, dtype=str)\n    spare = empty(n, dtype=np.str_)\n"
            "    kept = np.array(labels, dtype=str)\n    for i in range(n):\n        out[i] = labels[i]\n    return out\n")
    fixed, count = widen_one_character_strings(code)
    assert count == 2 and "np.array(labels, dtype=str)" in fixed
    namespace = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    assert list(namespace["window_labels"](["walk", "run"], 2)) == ["w", "r"]  # the pitfall itself
    exec(compile(fixed, "<generated>", "exec"), namespace)
    assert list(namespace["window_labels"](["walk", "run"], 2)) == ["walk", "run"]
    assert widen_one_character_strings("x = zeros(3, dtype=str)\n") == ("x = zeros(3, dtype=str)\n", 0)


def test_a_one_task_plan_for_the_users_own_function_is_prompted_with_the_requirement_itself():
    one = TaskList(requirement=REQUIREMENT, tasks=[TASKS.tasks[1].model_copy(update={"id": 1})])
    runtime = ScriptedRuntime([CODE_2.replace("magnitude = acceleration_magnitude(acc)", SELF_CONTAINED_MAGNITUDE)])
    codegen(one, [SPEC_2.model_copy(update={"task_id": 1})], caller_for(runtime), GenerationConfig(alternatives=0))
    prompt = runtime.history[0].messages[-1]["content"]
    assert prompt.startswith(f"Application: {REQUIREMENT}") and "`def count_steps(acc, fs)`" in prompt
    assert SPEC_2.target not in prompt and "Step 1 of 1" not in prompt  # no paraphrase to contradict it


def test_a_class_the_user_asked_for_is_checked_by_its_constructors_parameters():
    from jupyter_iotcoder.requirement import find_required_signature

    signature = find_required_signature("Write a class RingBuffer(capacity: int) with append(value: float).")
    assert signature.is_class and signature.render() == "class RingBuffer: def __init__(self, capacity: int)"
    spec = SPEC_2.model_copy(update={"signature": signature})
    buffer = "class RingBuffer:\n    def __init__(self, capacity: int):\n        self.items = [0.0] * capacity\n"
    assert check_module(buffer, spec) == []
    assert check_module("from dataclasses import dataclass\n\n@dataclass\nclass RingBuffer:\n    capacity: int\n",
                        spec) == []
    assert "`RingBuffer` takes () instead of (capacity)" in check_module(
        buffer.replace("self, capacity: int", "self"), spec)
    assert check_module("def append(value):\n    pass\n", spec) == ["it does not define the class `RingBuffer`"]


DEMO_AFTER_THE_FUNCTION = '''from jupyter_iotcoder.sensors import load_basic_motions

def classify(x_train, y_train, x_test):
    return [LABELS[0]] * len(x_test) if SCALE else []

_NAMES = ["walk", "run"]
LABELS = sorted(_NAMES)
SCALE = 2.0
data = load_basic_motions()
print(classify(data.x_train, data.y_train, data.x_test))
if __name__ == "__main__":
    print("done")
'''


def test_demo_code_after_the_definitions_goes_but_constants_the_functions_read_stay():
    code, removed = drop_demo_code(DEMO_AFTER_THE_FUNCTION)
    assert removed == 3
    assert "load_basic_motions()" not in code and "print" not in code and "__main__" not in code
    assert 'LABELS = sorted(_NAMES)' in code and '_NAMES = ["walk", "run"]' in code and "SCALE = 2.0" in code
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["classify"](None, None, [0, 1]) == ["run", "run"]


def test_a_script_without_definitions_and_code_that_does_not_parse_are_left_alone():
    script = "import numpy as np\nx = np.zeros(3)\nprint(x)\n"
    assert drop_demo_code(script) == (script, 0)
    assert drop_demo_code("def f(:\n    pass\nprint(1)\n") == ("def f(:\n    pass\nprint(1)\n", 0)


def _library_error(call) -> str:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - any library error is what the hint is matched against
        return f"calling `f` on sample inputs raised {type(exc).__name__}: {exc} [raised in a library]"
    raise AssertionError("the call did not fail")


def test_each_known_library_error_gets_its_hint_and_others_none():
    import numpy as np
    import struct

    from scipy.signal import butter, filtfilt, find_peaks
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    b, a = butter(4, 0.2)
    errors = {
        "one row per sample": lambda: StandardScaler().fit(np.ones((3, 100, 6))),
        "one row per label": lambda: LogisticRegression().fit(np.ones((30, 6)), ["a", "b"] * 3),
        "fs=fs": lambda: butter(4, [0.5, 4.0], btype="band"),
        "padlen": lambda: filtfilt(b, a, np.ones(10)),
        "returns nothing": lambda: f"{None:.1f}",
        "discrete labels": lambda: LogisticRegression().fit(np.ones((4, 2)), [0.5, 1.5, 2.5, 3.5]),
        "distance=max(1": lambda: find_peaks(np.ones(10), distance=0.3 * 2),
        "one 1-D signal": lambda: find_peaks(np.ones((10, 3))),
        "struct.calcsize": lambda: struct.unpack(">I", b"\x01\x02"),
        "need integers": lambda: np.array([1.0, 2.0]) ^ 0x31,
        "never floats": lambda: np.array([1.0, 2.0]) << 15,
        "int(round(seconds * fs))": lambda: np.ones(10 * 50.0),
        "n = int(round(": lambda: np.arange(10)[: 0.5 * 5.0],
        "convert it once": lambda: list(range(2 * 2.5)),
        "as a length, shape, index": lambda: np.arange(10)[2.0],
        "dtype=float": lambda: np.array([1, 0, 0, 0]).__itruediv__(2.0),
        "np.any(...)": lambda: bool(np.arange(3) > 1),
        "v[:, None]": lambda: np.ones((4, 3)) - np.ones(4),
        "np.asarray(x, dtype=float)": lambda: [1.0, 2.0] * np.float64(0.5),
        "where it is received": lambda: [[1.0, 0.0], [0.0, 1.0]].T,
        "then convert after the loop": lambda: [1.0, 2.0] ** 2,
        "np.sum(x == v)": lambda: np.array(["a", "b"]).count("a"),
        "most_common(1)": lambda: np.array(["a", "b"]).mode(),
    }
    for words, call in errors.items():
        problem = _library_error(call)
        fixed = with_known_fixes(problem)
        assert fixed.startswith(problem) and words in fixed.removeprefix(problem), words
        assert fixed.count("\nHint: ") == 1, words
    unknown = "calling `f` on sample inputs raised IndexError: index 7 is out of bounds for axis 1 with size 3"
    assert with_known_fixes(unknown) == unknown
    static = "it uses a name that does not exist: `scipy.signal` has no `rfft`"
    assert "np.fft.rfft(x)" in with_known_fixes(static) and with_known_fixes(static).count("\nHint: ") == 1


# --- techniques the step names --------------------------------------------------

LOWPASS_REQUIREMENT = ("Write lowpass(x, fs, cutoff_hz) that removes accelerometer noise above cutoff_hz with a "
                       "zero-phase 4th-order Butterworth low-pass filter, so peaks keep their timing.")
LOWPASS_TASKS = TaskList(requirement=LOWPASS_REQUIREMENT, tasks=[
    Task(id=1, title="Low-pass filter the signal", description="Filter out noise above the cut-off.")])
LOWPASS_SPEC = TaskSpec(
    task_id=1, target="Remove noise above cutoff_hz.",
    signature=Signature(function_name="lowpass", parameters=["x", "fs", "cutoff_hz"], required=True),
    inputs=[Param(name="x", type="np.ndarray"), Param(name="fs", type="float"), Param(name="cutoff_hz", type="float")],
    outputs=[Param(name="filtered", type="np.ndarray")])
ONE_WAY = '''from scipy.signal import butter, lfilter


def lowpass(x, fs, cutoff_hz):
    """Low-pass filter."""
    b, a = butter(4, cutoff_hz, fs=fs)
    return lfilter(b, a, x)
'''


NATIVE_ORDER = "import numpy as np\ndef f(p):\n    return int(np.frombuffer(p[:2], dtype=np.uint16)[0])\n"
PAYLOAD_WORDS = "each payload is 4 bytes: a big-endian uint16 sensor id, then a big-endian int16 temperature"


@pytest.mark.parametrize("code, words, flagged", [
    (ONE_WAY, LOWPASS_REQUIREMENT, ["zero-phase filtering"]),
    (ONE_WAY.replace("lfilter", "filtfilt"), LOWPASS_REQUIREMENT, []),
    (ONE_WAY.replace("lfilter(b, a, x)", "lfilter(b, a, lfilter(b, a, x)[::-1])[::-1]"), LOWPASS_REQUIREMENT, []),
    (ONE_WAY, "A causal zero-phase-free streaming low-pass filter, sample by sample.", []),
    (ONE_WAY.replace("butter(4, cutoff_hz, fs=fs)", "cheby1(4, 1, cutoff_hz, fs=fs)"), "a Butterworth filter",
     ["Butterworth filter"]),
    ("import numpy as np\ndef hampel(x):\n    return np.mean(x)\n", "Remove spikes with a Hampel filter",
     ["median filtering"]),
    (ONE_WAY, "Remove noise above the cut-off.", []),
    ("import numpy as np\ndef rate(x, fs):\n    return np.argmax(np.abs(np.diff(x)))\n",
     "Return the breathing rate from the largest spectral peak.", ["a Fourier spectrum"]),
    ("import numpy as np\ndef rate(x, fs):\n    return np.argmax(np.abs(np.fft.rfft(x)))\n",
     "Return the breathing rate from the largest spectral peak.", []),
    ("import numpy as np\ndef spe(X):\n    return X - X.mean(axis=0)\n", "Score readings by PCA residuals.",
     ["principal component analysis"]),
    ("import numpy as np\ndef align(A, B):\n    return B.mean(0) - A.mean(0)\n", "a Kabsch rotation",
     ["an orthogonal Procrustes (Kabsch) alignment"]),
    ("import numpy as np\ndef mds(D):\n    return D[:, :2]\n", "classical multidimensional scaling",
     ["classical multidimensional scaling"]),
    (NATIVE_ORDER, "each 4-byte payload is a big-endian uint16 sensor id", ["big-endian byte order"]),
    ("import struct\ndef f(p):\n    return struct.unpack('>Hh', p)\n", PAYLOAD_WORDS, []),
    ("def f(p):\n    return int.from_bytes(p[2:4], byteorder='big')\n", PAYLOAD_WORDS, ["signed integer decoding"]),
    ("def f(p):\n    return int.from_bytes(p[2:4], byteorder='big', signed=True)\n", PAYLOAD_WORDS, []),
    ("def f(p):\n    return p[1] << 8 | p[0]\n", "two little-endian bytes", []),
    (NATIVE_ORDER, "Modbus registers: big-endian words in little-endian word order", []),
])
def test_a_technique_the_step_names_and_the_code_lacks_is_reported_with_the_routine_to_use(code, words, flagged):
    problems = technique_problems(code, words)
    assert [p.split("the step asks for ")[1].split(",")[0] for p in problems] == flagged
    assert all(re.search(r"\b(?:scipy|np)\.\w+", p) for p in problems), "the problem names the routine to use"


def test_a_step_given_the_techniques_product_is_not_held_to_the_technique():
    peak = "import numpy as np\ndef peak(spectrum, freqs):\n    return freqs[np.argmax(spectrum)]\n"
    words = "Find the frequency of the largest spectral peak."
    assert technique_problems(peak, words, ("spectrum", "freqs")) == []
    assert technique_problems(peak, words, ("x", "fs")) != []


def test_a_step_that_decodes_bytes_is_held_to_the_byte_order_its_input_description_gives():
    native = ("import numpy as np\n\ndef extract_ids(frames):\n"
              "    return [int(np.frombuffer(f[:2], dtype=np.uint16)[0]) for f in frames if len(f) == 4]\n")
    words = "Extract sensor IDs. Extract the sensor ID from each 4-byte payload."
    frames = "frames (list[bytes], 4 bytes each): each payload is a big-endian uint16 sensor id, then an int16"
    (problem,) = technique_problems(native, words, ("frames",), frames)
    assert problem.startswith("the step asks for big-endian byte order")
    big = native.replace("dtype=np.uint16", "dtype='>u2'")
    assert technique_problems(big, words, ("frames",), frames) == []
    no_bytes = "def mean_by_id(ids, temps):\n    return {i: t for i, t in zip(ids, temps)}\n"
    assert technique_problems(no_bytes, words, ("ids",), frames) == [], "a step that decodes nothing is not held to it"


def test_a_module_lacking_the_named_technique_is_repaired_with_the_routine_named():
    runtime = ScriptedRuntime([fenced(ONE_WAY), fenced(ONE_WAY.replace("lfilter", "filtfilt"))])
    module = generate_module(LOWPASS_TASKS.tasks[0], LOWPASS_TASKS, LOWPASS_SPEC, [], caller_for(runtime),
                             GenerationConfig(repair_attempts=2), validator=lambda m: Validation("passed", "", "f"))
    assert "filtfilt(b, a, x)" in module.code and module.missing_techniques == [] and module.attempts == 2
    repair_prompt = runtime.history[1].messages[-1]["content"]
    assert "lfilter(b, a, x)" in repair_prompt and "scipy.signal.filtfilt" in repair_prompt


def test_a_module_still_lacking_the_technique_is_kept_runnable_and_marked_for_review():
    runtime = ScriptedRuntime([fenced(ONE_WAY), fenced(ONE_WAY.replace("(4,", "(2,")), fenced(ONE_WAY)])
    module = generate_module(LOWPASS_TASKS.tasks[0], LOWPASS_TASKS, LOWPASS_SPEC, [], caller_for(runtime),
                             GenerationConfig(repair_attempts=2), validator=lambda m: Validation("passed", "", "f"))
    assert module.attempts == 3 and module.problems == [] and module.validation == "passed"
    assert len(module.missing_techniques) == 1 and "zero-phase" in module.missing_techniques[0]


def test_a_step_that_calls_an_earlier_step_is_not_held_to_the_whole_requirements_techniques():
    earlier = TaskSpec(task_id=1, target="Zero-phase low-pass.", signature=Signature(function_name="smooth",
                       parameters=["x"]), inputs=[Param(name="x", type="np.ndarray")], outputs=[])
    tasks = TaskList(requirement=LOWPASS_REQUIREMENT, tasks=[
        Task(id=1, title="Smooth", description="Zero-phase low-pass."),
        Task(id=2, title="Low-pass filter the signal", description="Call smooth.")])
    calls_earlier = "def lowpass(x, fs, cutoff_hz):\n    \"\"\"Filter.\"\"\"\n    return smooth(x)\n"
    runtime = ScriptedRuntime([fenced(calls_earlier)])
    module = generate_module(tasks.tasks[1], tasks, LOWPASS_SPEC.model_copy(update={"task_id": 2}), [earlier],
                             caller_for(runtime), GenerationConfig(), validator=lambda m: Validation("passed", "", "f"))
    assert module.missing_techniques == [] and module.attempts == 1


# --- device and protocol libraries --------------------------------------------------

PUBLISH = '''import json

import paho.mqtt.publish as publish


def acceleration_magnitude(acc):
    """Publish the readings to the broker."""
    publish.single("site/acc", json.dumps([list(map(float, row)) for row in acc]), hostname="broker.local")
    return len(acc)
'''


def test_a_device_library_that_is_not_installed_is_a_package_to_install_not_a_problem():
    assert check_module(PUBLISH, SPEC_1) == [] and needed_packages(PUBLISH) == ["paho-mqtt"]
    invented = PUBLISH.replace("import paho.mqtt.publish as publish", "import iot_utils as publish")
    assert check_module(invented, SPEC_1) == ["module 'iot_utils' is not installed (pip install iot_utils)"]
    assert needed_packages("import numpy as np\nimport serial\n") == ["pyserial"]


def test_a_step_that_needs_a_missing_device_library_is_not_run_or_repaired_and_later_steps_that_call_it_neither():
    uses_publisher = CODE_2.replace("acceleration_magnitude(acc)", "acceleration_magnitude(acc) * 0 + "
                                    "np.linalg.norm(np.asarray(acc), axis=1)")
    runtime = ScriptedRuntime([fenced(PUBLISH), uses_publisher])
    modules = codegen(TASKS, [SPEC_1, SPEC_2], caller_for(runtime), GenerationConfig(alternatives=2))
    assert len(runtime.history) == 2, "no repair and no alternatives: nothing here can run them"
    assert [(m.validation, m.problems, m.needs_packages) for m in modules] == [
        ("skipped", [], ["paho-mqtt"]), ("skipped", [], [])]
    assert "acceleration_magnitude" in runtime.history[1].messages[-1]["content"], "still offered to later steps"


def test_a_later_step_that_does_not_call_the_device_step_is_validated_without_it():
    runtime = ScriptedRuntime([fenced(PUBLISH), fenced(ALTERNATIVE_STEPS)])
    modules = codegen(TASKS, [SPEC_1, SPEC_2], caller_for(runtime), GenerationConfig(alternatives=0))
    assert [m.validation for m in modules] == ["skipped", "passed"]


ALTERNATIVE_STEPS = '''import numpy as np


def count_steps(acc, fs):
    """Count peaks of the zero-mean magnitude at least 0.3 s apart."""
    from scipy.signal import find_peaks

    acc = np.asarray(acc, dtype=float)
    m = np.linalg.norm(acc.reshape(len(acc), -1), axis=1)
    return int(len(find_peaks(m - m.mean(), height=0.5, distance=max(1, int(0.3 * fs)))[0]))
'''


def test_unused_imports_of_modules_that_are_not_installed_are_removed_and_used_ones_kept():
    pasted = ("import numpy as np\nimport smbus2\nimport bleak\nfrom pymodbus.client import ModbusTcpClient\n"
              "import paho.mqtt.client as mqtt\n\n\ndef f(x):\n    mqtt.Client()\n    return np.mean(x)\n")
    code, dropped = drop_unused_missing_imports(pasted)
    assert dropped == ["smbus2", "bleak", "pymodbus"]
    assert code.splitlines()[:2] == ["import numpy as np", "import paho.mqtt.client as mqtt"]
    assert needed_packages(code) == ["paho-mqtt"]
    assert drop_unused_missing_imports("import json\n\nx = 1\n") == ("import json\n\nx = 1\n", [])


def test_importing_a_device_library_by_its_pip_name_says_which_module_to_import():
    code = "import pyserial\n\n\ndef acceleration_magnitude(acc):\n    return pyserial.Serial(acc)\n"
    assert check_module(code, SPEC_1) == ["`import pyserial` names the pip package; the module to import is `serial`"]


def test_a_steps_own_version_of_an_earlier_steps_function_is_removed_so_the_real_one_is_called():
    code = ('import numpy as np\n\n\ndef acceleration_magnitude(acc):\n    """Placeholder."""\n    return 25.0\n\n\n'
            'def count_steps(acc, fs):\n    return int(np.sum(acceleration_magnitude(acc) > 1))\n')
    fixed, removed = drop_redefined_steps(code, "count_steps", frozenset({"acceleration_magnitude"}))
    assert removed == ["acceleration_magnitude"] and "25.0" not in fixed and "def count_steps" in fixed
    assert drop_redefined_steps(code, "count_steps", frozenset()) == (code, [])


def test_a_steps_own_version_of_a_broken_earlier_step_becomes_a_private_helper():
    code = ("import numpy as np\n\n\ndef median_first_seconds(mag_ut, fs):\n    return np.median(mag_ut[: int(2 * fs)])\n\n\n"
            "def find_open_start(mag_ut, fs):\n    half = median_first_seconds(mag_ut, fs) / 2\n"
            "    return int(np.argmax(mag_ut < half))\n")
    fixed, renamed = privatise_broken_steps(code, "find_open_start", frozenset({"median_first_seconds"}))
    assert renamed == ["median_first_seconds"]
    assert "def _median_first_seconds(mag_ut, fs):" in fixed and "half = _median_first_seconds(mag_ut, fs) / 2" in fixed
    namespace = {}
    exec(fixed, namespace)
    assert "median_first_seconds" not in namespace, "the broken step's own function is left to its cell"
    assert privatise_broken_steps(code, "find_open_start", frozenset()) == (code, [])
    assert privatise_broken_steps(code, "median_first_seconds", frozenset({"median_first_seconds"})) == (code, [])
    spec = SPEC_1.model_copy(update={"signature": Signature(function_name="find_open_start",
                                                            parameters=["mag_ut", "fs"])})
    _, fixed_notes = fix_automatically(code, spec, frozenset(), "", broken_names=frozenset({"median_first_seconds"}))
    assert any("to `_median_first_seconds`" in note for note in fixed_notes)


# --- values the pipeline has that a step's spec left out ------------------------

READS_FS = '''import numpy as np


def acceleration_magnitude(acc):
    """The magnitude over the first 2 seconds."""
    first = np.asarray(acc, dtype=float)[: int(2 * fs)]
    return np.abs(first)
'''


def test_a_step_reading_a_value_the_pipeline_has_takes_it_as_a_parameter_after_the_specs():
    code, taken = take_pipeline_values(READS_FS, SPEC_1, frozenset({"acc", "fs"}))
    assert taken == ["fs"] and "def acceleration_magnitude(acc, fs):" in code
    assert check_module(code, spec_taking_pipeline_values(code, SPEC_1, {"fs": SPEC_2.inputs[1]})) == []


def test_a_value_the_pipeline_does_not_have_stays_an_undefined_name():
    assert take_pipeline_values(READS_FS, SPEC_1, frozenset({"acc", "rate"})) == (READS_FS, [])
    assert check_module(READS_FS, SPEC_1) == ["it uses the undefined name `fs`"]


def test_a_value_read_outside_the_step_function_is_not_taken():
    helper = READS_FS + "\n\ndef window():\n    return int(fs)\n"
    assert take_pipeline_values(helper, SPEC_1, frozenset({"fs"})) == (helper, [])


def test_the_users_own_function_never_takes_more_than_the_user_wrote():
    code = "def count_steps(acc, fs):\n    return int(len(acc) / fs / window_s)\n"
    assert take_pipeline_values(code, SPEC_2, frozenset({"window_s"})) == (code, [])


def test_a_step_without_parameters_and_one_with_defaults_take_the_value_in_the_right_place():
    no_params = SPEC_1.model_copy(update={"signature": Signature(function_name="acceleration_magnitude")})
    code, taken = take_pipeline_values("def acceleration_magnitude():\n    return fs\n", no_params, frozenset({"fs"}))
    assert taken == ["fs"] and code.startswith("def acceleration_magnitude(fs):")
    code, _ = take_pipeline_values("def acceleration_magnitude(acc, order=2):\n    return acc * fs * order\n",
                                   SPEC_1, frozenset({"fs"}))
    assert code.startswith("def acceleration_magnitude(acc, fs, order=2):")


def test_the_spec_takes_extra_parameters_only_when_the_pipeline_has_every_one():
    code = "def acceleration_magnitude(acc, fs, gain):\n    return acc * fs * gain\n"
    fs = Param(name="fs", type="float, Hz", from_requirement=True)
    assert spec_taking_pipeline_values(code, SPEC_1, {"fs": fs}) == SPEC_1
    widened = spec_taking_pipeline_values(code, SPEC_1, {"fs": fs, "gain": Param(name="gain", type="float")})
    assert widened.signature.parameters == ["acc", "fs", "gain"] and widened.inputs[1] == fs


RECOMPUTES_ITS_INPUT = '''import numpy as np

def find_door_open_intervals(mag_ut, fs, door_open):
    """Intervals in which the door is open."""
    if fs <= 0:
        raise ValueError("fs must be greater than 0")
    # the baseline and the open samples
    median_ut = calculate_median_first_two_seconds(mag_ut, fs)
    door_open = detect_door_opening(mag_ut, fs, median_ut)
    edges = np.diff(door_open.astype(int))
    return list(zip(np.where(edges == 1)[0] / fs, np.where(edges == -1)[0] / fs))
'''
EARLIER_DOOR_STEPS = frozenset({"calculate_median_first_two_seconds", "detect_door_opening"})


def test_a_step_that_recomputes_an_input_it_is_given_uses_the_input_instead():
    code, replacing, rerunning = keep_given_inputs(RECOMPUTES_ITS_INPUT, "find_door_open_intervals",
                                                   EARLIER_DOOR_STEPS)
    assert replacing == ["door_open = detect_door_opening(mag_ut, fs, median_ut)"]
    assert rerunning == ["median_ut = calculate_median_first_two_seconds(mag_ut, fs)"]
    assert "detect_door_opening" not in code and "calculate_median_first_two_seconds" not in code
    assert "# the baseline" not in code, "the comment above a removed statement goes with it"
    assert "edges = np.diff(door_open.astype(int))" in code and "raise ValueError" in code
    compile(code, "<step>", "exec")


def test_an_unused_rerun_of_an_earlier_step_goes_even_when_no_input_is_replaced():
    code = "def find_start(mag_ut, fs, below):\n    median_ut = median_first(mag_ut, fs)\n    return int(below.argmax())\n"
    fixed, replacing, rerunning = keep_given_inputs(code, "find_start", frozenset({"median_first"}))
    assert (replacing, rerunning) == ([], ["median_ut = median_first(mag_ut, fs)"])
    assert fixed == "def find_start(mag_ut, fs, below):\n    return int(below.argmax())\n"
    used = "def find_start(mag_ut, fs):\n    median_ut = median_first(mag_ut, fs)\n    return int((mag_ut < median_ut).argmax())\n"
    assert keep_given_inputs(used, "find_start", frozenset({"median_first"})) == (used, [], [])


def test_an_input_converted_or_read_before_it_is_replaced_is_kept():
    converted = "import numpy as np\n\ndef smooth(x, n):\n    x = np.asarray(x, dtype=float)\n    return x[:n]\n"
    assert keep_given_inputs(converted, "smooth", frozenset()) == (converted, [], [])
    read_first = "def smooth(x, n):\n    if n < 1:\n        raise ValueError('n')\n    n = min(n, len(x))\n    return x[:n]\n"
    assert keep_given_inputs(read_first, "smooth", frozenset()) == (read_first, [], [])
    with_default = "def smooth(x, n=3):\n    n = 5\n    return x[:n]\n"
    assert keep_given_inputs(with_default, "smooth", frozenset()) == (with_default, [], [])


def test_only_locals_that_rerun_an_earlier_step_go_with_the_replaced_input():
    code = "def scale(x, gain):\n    log = record(x)\n    peak = peak_step(x)\n    gain = 1 / peak\n    return x * gain\n"
    fixed, replacing, rerunning = keep_given_inputs(code, "scale", frozenset({"peak_step"}))
    assert replacing == ["gain = 1 / peak"] and rerunning == ["peak = peak_step(x)"]
    assert "log = record(x)" in fixed and "peak_step" not in fixed


def test_a_function_that_would_be_left_empty_is_not_changed():
    code = "def level(x):\n    \"\"\"Doc.\"\"\"\n    x = 3\n"
    assert keep_given_inputs(code, "level", frozenset()) == (code, [], [])


def test_the_mechanical_fixes_say_which_input_replacement_went():
    spec = SPEC_2.model_copy(update={"signature": Signature(
        function_name="find_door_open_intervals", parameters=["mag_ut", "fs", "door_open"])})
    _, fixed = fix_automatically(RECOMPUTES_ITS_INPUT, spec, EARLIER_DOOR_STEPS, "find the door's open intervals")
    assert ("removed `door_open = detect_door_opening(mag_ut, fs, median_ut)`: it replaced an input the step is "
            "given before reading it") in fixed
    assert ("removed `median_ut = calculate_median_first_two_seconds(mag_ut, fs)`: it ran an earlier step again for "
            "a value nothing uses") in fixed


def test_pipeline_values_are_earlier_inputs_and_results_and_the_users_inputs():
    spec_3 = SPEC_2.model_copy(update={"task_id": 3})
    peaks = TaskSpec(task_id=2, target="Find the peaks.", signature=Signature(function_name="peaks", parameters=["magnitude"]),
                     inputs=[Param(name="magnitude", type="np.ndarray")], outputs=[Param(name="peaks", type="np.ndarray")])
    values = pipeline_values([SPEC_1, peaks, spec_3], 1)
    assert set(values) == {"acc", "fs", "magnitude"}
    assert values["fs"] is spec_3.inputs[1]
    assert set(pipeline_values([SPEC_1, spec_3], 0)) == {"acc", "fs"}
    assert "magnitude" not in pipeline_values([SPEC_1, spec_3], 0), "a step's own result is not an input of it"


def test_a_step_that_reads_the_users_sampling_rate_is_given_it_and_wired_with_it():
    specs = [SPEC_1, SPEC_2]
    runtime = ScriptedRuntime([fenced(READS_FS), fenced(ALTERNATIVE_STEPS)])
    modules = codegen(TASKS, specs, caller_for(runtime), GenerationConfig(alternatives=0))
    assert len(runtime.history) == 2, "accepted at once, not retried for an undefined name"
    assert [(m.problems, m.validation) for m in modules] == [([], "passed"), ([], "passed")]
    assert specs[0].signature.parameters == ["acc", "fs"] and specs[0].inputs[1].name == "fs"
    assert any("take (fs)" in fix for entry in modules[0].attempt_log for fix in entry["fixed"])
    source, params, _ = wiring_source([(TASKS.tasks[i], specs[i], modules[i]) for i in range(2)])
    assert params == ["acc", "fs"] and "acceleration_magnitude(acc, fs)" in source


# --- sample counts that a float sampling rate makes floats ------------------------

def _float_rate_problem(line: str, error: str = "slice indices must be integers or None or have an __index__ method"):
    return (f"on a second set of sample inputs (the sampling rate as the float 50.0) `f` raised TypeError: {error} "
            f"(line 9) in <cell 1> line 3 [from an operation, not a raise]; failing line: `{line}`")


def test_a_slice_bound_on_the_failing_line_becomes_an_integer_count():
    code = "import numpy as np\n\ndef f(x, fs):\n    m = np.median(x[:2 * fs])\n    return x[: 2 * fs] - m\n"
    fixed, note = integer_counts_on_failing_line(code, _float_rate_problem("m = np.median(x[:2 * fs])"))
    assert "np.median(x[:int(round(2 * fs))])" in fixed and "return x[: 2 * fs] - m" in fixed, "only the failing line"
    assert note


def test_range_and_array_sizes_become_integers_but_lookups_and_integers_stay():
    line = 'out = np.zeros(n) + sum(d["acc"][i] for i in range(len(x), w * fs)) + x[len(x) // 2]'
    code = f"import numpy as np\n\ndef f(x, fs, d, n, w):\n    {line}\n    return out\n"
    fixed, _ = integer_counts_on_failing_line(code, _float_rate_problem(line, "'float' object cannot be interpreted "
                                                                              "as an integer"))
    assert 'np.zeros(int(round(n)))' in fixed and 'range(len(x), int(round(w * fs)))' in fixed
    assert 'd["acc"][i]' in fixed and "x[len(x) // 2]" in fixed, "no index is touched for this error"
    shaped = "import numpy as np\n\ndef f(x, fs):\n    return np.zeros((fs * 2, 3)).reshape(-1, fs)\n"
    fixed, _ = integer_counts_on_failing_line(shaped, _float_rate_problem(
        "return np.zeros((fs * 2, 3)).reshape(-1, fs)", "'float' object cannot be interpreted as an integer"))
    assert "np.zeros((int(round(fs * 2)), 3)).reshape(-1, int(round(fs)))" in fixed, "a shape's entries, not the tuple"


def test_another_error_or_no_failing_line_changes_nothing():
    code = "def f(x, fs):\n    return x[: 2 * fs]\n"
    assert integer_counts_on_failing_line(code, "raised KeyError: 'a'; failing line: `return x[: 2 * fs]`") == (code, "")
    assert integer_counts_on_failing_line(code, "slice indices must be integers (line 2)") == (code, "")


# --- list inputs that the code treats as arrays ---------------------------------------

SKEW_SPEC = TaskSpec(
    task_id=1, target="Fit the gateway time against the device time.",
    signature=Signature(function_name="correct_clock_skew", parameters=["device_ts", "gateway_ts", "ids", "names"],
                        required=True),
    inputs=[Param(name="device_ts", type="list[float]"), Param(name="gateway_ts", type="list[float]"),
            Param(name="ids", type="list[int]"), Param(name="names", type="list[str]")],
    outputs=[Param(name="fit", type="dict")])
SKEW = (
    "from scipy.optimize import least_squares\n\n"
    "def correct_clock_skew(device_ts, gateway_ts, ids, names):\n"
    '    """Fit offset and rate."""\n'
    "    def residuals(params, device_ts, gateway_ts):\n"
    "        offset, rate = params\n"
    "        return gateway_ts - (offset + rate * device_ts + ids[0] * len(names))\n"
    "    return least_squares(residuals, [0, 1], args=(device_ts, gateway_ts)).x\n")


def _list_problem(error: str, line: str) -> str:
    return (f"on sample inputs, calling `correct_clock_skew` on sample inputs raised TypeError: {error} (line 9) "
            f"in <cell 1> line 6 [from an operation, not a raise]; failing line: `{line}`")


def test_number_lists_that_the_failing_line_reads_become_arrays_where_the_function_starts():
    line = "return gateway_ts - (offset + rate * device_ts + ids[0] * len(names))"
    fixed, note = arrays_from_list_inputs(SKEW, _list_problem(
        "can't multiply sequence by non-int of type 'numpy.float64'", line), SKEW_SPEC)
    lines = fixed.splitlines()
    assert lines[0] == "import numpy as np", "numpy is imported where the module lacked it"
    start = lines.index('    """Fit offset and rate."""') + 1
    assert lines[start: start + 3] == ["    device_ts = np.asarray(device_ts, dtype=float)",
                                       "    gateway_ts = np.asarray(gateway_ts, dtype=float)",
                                       "    ids = np.asarray(ids)"], "after the docstring; int lists keep integers"
    assert "names = " not in fixed, "a list of strings is no array of numbers"
    assert "`device_ts`" in note and "`correct_clock_skew`" in note
    compile(fixed, "<fixed>", "exec")
    again, second_note = arrays_from_list_inputs(fixed, _list_problem(
        "can't multiply sequence by non-int of type 'numpy.float64'", line), SKEW_SPEC)
    assert (again, second_note) == (fixed, ""), "nothing is converted twice"


def test_the_numpy_alias_of_the_module_is_used_and_nested_lists_become_arrays():
    code = ("import numpy as numpy_lib\n\ndef fuse(P_a, P_b):\n    w = 0.5\n"
            "    return numpy_lib.linalg.inv(P_a.T) + P_b\n")
    spec = TaskSpec(task_id=1, target="Fuse.", signature=Signature(function_name="fuse", parameters=["P_a", "P_b"]),
                    inputs=[Param(name="P_a", type="n x n nested list of floats"),
                            Param(name="P_b", type="n x n nested list of floats")], outputs=[])
    fixed, note = arrays_from_list_inputs(code, "raised AttributeError: 'list' object has no attribute 'T' (line 4); "
                                                "failing line: `return numpy_lib.linalg.inv(P_a.T) + P_b`", spec)
    assert fixed.splitlines()[3:6] == ["    P_a = numpy_lib.asarray(P_a, dtype=float)",
                                       "    P_b = numpy_lib.asarray(P_b, dtype=float)", "    w = 0.5"]
    assert "import numpy as np" not in fixed and note


def test_other_errors_and_lists_the_code_builds_itself_change_nothing():
    line = "return gateway_ts - (offset + rate * device_ts + ids[0] * len(names))"
    assert arrays_from_list_inputs(SKEW, _list_problem("'float' object is not iterable", line), SKEW_SPEC) == (SKEW, "")
    built = "def correct_clock_skew(device_ts, gateway_ts, ids, names):\n    d = []\n    return d ** 2\n"
    problem = _list_problem("unsupported operand type(s) for ** or pow(): 'list' and 'int'", "return d ** 2")
    assert arrays_from_list_inputs(built, problem, SKEW_SPEC) == (built, "")


PRUNE_SPEC = TaskSpec(
    task_id=1, target="Prune the smallest weights.",
    signature=Signature(function_name="prune", parameters=["weights", "mask", "sparsity"], required=True),
    inputs=[Param(name="weights", type="np.ndarray, shape (n,)"), Param(name="mask", type="list[bool]"),
            Param(name="sparsity", type="float")], outputs=[Param(name="pruned", type="np.ndarray")])


def test_truth_tests_of_sequence_inputs_on_the_failing_line_become_length_tests():
    line = "if not weights or not sparsity or (mask and weights.size):"
    code = f"def prune(weights, mask, sparsity):\n    {line}\n        raise ValueError('empty')\n    return weights\n"
    problem = (f"calling `prune` on sample inputs raised ValueError: The truth value of an array with more than one "
               f"element is ambiguous. Use a.any() or a.all() (line 9) in <cell 1> line 2; failing line: `{line}`")
    fixed, note = length_tests_for_emptiness(code, problem, PRUNE_SPEC)
    assert "if len(weights) == 0 or not sparsity or (len(mask) > 0 and weights.size):" in fixed, fixed
    assert note and "return weights" in fixed
    bare = "def prune(weights, mask, sparsity):\n    if weights:\n        return weights\n"
    assert "if len(weights) > 0:" in length_tests_for_emptiness(bare, problem.replace(line, "if weights:"),
                                                                 PRUNE_SPEC)[0]
    assert length_tests_for_emptiness(code, problem.replace("truth value", "value"), PRUNE_SPEC) == (code, "")


def test_sequence_inputs_that_the_failing_line_uses_as_lists_become_lists_where_the_function_starts():
    spec = TaskSpec(task_id=1, target="Majority label per window.",
                    signature=Signature(function_name="majority", parameters=["labels", "n"], required=True),
                    inputs=[Param(name="labels", type="list[str], length n_samples, a list or an array"),
                            Param(name="n", type="int")], outputs=[Param(name="majority", type="list")])
    line = "out.append(max(set(labels[i:i + n]), key=labels[i:i + n].count))"
    code = (f"def majority(labels, n):\n    out = []\n    for i in range(0, len(labels), n):\n        {line}\n"
            "    return out\n")
    problem = ("on a second set of sample inputs `majority` raised AttributeError: 'numpy.ndarray' object has no "
               f"attribute 'count' (line 4) in <cell 1> line 4; failing line: `{line}`")
    fixed, note = lists_from_array_inputs(code, problem, spec)
    assert fixed.splitlines()[1] == "    labels = list(labels)" and "`labels`" in note
    assert lists_from_array_inputs(fixed, problem, spec) == (fixed, ""), "nothing is converted twice"
    assert lists_from_array_inputs(code, problem.replace("'count'", "'mode'"), spec) == (code, "")


def _written_once(code: str, function: str, inputs: list[Param], requirement: str) -> CodeModule:
    """The user's function as codegen makes it from one scripted answer, checked to need no second model call."""
    spec = TaskSpec(task_id=1, target="The user's function.",
                    signature=Signature(function_name=function, parameters=[p.name for p in inputs], required=True),
                    inputs=inputs, outputs=[Param(name="result", type="float")])
    one_task = TaskList(requirement=requirement, tasks=[Task(id=1, title="All", description="The requirement.")])
    runtime = ScriptedRuntime([fenced(code)])
    [module] = codegen(one_task, [spec], caller_for(runtime), GenerationConfig(alternatives=0))
    assert len(runtime.history) == 1 and module.validation == "passed", module.attempt_log
    return module


def test_a_users_function_that_tests_an_array_for_emptiness_by_truth_is_fixed_without_a_model_call():
    guarded = ("import numpy as np\n\ndef peak_to_peak(x):\n    if not x:\n        raise ValueError('x is empty')\n"
               "    return float(np.max(x) - np.min(x))\n")
    module = _written_once(guarded, "peak_to_peak", [Param(name="x", type="np.ndarray, shape (n_samples,)",
                                                           from_requirement=True)],
                           "Write peak_to_peak(x) for a 1-D NumPy array x: max minus min; raise ValueError if x is empty.")
    assert "if len(x) == 0:" in module.code


def test_a_users_function_that_does_arithmetic_on_a_list_input_is_fixed_without_a_model_call():
    scaling = "def to_celsius(raw_f: list[float]) -> float:\n    return float(((raw_f - 32) * 5 / 9).mean())\n"
    module = _written_once(scaling, "to_celsius", [Param(name="raw_f", type="list[float]", from_requirement=True)],
                           "Write to_celsius(raw_f: list[float]) -> float: the mean of the Fahrenheit readings raw_f "
                           "in degrees C.")
    assert "raw_f = np.asarray(raw_f, dtype=float)" in module.code
    assert any("NumPy arrays" in fix for fix in module.attempt_log[0]["fixed"])


def test_a_users_function_that_slices_by_a_float_rate_is_fixed_without_a_model_call():
    slicing = "import numpy as np\n\n\ndef baseline(x, fs):\n    return float(np.median(np.asarray(x)[: 2 * fs]))\n"
    module = _written_once(slicing, "baseline", [Param(name="x", type="np.ndarray, shape (n_samples,)"),
                                                 Param(name="fs", type="float, Hz")],
                           "Write baseline(x, fs): the median of the first 2 s of x, sampled at fs Hz.")
    assert "[: int(round(2 * fs))]" in module.code
    assert any("integers" in fix for fix in module.attempt_log[0]["fixed"])


def test_a_users_function_that_counts_with_a_list_method_on_a_sequence_is_fixed_without_a_model_call():
    counting = ("def majority(labels, n):\n    out = []\n    for i in range(0, len(labels) - n + 1, n):\n"
                "        out.append(max(set(labels[i:i + n]), key=labels[i:i + n].count))\n    return out\n")
    module = _written_once(counting, "majority", [
        Param(name="labels", type="list[str], length n_samples, a list or an array", from_requirement=True),
        Param(name="n", type="int", from_requirement=True)],
        "Write majority(labels, n) where labels is a length-N sequence of strings and n an int; return the majority "
        "label of each block of n labels as a list.")
    assert "    labels = list(labels)" in module.code
