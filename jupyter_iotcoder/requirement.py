"""The pipeline's entrance: check a requirement before any model time is spent on it."""

from __future__ import annotations

import re
import unicodedata

from .config import GenerationConfig
from .errors import RequirementError

EXAMPLE = ("e.g. 'Count steps from a wrist-worn 3-axis accelerometer at 50 Hz; "
           "write count_steps(acc, fs) returning the number of steps.'")

# Words that mark a request for sensing, data-processing or device code. A
# requirement with none of them is most likely not something to generate code for.
_TOPIC_WORDS = set("""
sensor sensors sensing data dataset signal signals device devices iot embedded firmware accelerometer gyroscope
magnetometer imu temperature humidity pressure rssi wifi csi ble bluetooth uwb radar mmwave lidar ecg ppg eeg emg
heart heartbeat breathing respiration audio microphone sound acoustic vibration gps location localisation
localization position tracking classify classification classifier detect detection detector estimate estimation
predict prediction forecast filter filtering fft spectrum spectrogram frequency hz khz mhz sample samples sampling
window windows feature features model train training function functions python code script program compute
calculate parse parser packet packets mqtt protocol modbus esp32 arduino raspberry mcu microcontroller edge energy
power battery voltage current meter metering anomaly anomalies monitor monitoring count counting step steps gait
fall activity occupancy camera light co2 gas soil moisture timestamp timestamps series array numpy csv json
stream streaming smoothing noise peak peaks threshold pipeline algorithm
""".split())

_INJECTION = re.compile(r"ignore (all |any |the )?(previous|prior|above) (instructions|rules)|system prompt", re.I)


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0  # no language to judge: not "non-English", and the topic check still applies
    return sum("LATIN" in unicodedata.name(c, "") for c in letters) / len(letters)


def check_requirement(text: str, config: GenerationConfig) -> tuple[str, list[str]]:
    """Return the cleaned requirement and warnings for the user; raise RequirementError if unusable."""
    cleaned = "".join(c for c in (text or "") if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if not cleaned:
        raise RequirementError(f"The requirement is empty: describe the IoT application to build, {EXAMPLE}")
    if len(cleaned) > config.max_requirement_chars:
        raise RequirementError(
            f"The requirement is {len(cleaned)} characters long; the limit is {config.max_requirement_chars} "
            "so that it fits the model's context with room for the answer. Shorten it to the essentials "
            "(sensors, sampling rate, what to compute, target device), or split it into several requirements."
        )
    warnings = []
    latin = _latin_share(cleaned)
    if latin < 0.5:
        warnings.append("The requirement is not written in English: the local models work best in English, "
                        "and the plan and code will be in English.")
    words = set(re.findall(r"[a-z0-9]+", cleaned.lower()))
    if latin >= 0.5 and not (words & _TOPIC_WORDS) and not config.allow_off_topic:
        raise RequirementError(
            "This does not look like a request for IoT or data-processing code, so no model time was spent "
            f"on it. Describe the sensors, the data and what to compute, {EXAMPLE} "
            "(or pass --allow-off-topic to try anyway)."
        )
    if _INJECTION.search(cleaned):
        warnings.append("The requirement contains text that reads like instructions to the model; "
                        "it is treated as data describing the application, not as instructions.")
    return cleaned, warnings


def with_available_data(requirement: str, datasets: tuple[str, ...]) -> str:
    """The requirement as the models see it: followed by the example data the notebook can load, if any."""
    if not datasets:
        return requirement
    from .prompts import render
    from .sensors import describe_datasets

    try:
        described = describe_datasets(datasets)
    except ValueError as exc:
        raise RequirementError(str(exc)) from exc
    return render("available_data.md", requirement=requirement, datasets=described)
