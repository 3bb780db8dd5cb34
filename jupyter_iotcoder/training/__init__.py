"""LoRA instruction tuning of the stage models, and turning the result into llama.cpp files.

`config` (one small TOML file per stage), `examples` (chat records -> token ids
and loss mask), `batches` (length-bucketed, resumable data order), `model`
(base weights de-quantised from the same GGUF llama.cpp runs), `checkpoint`,
`runlog`, `trainer` (the loop), `export` (PEFT LoRA -> GGUF LoRA adapter) and
`merge` (base GGUF + adapter -> one quantised GGUF). torch, transformers and
peft come from the `train` extra; export and merge need only numpy and gguf.
"""
