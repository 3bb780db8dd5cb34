"""Stage 2: Task -> TaskSpec, and the user's required signature, with a scripted model."""

from __future__ import annotations

import pytest

from jupyter_iotcoder.calls import StageCaller
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.schema import Param, Signature, StageStats, Task, TaskList
from jupyter_iotcoder.requirement import find_required_signature
from jupyter_iotcoder.transform import (USERS_WORDS_ONLY, name_from_title, step_name, transform, users_function_spec,
                                        with_consistent_outputs, with_sampling_rate, whole_sentences)
from scripted_answers import IO_1, IO_2, PLAN, REQUIREMENT, TARGET_1, TARGET_2

from conftest import ScriptedRuntime


def task_list(requirement: str = REQUIREMENT, n: int = 2) -> TaskList:
    tasks = [Task(id=i, **item) for i, item in enumerate(PLAN["tasks"], start=1)]
    while len(tasks) < n:
        tasks.append(Task(id=len(tasks) + 1, title="Report", description="Report the result.",
                          inputs=["step_count"], outputs=["report"]))
    return TaskList(requirement=requirement, tasks=tasks[:n])


def run(answers, tasks: TaskList | None = None):
    runtime = ScriptedRuntime(answers)
    caller = StageCaller(runtime, "transform", StageStats())
    return transform(tasks or task_list(), caller, GenerationConfig()), runtime


def target(name: str) -> dict:
    return {"target": f"Compute the {name} of the signal.", "function_name": name}


def io(inputs: list[str], outputs: list[str]) -> dict:
    return {"inputs": [{"name": n, "type": "float", "description": ""} for n in inputs],
            "outputs": [{"name": n, "type": "float", "description": ""} for n in outputs]}


# --- transform -----------------------------------------------------------------


def test_final_task_takes_input_types_from_the_requirement_words_over_the_model():
    requirement = "Write count_steps(acc, fs) that takes an (N, 3) array in m/s^2 and the sampling rate in Hz."
    specs, _ = run([TARGET_1, IO_1, target("x"), io(["acc", "fs"], ["n"])], task_list(requirement))
    assert [p.type for p in specs[-1].inputs] == ["np.ndarray, shape (N, 3), m/s^2", "float, Hz"]


def test_a_step_that_works_in_seconds_takes_the_users_sampling_rate():
    requirement = ("Write door_open_intervals(mag_ut, fs): mag_ut is a 1-D array in microtesla sampled at fs Hz; "
                   "the door is open while the field is below half of the median of the first 2 seconds.")
    plan = TaskList(requirement=requirement, tasks=[
        Task(id=1, title="Calculate the median of the first 2 seconds", description="numpy.median of mag_ut.",
             inputs=["mag_ut"], outputs=["median_ut"]),
        Task(id=2, title="Find the open intervals", description="Where mag_ut is below half of median_ut.",
             inputs=["mag_ut", "median_ut"], outputs=["intervals"])])
    specs, _ = run([target("median_first_seconds"), io(["mag_ut"], ["median_ut"]),
                    target("x"), io(["mag_ut", "fs"], ["intervals"])], plan)
    assert specs[0].signature.parameters == ["mag_ut", "fs"]
    assert specs[0].inputs[1].type == "float, Hz" and specs[0].inputs[1].from_requirement


def test_the_sampling_rate_is_added_only_when_needed_and_unambiguous():
    door = Signature(function_name="door", parameters=["mag_ut", "fs"])
    timed = Task(id=1, title="Keep openings of at least 0.5 s", description="Drop short runs.")
    untimed = Task(id=1, title="Decode the sensor id", description="A big-endian uint16.")
    mag = [Param(name="mag_ut", type="np.ndarray")]
    assert [p.name for p in with_sampling_rate(mag, timed, "", door)] == ["mag_ut", "fs"]
    assert with_sampling_rate(mag, untimed, "", door) == mag
    window = [*mag, Param(name="window_s", type="float, seconds")]
    assert [p.name for p in with_sampling_rate(window, untimed, "", door)] == ["mag_ut", "window_s", "fs"]
    assert with_sampling_rate(mag, timed, "", None) == mag, "no user's function, no rate to pass"
    two_rates = Signature(function_name="fuse", parameters=["acc", "gyro", "fs_acc", "fs_gyro"])
    assert with_sampling_rate(mag, timed, "", two_rates) == mag, "which of two rates is unknown"
    rate_given = [*mag, Param(name="sample_rate", type="float")]
    assert with_sampling_rate(rate_given, timed, "", door) == rate_given
    heart = Signature(function_name="alarm", parameters=["heart_rate", "limit"])
    assert with_sampling_rate(mag, timed, "", heart) == mag, "a heart rate is not a sampling rate"


def test_an_earlier_step_consuming_the_users_data_gets_the_users_type_too():
    requirement = "Write count_steps(acc, fs) that takes an (N, 4) array in g and the sampling rate in Hz."
    specs, _ = run([TARGET_1, IO_1, target("x"), io(["acc", "fs"], ["n"])], task_list(requirement))
    assert specs[0].inputs[0].type == "np.ndarray, shape (N, 4)" and specs[0].inputs[0].from_requirement
    assert not specs[0].outputs[0].from_requirement


def test_final_task_result_carries_the_size_the_user_gave_it():
    requirement = ("A soil probe logs moisture every minute. Write despike(moisture, width) that returns a float "
                   "array of the same length with each spike replaced by the local median.")
    specs, _ = run([TARGET_1, IO_1, target("x"), io(["moisture", "width"], ["clean"])], task_list(requirement))
    assert specs[-1].outputs[0].type == "np.ndarray, float, same length as moisture, dtype float as stated"
    assert "same length" not in specs[0].outputs[0].type


def test_final_task_returns_the_one_value_its_return_annotation_names():
    requirement = "Write to_rate(t: np.ndarray, counts: np.ndarray) -> np.ndarray giving pulses per second."
    answer = {"inputs": [{"name": "t", "type": "np.ndarray", "description": ""},
                         {"name": "counts", "type": "np.ndarray", "description": ""}],
              "outputs": [{"name": "valid", "type": "bool", "description": ""},
                          {"name": "rate", "type": "np.ndarray, pulses/s", "description": ""}]}
    specs, _ = run([TARGET_1, IO_1, target("x"), answer], task_list(requirement))
    assert [(p.name, p.type) for p in specs[-1].outputs] == [("rate", "np.ndarray, pulses/s")]
    assert specs[-1].outputs[0].from_requirement  # validation may hold the function to it


def test_of_several_annotated_outputs_the_one_the_requirement_says_it_returns_is_kept():
    requirement = ("Write flag_jumps(x: np.ndarray, window: int) -> np.ndarray that compares each sample with the "
                   "rolling mean; return the flagged indices as a sorted integer array.")
    answer = {"inputs": [{"name": "x", "type": "np.ndarray", "description": ""},
                         {"name": "window", "type": "int", "description": ""}],
              "outputs": [{"name": "rolling_mean", "type": "np.ndarray, degrees C", "description": ""},
                          {"name": "flagged_indices", "type": "np.ndarray, int", "description": ""}]}
    specs, _ = run([TARGET_1, IO_1, target("x"), answer], task_list(requirement))
    assert [p.name for p in specs[-1].outputs] == ["flagged_indices"]


def test_without_an_annotation_the_requirement_words_give_the_result_type():
    requirement = ("Write heart_rate(ppg, fs) that band-pass filters the PPG, detects peaks and returns the heart "
                   "rate in beats per minute (float).")
    answer = {"inputs": [{"name": "ppg", "type": "np.ndarray", "description": ""},
                         {"name": "fs", "type": "float", "description": ""}],
              "outputs": [{"name": "filtered_ppg", "type": "list[float], sample indices", "description": ""}]}
    specs, _ = run([TARGET_1, IO_1, target("x"), answer], task_list(requirement))
    assert specs[-1].outputs[0].type == "float, list[float], sample indices"


@pytest.mark.parametrize("returns,types,expected", [
    ("float", ["np.ndarray, shape (n,)"], [("out0", "float, np.ndarray, shape (n,)")]),
    ("tuple[np.ndarray, float]", ["np.ndarray", "float"], [("out0", "np.ndarray"), ("out1", "float")]),
])
def test_a_single_annotated_result_leads_with_its_type_and_tuples_keep_every_output(returns, types, expected):
    requirement = f"Write f(x: np.ndarray) -> {returns} for the sensor."
    answer = {"inputs": [{"name": "x", "type": "np.ndarray", "description": ""}],
              "outputs": [{"name": f"out{i}", "type": kind, "description": ""} for i, kind in enumerate(types)]}
    specs, _ = run([TARGET_1, IO_1, target("x"), answer], task_list(requirement))
    assert [(p.name, p.type) for p in specs[-1].outputs] == expected
    assert [p.from_requirement for p in specs[-1].outputs] == [len(expected) == 1] * len(expected)


def test_final_task_keeps_a_specific_annotation_over_the_requirement_words():
    requirement = "Write life(phases: list[tuple[float, float]]) where phases is an array in mA."
    specs, _ = run([TARGET_1, IO_1, target("x"), io(["phases"], ["days"])], task_list(requirement))
    assert specs[-1].inputs[0].type == "list[tuple[float, float]]"


def test_final_task_keeps_the_required_signature_exactly():
    specs, _ = run([TARGET_1, IO_1, TARGET_2, IO_2])  # the model proposes find_steps(magnitude, fs)
    final = specs[-1]
    assert final.function_name == "count_steps"
    assert final.signature.parameters == ["acc", "fs"]
    assert final.signature.required is True
    assert [p.name for p in final.inputs] == ["acc", "fs"]
    assert final.inputs[1].type == "float, Hz"  # the model's description where the name matches


def test_final_task_keeps_annotated_required_signature_in_order():
    requirement = "Count steps from accelerometer data: def count_steps(fs: float, acc: np.ndarray) -> int"
    specs, _ = run([TARGET_1, IO_1, target("find_steps"), io(["acc", "magnitude", "fs"], ["n"])],
                   task_list(requirement))
    final = specs[-1]
    assert final.signature.render() == "def count_steps(fs: float, acc: np.ndarray) -> int"
    assert [p.name for p in final.inputs] == ["fs", "acc"]


def test_io_prompt_of_the_final_task_states_the_fixed_signature():
    _, runtime = run([TARGET_1, IO_1, TARGET_2, IO_2])
    assert "def count_steps(acc, fs)" in runtime.history[3].messages[-1]["content"]
    assert "fixed the signature" not in runtime.history[1].messages[-1]["content"]


def test_earlier_function_named_like_the_required_one_is_named_after_its_task_instead():
    specs, _ = run([target("count_steps"), IO_1, TARGET_2, IO_2])
    assert specs[0].function_name == name_from_title(task_list().tasks[0]) != "count_steps"
    assert not specs[0].function_name.startswith("count_steps")
    assert specs[1].function_name == "count_steps"
    for near_miss in ("count_steps_helper", "countsteps", "count_step_s"):
        specs, _ = run([target(near_miss), IO_1, TARGET_2, IO_2])
        assert specs[0].function_name == name_from_title(task_list().tasks[0]), near_miss


def test_a_step_named_like_an_example_data_loader_is_renamed_and_takes_no_loader_argument():
    specs, _ = run([target("load_basic_motions"), io(["load_basic_motions", "fs"], ["x_train"]), TARGET_2, IO_2])
    assert specs[0].function_name == name_from_title(task_list().tasks[0]) != "load_basic_motions"
    assert specs[0].signature.parameters == ["fs"]
    assert [p.name for p in specs[0].inputs] == ["fs"]


def test_step_name_falls_back_to_prepare_when_the_title_is_the_loaders_name_too():
    task = Task(id=1, title="Load PPG", description="The example recording.", outputs=["ppg"])
    assert step_name("load_ppg", task) == "prepare_ppg"
    assert step_name("synth_wifi_csi", task.model_copy(update={"title": "Synth WiFi CSI"})) == "prepare_wifi_csi"
    assert step_name("load_sensor_log", task) == "load_sensor_log"


def test_an_input_named_after_its_own_function_is_dropped():
    specs, _ = run([target("smooth"), io(["smooth", "acc"], ["smoothed"]), TARGET_2, IO_2])
    assert specs[0].signature.parameters == ["acc"]


def test_name_from_title_keeps_the_first_meaningful_words_as_snake_case():
    task = Task(id=2, title="Band-pass filter the raw PPG signal", description="Butterworth, 0.5-4 Hz.",
                inputs=["ppg"], outputs=["filtered"])
    assert name_from_title(task) == "band_pass_filter_ppg"
    assert name_from_title(task.model_copy(update={"title": "3-axis magnitude"})) == "step_3_axis_magnitude"
    assert name_from_title(task.model_copy(update={"title": "The"})) == "step_2"


def test_duplicate_function_names_are_made_unique():
    tasks = task_list("Process accelerometer data in three steps.", n=3)
    specs, _ = run([target("process"), io(["acc"], ["a"]), target("process"), io(["a"], ["b"]),
                    target("process"), io(["b"], ["c"])], tasks)
    assert [s.function_name for s in specs] == ["process", "process_2", "process_3"]


def test_python_keyword_as_a_parameter_name_becomes_name_with_underscore():
    specs, _ = run([TARGET_1, io(["lambda", "acc"], ["magnitude"]), TARGET_2, IO_2])
    assert [p.name for p in specs[0].inputs] == ["lambda_", "acc"]
    assert specs[0].signature.parameters == ["lambda_", "acc"]


def test_duplicate_parameter_names_are_made_unique():
    specs, _ = run([TARGET_1, io(["acc", "acc"], ["magnitude"]), TARGET_2, IO_2])
    assert specs[0].signature.parameters == ["acc", "acc_2"]


def test_io_prompt_lists_outputs_of_earlier_steps_as_available_data():
    _, runtime = run([TARGET_1, IO_1, TARGET_2, IO_2])
    first_io, second_io = runtime.history[1].messages[-1]["content"], runtime.history[3].messages[-1]["content"]
    assert "Data produced by earlier steps: none (this is the first step)" in first_io
    assert "Data produced by earlier steps: magnitude" in second_io


def test_io_prompt_uses_the_target_and_function_name_of_the_first_call():
    _, runtime = run([TARGET_1, IO_1, TARGET_2, IO_2])
    first_io = runtime.history[1].messages[-1]["content"]
    assert TARGET_1["target"] in first_io
    assert "Function name: acceleration_magnitude" in first_io


def test_transform_makes_two_calls_per_task():
    _, runtime = run([TARGET_1, IO_1, TARGET_2, IO_2])
    assert [r.json_schema["required"] for r in runtime.history] == [
        ["target", "function_name"], ["inputs", "outputs"]] * 2


@pytest.mark.parametrize("bad", [{"target": "short", "function_name": "f"}, {"target": "x" * 20}])
def test_invalid_target_answer_is_retried(bad):
    specs, runtime = run([bad, TARGET_1, IO_1, TARGET_2, IO_2])
    assert specs[0].function_name == "acceleration_magnitude"
    assert [r.seed for r in runtime.history[:2]] == [0, 1]


def test_a_spec_cut_off_at_its_token_cap_is_asked_again_with_twice_the_cap():
    import json

    described = [{**IO_1["inputs"][0], "name": f"acc_{i}", "description": "raw samples of the wrist accelerometer, " * 5}
                 for i in range(6)]
    long_io = json.dumps({**IO_1, "inputs": described})  # six described parameters: longer than the io cap

    def model(request):  # the scripted runtime's tokens are 4 characters; the model stops at its cap
        return long_io[: request.max_tokens * 4]

    specs, runtime = run([TARGET_1, model, model, TARGET_2, IO_2])
    first, second = runtime.history[1], runtime.history[2]
    assert len(long_io) > first.max_tokens * 4
    assert second.max_tokens == 2 * first.max_tokens and second.seed == first.seed + 1
    assert [p.name for p in specs[0].inputs] == [f"acc_{i}" for i in range(6)]


def test_the_users_function_gets_a_spec_from_its_signature_when_the_model_gives_no_valid_one():
    required = TaskList(requirement=REQUIREMENT, tasks=[Task(id=1, **PLAN["tasks"][1])])
    specs, runtime = run([TARGET_2, "{not json", "{still not json"], required)
    (spec,) = specs
    assert spec.function_name == "count_steps" and [p.name for p in spec.inputs] == ["acc", "fs"]
    assert spec.inputs[0].type == "np.ndarray, shape (n_samples, 3), m/s^2" and spec.inputs[0].from_requirement
    assert [p.type for p in spec.outputs] == ["as in the requirement"]


def test_a_step_the_user_did_not_name_still_fails_without_a_valid_spec():
    from jupyter_iotcoder.errors import GenerationError

    with pytest.raises(GenerationError, match="not valid JSON"):
        run([TARGET_1, "{not json", "{still not json"])


def test_an_example_value_the_user_gave_reaches_the_spec_of_every_step_that_takes_that_input():
    requirement = ("Write count_steps(acc, fs) where acc is an (N, 3) array in m/s^2, "
                   "e.g. [[0.0, 0.0, 9.8], [0.1, 0.0, 9.7]].")
    specs, _ = run([TARGET_1, IO_1, target("x"), io(["acc", "fs"], ["n"])], task_list(requirement))
    assert [p.example for p in specs[-1].inputs] == ["[[0.0, 0.0, 9.8], [0.1, 0.0, 9.7]]", ""]
    assert specs[0].inputs[0].example == "[[0.0, 0.0, 9.8], [0.1, 0.0, 9.7]]"


def test_the_users_function_spec_from_the_words_alone_types_inputs_and_result():
    requirement = ("Write heart_rate(ppg, fs) that takes the 1-D PPG signal and the sampling rate in Hz and returns "
                   "the heart rate in beats per minute (float).")
    required = find_required_signature(requirement).model_copy(update={"required": True})
    spec = users_function_spec(requirement, required, USERS_WORDS_ONLY)
    assert [p.name for p in spec.inputs] == ["ppg", "fs"] and all(p.from_requirement for p in spec.inputs)
    assert len(spec.outputs) == 1 and spec.outputs[0].type.startswith("float") and spec.outputs[0].from_requirement


def test_what_a_class_method_returns_sets_no_check_on_the_constructed_instance():
    requirement = ("Write a class StreamingIIR(b, a) where b and a are sequences of floats. Its method process(chunk) "
                   "takes a list of floats and returns a list of floats of the same length.")
    required = find_required_signature(requirement).model_copy(update={"required": True})
    assert required.is_class
    spec = users_function_spec(requirement, required, USERS_WORDS_ONLY)
    assert [p.name for p in spec.inputs] == ["b", "a"]
    assert [(p.type, p.from_requirement) for p in spec.outputs] == [(USERS_WORDS_ONLY["outputs"][0]["type"], False)]


def test_the_numpy_type_the_user_gave_the_result_marks_the_array_output_of_their_function():
    requirement = ("Write quantize_int8(weights: np.ndarray) -> tuple[np.ndarray, float] returning q as an int8 array "
                   "together with the float scale.")
    required = find_required_signature(requirement).model_copy(update={"required": True})
    io = {"inputs": [], "outputs": [{"name": "scale", "type": "float", "description": "the scale"},
                                    {"name": "q", "type": "np.ndarray, shape like weights", "description": "codes"}]}
    spec = users_function_spec(requirement, required, io)
    assert [(p.name, p.type, p.from_requirement) for p in spec.outputs] == [
        ("scale", "float", False), ("q", "np.ndarray, shape like weights, dtype int8 as stated", True)]
    plain = users_function_spec("Write peak(x) returning the largest sample.", required, io)
    assert all("dtype" not in p.type for p in plain.outputs)


def test_a_long_description_that_stops_mid_sentence_ends_at_its_last_whole_sentence():
    cut = ("1-D numpy array of field magnitude in microtesla sampled at fs Hz. The door is open while the field is "
           "below half of the median of the first 2 seconds for at least 0.5 s. Raise ValueError if fs <= 0 or")
    assert whole_sentences(cut, len(cut)) == cut[: cut.index(" Raise")]
    assert whole_sentences(cut, len(cut) + 10) == cut[: cut.index(" Raise")], "cut before the limit, by the model"
    assert whole_sentences(cut, 3 * len(cut)) == cut, "a description well under the limit is the model's own"
    assert whole_sentences(cut[: cut.index(" Raise")], len(cut)) == cut[: cut.index(" Raise")]
    assert whole_sentences("x" * 30, 30) == "x" * 30, "no sentence to fall back to"


def test_an_earlier_result_the_plan_feeds_a_step_takes_the_place_of_the_raw_data_the_model_specified():
    tasks = task_list("Count the steps of a wrist accelerometer sampled at 50 Hz.")
    raw_only = {**IO_2, "inputs": [IO_1["inputs"][0], IO_2["inputs"][1]]}  # acc and fs; the plan says magnitude, fs
    specs, _ = run([TARGET_1, IO_1, TARGET_2, raw_only], tasks)
    assert [p.name for p in specs[1].inputs] == ["magnitude", "fs"]
    assert specs[1].signature.parameters == ["magnitude", "fs"]
    assert specs[1].inputs[0] == specs[0].outputs[0], "described as the step that produces it describes it"


def test_an_earlier_result_the_plan_feeds_a_step_is_appended_when_no_unplanned_data_is_there_to_replace():
    tasks = task_list("Count the steps of a wrist accelerometer sampled at 50 Hz.")
    settings_only = {**IO_2, "inputs": [IO_2["inputs"][1]]}  # fs alone: a setting is never replaced
    specs, _ = run([TARGET_1, IO_1, TARGET_2, settings_only], tasks)
    assert [p.name for p in specs[1].inputs] == ["fs", "magnitude"]


def test_a_plan_steps_scalar_output_that_its_own_words_make_an_array_is_typed_as_one():
    inputs = [Param(name="acc", type="np.ndarray, shape (N, 3), m/s^2"), Param(name="fs", type="float, Hz")]
    outputs = [Param(name="cleaned_acc", type="float, m/s^2", description="the cleaned accelerometer data"),
               Param(name="rms", type="float", description="RMS of the magnitude, minus its mean, for each window."),
               Param(name="valid", type="bool"), Param(name="heart_rate", type="float, BPM", description="the rate")]
    fixed = with_consistent_outputs(outputs, inputs)
    assert [p.type for p in fixed] == ["np.ndarray, shape (N, 3), m/s^2", "np.ndarray, one float for each window",
                                       "bool", "float, BPM"]


def test_a_plan_steps_outputs_are_made_consistent_in_its_spec():
    tasks = task_list("Count the steps of a wrist accelerometer sampled at 50 Hz.")
    per_window = {**IO_1, "outputs": [{"name": "magnitude", "type": "float",
                                       "description": "the magnitude of each sample"}]}
    specs, _ = run([TARGET_1, per_window, TARGET_2, IO_2], tasks)
    assert specs[0].outputs[0].type == "np.ndarray, one float of each sample"


def test_a_transformed_input_takes_the_type_the_user_gave_the_input():
    requirement = "Write count_steps(acc, fs): acc is an (N, 3) array in m/s^2 sampled at fs Hz. Return the count."
    tasks = TaskList(requirement=requirement, tasks=[
        Task(id=1, title="Clean the data", description="Remove NaN.", inputs=["acc"], outputs=["cleaned_acc"]),
        Task(id=2, title="Count", description="Count peaks.", inputs=["cleaned_acc", "fs"], outputs=["count"])])
    guessed = {"inputs": [{"name": "acc", "type": "float", "description": "readings"}],
               "outputs": [{"name": "cleaned_acc", "type": "float, m/s^2", "description": "the cleaned data"}]}
    specs, _ = run([TARGET_1, guessed, TARGET_2, IO_2], tasks)
    assert specs[0].outputs[0].type == specs[0].inputs[0].type == "np.ndarray, shape (N, 3), m/s^2"
