"""PEFT LoRA adapter -> GGUF LoRA adapter that llama.cpp loads next to the base GGUF.

Follows llama.cpp's own converter (convert_lora_to_gguf.py): metadata
`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`; for each
adapted weight `<gguf name>.lora_a` holding PEFT's A (r x in) and
`<gguf name>.lora_b` holding B (out x r), untransposed (numpy order; GGUF
lists the dimensions reversed, which is what llama.cpp's shape check expects).
llama.cpp scales the product by alpha / r, as PEFT does. Names map from
Hugging Face to GGUF with the gguf package's TensorNameMap. Needs only numpy,
safetensors and gguf, not torch.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IoTCoderError

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
DTYPES = {"f16": np.float16, "f32": np.float32}
_PEFT_NAME = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<part>[AB])(?:\.[^.]+)?\.weight$")
_BLOCK = re.compile(r"\.layers\.(\d+)\.")


class AdapterExportError(IoTCoderError):
    """The adapter cannot be converted, or does not fit the base model."""


@dataclass(frozen=True)
class LoraWeights:
    """A LoRA adapter in GGUF terms: tensor name -> (A: r x in, B: out x r), and the alpha llama.cpp uses."""

    arch: str
    alpha: float
    rank: int
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]

    def delta(self, name: str) -> np.ndarray:
        """The weight change alpha/r * B @ A (out x in), what PEFT adds to the base weight."""
        a, b = self.pairs[name]
        return (self.alpha / a.shape[0]) * (b.astype(np.float32) @ a.astype(np.float32))


@dataclass(frozen=True)
class ExportReport:
    path: Path
    tensors: int
    rank: int
    alpha: float
    bytes: int


def _peft_config(adapter_dir: Path) -> dict:
    try:
        config = json.loads((adapter_dir / ADAPTER_CONFIG).read_text())
    except (OSError, ValueError) as exc:
        raise AdapterExportError(f"{adapter_dir} is not a PEFT LoRA adapter folder ({ADAPTER_CONFIG}: {exc})") from exc
    if config.get("peft_type", "LORA") != "LORA":
        raise AdapterExportError(f"{adapter_dir}: only LoRA adapters can be exported, not {config.get('peft_type')}")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise AdapterExportError(f"{adapter_dir}: per-layer rank/alpha patterns cannot be expressed in one GGUF alpha")
    if config.get("use_dora"):
        raise AdapterExportError(f"{adapter_dir}: DoRA adapters are not supported by llama.cpp's LoRA loader")
    return config


def gguf_alpha(config: dict) -> float:
    """The alpha that makes llama.cpp's alpha/r equal PEFT's scale (alpha/sqrt(r) with rsLoRA)."""
    alpha, rank = float(config["lora_alpha"]), int(config["r"])
    return alpha * math.sqrt(rank) if config.get("use_rslora") else alpha


def read_peft_adapter(adapter_dir: str | Path, arch: str = "qwen2") -> LoraWeights:
    """Read a PEFT adapter folder and name its tensors the way the GGUF base model names them."""
    import gguf
    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    config = _peft_config(adapter_dir)
    try:
        tensors = load_file(str(adapter_dir / ADAPTER_WEIGHTS))
    except (OSError, ValueError) as exc:
        raise AdapterExportError(f"cannot read {adapter_dir / ADAPTER_WEIGHTS}: {exc}") from exc
    try:
        arch_id = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    except StopIteration:
        raise AdapterExportError(f"unknown GGUF architecture {arch!r}") from None
    blocks = 1 + max((int(m.group(1)) for name in tensors if (m := _BLOCK.search(name))), default=0)
    name_map = gguf.get_tensor_name_map(arch_id, blocks)
    halves: dict[str, dict[str, np.ndarray]] = {}
    for name, value in tensors.items():
        match = _PEFT_NAME.match(name)
        if match is None:
            raise AdapterExportError(f"{adapter_dir}: unexpected tensor {name!r} (only lora_A / lora_B are supported)")
        hf_weight = match.group("module") + ".weight"
        gguf_name = name_map.get_name(hf_weight, try_suffixes=(".weight",))
        if gguf_name is None:
            raise AdapterExportError(f"{adapter_dir}: no GGUF name for {hf_weight} in architecture {arch}")
        halves.setdefault(gguf_name, {})[match.group("part")] = value
    pairs = {}
    for gguf_name, parts in sorted(halves.items()):
        if set(parts) != {"A", "B"}:
            raise AdapterExportError(f"{adapter_dir}: {gguf_name} has only lora_{''.join(parts)}")
        a, b = parts["A"], parts["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise AdapterExportError(f"{adapter_dir}: {gguf_name} has A {a.shape} and B {b.shape}, which do not chain")
        pairs[gguf_name] = (a, b)
    if not pairs:
        raise AdapterExportError(f"{adapter_dir}: the adapter holds no LoRA tensors")
    return LoraWeights(arch=arch, alpha=gguf_alpha(config), rank=int(config["r"]), pairs=pairs)


def base_tensor_shapes(base_gguf: str | Path) -> tuple[str, dict[str, tuple[int, int]]]:
    """Architecture and (out, in) shape of every 2-D weight of a GGUF model."""
    import gguf

    reader = gguf.GGUFReader(str(base_gguf))
    field = reader.fields["general.architecture"]
    arch = field.contents()
    shapes = {t.name: (int(t.shape[1]), int(t.shape[0])) for t in reader.tensors if len(t.shape) == 2}
    return arch, shapes


def check_fits_base(weights: LoraWeights, arch: str, shapes: dict[str, tuple[int, int]], base: str) -> None:
    if arch != weights.arch:
        raise AdapterExportError(f"the adapter is for {weights.arch} but {base} is a {arch} model")
    for name, (a, b) in weights.pairs.items():
        if name not in shapes:
            raise AdapterExportError(f"{name} does not exist in {base}: the adapter was trained on another model")
        if shapes[name] != (b.shape[0], a.shape[1]):
            raise AdapterExportError(
                f"{name} is {shapes[name]} (out, in) in {base} but the adapter's delta is "
                f"{(b.shape[0], a.shape[1])}: the adapter was trained on another model"
            )


def write_gguf_adapter(weights: LoraWeights, out_path: str | Path, *, dtype: str = "f16",
                       name: str | None = None) -> ExportReport:
    """Write `weights` as a GGUF LoRA adapter (atomically: a partial file never takes the final name)."""
    import gguf

    if dtype not in DTYPES:
        raise AdapterExportError(f"dtype must be one of {sorted(DTYPES)}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".partial")
    writer = gguf.GGUFWriter(str(tmp), weights.arch)
    try:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(weights.alpha))
        if name:
            writer.add_name(name)
        for tensor_name, (a, b) in weights.pairs.items():
            writer.add_tensor(f"{tensor_name}.lora_a", np.ascontiguousarray(a, dtype=DTYPES[dtype]))
            writer.add_tensor(f"{tensor_name}.lora_b", np.ascontiguousarray(b, dtype=DTYPES[dtype]))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    os.replace(tmp, out_path)
    return ExportReport(out_path, 2 * len(weights.pairs), weights.rank, weights.alpha, out_path.stat().st_size)


def read_gguf_adapter(path: str | Path) -> LoraWeights:
    """Read a GGUF LoRA adapter back (what `iotcoder models merge` applies)."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise AdapterExportError(f"cannot read the GGUF adapter {path}: {exc}") from exc

    def field(key: str):
        return reader.fields[key].contents() if key in reader.fields else None

    if field("general.type") != "adapter" or field(gguf.Keys.Adapter.TYPE) != "lora":
        raise AdapterExportError(f"{path} is not a GGUF LoRA adapter (general.type / adapter.type)")
    halves: dict[str, dict[str, np.ndarray]] = {}
    for tensor in reader.tensors:
        base, _, part = tensor.name.rpartition(".")
        if part not in ("lora_a", "lora_b"):
            raise AdapterExportError(f"{path}: unexpected tensor {tensor.name}")
        data = np.asarray(tensor.data, dtype=np.float32).reshape(tuple(int(d) for d in reversed(tensor.shape)))
        halves.setdefault(base, {})[part] = data
    pairs = {name: (parts["lora_a"], parts["lora_b"]) for name, parts in halves.items()}
    rank = next(iter(pairs.values()))[0].shape[0]
    return LoraWeights(arch=field("general.architecture"), alpha=float(field(gguf.Keys.Adapter.LORA_ALPHA)),
                       rank=rank, pairs=pairs)


def export_adapter(adapter_dir: str | Path, out_path: str | Path, *, base_gguf: str | Path | None = None,
                   arch: str = "qwen2", dtype: str = "f16", name: str | None = None) -> ExportReport:
    """PEFT folder -> GGUF adapter; with `base_gguf`, the architecture and every shape are checked against it."""
    shapes = None
    if base_gguf is not None:
        arch, shapes = base_tensor_shapes(base_gguf)
    weights = read_peft_adapter(adapter_dir, arch)
    if shapes is not None:
        check_fits_base(weights, arch, shapes, str(base_gguf))
    return write_gguf_adapter(weights, out_path, dtype=dtype, name=name)


def install_adapter(gguf_adapter: str | Path, model_name: str, stage: str) -> Path:
    """Copy an adapter to where the runtime looks for it (store.find_adapter): models/adapters/<model>/<stage>.gguf."""
    from ..config import resource_dir

    target = resource_dir("models") / "adapters" / model_name / f"{stage}.gguf"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(gguf_adapter, target)
    return target
