"""Example sensor data: the real recordings load in the documented shapes, the synthetic ones follow their physics."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_iotcoder import sensors
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.errors import RequirementError
from jupyter_iotcoder.pipeline import generate
from jupyter_iotcoder.requirement import with_available_data
from jupyter_iotcoder.sensors import example_arguments
from scripted_answers import REQUIREMENT, full_run

from conftest import ScriptedRuntime


def test_basic_motions_loads_time_major_windows_with_four_activities():
    data = sensors.load_basic_motions()
    assert data.x_train.shape == (40, 100, 6) and data.x_test.shape == (40, 100, 6)
    assert data.classes == ["Badminton", "Running", "Standing", "Walking"]
    assert data.fs == 10.0 and len(data.y_test) == 40
    running = data.x_train[data.y_train == "Running", :, :3].std()
    standing = data.x_train[data.y_train == "Standing", :, :3].std()
    assert running > 3 * standing


def test_ppg_recording_has_a_plausible_heart_rate_by_heartpy():
    ppg = sensors.load_ppg()
    assert ppg.signal.ndim == 1 and ppg.fs == 100.0 and len(ppg.signal) == 2483
    assert 40 < sensors.ppg_reference_bpm(ppg) < 120


def test_wifi_csi_breathing_shows_up_at_the_breathing_rate():
    csi = sensors.synth_wifi_csi(duration_s=90.0, breathing_bpm=18.0, seed=1)
    breathing = csi.amplitude[csi.activity == "breathing"]
    signal = breathing.mean(axis=1) - breathing.mean()
    spectrum = np.abs(np.fft.rfft(signal))
    freqs = np.fft.rfftfreq(len(signal), 1 / csi.fs)
    band = (freqs > 0.1) & (freqs < 1.0)
    assert freqs[band][np.argmax(spectrum[band])] == pytest.approx(18.0 / 60.0, abs=0.05)
    assert csi.amplitude[csi.activity == "motion"].std(axis=0).mean() > \
        csi.amplitude[csi.activity == "empty"].std(axis=0).mean()


def test_ble_rssi_follows_log_distance_path_loss():
    rec = sensors.synth_ble_rssi(duration_s=600.0, shadowing_db=2.0, seed=2)
    distance = np.linalg.norm(rec.positions_m[:, None] - rec.beacons_m[None], axis=2)
    seen = ~np.isnan(rec.rssi_dbm)
    slope, intercept = np.polyfit(np.log10(distance[seen]), rec.rssi_dbm[seen], 1)
    assert slope == pytest.approx(-10 * rec.path_loss_exponent, abs=1.5)
    assert intercept == pytest.approx(rec.tx_power_dbm, abs=2.0)
    assert 0.05 < (~seen).mean() < 0.15


def test_environment_co2_rises_with_occupancy_and_faults_are_marked():
    env = sensors.synth_environment(days=2.0, seed=3)
    quiet = env.co2_ppm[(env.occupants == 0) & ~env.anomaly]
    busy = env.co2_ppm[(env.occupants >= 5) & ~env.anomaly]
    assert np.median(quiet) < 600 < np.median(busy)
    assert env.anomaly.any() and not env.anomaly.all()


def test_unknown_dataset_names_raise_a_clear_error():
    with pytest.raises(RequirementError, match="unknown example data.*basic_motions"):
        with_available_data("Classify activities.", ("imu_set",))


def test_available_data_reaches_the_decomposition_prompt_but_not_the_stored_requirement():
    runtime = ScriptedRuntime(full_run())
    result = generate(REQUIREMENT, runtime, GenerationConfig(available_data=("basic_motions",)))
    decompose_prompt = runtime.history[0].messages[-1]["content"]
    assert "load_basic_motions()" in decompose_prompt and REQUIREMENT.strip() in decompose_prompt
    codegen_prompt = runtime.history[5].messages[-1]["content"]
    assert "load_basic_motions()" in codegen_prompt
    assert result.requirement == REQUIREMENT.strip()
    assert result.available_data == ["basic_motions"]


def test_without_available_data_the_requirement_is_unchanged():
    assert with_available_data("Count steps.", ()) == "Count steps."


def test_example_arguments_bind_parameters_by_attribute_alias_or_rate_name():
    har = example_arguments(("basic_motions",), ["x_train", "y_train", "x_test"])
    assert har.loader == "load_basic_motions"
    assert har.attributes == (("x_train", "x_train"), ("y_train", "y_train"), ("x_test", "x_test"))
    ppg = example_arguments(("basic_motions", "ppg"), ["ppg", "sampling_rate"], ["order"])
    assert ppg.loader == "load_ppg" and ppg.attributes == (("ppg", "signal"), ("sampling_rate", "fs"))
    assert ppg.expression("ppg", "data") == "data.signal" and ppg.expression("order", "data") is None
    assert example_arguments(("ppg",), ["ppg", "cutoff_hz"]) is None
    assert example_arguments(("no_such_data",), ["ppg"]) is None
    assert example_arguments(("ppg",), []) is None


def test_example_arguments_load_the_values_they_name():
    scope: dict = {}
    example = example_arguments(("ppg",), ["ppg", "fs"])
    exec(example.setup("data"), scope)
    values = {name: eval(example.expression(name, "data"), scope) for name, _ in example.attributes}
    assert values["ppg"].shape == (2483,) and values["fs"] == 100.0


def test_the_chosen_example_data_reaches_every_validation(monkeypatch):
    from jupyter_iotcoder import codegen, consensus

    seen = []

    def recording(validate):
        def wrapper(*args, **kwargs):
            seen.append(kwargs.get("datasets"))
            return validate(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(codegen, "validate_steps", recording(codegen.validate_steps))
    monkeypatch.setattr(consensus, "validate_steps", recording(consensus.validate_steps))
    generate(REQUIREMENT, ScriptedRuntime(full_run()), GenerationConfig(available_data=("ppg",)))
    assert seen and all(datasets == ("ppg",) for datasets in seen)
