"""llama.cpp's own quantiser (K-quants included), at the runtime level: like runtime.py, it imports llama_cpp.

The gguf Python package can write GGUF files but quantises only Q8_0/Q5_0/Q4_0;
`llama_model_quantize` applies llama.cpp's per-tensor recipes (Q4_K_M keeps
attn_v / ffn_down at higher precision, falls back where a row length is not a
multiple of 256) exactly as the `llama-quantize` tool does.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from .errors import IoTCoderError

QUANT_TYPES = ("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0", "Q4_0", "Q5_0", "F16")


class QuantizeError(IoTCoderError):
    """llama.cpp could not quantise a model file."""


def quantize_gguf(source: str | Path, target: str | Path, quant: str = "Q4_K_M", *,
                  threads: int | None = None) -> Path:
    """Quantise the GGUF model at `source` into `target` (already-quantised tensors are re-quantised)."""
    import llama_cpp

    if quant not in QUANT_TYPES:
        raise QuantizeError(f"unknown quantisation {quant!r}; choose one of {', '.join(QUANT_TYPES)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params.nthread = threads or os.cpu_count() or 1
    params.allow_requantize = True
    target = Path(target)
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0:
        target.unlink(missing_ok=True)
        raise QuantizeError(f"llama.cpp could not quantise {source} to {quant} (status {status})")
    return target
