"""The knowledge base (data/knowledge): loading, reference checks and validity rules."""

import shutil
from pathlib import Path

import pytest

from jupyter_iotcoder.data.knowledge import Combination, KnowledgeError, default_knowledge_dir, load_knowledge


@pytest.fixture()
def kb_copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), target)
    return target


def _combo(kb, family, modality, representation, platform) -> Combination:
    return Combination(kb.families[family], kb.modalities[modality], kb.representations[representation],
                       kb.platforms[platform])


def test_shipped_knowledge_base_loads_and_has_valid_combinations():
    kb = load_knowledge()
    valid = kb.valid_combinations()
    assert len(kb.families) >= 15 and len(kb.modalities) >= 10
    assert {c.family.id for c in valid} == set(kb.families)
    assert len(valid) < len(kb.all_combinations())


def test_modality_that_cannot_sense_the_family_is_excluded():
    kb = load_knowledge()
    combo = _combo(kb, "heart_rate", "ble_rssi", "raw", "raspberry_pi")
    assert kb.violated_rule(combo).id == "modality_must_sense_family"
    assert combo not in kb.valid_combinations()


def test_explicit_exclusion_rule_removes_gps_indoors_and_csi_on_cortex_m():
    kb = load_knowledge()
    assert kb.violated_rule(_combo(kb, "indoor_localisation", "gps", "raw", "raspberry_pi")) is not None
    assert kb.violated_rule(_combo(kb, "activity_recognition", "wifi_csi", "csi_amplitude", "cortex_m4")).id == \
        "no_csi_on_cortex_m"
    assert kb.violated_rule(_combo(kb, "activity_recognition", "wifi_csi", "csi_amplitude", "esp32")) is None


def test_require_rule_and_representation_rule_apply():
    kb = load_knowledge()
    assert kb.violated_rule(_combo(kb, "energy_metering", "power_meter", "raw", "cloud")) is None
    assert kb.violated_rule(_combo(kb, "hrv", "ecg", "spectrogram", "cloud")).id == "hrv_needs_beats"
    assert kb.violated_rule(_combo(kb, "heart_rate", "ppg", "csi_phase", "cloud")).id == "representation_fits_modality"


def test_techniques_for_respect_platform_class():
    kb = load_knowledge()
    mcu = _combo(kb, "activity_recognition", "imu", "features", "cortex_m4")
    server = _combo(kb, "activity_recognition", "imu", "features", "edge_server")
    assert {t.id for t in kb.techniques_for("model", mcu)} == {"tree_mcu"}
    assert "tree_mcu" not in {t.id for t in kb.techniques_for("model", server)}
    assert any(t.stage == "deploy" and "quantis" in " ".join(t.text) for t in kb.techniques_for("deploy", mcu))


def test_malformed_yaml_gives_an_error_naming_the_file(kb_copy):
    (kb_copy / "platforms.yaml").write_text("platforms: [unclosed\n")
    with pytest.raises(KnowledgeError, match="platforms.yaml: not valid YAML"):
        load_knowledge(kb_copy)


def test_entry_with_a_missing_field_names_the_entry(kb_copy):
    text = (kb_copy / "families.yaml").read_text().replace("    kind: estimate\n", "", 1)
    (kb_copy / "families.yaml").write_text(text)
    with pytest.raises(KnowledgeError, match=r"families.yaml: entry 'gait_analysis': kind: Field required"):
        load_knowledge(kb_copy)


def test_rule_with_an_unknown_id_is_rejected(kb_copy):
    text = (kb_copy / "rules.yaml").read_text().replace("modality: [gps], family: [indoor_localisation]",
                                                          "modality: [gpss], family: [indoor_localisation]")
    (kb_copy / "rules.yaml").write_text(text)
    with pytest.raises(KnowledgeError, match=r"rule 'no_gps_indoors' modality: unknown ids \['gpss'\]"):
        load_knowledge(kb_copy)


def test_missing_file_is_reported(kb_copy):
    (kb_copy / "techniques.yaml").unlink()
    with pytest.raises(KnowledgeError, match="techniques.yaml: missing knowledge-base file"):
        load_knowledge(kb_copy)
