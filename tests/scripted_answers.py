"""Model answers for a two-task step counter, as the stages expect them."""

import numpy as np

PLAN = {"tasks": [
    {"title": "Compute the acceleration magnitude", "description": "Euclidean norm of the 3 axes, minus its mean.",
     "inputs": ["acc"], "outputs": ["magnitude"]},
    {"title": "Count the steps", "description": "Peak detection with scipy.signal.find_peaks, 0.3 s minimum distance.",
     "inputs": ["magnitude", "fs"], "outputs": ["step_count"]},
]}

TARGET_1 = {"target": "Compute the gravity-free acceleration magnitude in m/s^2.", "function_name": "acceleration_magnitude"}
IO_1 = {"inputs": [{"name": "acc", "type": "np.ndarray, shape (n, 3), m/s^2", "description": "raw samples"}],
        "outputs": [{"name": "magnitude", "type": "np.ndarray, shape (n,)", "description": "zero-mean magnitude"}]}
TARGET_2 = {"target": "Count the steps in the magnitude signal.", "function_name": "find_steps"}
IO_2 = {"inputs": [{"name": "magnitude", "type": "np.ndarray", "description": "signal"},
                   {"name": "fs", "type": "float, Hz", "description": "sampling rate"}],
        "outputs": [{"name": "step_count", "type": "int", "description": "number of steps"}]}

CODE_1 = '''```python
"""Acceleration magnitude without gravity."""
import numpy as np


def acceleration_magnitude(acc):
    """Return the zero-mean Euclidean norm of each 3-axis sample."""
    acc = np.asarray(acc, dtype=float)
    if acc.ndim != 2 or acc.shape[1] != 3:
        raise ValueError("acc must have shape (n, 3)")
    magnitude = np.linalg.norm(acc, axis=1)
    return magnitude - magnitude.mean()
```
Some trailing prose the model should never get to.'''

CODE_2 = '''```python
"""Step counting by peak detection."""
import numpy as np


def count_steps(acc, fs):
    """Count magnitude peaks at least 0.3 s apart and above 0.5 m/s^2."""
    magnitude = acceleration_magnitude(acc)
    if magnitude.size < 3:
        return 0
    peaks = [i for i in range(1, magnitude.size - 1)
             if magnitude[i] > 0.5 and magnitude[i] >= magnitude[i - 1] and magnitude[i] > magnitude[i + 1]]
    kept = []
    for p in peaks:
        if not kept or p - kept[-1] >= 0.3 * fs:
            kept.append(p)
    return len(kept)
```'''

# Step 2 without step 1: the zero-mean magnitude computed in place (a step counter that gets the known answer).
SELF_CONTAINED_MAGNITUDE = ("magnitude = np.linalg.norm(np.asarray(acc, dtype=float).reshape(len(acc), -1), axis=1)\n"
                            "    magnitude = magnitude - magnitude.mean()")

REQUIREMENT = ("Count steps from a wrist-worn 3-axis accelerometer at 50 Hz; "
               "write count_steps(acc, fs) for acc of shape (n_samples, 3) in m/s^2, returning the number of steps.")


# The user's function written again from the whole requirement (GenerationConfig.alternatives, with validation):
# the same algorithm without the first step, so all three versions agree.
ALTERNATIVE = '''```python
import numpy as np


def count_steps(acc, fs):
    """Count peaks of the zero-mean magnitude at least 0.3 s apart and above 0.5 m/s^2."""
    magnitude = np.linalg.norm(np.asarray(acc, dtype=float), axis=1)
    magnitude = magnitude - magnitude.mean()
    kept = []
    for i in range(1, magnitude.size - 1):
        if magnitude[i] > 0.5 and magnitude[i] >= magnitude[i - 1] and magnitude[i] > magnitude[i + 1]:
            if not kept or i - kept[-1] >= 0.3 * fs:
                kept.append(i)
    return len(kept)
```'''


def full_run(validated: bool = True) -> list:
    """Every answer of one pipeline run, in call order; with validation, the two alternatives of the user's function."""
    return [PLAN, TARGET_1, IO_1, TARGET_2, IO_2, CODE_1, CODE_2] + [ALTERNATIVE] * (2 if validated else 0)


def walking_signal(fs: float = 50.0, seconds: float = 10.0, cadence_hz: float = 2.0) -> np.ndarray:
    """Wrist accelerometer while walking: gravity on z plus one bump per step, with noise."""
    rng = np.random.default_rng(0)
    t = np.arange(0, seconds, 1 / fs)
    acc = rng.normal(0, 0.05, size=(t.size, 3))
    acc[:, 2] += 9.81 + 3.0 * np.sin(2 * np.pi * cadence_hz * t)
    return acc
