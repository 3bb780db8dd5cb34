#!/usr/bin/env python
"""Pipeline performance benchmark: one model load, one pipeline run, one decode comparison.

Measures, on the same loaded model:

1. model load time, then time / tokens / tokens-per-second per stage and in total for one
   requirement run through `pipeline.generate()` (PipelineResult.stats), with a per-call
   prefill (time to first token) / decode split;
2. decode tokens/s of the pipeline's runtime path (`runtime.complete()`) against raw
   llama-cpp-python (`Llama.create_chat_completion(stream=True)`) on the same greedy prompt,
   alternating, with the KV cache reset before each run, and the ratio pipeline/raw;
3. the Python bookkeeping cost of `complete()` per token, on the raw run's pieces replayed
   without a model (so a low ratio can be told apart from machine noise);
4. peak and current memory.

A benchmark, not a test: it asserts nothing. Run from the repository root:

    .venv/bin/python bench/pipeline_perf.py --json bench/results/pipeline_perf.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Used for the decode comparison when the pipeline run produced no codegen prompt
# (--prompt fixed, or the pipeline failed before codegen).
FIXED_MESSAGES = (
    {"role": "system", "content": "You are an expert Python developer for IoT sensor data. "
                                  "Answer with one complete Python module in a ```python code block."},
    {"role": "user", "content": "Write a documented Python module with a function "
                                "`count_steps(acc, fs)` that takes a numpy array of shape (n_samples, 3) "
                                "of accelerometer readings in m/s^2 sampled at `fs` Hz, removes gravity "
                                "with a high-pass filter, smooths the magnitude, detects peaks and returns "
                                "the number of steps as an int."},
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def system_busy_seconds() -> float:
    """CPU seconds all processes have used (from /proc/stat): minus our own, it shows contention."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return float("nan")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def decode_numbers(start: float, token_times: list[float], end: float, cpu: float) -> dict:
    """Totals and decode-only rate (first token to last token) of one streamed answer."""
    n = len(token_times)
    total = end - start
    decode = token_times[-1] - token_times[0] if n > 1 else 0.0
    return {
        "tokens": n,
        "total_s": total,
        "ttft_s": token_times[0] - start if n else None,
        "decode_s": decode,
        "decode_tok_s": (n - 1) / decode if decode > 0 else 0.0,
        "total_tok_s": n / total if total > 0 else 0.0,
        "cpu_cores_used": cpu / total if total > 0 else 0.0,
    }


class TimedRuntime:
    """Wraps the runtime during the pipeline run to record each model call's prefill/decode split.

    Costs one generator frame and a perf_counter() per token (well under a microsecond
    next to tens of milliseconds per token); the stage stats come from PipelineResult.
    """

    def __init__(self, inner, current_stage):
        self.inner = inner
        self.model_name = inner.model_name
        self.n_ctx = inner.n_ctx
        self.calls: list[dict] = []
        self._current_stage = current_stage
        self._prompt_tokens = None

    def adapters(self):
        return self.inner.adapters()

    def count_tokens(self, messages):
        self._prompt_tokens = self.inner.count_tokens(messages)
        return self._prompt_tokens

    def stream(self, request):
        record = {"prompt_tokens": self._prompt_tokens, "max_tokens": request.max_tokens,
                  "json_schema": request.json_schema is not None, "temperature": request.temperature}
        times: list[float] = []
        inner = self.inner.stream(request)
        start = time.perf_counter()
        try:
            for piece in inner:
                times.append(time.perf_counter())
                yield piece
        finally:
            end = time.perf_counter()
            inner.close()
            record.update(decode_numbers(start, times, end, 0.0))
            del record["cpu_cores_used"]
            record["stage"] = self._current_stage()
            self.calls.append(record)


class ReplayRuntime:
    """A model-less runtime that yields recorded pieces: isolates complete()'s own per-token cost."""

    model_name = "replay"
    n_ctx = 1 << 20

    def __init__(self, pieces: list[str]):
        self.pieces = pieces

    def adapters(self):
        return {}

    def count_tokens(self, messages):
        return 0

    def stream(self, request):
        yield from self.pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirement-file", type=Path, default=REPO / "examples/requirements/step_counter.txt",
                        help="requirement run through the pipeline (default: %(default)s)")
    parser.add_argument("--max-tasks", type=int, default=3, help="GenerationConfig.max_tasks (default: 3)")
    parser.add_argument("--model", default=None, help="model name from the manifest or path of a .gguf file "
                                                      "(default: $IOTCODER_MODEL, else the manifest default)")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: all cores)")
    parser.add_argument("--n-ctx", type=int, default=4096, help="context size (default: 4096)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pipeline and the decode runs")
    parser.add_argument("--repeats", type=int, default=3, help="raw/pipeline decode pairs (default: 3)")
    parser.add_argument("--max-tokens", type=int, default=256, help="tokens per decode run (default: 256)")
    parser.add_argument("--prompt", choices=("codegen", "fixed"), default="codegen",
                        help="decode prompt: the first task's codegen messages from the pipeline run "
                             "(falls back to fixed if there is none) or a fixed codegen-like prompt")
    parser.add_argument("--skip-pipeline", action="store_true", help="only the decode comparison")
    parser.add_argument("--json", type=Path, default=None, help="also write every number to this JSON file")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each line out at once, even into a file

    import llama_cpp

    from jupyter_iotcoder.codegen import closed_code_block, codegen_messages
    from jupyter_iotcoder.config import GenerationConfig, RuntimeConfig
    from jupyter_iotcoder.pipeline import generate
    from jupyter_iotcoder.runtime import ChatRequest, complete, load_runtime
    from jupyter_iotcoder.store import resolve_model

    try:
        import psutil
    except ImportError:
        psutil = None

    report: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "complete": False, "args": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    load_before = os.getloadavg()

    def save() -> None:
        """Write what is known so far to <json>.partial, so an interrupted run still leaves its
        numbers without overwriting the last complete result; a finished run renames it to <json>."""
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            partial = args.json.with_name(args.json.name + ".partial")
            partial.write_text(json.dumps(report, indent=2, default=str) + "\n")
            if report.get("complete"):
                os.replace(partial, args.json)

    # --- model -------------------------------------------------------------------------
    say(f"loading the model (load average {load_before[0]:.2f}) ...")
    t0 = time.perf_counter()
    resolved = resolve_model(args.model, progress=False)
    resolve_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    runtime = load_runtime(args.model, RuntimeConfig(n_ctx=args.n_ctx, n_threads=args.threads, seed=args.seed))
    load_s = time.perf_counter() - t0
    llm = runtime._llm
    report["machine"] = {
        "cpu_model": cpu_model(),
        "nproc": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "llama_cpp_version": llama_cpp.__version__,
        "llama_system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
        "loadavg_before": load_before,
    }
    report["model"] = {
        "name": runtime.model_name,
        "path": str(resolved.path),
        "source": resolved.source,
        "sha256": resolved.entry.sha256 if resolved.entry else None,
        "size_bytes": resolved.path.stat().st_size,
        "n_ctx": runtime.n_ctx,
        "n_threads": llm.n_threads,
        "device": runtime.device,
        "adapters": runtime.adapters(),
        "resolve_s": resolve_s,
        "load_s": load_s,
    }
    m = report["model"]
    print(f"machine: {report['machine']['cpu_model']} · {report['machine']['nproc']} CPUs · "
          f"llama-cpp-python {report['machine']['llama_cpp_version']} · "
          f"load avg {load_before[0]:.2f}")
    print(f"model: {m['name']} ({m['path']}, {m['size_bytes'] / 2**20:.0f} MiB, {m['source']}) · "
          f"{m['n_threads']} threads · n_ctx {m['n_ctx']}")
    print(f"model load: {load_s:.2f} s (resolve {resolve_s:.2f} s)")
    save()

    # --- 1. pipeline -------------------------------------------------------------------
    first_codegen = None
    if not args.skip_pipeline:
        requirement = args.requirement_file.read_text()
        config = GenerationConfig(max_tasks=args.max_tasks, seed=args.seed)
        stage = {"now": "?"}
        timed = TimedRuntime(runtime, lambda: stage["now"])
        error = None
        result = None

        def on_event(event) -> None:
            if event.stage != stage["now"]:
                say(f"  ... {event.stage} (at {time.perf_counter() - t0:.0f} s)")
            stage["now"] = event.stage

        say(f"running the pipeline on {args.requirement_file} ...")
        cpu0, sys0 = cpu_seconds(), system_busy_seconds()
        t0 = time.perf_counter()
        try:
            result = generate(requirement, timed, config, on_event=on_event)
        except Exception as exc:  # a failed run is still a data point; the decode test goes on
            error = f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - t0
        cpu = cpu_seconds() - cpu0
        other = system_busy_seconds() - sys0 - cpu
        stages = {}
        # every stage the result reports (this includes "validate", the sandbox runs, which make no model calls)
        names = list(result.stats) if result is not None else ["decompose", "transform", "codegen"]
        for name in names:
            calls = [c for c in timed.calls if c["stage"] == name]
            entry = {"calls_seen": len(calls),
                     "prompt_tokens": sum(c["prompt_tokens"] or 0 for c in calls),
                     "prefill_s": sum(c["ttft_s"] or 0.0 for c in calls),
                     "decode_s": sum(c["decode_s"] for c in calls)}
            if result is not None:
                s = result.stats[name]
                entry.update(seconds=s.seconds, tokens=s.tokens, calls=s.calls, tok_s=s.tokens_per_second)
            else:
                secs, toks = sum(c["total_s"] for c in calls), sum(c["tokens"] for c in calls)
                entry.update(seconds=secs, tokens=toks, calls=len(calls), tok_s=toks / secs if secs else 0.0)
            decode_tokens = sum(max(c["tokens"] - 1, 0) for c in calls)
            entry["decode_tok_s"] = decode_tokens / entry["decode_s"] if entry["decode_s"] else 0.0
            stages[name] = entry
        model_s = sum(c["total_s"] for c in timed.calls)
        stage_s = sum(s["seconds"] for s in stages.values())
        tokens = sum(s["tokens"] for s in stages.values())
        report["pipeline"] = {
            "requirement_file": str(args.requirement_file),
            "max_tasks": args.max_tasks,
            "error": error,
            "wall_s": wall,
            "model_s": model_s,
            "stages_s": stage_s,
            "other_s": wall - stage_s,
            "tokens": tokens,
            "tok_s": tokens / wall if wall else 0.0,
            "cpu_cores_used": cpu / wall if wall else 0.0,
            "other_cores_busy": other / wall if wall else 0.0,
            "stages": stages,
            "calls": timed.calls,
        }
        if result is not None:
            report["pipeline"].update(
                tasks=len(result.tasks.tasks),
                modules=[{"function": mod.function_name, "attempts": mod.attempts, "problems": mod.problems,
                          "validation": getattr(mod, "validation", None)}
                         for mod in result.modules],
                warnings=result.warnings,
            )
            if result.specs:
                first_codegen = codegen_messages(result.tasks.tasks[0], result.tasks, result.specs[0], [])

        p = report["pipeline"]
        print(f"\npipeline on {Path(p['requirement_file']).name}, max_tasks {p['max_tasks']}"
              + (f": FAILED: {p['error']}" if p["error"] else f": {p.get('tasks')} tasks"))
        print(f"  {'stage':<10} {'calls':>5} {'seconds':>8} {'tokens':>7} {'tok/s':>6} "
              f"{'prompt tok':>10} {'prefill s':>9} {'decode tok/s':>12}")
        for name, s in p["stages"].items():
            if s["calls_seen"] or s["tokens"]:
                print(f"  {name:<10} {s['calls']:>5} {s['seconds']:>8.1f} {s['tokens']:>7} {s['tok_s']:>6.1f} "
                      f"{s['prompt_tokens']:>10} {s['prefill_s']:>9.1f} {s['decode_tok_s']:>12.1f}")
            else:  # no model calls: the sandbox runs of "validate"
                print(f"  {name:<10} {s['calls']:>5} {s['seconds']:>8.1f} {'-':>7} {'-':>6} {'-':>10} {'-':>9} {'-':>12}")
        print(f"  {'total':<10} {sum(s['calls'] for s in p['stages'].values()):>5} {p['wall_s']:>8.1f} "
              f"{p['tokens']:>7} {p['tok_s']:>6.1f}   (model calls {p['model_s']:.1f} s, "
              f"outside the stages {p['other_s']:.1f} s; cores busy: ours {p['cpu_cores_used']:.2f}, "
              f"other processes {p['other_cores_busy']:.2f})")
        for module in p.get("modules", []):
            state = "no problems" if not module["problems"] else "; ".join(module["problems"])
            print(f"  module {module['function']}: {module['attempts']} attempt(s), "
                  f"validation {module['validation'] or 'not run'}, {state}")
        if p["other_cores_busy"] > 0.25:
            print(f"  NOTE: other processes kept {p['other_cores_busy']:.2f} cores busy during the pipeline run: "
                  "its times are inflated")
        save()

    # --- 2. decode: raw llama-cpp-python vs the pipeline's complete() --------------------
    if args.prompt == "codegen" and first_codegen is not None:
        messages, prompt_name = first_codegen, "codegen messages of task 1"
    else:
        messages, prompt_name = FIXED_MESSAGES, "fixed codegen-like prompt"

    def run_raw() -> tuple[dict, str]:
        llm.reset()
        times, pieces, finish = [], [], None
        cpu0, sys0 = cpu_seconds(), system_busy_seconds()
        start = time.perf_counter()
        for chunk in llm.create_chat_completion(messages=list(messages), max_tokens=args.max_tokens,
                                                temperature=0.0, seed=args.seed, stream=True):
            choice = chunk["choices"][0]
            if choice["delta"].get("content"):  # the role chunk and the final chunk carry no text
                times.append(time.perf_counter())
                pieces.append(choice["delta"]["content"])
            finish = choice.get("finish_reason") or finish
        end = time.perf_counter()
        own = cpu_seconds() - cpu0
        numbers = decode_numbers(start, times, end, own)
        numbers["other_cores_busy"] = (system_busy_seconds() - sys0 - own) / (end - start)
        numbers["finish"] = finish
        return numbers, pieces

    def run_pipeline() -> tuple[dict, str]:
        llm.reset()
        times: list[float] = []

        def on_token(tokens: int, elapsed: float) -> None:
            times.append(time.perf_counter())

        cpu0, sys0 = cpu_seconds(), system_busy_seconds()
        start = time.perf_counter()
        answer = complete(runtime, ChatRequest(messages=tuple(messages), max_tokens=args.max_tokens,
                                               temperature=0.0, seed=args.seed), on_token=on_token)
        end = time.perf_counter()
        own = cpu_seconds() - cpu0
        numbers = decode_numbers(start, times, end, own)
        numbers["other_cores_busy"] = (system_busy_seconds() - sys0 - own) / (end - start)
        numbers["finish"] = answer.finish_reason
        numbers["completion_tokens"] = answer.tokens
        return numbers, answer.text

    raw_runs, pipe_runs, raw_pieces, texts = [], [], None, {"raw": set(), "pipeline": set()}
    for i in range(max(1, args.repeats)):
        # alternate which goes first, so a slow drift of the machine hits both alike
        order = ("raw", "pipeline") if i % 2 == 0 else ("pipeline", "raw")
        for kind in order:
            say(f"decode run {i + 1}/{max(1, args.repeats)}: {kind} ...")
            if kind == "raw":
                numbers, pieces = run_raw()
                raw_runs.append(numbers)
                raw_pieces = raw_pieces or pieces
                texts["raw"].add("".join(pieces))
            else:
                numbers, text = run_pipeline()
                pipe_runs.append(numbers)
                texts["pipeline"].add(text)
    raw_med = statistics.median(r["decode_tok_s"] for r in raw_runs)
    pipe_med = statistics.median(r["decode_tok_s"] for r in pipe_runs)
    paired = [p["decode_tok_s"] / r["decode_tok_s"] for r, p in zip(raw_runs, pipe_runs) if r["decode_tok_s"]]
    raw_counts = sorted({r["tokens"] for r in raw_runs})
    pipe_counts = sorted({r["tokens"] for r in pipe_runs})
    report["decode"] = {
        "prompt": prompt_name,
        "prompt_tokens": runtime.count_tokens(tuple(messages)),
        "max_tokens": args.max_tokens,
        "seed": args.seed,
        "repeats": len(raw_runs),
        "raw": {"median_decode_tok_s": raw_med,
                "median_total_tok_s": statistics.median(r["total_tok_s"] for r in raw_runs),
                "median_ttft_s": statistics.median(r["ttft_s"] or 0.0 for r in raw_runs),
                "runs": raw_runs},
        "pipeline": {"median_decode_tok_s": pipe_med,
                     "median_total_tok_s": statistics.median(r["total_tok_s"] for r in pipe_runs),
                     "median_ttft_s": statistics.median(r["ttft_s"] or 0.0 for r in pipe_runs),
                     "runs": pipe_runs},
        "ratio_pipeline_over_raw": pipe_med / raw_med if raw_med else None,
        "paired_ratios": paired,
        "token_counts": {"raw": raw_counts, "pipeline": pipe_counts},
        "same_token_count": raw_counts == pipe_counts and len(raw_counts) == 1,
        "same_text": len(texts["raw"] | texts["pipeline"]) == 1,
    }

    # --- 3. complete()'s own per-token cost, model-free ----------------------------------
    pieces = raw_pieces or []
    overhead = {"pieces": len(pieces)}
    if pieces:
        replay = ReplayRuntime(pieces)
        request = ChatRequest(messages=tuple(messages), max_tokens=len(pieces) + 1, temperature=0.0)
        loops = 200

        def per_token_us(**kwargs) -> float:
            t, tokens = time.perf_counter(), 0
            for _ in range(loops):  # until/is_looping may stop early: count the tokens really seen
                tokens += complete(replay, request, **kwargs).tokens
            return (time.perf_counter() - t) / tokens * 1e6

        overhead["plain_us_per_token"] = per_token_us()
        overhead["on_token_us_per_token"] = per_token_us(on_token=lambda n, e: None)
        overhead["on_token_until_us_per_token"] = per_token_us(on_token=lambda n, e: None, until=closed_code_block)
        t = time.perf_counter()
        for _ in range(20):
            runtime.count_tokens(tuple(messages))
        overhead["count_tokens_ms_per_call"] = (time.perf_counter() - t) / 20 * 1e3
        ms_per_token = 1e3 / raw_med if raw_med else 0.0
        overhead["share_of_token_time_with_until"] = (
            overhead["on_token_until_us_per_token"] / 1e3 / ms_per_token if ms_per_token else None)
    report["complete_overhead"] = overhead
    d = report["decode"]
    print(f"\ndecode: {d['prompt']} ({d['prompt_tokens']} prompt tokens), max_tokens {d['max_tokens']}, "
          f"temperature 0, seed {d['seed']}, {d['repeats']} alternating pairs, KV cache reset before each")
    for kind in ("raw", "pipeline"):
        k = d[kind]
        runs = " ".join(f"{r['decode_tok_s']:.1f}" for r in k["runs"])
        print(f"  {kind:<8} decode {k['median_decode_tok_s']:6.2f} tok/s (runs: {runs}) · "
              f"total {k['median_total_tok_s']:6.2f} tok/s · first token {k['median_ttft_s']:.2f} s · "
              f"cores busy: ours {statistics.median(r['cpu_cores_used'] for r in k['runs']):.2f}, "
              f"other processes {statistics.median(r['other_cores_busy'] for r in k['runs']):.2f}")
    ratio = d["ratio_pipeline_over_raw"]
    print(f"decode tok/s ratio pipeline/raw: {ratio:.2f}" if ratio else "decode tok/s ratio pipeline/raw: n/a")
    print(f"  paired per-repeat ratios: {' '.join(f'{r:.3f}' for r in d['paired_ratios'])}")
    counts = d["token_counts"]
    if d["same_token_count"]:
        print(f"  token counts: both {counts['raw'][0]} tokens"
              + (", identical text" if d["same_text"] else ", but the texts differ"))
    else:
        print(f"  token counts DIFFER: raw {counts['raw']} vs pipeline {counts['pipeline']} "
              f"(finish: raw {sorted({r['finish'] for r in d['raw']['runs']})}, "
              f"pipeline {sorted({r['finish'] for r in d['pipeline']['runs']})})")
    if overhead.get("pieces"):
        print(f"  complete() bookkeeping on replayed pieces: {overhead['plain_us_per_token']:.1f} µs/token, "
              f"+on_token {overhead['on_token_us_per_token']:.1f}, "
              f"+until(closed_code_block) {overhead['on_token_until_us_per_token']:.1f} "
              f"({overhead['share_of_token_time_with_until']:.4%} of a token's decode time); "
              f"count_tokens {overhead['count_tokens_ms_per_call']:.2f} ms/call")
    spread = [max(r["decode_tok_s"] for r in k) / min(r["decode_tok_s"] for r in k) - 1
              for k in (d["raw"]["runs"], d["pipeline"]["runs"]) if min(r["decode_tok_s"] for r in k) > 0]
    runs = d["raw"]["runs"] + d["pipeline"]["runs"]
    busy = statistics.median(r["cpu_cores_used"] for r in runs)
    others = max(r["other_cores_busy"] for r in runs)
    noisy = (spread and max(spread) > 0.10) or busy < 0.85 * (m["n_threads"] or 1) or others > 0.25
    report["decode"]["noisy"] = bool(noisy)
    if noisy:
        print(f"  NOTE: numbers look noisy (run-to-run spread up to {max(spread or [0]):.0%}, "
              f"ours {busy:.2f} of {m['n_threads']} threads' cores, other processes up to {others:.2f} cores): "
              "another process was competing for the CPU")
    save()

    # --- 4. memory ------------------------------------------------------------------------
    report["memory"] = {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KB on Linux
        "current_rss_mb": psutil.Process().memory_info().rss / 2**20 if psutil else None,
    }
    report["machine"]["loadavg_after"] = os.getloadavg()
    mem = report["memory"]
    print(f"\nmemory: peak RSS {mem['peak_rss_mb']:.0f} MB"
          + (f", current RSS {mem['current_rss_mb']:.0f} MB" if mem["current_rss_mb"] is not None else ""))

    print(f"load average at the end: {report['machine']['loadavg_after'][0]:.2f}")
    report["complete"] = True
    save()
    if args.json:
        print(f"wrote {args.json}")

    runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
