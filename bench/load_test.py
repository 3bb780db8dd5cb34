"""Load test: N concurrent clients (one `OpenAIRuntime` each, like N notebook kernels) against one server.

For each N it reports requests/s, tokens/s (streamed pieces, about one token
each), p50/p95 latency, p50 time to first token and errors. Every client sends a
bounded number of requests and the whole run has a time cap; only loopback
servers are accepted, so this cannot be pointed at someone else's machine.
Without --base-url it starts its own `iotcoder serve` on a free port.

    .venv/bin/python bench/load_test.py --clients 1,2,4,8 --requests 2 --max-tokens 48 \
        --json bench/results/load_test.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from jupyter_iotcoder.config import ServerConfig
from jupyter_iotcoder.errors import IoTCoderError
from jupyter_iotcoder.remote import OpenAIRuntime, normalize_base_url
from jupyter_iotcoder.runtime import ChatRequest, complete
from jupyter_iotcoder.serve import free_port, is_loopback, stop_server, wait_until_ready

# Short, different IoT prompts: a shared prefix (the system line) but no identical requests.
PROMPTS = [
    "Write a Python function that removes gravity from a 50 Hz 3-axis accelerometer signal.",
    "Write a Python function that computes the heart rate from PPG peak times in seconds.",
    "Write a Python function that smooths BLE RSSI readings with an exponential moving average.",
    "Write a Python function that segments an IMU stream into 2 s windows with 50% overlap.",
    "Write a Python function that flags temperature readings more than 3 sigma from a rolling mean.",
    "Write a Python function that computes the RMS of each window of a vibration signal.",
    "Write a Python function that converts a Wi-Fi CSI amplitude matrix to dB.",
    "Write a Python function that counts zero crossings in a microphone frame.",
]
SYSTEM = {"role": "system", "content": "You write short, documented Python for IoT sensor pipelines."}


def run_level(config: ServerConfig, clients: int, requests: int, max_tokens: int,
              deadline: float) -> dict:
    """`clients` threads, each with its own runtime, each sending `requests` requests one after another."""
    records: list[dict] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        rt = OpenAIRuntime(config)
        for i in range(requests):
            if time.monotonic() > deadline:
                return
            prompt = PROMPTS[(index * requests + i) % len(PROMPTS)]
            first: list[float] = []

            def on_token(tokens: int, elapsed: float) -> None:
                if tokens == 1:
                    first.append(elapsed)

            start = time.perf_counter()
            record = {"client": index}
            try:
                request = ChatRequest((SYSTEM, {"role": "user", "content": prompt}), max_tokens=max_tokens,
                                      temperature=0.2, seed=index * 1000 + i)
                result = complete(rt, request, on_token=on_token)
                record.update(ok=True, tokens=result.tokens)
            except IoTCoderError as exc:
                record.update(ok=False, error=str(exc))
            record.update(latency=time.perf_counter() - start, ttft=first[0] if first else None)
            with lock:
                records.append(record)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ok = [r for r in records if r["ok"]]
    latencies = [r["latency"] for r in ok]
    ttfts = [r["ttft"] for r in ok if r["ttft"] is not None]
    tokens = sum(r["tokens"] for r in ok)
    pct = (lambda xs, q: round(float(np.percentile(xs, q)), 2) if xs else None)
    return {
        "clients": clients, "requests": len(records), "ok": len(ok), "errors": len(records) - len(ok),
        "error_messages": sorted({r["error"] for r in records if not r["ok"]}),
        "wall_s": round(wall, 2), "requests_per_s": round(len(ok) / wall, 3), "tokens": tokens,
        "tokens_per_s": round(tokens / wall, 2), "latency_p50_s": pct(latencies, 50),
        "latency_p95_s": pct(latencies, 95), "ttft_p50_s": pct(ttfts, 50),
        "latencies_s": sorted(round(x, 2) for x in latencies),
    }


def print_table(levels: list[dict]) -> None:
    header = f"{'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>7} {'tok/s':>7} {'p50 s':>7} {'p95 s':>7} {'ttft p50':>8}"
    print(header)
    for lv in levels:
        if lv.get("skipped"):
            print(f"{lv['clients']:>7} {'skipped: time cap reached':>40}")
            continue
        print(f"{lv['clients']:>7} {lv['requests']:>8} {lv['errors']:>6} {lv['requests_per_s']:>7.3f} "
              f"{lv['tokens_per_s']:>7.2f} {lv['latency_p50_s'] or 0:>7.2f} {lv['latency_p95_s'] or 0:>7.2f} "
              f"{lv['ttft_p50_s'] or 0:>8.2f}")


def start_own_server(log, threads: int | None) -> tuple[subprocess.Popen, str]:
    """`iotcoder serve` on a free loopback port, its output going to `log`."""
    port = free_port()
    command = [sys.executable, "-m", "jupyter_iotcoder.cli", "-q", "serve", "--port", str(port), "--no-adapters"]
    if threads:
        command += ["--threads", str(threads)]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(url, proc, timeout=300)
    except IoTCoderError:
        stop_server(proc)
        log.seek(0)
        sys.stderr.write(log.read()[-3000:].decode(errors="replace"))
        raise
    return proc, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="a running loopback server (default: start `iotcoder serve` here)")
    parser.add_argument("--api-key", default=os.environ.get("IOTCODER_API_KEY"))
    parser.add_argument("--model", help="model name on the server (default: the first it lists)")
    parser.add_argument("--clients", default="1,2,4,8", help="comma-separated client counts")
    parser.add_argument("--requests", type=int, default=2, help="requests per client")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--time-cap", type=float, default=900, help="seconds for the whole run; later levels skip")
    parser.add_argument("--timeout", type=float, default=600, help="per-request silence timeout, seconds")
    parser.add_argument("--threads", type=int, help="server CPU threads when the script starts the server")
    parser.add_argument("--json", nargs="?", const="-", help="write the results as JSON to this file ('-': stdout)")
    args = parser.parse_args()

    if args.base_url and not is_loopback(urlsplit(normalize_base_url(args.base_url)).hostname or ""):
        parser.error("only loopback servers (127.0.0.1, localhost, ::1) may be load-tested")
    levels_wanted = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryFile() as log:
        proc, url = (None, normalize_base_url(args.base_url)) if args.base_url else start_own_server(log, args.threads)
        try:
            config = ServerConfig(base_url=url, api_key=args.api_key, model=args.model, timeout=args.timeout)
            probe = OpenAIRuntime.connect(config)
            config = ServerConfig(base_url=url, api_key=args.api_key, model=probe.model_name, timeout=args.timeout)
            deadline = time.monotonic() + args.time_cap
            levels = []
            for n in levels_wanted:
                if time.monotonic() > deadline:
                    levels.append({"clients": n, "skipped": True})
                    continue
                levels.append(run_level(config, n, args.requests, args.max_tokens, deadline))
                print(f"done: {n} client(s)", file=sys.stderr)
        finally:
            if proc is not None:
                stop_server(proc)
    print_table(levels)
    if args.json:
        report = {
            "server": {"base_url": url, "model": probe.model_name, "started_by_script": proc is not None},
            "settings": {"requests_per_client": args.requests, "max_tokens": args.max_tokens,
                         "time_cap_s": args.time_cap, "server_threads": None if args.base_url else args.threads},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "levels": levels,
        }
        text = json.dumps(report, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
