"""Base GGUF + GGUF LoRA adapter -> one merged GGUF, quantised by llama.cpp (Q4_K_M by default).

Works on the GGUF files themselves, so it needs neither torch nor a Hugging
Face checkpoint (llama.cpp's convert_hf_to_gguf.py is not in any wheel): every
weight of the base is de-quantised, the adapter's alpha/r * B @ A is added to
the weights it adapts, the result is written as an F16 GGUF with the base's
metadata (tokenizer and chat template included), and llama.cpp's own
quantiser turns that into the requested type with its usual per-tensor recipe.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IoTCoderError
from .export import LoraWeights, check_fits_base, read_gguf_adapter

_SKIPPED_KEYS = ("GGUF.", "general.architecture", "general.alignment", "general.file_type")


class MergeError(IoTCoderError):
    """The merge cannot be done as asked."""


@dataclass(frozen=True)
class MergeReport:
    path: Path
    quant: str
    merged_tensors: int
    bytes: int
    seconds: float


def _copy_metadata(reader, writer) -> None:
    from gguf import GGUFValueType

    for key, field in reader.fields.items():
        if key.startswith(_SKIPPED_KEYS):
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), vtype, sub_type=sub_type)


def write_merged_f16(base_gguf: str | Path, adapter: LoraWeights, out_path: str | Path) -> int:
    """Write base + adapter as an F16 GGUF (1-D tensors stay F32); returns how many weights got a delta.

    Tensors are computed and written one at a time, so memory stays near one weight matrix.
    """
    import gguf

    reader = gguf.GGUFReader(str(base_gguf))
    arch = reader.fields["general.architecture"].contents()
    shapes = {t.name: (int(t.shape[1]), int(t.shape[0])) for t in reader.tensors if len(t.shape) == 2}
    check_fits_base(adapter, arch, shapes, str(base_gguf))

    def merged(tensor) -> np.ndarray:
        weight = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        weight = weight.reshape(tuple(int(d) for d in reversed(tensor.shape)))
        if tensor.name in adapter.pairs:
            weight = weight.astype(np.float32) + adapter.delta(tensor.name)
        return weight.astype(np.float16 if weight.ndim == 2 else np.float32)

    writer = gguf.GGUFWriter(str(out_path), arch)
    try:
        _copy_metadata(reader, writer)
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        for tensor in reader.tensors:
            shape = tuple(int(d) for d in reversed(tensor.shape))
            dtype = np.dtype(np.float16 if len(shape) == 2 else np.float32)
            writer.add_tensor_info(tensor.name, shape, dtype, int(np.prod(shape)) * dtype.itemsize)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in reader.tensors:
            writer.write_tensor_data(merged(tensor))
    finally:
        writer.close()
    return sum(name in adapter.pairs for name in (t.name for t in reader.tensors))


def merge_adapter(base_gguf: str | Path, adapter_gguf: str | Path, out_path: str | Path, *,
                  quant: str = "Q4_K_M", threads: int | None = None) -> MergeReport:
    """The merged, quantised model at `out_path` (written atomically; the F16 intermediate is removed)."""
    from ..quantize import QUANT_TYPES, quantize_gguf

    if quant not in QUANT_TYPES:
        raise MergeError(f"unknown quantisation {quant!r}; choose one of {', '.join(QUANT_TYPES)}")
    started = time.perf_counter()
    out_path = Path(out_path)
    if out_path.resolve() in (Path(base_gguf).resolve(), Path(adapter_gguf).resolve()):
        raise MergeError("the merged model must not overwrite the base model or the adapter")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    intermediate = out_path.with_name(out_path.name + ".f16.partial")
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        adapter = read_gguf_adapter(adapter_gguf)
        count = write_merged_f16(base_gguf, adapter, intermediate)
        if quant == "F16":
            os.replace(intermediate, out_path)
        else:
            quantize_gguf(intermediate, partial, quant, threads=threads)
            os.replace(partial, out_path)
    finally:
        intermediate.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return MergeReport(out_path, quant, count, out_path.stat().st_size, time.perf_counter() - started)
