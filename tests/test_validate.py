"""Execution-guided validation and repair: broken modules are caught by the right check, repairs are bounded."""

import pytest

from jupyter_iotcoder.codegen import check_module
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.notebook import build_notebook
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.requirement import find_required_signature
from jupyter_iotcoder.schema import CodeModule, Param, Signature, Task, TaskSpec
from jupyter_iotcoder.validate import (_INPUT_HELPERS, InputVariant, Validation, allowed_dimensions, dimension_sizes, example_inputs,
                                      harness_source, says_readings_can_be_nan, says_what_empty_input_gives,
                                      refusal_variants, sample_expression, validate_steps)
from scripted_answers import CODE_1, CODE_2, REQUIREMENT, SELF_CONTAINED_MAGNITUDE, full_run

from conftest import ScriptedRuntime

TASK = Task(id=1, title="Smooth", description="Moving average.", inputs=["x"], outputs=["smoothed"])
SPEC = TaskSpec(task_id=1, target="Smooth a signal.", signature=Signature(function_name="smooth", parameters=["x", "n"]),
                inputs=[Param(name="x", type="np.ndarray, shape (n_samples,)"), Param(name="n", type="int, window")],
                outputs=[Param(name="smoothed", type="np.ndarray, shape (n_samples,)")])
GOOD = "import numpy as np\n\ndef smooth(x, n):\n    return np.convolve(np.asarray(x, float), np.ones(n) / n, 'same')\n"


def _check(code: str):
    module = CodeModule(task_id=1, function_name="smooth", code=code)
    return validate_steps([(TASK, SPEC, module)], timeout=5)


@pytest.mark.parametrize("param_type,expected", [
    ("np.ndarray, shape (n_samples, 3), m/s^2", "_rng.normal(size=(2048, 3))"),
    ("np.ndarray, shape (500,)", "_rng.normal(size=(500,))"),
    ("list[int], sample indices", "(_rng.integers(0, 100, size=(2048,))).tolist()"),
    ("np.ndarray of int, shape (n,)", "_rng.integers(0, 100, size=(2048,))"),
    ("float, Hz", "50"),
    ("int, samples per window", "32"),
    ("bytes, raw frame", "bytes(range(16))"),
])
def test_sample_inputs_follow_the_input_specification(param_type, expected):
    assert sample_expression(Param(name="value", type=param_type)) == expected


@pytest.mark.parametrize("name", ["timestamps", "t", "t_a", "gps_times"])
def test_time_arrays_get_strictly_increasing_samples(name):
    import numpy as _np

    _rng = _np.random.default_rng(0)
    value = eval(sample_expression(Param(name=name, type="np.ndarray, shape (n_samples,), seconds")))
    assert value.shape == (2048,) and _np.all(_np.diff(value) > 0)
    assert "cumsum" not in sample_expression(Param(name="chirp_time", type="float, seconds"))


@pytest.mark.parametrize("name,param_type,expected", [
    ("rr_ms", "np.ndarray, shape (n_samples,), ms", "_rng.normal(800.0, 50.0, size=(2048,))"),
    ("rtt_samples", "np.ndarray, shape (n_samples,), seconds", "_rng.normal(0.2, 0.05, size=(2048,))"),
    ("tolerances", "np.ndarray, shape (n_samples,)", "_rng.normal(1.0, 0.1, size=(2048,))"),
    ("rssi", "np.ndarray, shape (n_samples,)", "_rng.normal(-65.0, 6.0, size=(2048,))"),
    ("temps", "np.ndarray, shape (n_samples,), degC", "_rng.normal(22.0, 2.0, size=(2048,))"),
    ("gyro", "np.ndarray, shape (N, 3), rad/s", "_rng.normal(0.0, 0.01, size=(2048, 3))"),
    ("current_ma", "np.ndarray, shape (n_samples,), mA", "_rng.normal(12.0, 3.0, size=(2048,))"),
    ("x", "np.ndarray, shape (n_samples, 3), m/s^2", "_rng.normal(size=(2048, 3))"),
])
def test_arrays_of_a_physical_quantity_get_values_of_its_usual_size(name, param_type, expected):
    assert sample_expression(Param(name=name, type=param_type)) == expected


def test_a_shape_letter_has_one_size_in_every_input_and_a_later_axis_is_small():
    sizes = dimension_sizes(["np.ndarray, shape (N, M), degC", "np.ndarray, shape (M,)", "np.ndarray, shape (n,)"])
    assert sizes == {"n": 2048, "m": 8}
    assert sample_expression(Param(name="variances", type="np.ndarray, shape (M,)"), sizes) == \
        "_rng.normal(1.0, 0.1, size=(8,))", "sized by M, and positive as variances are"


def _calibration(code: str, requirement: str = ""):
    spec = TaskSpec(task_id=1, target="Calibrate.", signature=Signature(
        function_name="calibrate", parameters=["mv", "mv_at_ph4", "mv_at_ph7"], required=True), inputs=[
        Param(name="mv", type="np.ndarray, shape (n,)", from_requirement=True),
        Param(name="mv_at_ph4", type="float", from_requirement=True),
        Param(name="mv_at_ph7", type="float", from_requirement=True)], outputs=[])
    module = CodeModule(task_id=1, function_name="calibrate", code=code)
    return validate_steps([(TASK, spec, module)], timeout=5, call_last=True, requirement=requirement)


def test_several_float_settings_get_distinct_values_and_the_other_order_when_the_first_is_refused():
    rising = ("import numpy as np\n\ndef calibrate(mv, mv_at_ph4, mv_at_ph7):\n"
              "    if mv_at_ph4 <= mv_at_ph7:\n        raise ValueError('swapped buffers')\n"
              "    return 4.01 + (mv - mv_at_ph4) * (7.0 - 4.01) / (mv_at_ph7 - mv_at_ph4)\n")
    assert _calibration(rising, "Raise ValueError if the voltages are swapped.").status == "passed"
    always = rising.replace("mv_at_ph4 <= mv_at_ph7", "True")
    assert _calibration(always, "Raise ValueError if the voltages are swapped.").status == "inconclusive"
    source = harness_source([(TASK, TaskSpec(task_id=1, target="t", signature=Signature(
        function_name="band", parameters=["x", "low", "high"], required=True), inputs=[
        Param(name="x", type="np.ndarray"), Param(name="low", type="float"), Param(name="high", type="float")],
        outputs=[]), CodeModule(task_id=1, function_name="band", code=""))], call_last=True)
    assert "'low': 1.0, 'high': 1.5" in source


def test_a_list_of_strings_gets_string_labels():
    value = eval(sample_expression(Param(name="labels", type="list[str], length n_samples")))
    assert len(value) == 2048 and all(isinstance(v, str) for v in value)


def test_a_value_error_raised_inside_a_library_is_a_failure_not_inconclusive():
    code = "from scipy.signal import sosfiltfilt\n\ndef smooth(x, n):\n    return sosfiltfilt([1.0, 2.0], x)\n"
    result = _check(code)
    assert result.status == "failed" and "raised in scipy/" in result.problem


def test_a_value_error_from_an_operation_in_the_step_is_a_failure_not_inconclusive():
    code = "import numpy as np\n\ndef smooth(x, n):\n    return np.convolve(x, np.ones(n), 'valid') - x\n"
    result = _check(code)
    assert result.status == "failed" and "could not be broadcast" in result.problem
    assert result.problem.endswith("; failing line: `return np.convolve(x, np.ones(n), 'valid') - x`")


def test_a_parameter_with_a_default_in_the_signature_gets_its_default():
    spec = SPEC.model_copy(update={"signature": Signature(function_name="smooth", parameters=["x", "n=7"])})
    code = GOOD.replace("    return", "    if n != 7:\n        raise TypeError(f'n is {n}')\n    return")
    module = CodeModule(task_id=1, function_name="smooth", code=code)
    assert validate_steps([(TASK, spec, module)], timeout=5).status == "passed"
    assert _check(code).status == "failed"


def test_sampling_rate_by_name_gets_a_plausible_value():
    assert sample_expression(Param(name="fs", type="float")) == "50"


def test_a_correct_module_passes():
    assert _check(GOOD).status == "passed"


def test_undefined_name_is_caught_statically():
    problems = check_module("def smooth(x, n):\n    return np.mean(x)\n", SPEC)
    assert any("undefined name `np`" in p for p in problems)


def test_wrong_output_is_caught_against_the_output_specification():
    result = _check("import numpy as np\n\ndef smooth(x, n):\n    return np.full(len(x), np.nan)\n")
    assert result.status == "failed" and "all NaN" in result.problem


def test_an_output_shorter_than_the_input_the_user_sized_it_by_is_caught():
    sized = SPEC.model_copy(update={"outputs": [Param(name="smoothed", type="np.ndarray, same length as x")]})
    valid = "import numpy as np\n\ndef smooth(x, n):\n    return np.convolve(x, np.ones(n) / n, '{}')\n"
    module = CodeModule(task_id=1, function_name="smooth", code=valid.format("valid"))
    result = validate_steps([(TASK, sized, module)], timeout=5)
    assert result.status == "failed" and "same length as `x` (2048), got 2017 (line" in result.problem
    assert "from an operation" not in result.problem  # a failed check is not a crash
    module = CodeModule(task_id=1, function_name="smooth", code=valid.format("same"))
    assert validate_steps([(TASK, sized, module)], timeout=5).status == "passed"


def test_missing_output_is_caught():
    result = _check("def smooth(x, n):\n    pass\n")
    assert result.status == "failed" and "is None" in result.problem


def test_an_exception_on_sample_inputs_is_caught():
    result = _check("import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x)[:, 1]\n")
    assert result.status == "failed" and "IndexError" in result.problem


def test_an_infinite_loop_is_caught_by_the_timeout():
    result = _check("def smooth(x, n):\n    while True:\n        pass\n")
    assert result.status == "failed" and "did not finish" in result.problem


def test_a_crashing_demonstration_fails_the_cell():
    code = GOOD + "\nif __name__ == '__main__':\n    print(smooth([1.0, 2.0], 1)[10])\n"
    result = _check(code)
    assert result.status == "failed" and "running the cell raised" in result.problem
    assert result.problem.endswith("; failing line: `print(smooth([1.0, 2.0], 1)[10])`")


def test_nan_cast_to_integers_is_caught():
    code = "import numpy as np\n\ndef smooth(x, n):\n    return np.full(len(x), np.nan).astype(np.int64)\n"
    spec = SPEC.model_copy(update={"outputs": [Param(name="smoothed", type="np.ndarray of int")]})
    result = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=code))], timeout=5)
    assert result.status == "failed" and "NaN or infinity cast to an integer" in result.problem


def test_a_step_is_not_blamed_when_an_earlier_cell_failed_to_define_its_function():
    broken = CodeModule(task_id=1, function_name="smooth", code="from scipy.signal import no_such_thing\n")
    task_2 = TASK.model_copy(update={"id": 2, "inputs": ["smoothed"], "outputs": ["total"]})
    spec_2 = TaskSpec(task_id=2, target="Sum.", signature=Signature(function_name="total", parameters=["smoothed"]),
                      inputs=[Param(name="smoothed", type="np.ndarray")], outputs=[Param(name="total", type="float")])
    second = CodeModule(task_id=2, function_name="total", code="def total(smoothed):\n    return float(sum(smoothed))\n")
    result = validate_steps([(TASK, SPEC, broken), (task_2, spec_2, second)], timeout=5)
    assert result.status == "inconclusive" and "step 1's cell failed" in result.problem
    own_bug = CodeModule(task_id=2, function_name="total", code="def total(smoothed):\n    return len(smoothed) / 0\n")
    result = validate_steps([(TASK, SPEC, broken), (task_2, spec_2, own_bug)], timeout=5)
    assert result.status == "inconclusive", "step 1 is never defined, so the pipeline cannot reach step 2"


def test_the_users_function_on_described_inputs_is_called_directly_past_a_broken_step_it_does_not_use():
    broken = CodeModule(task_id=1, function_name="smooth", code="def smooth(x, n):\n    return undefined_name\n")
    task_2 = TASK.model_copy(update={"id": 2, "inputs": ["x"], "outputs": ["total"]})
    spec_2 = TaskSpec(task_id=2, target="Sum.",
                      signature=Signature(function_name="total", parameters=["x"], required=True),
                      inputs=[Param(name="x", type="np.ndarray, shape (n_samples,)", from_requirement=True)],
                      outputs=[Param(name="total", type="float")])
    right = CodeModule(task_id=2, function_name="total", code="def total(x):\n    return float(sum(x))\n")
    assert validate_steps([(TASK, SPEC, broken), (task_2, spec_2, right)], timeout=5).status == "passed"
    wrong = CodeModule(task_id=2, function_name="total", code="def total(x):\n    return None\n")
    result = validate_steps([(TASK, SPEC, broken), (task_2, spec_2, wrong)], timeout=5)
    assert result.status == "failed" and "is None" in result.problem
    not_importable = CodeModule(task_id=1, function_name="smooth", code="from scipy.signal import no_such_thing\n")
    strict = CodeModule(task_id=2, function_name="total",
                        code="def total(x):\n    if not isinstance(x, list):\n        raise ValueError('a list')\n")
    result = validate_steps([(TASK, SPEC, not_importable), (task_2, spec_2, strict)], timeout=5)
    assert result.status == "failed" and "rejected inputs that match the requirement" in result.problem


def test_a_value_error_on_synthetic_inputs_is_inconclusive():
    result = _check("def smooth(x, n):\n    raise ValueError('need at least 100000 samples')\n")
    assert result.status == "inconclusive"


def test_the_users_function_rejecting_inputs_the_user_described_is_a_failure():
    described = [p.model_copy(update={"from_requirement": True}) for p in SPEC.inputs]
    signature = SPEC.signature.model_copy(update={"required": True})
    spec = SPEC.model_copy(update={"inputs": described, "signature": signature})
    module = CodeModule(task_id=1, function_name="smooth",
                        code="def smooth(x, n):\n    raise ValueError('x must be a list')\n")
    result = validate_steps([(TASK, spec, module)], timeout=5)
    assert result.status == "failed" and "rejected inputs that match the requirement" in result.problem
    model_guess = SPEC.model_copy(update={"signature": signature})
    assert validate_steps([(TASK, model_guess, module)], timeout=5).status == "inconclusive"


def test_the_users_own_value_error_is_inconclusive_when_the_requirement_asks_for_one():
    """Sample RR intervals of N(0, 1) ms are all "implausible": raising, as the user asked, is no bug."""
    described = [p.model_copy(update={"from_requirement": True}) for p in SPEC.inputs]
    spec = SPEC.model_copy(update={"inputs": described,
                                   "signature": SPEC.signature.model_copy(update={"required": True})})
    module = CodeModule(task_id=1, function_name="smooth",
                        code="def smooth(x, n):\n    raise ValueError('fewer than 3 valid intervals')\n")
    asks = "Write smooth(x, n) ... Raise ValueError if fewer than 3 valid intervals remain."
    assert validate_steps([(TASK, spec, module)], timeout=5, requirement=asks).status == "inconclusive"
    assert validate_steps([(TASK, spec, module)], timeout=5, requirement="Write smooth(x, n).").status == "failed"



def _users_function(outputs: list[Param], returns: str | None = None) -> TaskSpec:
    signature = SPEC.signature.model_copy(update={"required": True, "returns": returns})
    described = [p.model_copy(update={"from_requirement": True}) for p in SPEC.inputs]
    return SPEC.model_copy(update={"signature": signature, "inputs": described, "outputs": outputs})


def _users_spec(function: str, inputs: dict[str, str], outputs: dict[str, str],
                parameters: list[str] | None = None) -> TaskSpec:
    """The spec of the user's own function, every input and output as the user described it."""
    return TaskSpec(task_id=1, target="t",
                    signature=Signature(function_name=function, parameters=parameters or list(inputs), required=True),
                    inputs=[Param(name=n, type=t, from_requirement=True) for n, t in inputs.items()],
                    outputs=[Param(name=n, type=t, from_requirement=True) for n, t in outputs.items()])


def _run(spec: TaskSpec, code: str, requirement: str = "", call_last: bool = False) -> Validation:
    """Validate `code` as the only step, `spec`, of a run for `requirement`."""
    module = CodeModule(task_id=1, function_name=spec.function_name, code=code)
    return validate_steps([(TASK, spec, module)], timeout=5, requirement=requirement, call_last=call_last)


def test_the_users_function_is_not_held_to_the_models_guess_of_its_outputs():
    """The model wrote `median: float` for a function the user asked to return a tuple."""
    spec = _users_function([Param(name="median", type="float")])
    pair = "import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x), np.abs(x) > 3\n"
    assert _run(spec, pair).status == "passed"
    assert "is None" in _run(spec, "def smooth(x, n):\n    return None\n").problem
    nan = "import numpy as np\n\ndef smooth(x, n):\n    return np.full(len(x), np.nan)\n"
    assert "all NaN" in _run(spec, nan).problem
    assert _run(SPEC.model_copy(update={"outputs": [Param(name="median", type="float")]}), pair).status == "failed", \
        "a step of the plan is still held to its Output Specification"


def test_the_users_function_is_held_to_the_outputs_the_user_stated():
    stated = _users_function([Param(name="rate", type="float, Hz", from_requirement=True)], returns="float")
    array = "import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x)\n"
    assert "should be a float" in _run(stated, array).problem
    pair = _users_function([Param(name="a", type="np.ndarray"), Param(name="b", type="float")],
                           returns="tuple[np.ndarray, float]")
    assert "says 2 results" in _run(pair, array).problem
    assert _run(pair, "def smooth(x, n):\n    return x, 1.0\n").status == "passed"



GAPPY = "Write smooth(x, n) for a temperature probe; failed reads come back as NaN."


@pytest.mark.parametrize("reader,requirement,expected", [
    (says_readings_can_be_nan, GAPPY, True),
    (says_readings_can_be_nan, "Write f(x). Lost uplinks leave NaNs in the series; fill them.", True),
    (says_readings_can_be_nan, "Write f(x). Raise ValueError if x contains NaN.", False),
    (says_readings_can_be_nan, "Write f(x) that returns the mean.", False),
    (says_what_empty_input_gives, "Write encode(data). An empty input encodes to b'\\x01'.", True),
    (says_what_empty_input_gives, "Write decode(payload). An empty payload gives an empty list.", True),
    (says_what_empty_input_gives, "Write plan(tensors). Return ([], 0) for an empty list.", True),
    (says_what_empty_input_gives, "Write parse(frame). Raise ValueError for an empty frame or an unknown type.", False),
    (says_what_empty_input_gives, "Write detect(x). Return an empty array when nothing exceeds the threshold.", False),
    (says_what_empty_input_gives, "Write f(x). Raise ValueError if x is empty.", False),
])
def test_whether_the_user_says_readings_can_be_nan_or_what_an_empty_input_gives(reader, requirement, expected):
    assert reader(requirement) is expected


def test_where_readings_can_be_nan_the_users_function_must_survive_nan_gaps():
    spec = _users_function([Param(name="peak", type="int", from_requirement=True)], returns="int")
    crashes = "import numpy as np\n\ndef smooth(x, n):\n    return int(np.max(x) * 10)\n"
    assert _run(spec, crashes).status == "passed", "no NaN in the requirement: one run on clean inputs"
    result = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=crashes))],
                            timeout=5, requirement=GAPPY)
    assert result.status == "failed" and "(NaN readings, which the requirement says occur)" in result.problem
    refuses = "import numpy as np\n\ndef smooth(x, n):\n    if np.isnan(x).any():\n        raise ValueError('NaN in x')\n    return 1\n"
    assert "NaN in x" in validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=refuses))],
                                        timeout=5, requirement=GAPPY).problem


def test_the_users_function_must_survive_the_spikes_that_real_readings_hold():
    """Sample noise never crosses an impact threshold, so the code that handles an impact never ran."""
    requirement = ("Write detect_impacts(acc, fs, impact_g=2.5, hold_s=0.5) that takes an (N, 3) accelerometer array "
                   "in m/s^2 sampled at fs Hz and returns the times in seconds of samples whose magnitude exceeds "
                   "impact_g * 9.81.")
    spec = _spec_from_words(requirement)
    code = ("import numpy as np\n\ndef detect_impacts(acc, fs, impact_g=2.5, hold_s=0.5):\n"
            "    mag = np.linalg.norm(np.asarray(acc, float), axis=1)\n    times = []\n"
            "    for i in np.flatnonzero(mag > impact_g * 9.81):\n        WINDOW\n        times.append(i / fs)\n"
            "    return times\n")
    float_slice = _run(spec, code.replace("WINDOW", "after = mag[i:i + hold_s * fs]"), requirement)
    assert float_slice.status == "failed" and "a few spikes 5 to 50 standard deviations high" in float_slice.problem
    assert "TypeError: slice indices must be integers" in float_slice.problem, float_slice.problem
    assert _run(spec, code.replace("WINDOW", "after = mag[i:i + int(hold_s * fs)]"), requirement).status == "passed"
    refuses = code.replace("WINDOW", "if mag[i] > 50:\n            raise ValueError('implausible impact')")
    assert _run(spec, refuses, requirement).status == "passed", "its own ValueError on extreme readings is its call"


def test_an_input_the_user_calls_a_sequence_must_work_as_a_list_and_as_an_array():
    """The sample is a list of labels, a test or a pandas column hands over an array; `.count` works on one only."""
    requirement = ("Write window_labels(labels, n) where labels is a length-N sequence of strings and n an int; return "
                   "the majority label of each block of n labels as a list.")
    spec = _spec_from_words(requirement)
    assert spec.inputs[0].type.endswith(", a list or an array")
    code = ("def window_labels(labels, n):\n    blocks = [labels[i:i + n] for i in range(0, len(labels) - n + 1, n)]\n"
            "    return [max(set(b), key=MAJORITY) for b in blocks]\n")
    list_only = _run(spec, code.replace("MAJORITY", "b.count"), requirement)
    assert list_only.status == "failed", list_only
    assert "as a NumPy array where it was a list" in list_only.problem
    assert "'numpy.ndarray' object has no attribute 'count'" in list_only.problem
    either = code.replace("MAJORITY", "lambda v: sum(1 for w in b if w == v)")
    assert _run(spec, either, requirement).status == "passed"


def test_a_number_sequence_sampled_as_an_array_is_also_passed_as_a_list():
    spec = _users_spec("mean_rr", {"rr_ms": "np.ndarray | list[float]"}, {"mean": "float"})
    array_only = _run(spec, "def mean_rr(rr_ms):\n    return float((rr_ms - 800.0).mean() + 800.0)\n")
    assert array_only.status == "failed" and "as a list where it was an array" in array_only.problem, array_only
    assert _run(spec, "import numpy as np\n\ndef mean_rr(rr_ms):\n    return float(np.mean(rr_ms))\n").status == "passed"
    list_typed = _users_spec("mean_rr", {"rr_ms": "list[float]"}, {"mean": "float"})
    assert _run(list_typed, "def mean_rr(rr_ms):\n    return sum(rr_ms) / len(rr_ms)\n").status == "passed"


def test_the_result_must_have_the_length_the_user_computed_from_the_inputs():
    requirement = ("Write velocity(phase_rad, dt) where phase_rad is a 1-D NumPy array; return a 1-D NumPy array of "
                   "length len(phase_rad) - 1 with v = dphi / dt between consecutive samples.")
    spec = _spec_from_words(requirement)
    assert "length = len(phase_rad) - 1" in spec.outputs[0].type
    right = "import numpy as np\n\ndef velocity(phase_rad, dt):\n    return np.diff(np.unwrap(phase_rad)) / dt\n"
    assert _run(spec, right, requirement).status == "passed"
    padded = right.replace("np.diff(np.unwrap(phase_rad))", "np.gradient(np.unwrap(phase_rad))")
    wrong = _run(spec, padded, requirement)
    assert wrong.status == "failed" and "should have length len(phase_rad) - 1 = 2047, got 2048" in wrong.problem


def test_where_the_user_says_what_an_empty_input_gives_the_function_must_return_it_not_fail():
    spec = _users_function([Param(name="smoothed", type="np.ndarray", from_requirement=True)], returns="np.ndarray")
    requirement = "Write smooth(x, n) that doubles every reading; an empty input gives an empty array."

    indexes = "import numpy as np\n\ndef smooth(x, n):\n    x = np.asarray(x)\n    return np.r_[x[0], x[1:]] * 2\n"
    crashed = _run(spec, indexes, requirement)
    assert crashed.status == "failed" and "empty inputs" in crashed.problem and "IndexError" in crashed.problem
    refuses = "import numpy as np\n\ndef smooth(x, n):\n    if len(x) == 0:\n        raise ValueError('no data')\n" \
              "    return np.asarray(x) * 2\n"
    assert _run(spec, refuses, requirement).status == "failed", "the user said what an empty input gives: no error"
    doubles = "import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x) * 2\n"
    assert _run(spec, doubles, requirement).status == "passed"
    assert _run(spec, indexes).status == "passed", "the user said nothing of empty inputs"


def test_an_input_the_user_says_raises_value_error_must_raise_it():
    spec = _users_function([Param(name="smoothed", type="np.ndarray", from_requirement=True)], returns="np.ndarray")
    requirement = "Write smooth(x, n) that averages n readings. Raise ValueError if n < 1."

    unchecked = "import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x) / max(n, 1)\n"
    returned = _run(spec, unchecked, requirement)
    assert returned.status == "failed" and "raise ValueError if n < 1" in returned.problem
    assert "with n = 0" in returned.problem and "returned a result" in returned.problem
    divides = "import numpy as np\n\ndef smooth(x, n):\n    return np.asarray(x) * (n // n)\n"
    assert "ZeroDivisionError" in _run(spec, divides, requirement).problem
    checked = "import numpy as np\n\ndef smooth(x, n):\n    if n < 1:\n        raise ValueError('n')\n" \
              "    return np.asarray(x) / n\n"
    assert _run(spec, checked, requirement).status == "passed"
    assert _run(spec, unchecked).status == "passed", "the user stated no refusal"


def test_refusal_inputs_sit_at_the_edge_of_the_users_condition():
    spec = _users_spec("f", {"x": "np.ndarray, shape (n_samples,)", "fs": "float, Hz", "gain": "float", "hop": "int"},
                       {"y": "np.ndarray"}, parameters=["x", "fs", "gain", "hop=4"])
    step = [(TASK, spec, CodeModule(task_id=1, function_name="f", code="def f(x, fs, gain, hop=4):\n    pass\n"))]
    requirement = ("Write f(x, fs, gain, hop=4). Raise ValueError if hop < 1, gain < 0 or fs is not positive; "
                   "return None if x < 3.")
    variants = refusal_variants(step, True, requirement)
    assert [(change, v.refusal) for _, change, v in variants] == [
        ("hop = 0", (("hop", "0"),)), ("gain = -0.5", (("gain", "-0.5"),)), ("fs = 0", (("fs", "0"),))]
    assert refusal_variants(step, True, "Raise ValueError if window_s * fs < 2 or x < 0.") == [], \
        "a product is no simple condition, and x is an array"
    assert [(change, v.refusal) for _, change, v in refusal_variants(step, True, "Raise ValueError if x is empty.")] \
        == [("x empty", (("x", "({sample})[:0]"),))]
    assert [(change, v.refusal) for _, change, v in refusal_variants(step, True, "Raise ValueError if x has fewer "
                                                                     "than 8 samples.")] \
        == [("7 items in x", (("x", "({sample})[:7]"),))]
    assert refusal_variants(step, True, "Raise ValueError if the arrays differ in length.") == [], "one array only"


def test_a_setting_is_sampled_inside_the_interval_the_user_allows_and_refused_at_its_edges():
    """A sparsity of 1.0 sits outside "[0, 1)": correct code refused it, and nothing else was checked."""
    requirement = ("Write prune(w, sparsity) where w is a 1-D NumPy array of weights; zero the smallest fraction "
                   "sparsity of them. Raise ValueError if sparsity is not in [0, 1).")
    spec = _spec_from_words(requirement)
    code = ("import numpy as np\n\ndef prune(w, sparsity):\n    if not 0 <= sparsity < 1:\n"
            "        raise ValueError('sparsity must be in [0, 1)')\n    w = np.array(w, dtype=float)\n"
            "    w[np.argsort(np.abs(w))[: int(sparsity * len(w))]] = 0.0\n    return w\n")
    assert "sparsity': 0.5" in harness_source([(TASK, spec, CodeModule(task_id=1, function_name="prune", code=code))],
                                              True, InputVariant(limits=(("sparsity", "<", 0.0),
                                                                          ("sparsity", ">=", 1.0))))
    assert _run(spec, code, requirement).status == "passed"
    lax = code.replace("0 <= sparsity < 1", "0 <= sparsity <= 1")
    refused = _run(spec, lax, requirement, call_last=True)
    assert refused.status == "failed" and "sparsity = 1.0" in refused.problem, refused


def test_inputs_that_the_user_says_must_have_equal_lengths_are_tried_one_element_apart():
    spec = _users_spec("rate", {"t": "np.ndarray, shape (n,), s", "x": "np.ndarray, shape (n,)"}, {"r": "np.ndarray"})
    requirement = "Write rate(t, x). Raise ValueError if the arrays differ in length."
    zipped = "import numpy as np\n\ndef rate(t, x):\n    return np.array([b / a for a, b in zip(t, x)])\n"
    failed = _run(spec, zipped, requirement)
    assert failed.status == "failed" and "with x one element shorter" in failed.problem, failed.problem
    checked = zipped.replace("    return", "    if len(t) != len(x):\n        raise ValueError('lengths')\n    return")
    assert _run(spec, checked, requirement).status == "passed"
    assert "with t one element shorter" in _run(spec, zipped, requirement.replace(
        "the arrays differ", "x and t differ")).problem
    too_few = "Write rate(t, x). Raise ValueError if fewer than two readings are given."
    differences = "import numpy as np\n\ndef rate(t, x):\n    return np.diff(x) / np.diff(t)\n"
    failed = _run(spec, differences, too_few)
    assert failed.status == "failed" and "with 1 item in t, x" in failed.problem, "both cut: they still match"
    assert _run(spec, differences.replace("    return", "    if len(t) < 2:\n        raise ValueError('few')\n"
                                                          "    return"), too_few).status == "passed"


def test_inputs_the_user_says_have_one_length_are_sampled_at_one_length_before_one_is_cut_short():
    """64 sample records beside 2048 sample readings: correct code refuses them (inconclusive) without the cut."""
    spec = _users_spec("locate", {"gateways": "list[tuple[float, float]]", "toa_s": "np.ndarray, shape (n,), s"},
                       {"xy": "tuple"})
    requirement = "Write locate(gateways, toa_s). Raise ValueError if the two lists differ in length."
    code = ("import numpy as np\n\ndef locate(gateways, toa_s):\n    CHECK\n"
            "    pairs = list(zip(gateways, toa_s))  # the shorter input decides, silently\n"
            "    g = np.asarray([p for p, _ in pairs], float)\n    w = np.exp(-np.abs([t for _, t in pairs]))\n"
            "    return (float(g[:, 0] @ w / w.sum()), float(g[:, 1] @ w / w.sum()))\n")
    checked = code.replace("CHECK", "if len(gateways) != len(toa_s):\n        raise ValueError('one time per gateway')")
    assert _run(spec, checked, requirement).status == "passed"
    unchecked = _run(spec, code.replace("CHECK", "pass"), requirement)
    assert unchecked.status == "failed" and "toa_s one element shorter" in unchecked.problem, unchecked.problem


def test_one_length_cuts_lists_and_arrays_and_leaves_what_has_no_length():
    import numpy as np

    namespace = {"_np": np}
    exec(_INPUT_HELPERS, namespace)
    inputs = {"records": [(i, 0.1 * i) for i in range(64)], "times": np.arange(2048.0), "rate": 50, "doc": {"a": 1}}
    namespace["_same_length"](inputs, ["records", "times", "rate", "doc"])
    assert len(inputs["records"]) == len(inputs["times"]) == 64 and inputs["rate"] == 50 and inputs["doc"] == {"a": 1}


def test_a_list_of_shaped_arrays_is_sampled_as_arrays_of_varying_length_sharing_the_later_axes():
    import numpy as np

    types = ["np.ndarray, shape (L, C)", "list[np.ndarray], each of shape (L_i, C)"]
    sizes = dimension_sizes(types)
    namespace = {"_rng": np.random.default_rng(0), "_np": np}
    query = eval(sample_expression(Param(name="query", type=types[0]), sizes), namespace)
    templates = eval(sample_expression(Param(name="templates", type=types[1]), sizes), namespace)
    assert isinstance(templates, list) and len({t.shape[0] for t in templates}) == len(templates) > 1
    assert all(t.ndim == 2 and t.shape[1] == query.shape[1] for t in templates)


def test_a_recording_shorter_than_the_users_minimum_duration_must_be_refused():
    spec = _users_spec("smooth", {"x": "np.ndarray, shape (n_samples,)", "fs": "float, Hz"}, {"level": "float"})
    requirement = "Write smooth(x, fs). Raise ValueError if the recording is shorter than 10 seconds."
    (condition, change, variant), = refusal_variants([(TASK, spec, CodeModule(task_id=1, function_name="smooth",
                                                                              code=""))], True, requirement)
    assert variant.refusal == (("x", "({sample})[:499]"),), "10 s at 50 Hz, less one sample"
    unchecked = "import numpy as np\n\ndef smooth(x, fs):\n    return float(np.mean(x))\n"
    assert condition == "the recording is shorter than 10 s (500 samples at 50 Hz)" and change == "499 items in x"
    assert "with 499 items in x" in _run(spec, unchecked, requirement).problem
    checked = unchecked.replace("    return", "    if len(x) < 10 * fs:\n        raise ValueError('short')\n    return")
    assert _run(spec, checked, requirement).status == "passed"


PDR = ("Write pdr(acc_max, acc_min, k=0.5) returning the step lengths k * (acc_max - acc_min) ** 0.25. "
       "Raise ValueError if the inputs differ in length or any acc_max < acc_min.")
PDR_CODE = ("import numpy as np\n\ndef pdr(acc_max, acc_min, k=0.5):\n"
            "    acc_max, acc_min = np.asarray(acc_max, float), np.asarray(acc_min, float)\n"
            "    if len(acc_max) != len(acc_min):\n        raise ValueError('lengths')\n"
            "    CHECK\n    return k * (acc_max - acc_min) ** 0.25\n")


def test_sample_inputs_respect_a_relation_between_two_inputs_that_the_user_says_raises():
    """Without it half the sample peaks sit below their troughs, and correct code refuses them (inconclusive)."""
    spec = _users_spec("pdr", {"acc_max": "np.ndarray, shape (n,), m/s^2", "acc_min": "np.ndarray, shape (n,), m/s^2"},
                       {"lengths": "np.ndarray, shape (n,)"}, parameters=["acc_max", "acc_min", "k=0.5"])
    checked = PDR_CODE.replace("CHECK", "if np.any(acc_max < acc_min):\n        raise ValueError('peak below trough')")
    assert _run(spec, checked, PDR).status == "passed"
    inverted = checked.replace("np.any(acc_max < acc_min)", "np.all(acc_max >= acc_min)")
    assert _run(spec, inverted, PDR).status == "inconclusive", "it refuses inputs that respect the relation"


def test_inputs_that_break_a_relation_the_user_states_must_be_refused():
    spec = _users_spec("pdr", {"acc_max": "np.ndarray, shape (n,), m/s^2", "acc_min": "np.ndarray, shape (n,), m/s^2"},
                       {"lengths": "np.ndarray, shape (n,)"}, parameters=["acc_max", "acc_min", "k=0.5"])
    unchecked = _run(spec, PDR_CODE.replace("CHECK", "pass"), PDR)
    assert unchecked.status == "failed" and "raise ValueError if any acc_max < acc_min" in unchecked.problem
    assert "the last element of acc_max just below acc_min's" in unchecked.problem, unchecked.problem
    first_only = PDR_CODE.replace("CHECK", "if acc_max[0] < acc_min[0]:\n        raise ValueError('peak')")
    assert _run(spec, first_only, PDR).status == "failed", "one offending element anywhere is enough"

    hysteresis = "Write presence(rssi, enter_std, exit_std). Raise ValueError if exit_std > enter_std."
    spec = _users_spec("presence", {"rssi": "np.ndarray, shape (n,), dBm", "enter_std": "float, dB",
                                    "exit_std": "float, dB"}, {"present": "np.ndarray, shape (n,)"})
    code = ("import numpy as np\n\ndef presence(rssi, enter_std, exit_std):\n    CHECK\n"
            "    return np.asarray(rssi) > -60 + enter_std - exit_std\n")
    failed = _run(spec, code.replace("CHECK", "pass"), hysteresis)
    assert failed.status == "failed" and "with exit_std just above enter_std's" in failed.problem, failed.problem
    strict = code.replace("CHECK", "if exit_std >= enter_std:\n        raise ValueError('order')")
    assert _run(spec, strict, hysteresis).status == "passed"
    assert _run(spec, code.replace("CHECK", "if exit_std > enter_std:\n        raise ValueError('order')"),
                hysteresis).status == "passed"


def _spec_from_words(requirement: str) -> TaskSpec:
    """The spec of the function `requirement` names, from the user's words alone (no model)."""
    from jupyter_iotcoder.transform import USERS_WORDS_ONLY, users_function_spec

    required = find_required_signature(requirement).model_copy(update={"required": True})
    return users_function_spec(requirement, required, USERS_WORDS_ONLY)


def test_the_returned_array_must_have_the_numpy_type_the_user_asked_for():
    requirement = ("Write quantize_int8(weights: np.ndarray) -> tuple[np.ndarray, float] with scale = max(|w|) / 127, "
                   "returned as an int8 array together with the float scale.")
    spec = _spec_from_words(requirement)
    rounded = ("import numpy as np\n\ndef quantize_int8(weights):\n    scale = np.max(np.abs(weights)) / 127\n"
               "    return np.clip(np.round(weights / scale), -127, 127), float(scale)\n")
    floats = _run(spec, rounded, requirement)
    assert floats.status == "failed" and "asks for an int8 array, but the result is float64" in floats.problem
    typed = rounded.replace("127), float", "127).astype(np.int8), float")
    assert _run(spec, typed, requirement).status == "passed"

    requirement = "Write flag(x, k) that returns a boolean mask of the readings more than k above the mean."
    spec = _spec_from_words(requirement)
    ones = "import numpy as np\n\ndef flag(x, k):\n    return (np.asarray(x) > np.mean(x) + k).astype(int)\n"
    assert "asks for a bool array, but the result is int64" in _run(spec, ones, requirement).problem
    assert _run(spec, ones.replace(".astype(int)", ""), requirement).status == "passed"


def test_every_returned_number_must_lie_in_the_interval_the_user_gave_it():
    requirement = ("Write calibrate_ph(mv: np.ndarray, mv_at_ph4: float, mv_at_ph7: float) -> np.ndarray that converts "
                   "every reading to pH by a two-point linear calibration and clips the result to [0, 14].")
    spec = _spec_from_words(requirement)
    linear = ("import numpy as np\n\ndef calibrate_ph(mv, mv_at_ph4, mv_at_ph7):\n"
              "    slope = (7.0 - 4.01) / (mv_at_ph7 - mv_at_ph4)\n"
              "    return 7.0 + (np.asarray(mv, float) - mv_at_ph7) * slope\n")
    unclipped = _run(spec, linear, requirement)
    assert unclipped.status == "failed" and "should lie in [0, 14] (its Output Specification), got" in unclipped.problem, \
        unclipped.problem
    clipped = linear.replace("    return 7.0 + (np.asarray(mv, float) - mv_at_ph7) * slope",
                             "    return np.clip(7.0 + (np.asarray(mv, float) - mv_at_ph7) * slope, 0.0, 14.0)")
    assert _run(spec, clipped, requirement).status == "passed"

    requirement = ("Write aoa_deg(phase_rad: float) that returns the angle of arrival in degrees (float, in [-90, 90]), "
                   "or float('nan') when the phase is out of reach.")
    spec = _spec_from_words(requirement)
    nan_outside = ("import math\n\ndef aoa_deg(phase_rad):\n    s = phase_rad / math.pi\n"
                   "    return math.degrees(math.asin(s)) if abs(s) <= 1 else float('nan')\n")
    assert _run(spec, nan_outside, requirement).status == "passed", "NaN is no number outside the interval"
    assert "should lie in [-90, 90]" in _run(spec, nan_outside.replace("math.degrees(math.asin(s))", "200.0"),
                                             requirement).problem


# the pulse peaks of `ppg` (at most 3 a second), as the start of a heart-rate function's body
PULSE_PEAKS = ("import numpy as np\nfrom scipy.signal import find_peaks\n\ndef {name}(ppg, fs):\n"
               "    x = np.asarray(ppg, float) - np.mean(ppg)\n"
               "    peaks, _ = find_peaks(x, distance=int(0.33 * fs), prominence=np.std(x))\n")


def test_a_heart_rate_must_come_out_right_on_a_pulse_signal_with_a_known_rate():
    requirement = ("Write heart_rate(ppg, fs) that takes a 1-D PPG array and the sampling rate in Hz and returns the "
                   "heart rate in beats per minute (float).")
    spec = _spec_from_words(requirement)
    per_minute = (PULSE_PEAKS.format(name="heart_rate") +
                  "    if len(peaks) < 2:\n        return float('nan')\n"
                  "    return float(60.0 * fs / np.median(np.diff(peaks)))\n")
    assert _run(spec, per_minute, requirement).status == "passed"
    in_hz = _run(spec, per_minute.replace("60.0 * fs", "fs"), requirement)
    assert in_hz.status == "failed" and in_hz.problem.startswith(
        "on a synthetic pulse signal at 72 beats per minute (50 Hz, 60 s), `heart_rate`: it returned 1.2")
    assert "that is the rate in Hz" in in_hz.problem, in_hz.problem
    inverted = per_minute.replace("    if len(peaks) < 2:", "    if len(x) > 10 * fs:\n        raise ValueError('too short')\n"
                                                              "    if len(peaks) < 2:")
    refused = _run(spec, inverted, requirement + " Raise ValueError if ppg is empty.")
    assert refused.status == "failed" and "ValueError: too short" in refused.problem
    assert "clean and valid, so the condition that raised is wrong" in refused.problem
    assert _run(spec, per_minute.replace("    if len(peaks) < 2:", "    if len(x) < 10 * fs:\n        raise "
                                         "ValueError('too short')\n    if len(peaks) < 2:"),
                requirement + " Raise ValueError if ppg is shorter than 10 seconds.").status == "passed", \
        "a duration check the user asked for, and the right rate on the long pulse signal"
    guessed = spec.model_copy(update={"inputs": [p.model_copy(update={"from_requirement": False})
                                                 for p in spec.inputs]})
    assert "that is the rate in Hz" in _run(guessed, per_minute.replace("60.0 * fs", "fs"), requirement).problem, \
        "the signal and its rate are all the function needs, whoever typed them"


def test_a_named_crc_and_a_great_circle_distance_must_give_their_known_values():
    requirement = "Write crc16_modbus(frame: bytes) -> int that computes the Modbus RTU CRC-16 of a frame."
    spec = _spec_from_words(requirement)
    modbus = ("def crc16_modbus(frame: bytes) -> int:\n    crc = 0xFFFF\n    for byte in frame:\n        crc ^= byte\n"
              "        for _ in range(8):\n            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1\n"
              "    return crc\n")
    assert _run(spec, modbus, requirement).status == "passed"
    wrong_init = _run(spec, modbus.replace("crc = 0xFFFF", "crc = 0x0000"), requirement)
    assert wrong_init.status == "failed" and wrong_init.problem.startswith(
        "on the bytes b'123456789' (the CRC catalogue's check input), `crc16_modbus`: it returned 47933 (0xBB3D), "
        "but the CRC-16/MODBUS of b'123456789' is 19255 (0x4B37)"), wrong_init.problem

    requirement = ("Write haversine_m(lat1, lon1, lat2, lon2) that returns the great-circle distance in metres (float) "
                   "between two GPS fixes in decimal degrees.")
    spec = _spec_from_words(requirement)
    haversine = ("import math\n\ndef haversine_m(lat1, lon1, lat2, lon2):\n"
                 "    p1, p2 = math.radians(lat1), math.radians(lat2)\n"
                 "    dp, dl = math.radians(lat2 - lat1), math.radians(lon2 - lon1)\n"
                 "    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2\n"
                 "    return 2 * 6371.0 * math.asin(math.sqrt(a))\n")
    in_km = _run(spec, haversine, requirement)
    assert in_km.status == "failed" and "its great-circle length is 935.2 m" in in_km.problem, in_km.problem
    assert _run(spec, haversine.replace("6371.0", "6371000.0"), requirement).status == "passed"


def test_a_rate_inside_a_returned_dict_must_come_out_right_under_its_key():
    requirement = ("Write pulse_summary(ppg, fs) that returns a dict with 'peaks' (a list of beat indices) and 'bpm' "
                   "(float, the heart rate in beats per minute).")
    spec = _spec_from_words(requirement)
    code = (PULSE_PEAKS.format(name="pulse_summary") +
            "    return {'peaks': peaks.tolist(), 'bpm': float(60.0 * fs / np.median(np.diff(peaks)))}\n")
    assert _run(spec, code, requirement).status == "passed"
    in_hz = _run(spec, code.replace("60.0 * fs", "fs"), requirement)
    assert in_hz.status == "failed" and in_hz.problem.startswith(
        "on a synthetic pulse signal at 72 beats per minute (50 Hz, 60 s), its 'bpm', `pulse_summary`: it returned 1.2")


def test_a_z_score_rule_must_flag_exactly_the_glitches_in_readings_with_known_glitches():
    requirement = ("Write zscore_outliers(x: np.ndarray, threshold: float = 3.0) -> np.ndarray that returns the "
                   "indices of the readings whose z-score exceeds the threshold in absolute value.")
    spec = _spec_from_words(requirement)
    both = ("import numpy as np\n\ndef zscore_outliers(x, threshold=3.0):\n    x = np.asarray(x, float)\n"
            "    return np.flatnonzero(np.abs(x - x.mean()) / x.std() > threshold)\n")
    assert _run(spec, both, requirement).status == "passed"
    upper = _run(spec, both.replace("np.abs(x - x.mean())", "(x - x.mean())"), requirement)
    assert upper.status == "failed" and "of the 5 glitches (at [137, 402, 555, 731, 918]) it missed 2" in upper.problem


def test_fewer_valid_readings_than_the_user_allows_are_nan_readings_not_a_shorter_array():
    spec = _users_function([Param(name="iqr", type="float", from_requirement=True)], returns="float")
    requirement = "Write smooth(x, n). Raise ValueError if fewer than 4 finite values are present."
    counts_length = ("import numpy as np\n\ndef smooth(x, n):\n    if len(x) < 4:\n        raise ValueError('few')\n"
                     "    return float(np.nanpercentile(x, 75) - np.nanpercentile(x, 25))\n")
    failed = _run(spec, counts_length, requirement)
    assert failed.status == "failed" and "with 3 valid items in x" in failed.problem, failed.problem
    counts_finite = counts_length.replace("len(x) < 4", "np.isfinite(x).sum() < 4")
    assert _run(spec, counts_finite, requirement).status == "passed"


TRILATERATION = ("Write trilaterate(anchors, distances) that takes the anchor coordinates as an (N, D) NumPy array "
                 "in metres (D = 2 or 3) and the N measured ranges, and returns the tag position as a 1-D array "
                 "of length D.")


def test_a_shape_letter_the_user_allows_at_two_sizes_is_tried_at_both():
    assert allowed_dimensions(TRILATERATION, ["np.ndarray, shape (N, D), metres"]) == (("d", 2),)
    assert allowed_dimensions("(N, D) with D in {3, 2}", ["np.ndarray, shape (N, D)"]) == (("d", 2),)
    assert allowed_dimensions(TRILATERATION, ["np.ndarray, shape (N, 3)"]) == (), "no D in the inputs"
    spec = _users_spec("trilaterate", {"anchors": "np.ndarray, shape (N, D), metres",
                                       "distances": "np.ndarray, shape (N,), metres"},
                       {"position": "np.ndarray, shape (D,)"})

    three_d_only = ("import numpy as np\n\ndef trilaterate(anchors, distances):\n"
                    "    x, y, z = anchors[:, 0], anchors[:, 1], anchors[:, 2]\n"
                    "    return np.array([x.mean(), y.mean(), z.mean()])\n")
    any_d = ("import numpy as np\n\ndef trilaterate(anchors, distances):\n"
             "    a, r = np.asarray(anchors, float), np.asarray(distances, float)\n"
             "    A = 2 * (a[1:] - a[0])\n"
             "    b = r[0] ** 2 - r[1:] ** 2 + np.sum(a[1:] ** 2, axis=1) - np.sum(a[0] ** 2)\n"
             "    return np.linalg.lstsq(A, b, rcond=None)[0]\n")
    failed = _run(spec, three_d_only, TRILATERATION)
    assert failed.status == "failed" and "d = 2, which the requirement allows" in failed.problem
    assert _run(spec, any_d, TRILATERATION).status == "passed"
    centroid = _run(spec, "import numpy as np\n\ndef trilaterate(anchors, distances):\n"
                          "    return np.asarray(anchors).mean(axis=0)\n", TRILATERATION)
    assert centroid.status == "failed" and "put the tag at [3.0, 5.0]" in centroid.problem, centroid.problem


def test_two_sampling_rates_differ_and_a_crash_in_the_order_the_function_accepts_is_its_verdict():
    spec = _users_spec("downsample", {"x": "np.ndarray, shape (n_samples,)", "fs_in": "float, Hz",
                                      "fs_out": "float, Hz"}, {"y": "np.ndarray"})
    requirement = "Write downsample(x, fs_in, fs_out). Raise ValueError unless fs_in / fs_out is an integer >= 1."
    checks = ("import numpy as np\nfrom scipy.signal import butter, sosfiltfilt\n\ndef downsample(x, fs_in, fs_out):\n"
              "    if fs_in % fs_out or fs_in < fs_out:\n        raise ValueError('ratio')\n")
    wrong_cutoff = checks + "    sos = butter(4, (fs_in / 2) / fs_out, output='sos')\n" \
                            "    return sosfiltfilt(sos, x)[:: int(fs_in // fs_out)]\n"
    failed = _run(spec, wrong_cutoff, requirement)
    assert failed.status == "failed" and "critical frequencies" in failed.problem, failed.problem
    right_cutoff = wrong_cutoff.replace("(fs_in / 2) / fs_out", "0.8 * (fs_out / 2), fs=fs_in")
    assert _run(spec, right_cutoff, requirement).status == "passed"
    harness = harness_source([(TASK, spec, CodeModule(task_id=1, function_name="downsample", code=checks))], True)
    assert "'fs_in': 25, 'fs_out': 50" in harness, "rising first, as settings are"


def test_the_users_function_must_also_take_the_sampling_rate_as_a_float():
    spec = _users_spec("smooth", {"x": "np.ndarray, shape (n_samples,)", "fs": "float, Hz"}, {"level": "float"})
    slices = "import numpy as np\n\ndef smooth(x, fs):\n    return float(np.mean(x[: fs * 2]))\n"
    result = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=slices))], timeout=5)
    assert result.status == "failed" and "the sampling rate as the float 50.0" in result.problem
    assert "slice indices must be integers" in result.problem
    rounds = slices.replace("fs * 2", "int(fs * 2)")
    assert validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=rounds))],
                          timeout=5).status == "passed"


def test_a_number_that_nan_readings_turn_into_nan_fails_where_the_user_says_readings_can_be_nan():
    spec = _users_function([Param(name="level", type="float", from_requirement=True)], returns="float")

    nanmean = "import numpy as np\n\ndef smooth(x, n):\n    return float(np.nanmean(x))\n"
    mean = "import numpy as np\n\ndef smooth(x, n):\n    return float(np.mean(x))\n"
    plain = "Write smooth(x, n)."
    assert _run(spec, nanmean, plain, call_last=True).fingerprint == _run(spec, mean, plain, call_last=True).fingerprint
    assert _run(spec, nanmean, GAPPY, call_last=True).status == "passed"
    spreads = _run(spec, mean, GAPPY, call_last=True)
    assert spreads.status == "failed" and "returned NaN" in spreads.problem and "np.nanmean" in spreads.problem
    always_nan = "def smooth(x, n):\n    return float('nan')\n"
    assert _run(spec, always_nan, GAPPY, call_last=True).status == "passed", "NaN on clean inputs: not the gaps'"


BROKEN_1 = "```python\nimport numpy as np\n\ndef acceleration_magnitude(acc):\n    return np.asarray(acc)[:, 7]\n```"


def test_repair_fixes_a_step_that_fails_on_sample_inputs():
    answers = full_run()
    answers.insert(5, BROKEN_1)
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(repair_attempts=2))
    first = result.modules[0]
    assert first.validation == "passed" and first.problems == [] and first.attempts == 2
    assert [a["validation"] for a in first.attempt_log] == ["failed", "passed"]
    repair_prompt = runtime.history[6].messages[-1]["content"]
    assert "[:, 7]" in repair_prompt and "IndexError" in repair_prompt


def test_the_repair_prompt_tells_how_to_fix_a_known_library_error():
    answers = full_run()
    windows_into_scaler = BROKEN_1.replace("import numpy as np", "import numpy as np\nfrom sklearn.preprocessing import "
                                           "StandardScaler").replace("np.asarray(acc)[:, 7]",
                                                                     "StandardScaler().fit_transform(np.asarray(acc)[None])")
    answers.insert(5, windows_into_scaler)
    runtime = ScriptedRuntime(answers)
    generate(REQUIREMENT, runtime, GenerationConfig(repair_attempts=2))
    repair_prompt = runtime.history[6].messages[-1]["content"]
    assert "Found array with dim 3" in repair_prompt
    assert "Hint: scikit-learn takes a 2-D array with one row per sample" in repair_prompt


def test_code_that_fails_on_sample_inputs_is_kept_over_attempts_that_fail_a_static_check():
    answers = full_run()
    self_contained = CODE_2.replace("magnitude = acceleration_magnitude(acc)", SELF_CONTAINED_MAGNITUDE)
    imports_a_missing_name = BROKEN_1.replace("import numpy as np", "from scipy.signal import dwt\nimport numpy as np")
    answers[5:7] = [imports_a_missing_name, BROKEN_1, imports_a_missing_name, self_contained]
    result = generate(REQUIREMENT, ScriptedRuntime(answers), GenerationConfig(repair_attempts=2, alternatives=0))
    first = result.modules[0]
    assert [a["validation"] for a in first.attempt_log] == [None, "failed", None]
    assert "dwt" not in first.code and first.validation == "failed" and "IndexError" in first.problems[0]


def test_repair_loop_stops_at_its_budget_and_marks_the_step():
    answers = full_run()
    self_contained = CODE_2.replace("magnitude = acceleration_magnitude(acc)", SELF_CONTAINED_MAGNITUDE)
    answers[5:7] = [BROKEN_1, BROKEN_1.replace("7]", "8]"), BROKEN_1.replace("7]", "9]"), self_contained]
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(repair_attempts=2, alternatives=0))
    first = result.modules[0]
    assert first.attempts == 3 and first.validation == "failed"
    assert "IndexError" in first.problems[0]
    markdown = build_notebook(result).cells[1].source
    assert "this step failed validation" in markdown
    # step 2 is told not to call the broken step 1, and its own code then passes on its own
    assert "`acceleration_magnitude` failed its checks: do NOT call it" in runtime.history[-1].messages[-1]["content"]
    assert result.modules[1].validation == "passed" and result.modules[1].attempts == 1


def test_a_repair_that_returns_the_code_unchanged_ends_the_repairs():
    answers = full_run()
    self_contained = CODE_2.replace("magnitude = acceleration_magnitude(acc)", SELF_CONTAINED_MAGNITUDE)
    answers[5:7] = [BROKEN_1, BROKEN_1, self_contained]
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(repair_attempts=2, alternatives=0))
    first = result.modules[0]
    assert first.attempts == 2 and first.validation == "failed" and "IndexError" in first.problems[0]
    assert first.attempt_log[1]["unchanged"] and "unchanged" not in first.attempt_log[0]
    assert result.modules[1].validation == "passed", "the next answer went to step 2, not to a third repair"


def test_a_step_that_still_calls_a_broken_earlier_step_is_asked_again():
    answers = full_run()
    answers[5:7] = [BROKEN_1] * 2 + [CODE_2] * 2  # each repair gives the code back unchanged, which ends it
    result = generate(REQUIREMENT, ScriptedRuntime(answers),
                      GenerationConfig(repair_attempts=2, code_attempts=1, alternatives=0))
    assert "it uses the undefined name `acceleration_magnitude`" in result.modules[1].problems


def test_no_validation_when_disabled():
    answers = full_run()
    answers[5] = BROKEN_1
    result = generate(REQUIREMENT, ScriptedRuntime(answers), GenerationConfig(validate=False))
    assert result.modules[0].validation is None and result.modules[0].attempts == 1


def test_later_steps_are_validated_after_the_steps_before_them():
    result = generate(REQUIREMENT, ScriptedRuntime(full_run()), GenerationConfig())
    assert [m.validation for m in result.modules] == ["passed", "passed"]
    assert CODE_1 and CODE_2


UNDEFINED_1 = ("```python\nimport numpy as np\n\ndef acceleration_magnitude(acc):\n"
               "    return np.linalg.norm(filtered_acc, axis=1)\n```")


UNPARSED_1 = ("```python\nimport numpy as np\n\ndef acceleration_magnitude(acc):\n"
              "    if np.ndim(acc) not in [2, 3):\n        raise ValueError('acc must be 2-D')\n"
              "    return np.linalg.norm(acc, axis=1)\n```")


@pytest.mark.parametrize("broken, shown", [
    (UNDEFINED_1, ["np.linalg.norm(filtered_acc, axis=1)", "undefined name `filtered_acc`"]),
    (UNPARSED_1, ["It failed: it does not parse", "failing line: `if np.ndim(acc) not in [2, 3):`"]),
], ids=["undefined-name", "complete-answer-that-does-not-parse"])
def test_repair_fixes_a_static_problem_with_the_code_and_the_problem_in_the_prompt(broken, shown):
    answers = full_run()
    answers.insert(5, broken)
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(repair_attempts=2))
    first = result.modules[0]
    assert first.problems == [] and first.validation == "passed" and first.attempts == 2
    repair_prompt = runtime.history[6].messages[-1]["content"]
    assert all(text in repair_prompt for text in shown)


def test_static_problems_are_regenerated_without_the_code_when_validation_is_off():
    answers = full_run()
    answers.insert(5, UNDEFINED_1)
    runtime = ScriptedRuntime(answers)
    result = generate(REQUIREMENT, runtime, GenerationConfig(validate=False))
    assert result.modules[0].problems == [] and result.modules[0].attempts == 2
    retry_prompt = runtime.history[6].messages[-1]["content"]
    assert "filtered_acc, axis=1" not in retry_prompt and "undefined name `filtered_acc`" in retry_prompt


def test_an_input_the_models_spec_made_a_scalar_is_tried_as_an_array_when_the_function_iterates_it():
    code = ("import numpy as np\n\ndef distance(rssi_dbm, n=2.0):\n"
            "    kept = [r for r in rssi_dbm if r > -100]\n    return 10 ** ((-59.0 - np.median(kept)) / (10 * n))\n")

    def judged(from_requirement: bool):
        spec = TaskSpec(task_id=1, target="Distance.", signature=Signature(
            function_name="distance", parameters=["rssi_dbm", "n=2.0"], required=True),
            inputs=[Param(name="rssi_dbm", type="float, dBm", from_requirement=from_requirement),
                    Param(name="n", type="float")], outputs=[])
        module = CodeModule(task_id=1, function_name="distance", code=code)
        return validate_steps([(TASK, spec, module)], timeout=5, call_last=True)

    assert judged(from_requirement=False).status == "passed"  # the model guessed the type: readings, not one
    failed = judged(from_requirement=True)  # the user said it is one value: the code is wrong
    assert failed.status == "failed" and "'float' object is not iterable" in failed.problem


def test_the_users_example_values_are_the_sample_inputs_arrays_as_numpy_arrays():
    spec = TaskSpec(task_id=1, target="t", signature=Signature(
        function_name="life", parameters=["capacity", "phases", "acc"], required=True), inputs=[
        Param(name="capacity", type="float", from_requirement=True),
        Param(name="phases", type="list[tuple[float, float]]", example="[(0.004, 895.0), (12.0, 4.5)]"),
        Param(name="acc", type="np.ndarray, shape (N, 3)", example="[[0.0, 0.0, 9.8]]")], outputs=[])
    source = harness_source([(TASK, spec, CodeModule(task_id=1, function_name="life", code=""))], call_last=True)
    assert "'phases': [(0.004, 895.0), (12.0, 4.5)]" in source
    assert "'acc': _np.array([[0.0, 0.0, 9.8]])" in source
    code = "def life(capacity, phases, acc):\n    return capacity / sum(i * t for i, t in phases) * acc.shape[1]\n"
    module = CodeModule(task_id=1, function_name="life", code=code)
    assert validate_steps([(TASK, spec, module)], timeout=5, call_last=True).status == "passed"


def test_python_container_annotations_get_python_values_and_records_get_rising_fields():
    import numpy as np

    namespace = {"_rng": np.random.default_rng(0), "_np": np}
    packets = eval(sample_expression(Param(name="packets", type="list[tuple[int, float, float]]")), namespace)
    assert isinstance(packets, list) and len(packets) == 64 and packets[:2] == [(0, 0.1, 0.15), (1, 0.2, 0.25)]
    values = eval(sample_expression(Param(name="values", type="list[int]")), namespace)
    assert isinstance(values, list) and all(isinstance(v, int) for v in values)
    spread = eval(sample_expression(Param(name="spread", type="tuple[float, ...]")), namespace)
    assert isinstance(spread, tuple) and len(spread) == 2048
    records = eval(sample_expression(Param(name="records", type="list[dict]")), namespace)
    assert len(records) == 64 and records[1]["ts"] - records[0]["ts"] == 60 and isinstance(records[0]["meta"], dict)
    scales = eval(sample_expression(Param(name="scales", type="dict[str, float]")), namespace)
    assert len(scales) == 8 and all(isinstance(k, str) and isinstance(v, float) for k, v in scales.items())
    tasks = eval(sample_expression(Param(name="tasks", type="list[dict], keys 'name' str, 'priority' int, 'C'")))
    assert len(tasks) == 64 and tasks[1] == {"name": "sensor1", "priority": 1, "C": 2}
    labels = eval(sample_expression(Param(name="labels", type="list[str], length n_samples")), namespace)
    assert set(labels) <= set(scales)  # a label looks its value up: MET values per activity
    spec = TaskSpec(task_id=1, target="t", signature=Signature(function_name="encode", parameters=["values"],
                    required=True), inputs=[Param(name="values", type="list[int]", from_requirement=True)], outputs=[])
    code = "def encode(values):\n    if not values:\n        return b''\n    return bytes(v % 256 for v in values)\n"
    module = CodeModule(task_id=1, function_name="encode", code=code)
    assert validate_steps([(TASK, spec, module)], timeout=5, call_last=True).status == "passed"


def test_nested_number_lists_are_lists_of_rows_and_lists_of_arrays_hold_arrays():
    import numpy as np

    namespace = {"_rng": np.random.default_rng(0), "_np": np}
    covariance = eval(sample_expression(Param(name="P_a", type="list[list[float]], shape (n, n)")), namespace)
    assert isinstance(covariance, list) and isinstance(covariance[0], list) and len(covariance) == len(covariance[0])
    assert np.all(np.linalg.eigvalsh(np.array(covariance)) > 0), "a covariance is positive definite"
    rows = eval(sample_expression(Param(name="rows", type="list[list[int]]")), namespace)
    assert isinstance(rows[0], list) and all(isinstance(v, int) for v in rows[0])
    layers = eval(sample_expression(Param(name="weights", type="list[np.ndarray]")), namespace)
    assert isinstance(layers, list) and len(layers) > 1 and all(isinstance(w, np.ndarray) for w in layers)
    assert isinstance(eval(sample_expression(Param(name="w", type="tuple[np.ndarray, ...]")), namespace), tuple)


def test_only_the_guessed_scalar_the_failing_line_measures_is_tried_as_an_array():
    code = ("import numpy as np\n\ndef moving_rms(x, fs, window_s):\n"
            "    if window_s <= 0 or window_s > len(x):\n        raise ValueError('bad window')\n"
            "    n = max(1, int(round(window_s * fs)))\n"
            "    return np.sqrt(np.convolve(np.asarray(x, float) ** 2, np.ones(n) / n, 'same'))\n")
    spec = TaskSpec(task_id=1, target="RMS.", signature=Signature(
        function_name="moving_rms", parameters=["x", "fs", "window_s"], required=True),
        inputs=[Param(name="x", type="int"), Param(name="fs", type="float, Hz", from_requirement=True),
                Param(name="window_s", type="float, seconds")], outputs=[])
    module = CodeModule(task_id=1, function_name="moving_rms", code=code)
    # all guessed scalars as arrays would make `window_s <= 0` ambiguous; only `x`, which len() measures
    assert validate_steps([(TASK, spec, module)], timeout=5, call_last=True).status == "passed"


def test_guessed_scalars_become_arrays_one_failing_line_at_a_time():
    code = ("import numpy as np\n\ndef track(lat, lon, t):\n    if len(lat) < 2:\n        raise ValueError('short')\n"
            "    steps = [abs(b - a) for a, b in zip(lon[:-1], lon[1:])]\n"
            "    return float(np.sum(steps)) + float(np.ptp(np.asarray(lat)))\n")
    spec = TaskSpec(task_id=1, target="Track.", signature=Signature(
        function_name="track", parameters=["lat", "lon", "t"], required=True),
        inputs=[Param(name="lat", type="float"), Param(name="lon", type="float"), Param(name="t", type="float")],
        outputs=[])
    module = CodeModule(task_id=1, function_name="track", code=code)
    assert validate_steps([(TASK, spec, module)], timeout=5, call_last=True).status == "passed"


def test_a_guessed_scalar_tried_as_an_array_that_then_fails_otherwise_reports_that_failure():
    """Telling the repair model that a float has no len() would point it the wrong way."""
    code = ("import numpy as np\n\ndef level(x, gain):\n    if len(x) < 2:\n        raise ValueError('short')\n"
            "    return float(np.mean(x)) + gain.upper()\n")
    spec = TaskSpec(task_id=1, target="Level.", signature=Signature(function_name="level", parameters=["x", "gain"],
                    required=True), inputs=[Param(name="x", type="float"), Param(name="gain", type="float")],
                    outputs=[])
    verdict = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="level", code=code))], timeout=5,
                             call_last=True)
    assert verdict.status == "failed" and "AttributeError" in verdict.problem and "len()" not in verdict.problem


def _judged_on_a_document(code: str) -> Validation:
    spec = TaskSpec(task_id=1, target="t", signature=Signature(function_name="flatten", parameters=["doc: dict"],
                    required=True), inputs=[Param(name="doc", type="dict", from_requirement=True)], outputs=[])
    return validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="flatten", code=code))], timeout=5,
                          call_last=True)


def test_a_dict_input_is_a_nested_json_document_so_code_that_cannot_walk_one_fails():
    walks = ("def flatten(doc, prefix=''):\n    out = {}\n    for k, v in doc.items():\n"
             "        if isinstance(v, dict):\n            out.update(flatten(v, prefix + k + '.'))\n"
             "        else:\n            out[prefix + k] = v\n    return out\n")
    assert _judged_on_a_document(walks).status == "passed"
    every_value_a_dict = "def flatten(doc):\n    return {k + '.' + j: w for k, v in doc.items() for j, w in v.items()}\n"
    assert _judged_on_a_document(every_value_a_dict).status == "failed"


def test_a_key_the_sample_document_lacks_makes_the_verdict_inconclusive_not_failed():
    verdict = _judged_on_a_document("def flatten(doc):\n    return {'t': doc['timestamp']}\n")
    assert verdict.status == "inconclusive" and "KeyError" in verdict.problem


def test_a_count_bounded_by_a_small_dimension_is_tried_as_one_after_the_function_refuses_three():
    spec = TaskSpec(task_id=1, target="t", signature=Signature(
        function_name="spe", parameters=["train", "n_components"], required=True),
        inputs=[Param(name="train", type="np.ndarray, shape (N, D)", from_requirement=True),
                Param(name="n_components", type="int", from_requirement=True)], outputs=[])
    code = ("import numpy as np\n\ndef spe(train, n_components):\n"
            "    if not 1 <= n_components <= train.shape[1] - 1:\n        raise ValueError('n_components not in 1..D-1')\n"
            "    return float(np.var(train[:, :n_components]))\n")
    module = CodeModule(task_id=1, function_name="spe", code=code)
    verdict = validate_steps([(TASK, spec, module)], timeout=5, call_last=True,
                             requirement="Raise ValueError if n_components is not in 1..D-1.")
    assert dimension_sizes([spec.inputs[0].type])["d"] == 3 and verdict.status == "passed"


HR_TASK = Task(id=1, title="Heart rate", description="Heart rate from a PPG.", inputs=["ppg", "fs"], outputs=["bpm"])
HR_SPEC = TaskSpec(task_id=1, target="Estimate the heart rate.",
                   signature=Signature(function_name="estimate_heart_rate", parameters=["ppg", "fs"], required=True),
                   inputs=[Param(name="ppg", type="np.ndarray, shape (n_samples,)", from_requirement=True),
                           Param(name="fs", type="float, Hz", from_requirement=True)],
                   outputs=[Param(name="bpm", type="float, BPM")])


def _heart_rate(code: str, datasets: tuple[str, ...] = ()) -> Validation:
    module = CodeModule(task_id=1, function_name="estimate_heart_rate", code=code)
    return validate_steps([(HR_TASK, HR_SPEC, module)], timeout=20, datasets=datasets)


ASSUMES_ZERO_MEAN = ("import numpy as np\n\ndef estimate_heart_rate(ppg, fs):\n    x = np.asarray(ppg, dtype=float)\n"
                     "    if x.min() >= 0:\n        raise ValueError('expected a zero-mean signal')\n"
                     "    return 60.0 * len(x) / len(x)\n")
PEAK_COUNT = ("import numpy as np\nfrom scipy.signal import find_peaks\n\ndef estimate_heart_rate(ppg, fs):\n"
              "    x = np.asarray(ppg, dtype=float)\n    peaks, _ = find_peaks(x - x.mean(), distance=int(0.33 * fs))\n"
              "    return 60.0 * len(peaks) / (len(x) / fs)\n")


def test_with_example_data_chosen_a_step_that_refuses_the_real_recording_fails_validation():
    assert _heart_rate(ASSUMES_ZERO_MEAN).status == "passed"
    refused = _heart_rate(ASSUMES_ZERO_MEAN, datasets=("ppg",))
    assert refused.status == "failed"
    assert "example data (`load_ppg()`)" in refused.problem and "zero-mean" in refused.problem


def test_a_step_that_works_on_the_example_data_passes_and_its_digest_covers_that_run():
    on_samples, on_example = _heart_rate(PEAK_COUNT), _heart_rate(PEAK_COUNT, datasets=("ppg",))
    assert on_samples.status == on_example.status == "passed"
    assert on_example.fingerprint and on_example.fingerprint != on_samples.fingerprint
    assert _heart_rate(PEAK_COUNT, datasets=("basic_motions",)) == on_samples  # nothing there fits (ppg, fs)


def test_the_harness_takes_the_inputs_the_example_data_gives_and_samples_the_rest():
    spec = HR_SPEC.model_copy(update={"signature": Signature(
        function_name="estimate_heart_rate", parameters=["ppg", "fs", "window_s"], required=True), "inputs": [
        *HR_SPEC.inputs, Param(name="window_s", type="float, seconds", from_requirement=True)]})
    steps = [(HR_TASK, spec, CodeModule(task_id=1, function_name="estimate_heart_rate", code=PEAK_COUNT))]
    example = example_inputs(steps, False, ("ppg",))
    assert example is None  # window_s has no value in the recording
    spec.signature.parameters[-1] = "window_s=8.0"
    example = example_inputs(steps, False, ("ppg",))
    source = harness_source(steps, variant=InputVariant(example=example))
    assert "from jupyter_iotcoder.sensors import load_ppg" in source
    assert "'ppg': _example.signal, 'fs': _example.fs, 'window_s': 8.0" in source


def test_numbers_rise_along_a_fixed_tuple_so_a_band_is_not_empty():
    assert sample_expression(Param(name="band", type="tuple[float, float]")) == "(1.0, 2.0,)"
    assert sample_expression(Param(name="shape", type="tuple[int, int]")) == "(3, 4,)"
    assert sample_expression(Param(name="tag", type="tuple[str, float]")) == "('sensor', 2.0,)"


def test_bytes_get_the_length_their_type_or_description_states():
    import numpy as _np

    _rng = _np.random.default_rng(0)
    packet = eval(sample_expression(Param(name="packet", type="bytes, 48 bytes")))
    assert isinstance(packet, bytes) and len(packet) == 48
    frame = eval(sample_expression(Param(name="frame", type="bytes", description="one 300-byte frame")))
    assert len(frame) == 300
    assert eval(sample_expression(Param(name="frame", type="bytes"))) == bytes(range(16))


def test_a_list_of_payloads_gets_packets_of_the_stated_length():
    import numpy as _np

    names = {"_rng": _np.random.default_rng(0)}  # a comprehension sees globals only
    frames = eval(sample_expression(Param(name="frames", type="list[bytes], 4 bytes each")), names)
    assert isinstance(frames, list) and len(frames) > 8 and all(isinstance(f, bytes) and len(f) == 4 for f in frames)
    assert len(set(frames)) > 1, "distinct packets"
    assert all(len(f) == 16 for f in eval(sample_expression(Param(name="frames", type="list[bytes]")), names))


def test_a_square_matrix_over_one_letter_is_pairwise_symmetric_and_distances_have_a_zero_diagonal():
    import numpy as _np

    _rng = _np.random.default_rng(0)
    sizes = dimension_sizes(["np.ndarray, shape (N, N), metres", "np.ndarray, shape (K, 2)"])
    assert sizes["n"] == 16
    scope = {"_np": _np, "_rng": _rng}  # as in the harness: module globals, which the lambda sees
    dist = eval(sample_expression(Param(name="dist", type="np.ndarray, shape (N, N), metres"), sizes), scope)
    assert dist.shape == (16, 16) and _np.allclose(dist, dist.T) and _np.all(_np.diag(dist) == 0)
    assert _np.all(dist[~_np.eye(16, dtype=bool)] > 0)
    weights = eval(sample_expression(Param(name="adjacency", type="np.ndarray, shape (S, S)")), scope)
    assert weights.shape == (16, 16) and _np.allclose(weights, weights.T)


def test_anchor_positions_beside_a_pairwise_matrix_are_a_few_nodes_with_in_range_distinct_indices():
    import numpy as _np

    types = {"dist": "np.ndarray, shape (N, N), metres", "anchor_idx": "list[int]",
             "anchor_xy": "np.ndarray, shape (K, 2), metres"}
    sizes = dimension_sizes(list(types.values()))
    assert sizes["k"] == 4 and sizes["n"] == 16
    scope = {"_np": _np, "_rng": _np.random.default_rng(0)}
    values = {name: eval(sample_expression(Param(name=name, type=kind), sizes), scope) for name, kind in types.items()}
    assert values["anchor_xy"].shape == (4, 2)
    assert isinstance(values["anchor_idx"], list) and len(values["anchor_idx"]) == 4
    assert len(set(values["anchor_idx"])) == 4 and max(values["anchor_idx"]) < 16
    as_array = eval(sample_expression(Param(name="anchor_indices", type="np.ndarray of int, shape (K,)"), sizes), scope)
    assert isinstance(as_array, _np.ndarray) and as_array.tolist() == values["anchor_idx"]
    assert "range(0, 16" not in sample_expression(Param(name="anchor_idx", type="list[int]")), "no matrix: no nodes"


@pytest.mark.parametrize("name,sample", [
    ("hop", "3"), ("n_train", "3"), ("min_points", "3"), ("window", "32"), ("frame_len", "32"), ("dt", "1.0"),
    ("enter_std", "1.0"), ("wavelength", "1.0"), ("fs", "50"), ("x", "_rng.normal(size=2048)"),
    ("readings", "_rng.normal(size=2048)"), ("rssi_dbm", "_rng.normal(size=2048)"), ("tolerance_s", "1.0"),
    ("adc_bits", "12"), ("counts", "_rng.poisson(20.0, size=(2048,)).astype(float)"),
])
def test_a_parameter_nobody_typed_is_a_setting_unless_its_name_is_the_datas(name, sample):
    from jupyter_iotcoder.schema import UNTYPED

    assert sample_expression(Param(name=name, type=UNTYPED)) == sample


def test_complex_arrays_are_complex_and_integer_index_arrays_rise():
    import numpy as _np

    _rng = _np.random.default_rng(0)
    sizes = dimension_sizes(["np.ndarray, shape (n_packets, n_subcarriers), complex",
                             "np.ndarray of int, shape (n_subcarriers,)"])
    csi = eval(sample_expression(Param(name="csi", type="np.ndarray, shape (n_packets, n_subcarriers), complex"),
                                 sizes))
    assert _np.iscomplexobj(csi) and csi.shape == (2048, 30)
    index = eval(sample_expression(Param(name="subcarrier_idx", type="np.ndarray of int, shape (n_subcarriers,)"),
                                   sizes))
    assert index.shape == (30,) and _np.all(_np.diff(index) > 0)
    counts = eval(sample_expression(Param(name="counts", type="np.ndarray of int, shape (n_subcarriers,)"), sizes))
    assert not _np.all(_np.diff(counts) > 0)


def test_the_example_data_judges_a_users_function_that_refused_sample_inputs_from_the_users_words():
    needs_25_s = PEAK_COUNT.replace("    x = np.asarray(ppg, dtype=float)\n",
                                    "    x = np.asarray(ppg, dtype=float)\n    if len(x) < 2400:\n"
                                    "        raise ValueError('the PPG must hold at least 2400 samples')\n")
    on_samples = _heart_rate(needs_25_s)
    assert on_samples.status == "failed" and "rejected inputs that match the requirement" in on_samples.problem
    assert _heart_rate(needs_25_s, datasets=("ppg",)).status == "passed"


def test_covariance_like_square_matrices_are_positive_definite():
    import numpy as _np

    scope = {"_np": _np, "_rng": _np.random.default_rng(0)}
    sizes = dimension_sizes(["np.ndarray, shape (n, n)", "np.ndarray, shape (n,)"])
    covariance = eval(sample_expression(Param(name="P_a", type="np.ndarray, shape (n, n)"), sizes), scope)
    assert _np.allclose(covariance, covariance.T) and _np.all(_np.linalg.eigvalsh(covariance) > 0)


def test_probabilities_are_drawn_inside_zero_and_one_and_powers_are_not_probabilities():
    import numpy as _np

    scope = {"_np": _np, "_rng": _np.random.default_rng(0)}
    sizes = dimension_sizes(["np.ndarray, shape (T, M)", "np.ndarray, shape (M,)"])
    p_detect = eval(sample_expression(Param(name="p_detect", type="np.ndarray, shape (M,)"), sizes), scope)
    assert p_detect.shape == (8,) and _np.all((p_detect > 0) & (p_detect < 1))
    assert 0 < float(sample_expression(Param(name="prior", type="float"))) < 1
    assert 0 < float(sample_expression(Param(name="gate", type="float", description="detection probability"))) < 1
    assert sample_expression(Param(name="p_tx", type="float", description="transmit power in dBm")) == "1.0"


def test_filter_coefficients_are_short_and_the_denominator_is_stable():
    import numpy as _np
    from scipy.signal import lfilter

    scope = {"_np": _np, "_rng": _np.random.default_rng(0)}
    b = eval(sample_expression(Param(name="b", type="np.ndarray, shape (n_samples,)",
                                     description="numerator coefficients")), scope)
    a = eval(sample_expression(Param(name="a", type="np.ndarray, shape (n_samples,)",
                                     description="denominator coefficients, a[0] != 0")), scope)
    assert len(b) <= 8 and a[0] != 0 and _np.all(_np.abs(_np.roots(a)) < 1)
    assert _np.all(_np.isfinite(lfilter(b, a, _np.ones(10_000))))
    acceleration = eval(sample_expression(Param(name="a", type="np.ndarray, shape (n_samples,)",
                                                description="acceleration in m/s^2")), scope)
    assert acceleration.shape == (2048,)


def test_nan_gaps_include_a_leading_reading_and_bursts_so_neighbour_lookups_are_exercised():
    spec = _users_function([Param(name="filled", type="np.ndarray, shape (n_samples,)", from_requirement=True)],
                           returns="np.ndarray")
    left_neighbour = ("import numpy as np\n\ndef smooth(x, n):\n    x = np.array(x, dtype=float)\n"
                      "    for i in np.flatnonzero(np.isnan(x)):\n"
                      "        x[i] = x[:i][~np.isnan(x[:i])][-1]\n    return x\n")
    result = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=left_neighbour))],
                            timeout=5, requirement=GAPPY)
    assert result.status == "failed" and "IndexError" in result.problem
    guarded = left_neighbour.replace("        x[i] = x[:i][~np.isnan(x[:i])][-1]",
                                     "        before = x[:i][~np.isnan(x[:i])]\n"
                                     "        x[i] = before[-1] if len(before) else np.nan")
    assert validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="smooth", code=guarded))],
                          timeout=5, requirement=GAPPY).status == "passed"


def test_a_tuple_the_user_annotated_is_not_checked_as_the_one_array_the_spec_made_of_it():
    """ed-int8-symmetric-quant: `-> tuple[np.ndarray, float]`, one output `q` "same shape as weights"."""
    spec = _users_function([Param(name="q", type="np.ndarray, int8, same shape as x", from_requirement=True)],
                           returns="tuple[np.ndarray, float]")
    pair = "import numpy as np\n\ndef smooth(x, n):\n    return np.round(np.asarray(x)).astype(np.int8), 0.5\n"
    assert _run(spec, pair).status == "passed"
    assert "says 2 results" in _run(spec, "def smooth(x, n):\n    return x\n").problem


def test_a_plan_step_must_also_take_the_sampling_rate_as_a_float():
    spec = TaskSpec(task_id=1, target="Median of the first 2 s.",
                    signature=Signature(function_name="baseline", parameters=["x", "fs"]),
                    inputs=[Param(name="x", type="np.ndarray, shape (n_samples,)"), Param(name="fs", type="float, Hz")],
                    outputs=[Param(name="level", type="float")])
    slices = "import numpy as np\n\ndef baseline(x, fs):\n    return float(np.median(x[: 2 * fs]))\n"
    result = validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="baseline", code=slices))], timeout=5)
    assert result.status == "failed" and "the sampling rate as the float 50.0" in result.problem, result.problem
    rounds = slices.replace("2 * fs", "int(2 * fs)")
    assert validate_steps([(TASK, spec, CodeModule(task_id=1, function_name="baseline", code=rounds))],
                          timeout=5).status == "passed"


def test_a_stated_string_value_is_the_sample_and_a_name_ending_in_a_unit_is_one_number():
    assert sample_expression(Param(name="byte_order", type="str, e.g. 'little_endian'")) == "'little_endian'"
    for name in ("rtt_ms", "uplink_bps", "input_bytes"):
        assert sample_expression(Param(name=name, type="as in the requirement")) == "1.0", name
    assert sample_expression(Param(name="readings", type="as in the requirement")).startswith("_rng.normal(")


def test_spikes_in_readings_that_are_all_positive_keep_them_positive():
    import numpy as np

    namespace = {"_np": np}
    exec(_INPUT_HELPERS, namespace)
    rr_ms = np.random.default_rng(0).normal(800.0, 50.0, size=300)
    spiked = namespace["_with_spikes"](rr_ms)
    assert spiked.min() > 0 and spiked.max() > 800 + 40 * 50 and spiked.min() < 800 - 10 * 50
    signed = namespace["_with_spikes"](np.random.default_rng(0).normal(size=300))
    assert signed.min() < -15


def test_adc_codes_counts_and_sizes_are_sampled_as_the_whole_numbers_they_are():
    import numpy as np

    namespace = {"_rng": np.random.default_rng(0), "_np": np}
    codes = eval(sample_expression(Param(name="adc_codes", type="np.ndarray, shape (n_samples,)")), namespace)
    assert codes.min() > 0 and codes.max() < 4095
    sizes = eval(sample_expression(Param(name="out_bytes", type="np.ndarray, shape (n_samples,)")), namespace)
    assert sizes.min() >= 0 and np.all(sizes == np.floor(sizes))


def test_an_mqtt_topic_matcher_that_gets_a_specification_example_wrong_fails_validation():
    requirement = ("Write matches(topic_filter: str, topic: str) -> bool that says whether an MQTT subscription filter "
                   "with the '+' and '#' wildcards matches a topic.")
    spec = _users_spec("matches", {"topic_filter": "str", "topic": "str"}, {"matched": "bool"})
    spec = spec.model_copy(update={"signature": find_required_signature(requirement)})  # `-> bool` as the user wrote it
    prefix = "def matches(topic_filter, topic):\n    return topic.startswith(topic_filter.rstrip('#+/'))\n"
    failed = _run(spec, prefix, requirement)
    assert failed.status == "failed" and "under MQTT's rules" in failed.problem, failed.problem
    levels = ("def matches(topic_filter, topic):\n    f, t = topic_filter.split('/'), topic.split('/')\n"
              "    for i, level in enumerate(f):\n        if level == '#':\n            return True\n"
              "        if i >= len(t) or level not in ('+', t[i]):\n            return False\n"
              "    return len(f) == len(t)\n")
    assert _run(spec, levels, requirement).status == "passed"
