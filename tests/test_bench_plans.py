"""The plans suite: the decomposition stage alone, scored against each task's reference plan."""

from __future__ import annotations

import json

from jupyter_iotcoder.bench.plans import plans_report, run_plans
from jupyter_iotcoder.bench.tasks import load_tasks
from jupyter_iotcoder.config import GenerationConfig

from conftest import ScriptedRuntime

MODBUS = next(t for t in load_tasks() if t.id == "np-modbus-read-request")


def _plan(*titles: str) -> dict:
    return {"tasks": [{"title": t, "description": f"{t}, as the requirement says.", "inputs": ["x"],
                       "outputs": [f"out{i}"]} for i, t in enumerate(titles)]}


GOOD = _plan("Validate the range of slave_id, start_addr and count", "Compute the CRC16 checksum",
             "Implement modbus_read_request with struct.pack")
TEMPLATE = _plan("Clean the raw data", "Band-pass filter the signal")


def test_plans_are_scored_against_the_reference_and_the_adapter_is_used_for_lora(tmp_path):
    runtime = ScriptedRuntime([GOOD, TEMPLATE], adapters={"decompose": "decompose.gguf"})
    path = run_plans(runtime, "scripted", ["base", "base+lora"], [MODBUS], tmp_path, GenerationConfig(max_tasks=4),
                     progress=False, adapters_id="a1")
    rows = {r["config"]: r for r in map(json.loads, path.read_text().splitlines())}
    assert [r.adapter for r in runtime.history] == [None, "decompose"]
    assert (rows["base"]["plan_score"], rows["base"]["names_function"]) == (1.0, True)
    assert (rows["base+lora"]["plan_score"], rows["base+lora"]["names_function"]) == (0.0, False)
    report = plans_report(path, "scripted", "a1")
    assert "| base | 1 | 1.00 | 1.00 | 1.00 | 0.00 | 3.0 |" in report
    assert "| base+lora | 1 | 1.00 | 0.00 | 0.00 | 0.00 | 2.0 |" in report


def test_cached_plans_are_not_made_again_and_lora_is_skipped_without_an_adapter(tmp_path):
    runtime = ScriptedRuntime([GOOD])
    run_plans(runtime, "scripted", ["base", "base+lora"], [MODBUS], tmp_path, GenerationConfig(), progress=False)
    path = run_plans(runtime, "scripted", ["base", "base+lora"], [MODBUS], tmp_path, GenerationConfig(),
                     progress=False)
    assert len(runtime.history) == 1 and len(path.read_text().splitlines()) == 1
