"""Expert decompositions: the runtime's exact prompt, schema-valid answers, augmentation by platform."""

import json
import random

import jsonschema

from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.data.curated import load_programs
from jupyter_iotcoder.data.decompositions import compress, generate, plan, task_cap, utility_decomposition
from jupyter_iotcoder.data.knowledge import Combination, load_knowledge
from jupyter_iotcoder.decompose import decompose_messages, decompose_schema


def _combo(kb, family, modality, representation, platform):
    return Combination(kb.families[family], kb.modalities[modality], kb.representations[representation],
                       kb.platforms[platform])


def test_pair_uses_the_inference_prompt_and_a_schema_valid_answer():
    kb, programs = load_knowledge(), load_programs()
    for seed, combo in enumerate(kb.valid_combinations()[::97]):
        d = generate(kb, programs, combo, random.Random(seed))
        messages = d.messages()
        assert messages[:-1] == list(decompose_messages(d.requirement, d.max_tasks))
        answer = json.loads(messages[-1]["content"])
        jsonschema.validate(answer, decompose_schema(d.max_tasks))
        assert 1 <= len(answer["tasks"]) <= min(7, d.max_tasks)


def test_mcu_target_adds_quantisation_and_server_target_does_not():
    kb, programs = load_knowledge(), load_programs()
    mcu = plan(kb, programs, _combo(kb, "activity_recognition", "imu", "features", "cortex_m4"), random.Random(1))
    server = plan(kb, programs, _combo(kb, "activity_recognition", "imu", "features", "edge_server"),
                  random.Random(1))
    mcu_text = " ".join(p.task.description for p in mcu[0])
    server_text = " ".join(p.task.description for p in server[0])
    assert "int8" in mcu_text and "256 KB" in mcu_text
    assert "int8" not in server_text


def test_tasks_chain_their_data_names():
    kb, programs = load_knowledge(), load_programs()
    planned, _ = plan(kb, programs, _combo(kb, "respiration", "mmwave_radar", "raw", "raspberry_pi"),
                      random.Random(3))
    produced = {"radar_frames", "fs"}
    for p in planned:
        assert p.task.inputs[0] in produced, (p.task.title, p.task.inputs, produced)
        produced.update(p.task.outputs)


def test_compress_merges_neighbours_to_respect_the_cap():
    kb, programs = load_knowledge(), load_programs()
    planned, _ = plan(kb, programs, _combo(kb, "activity_recognition", "imu", "spectrogram", "cortex_m4"),
                      random.Random(2))
    assert len(planned) > 5
    merged = compress(planned, 5)
    assert [p.task.id for p in merged] == [1, 2, 3, 4, 5]
    assert merged[-1].task.outputs == planned[-1].task.outputs


def test_compress_to_two_tasks_keeps_every_step_in_order_and_the_final_result():
    kb, programs = load_knowledge(), load_programs()
    planned, _ = plan(kb, programs, _combo(kb, "activity_recognition", "imu", "spectrogram", "cortex_m4"),
                      random.Random(2))
    merged = compress(planned, 2)
    assert [p.task.id for p in merged] == [1, 2]
    assert merged[-1].task.outputs == planned[-1].task.outputs
    assert "+".join(p.stage for p in merged) == "+".join(p.stage for p in planned)
    assert merged[0].task.inputs[0] == planned[0].task.inputs[0]
    for p in merged:
        assert len(p.task.title) <= 100 and len(p.task.description) <= 600
        assert not p.task.title.endswith((" and", ",")) and p.task.description.endswith(".")


def test_caps_cover_one_to_eight_tasks_and_plans_fit_their_cap():
    kb, programs = load_knowledge(), load_programs()
    rng = random.Random(0)
    caps = [task_cap(rng) for _ in range(400)]
    assert set(caps) == set(range(1, 9))
    assert caps.count(GenerationConfig.max_tasks) > len(caps) / 3  # the default cap users get stays the common one
    lengths = set()
    for seed, combo in enumerate(kb.valid_combinations()[::13]):
        d = generate(kb, programs, combo, random.Random(seed))
        assert len(d.planned) <= d.max_tasks
        assert all(p.task.description.endswith(".") for p in d.planned)  # no step cut off mid-sentence
        lengths.add(len(d.planned))
        if d.named_function:  # the function the user named is always the last task, whatever the cap
            name = d.named_function.split("(")[0]
            assert d.planned[-1].task.title == f"Implement {name}"
            assert f"`{d.named_function}`" in d.planned[-1].task.description
    assert {1, 2, 3, 4, 5, 6} <= lengths


def test_every_valid_combination_of_a_classifying_or_detecting_family_has_a_model_step():
    kb = load_knowledge()
    missing = [c.key for c in kb.valid_combinations()
               if c.family.kind in ("classify", "detect") and not kb.techniques_for("model", c)]
    assert missing == []


def test_a_one_utility_requirement_is_planned_as_its_technique_then_the_named_function():
    programs = load_programs()
    for seed, program in enumerate(sorted(programs.values(), key=lambda p: p.id)):
        d = utility_decomposition(program, random.Random(seed))
        messages = d.messages()
        assert messages[:-1] == list(decompose_messages(d.requirement, d.max_tasks))
        answer = json.loads(messages[-1]["content"])
        jsonschema.validate(answer, decompose_schema(d.max_tasks))
        func = d.signature.split("(")[0]
        assert d.signature in d.requirement
        assert answer["tasks"][-1]["title"] == f"Implement {func}"
        assert len(answer["tasks"]) == (1 if d.max_tasks == 1 else 2)
        if len(answer["tasks"]) == 2:  # the technique itself, on the user's own inputs: no cleaning or windowing step
            assert answer["tasks"][0]["inputs"] == answer["tasks"][1]["inputs"] == d.signature[len(func) + 1:-1].split(", ")
            technique = answer["tasks"][0]["title"].lower().split(" ", 1)[1][:25]  # after the verb, conjugated or not
            assert technique in d.requirement.lower()


def test_a_utility_whose_every_name_is_a_benchmark_entry_point_gets_no_requirement():
    program = load_programs()["crc16_ccitt"]
    assert utility_decomposition(program, random.Random(0), reserved_names=set(program.names)) is None
    made = utility_decomposition(program, random.Random(0), reserved_names=set(program.names[1:]))
    assert made.signature.startswith(program.names[0] + "(")
