import sys, json
from pathlib import Path
from jupyter_iotcoder.runtime import LlamaRuntime, stage_adapters
from jupyter_iotcoder.config import RuntimeConfig
from jupyter_iotcoder.store import resolve_model
from jupyter_iotcoder.bench import humaneval
scale = float(sys.argv[1])
r = resolve_model(None)
rt = LlamaRuntime(r.path, RuntimeConfig(n_threads=2), {"codegen": stage_adapters(r.name)["codegen"]},
                  model_name=r.name, adapter_scales={"codegen": scale})
out = Path(f"/tmp/exp/he_s{scale}")
p = humaneval.run_humaneval(rt, "m", ["base+lora"], out, limit=25, adapters_id=f"s{scale}")
print(humaneval.humaneval_report(p, "m", f"s{scale}"))
