"""`iotcoder data build` / `python -m jupyter_iotcoder.data build`: build the training sets and their card."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .build import BuildConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", required=True)
    build = sub.add_parser("build", help="knowledge base + curated programs + crawled docs -> JSONL and CARD.md")
    build.add_argument("--seed", type=int, default=BuildConfig.seed, help="seed of every random choice")
    build.add_argument("--out", type=Path, default=BuildConfig.out, help="output folder (default data/built)")
    build.add_argument("--card", type=Path, default=BuildConfig.card, help="dataset card to write")
    build.add_argument("--limit", type=int, help="at most N combinations, curated programs and crawled APIs")
    build.add_argument("--decompositions", type=int, default=BuildConfig.decompositions_target,
                       help="decompositions to draw before dedup")
    build.add_argument("--workers", type=int, default=BuildConfig.workers, help="sandbox subprocesses at a time")
    build.add_argument("--nice", type=int, default=10, help="lower this build's CPU priority by N (0: unchanged)")
    build.add_argument("--tokenizer", action="store_true",
                       help="count lengths with the default model's tokenizer (loads it) instead of characters/4")
    build.add_argument("--quiet", action="store_true", help="no progress bars")


def _token_counter():
    from ..config import RuntimeConfig
    from ..runtime import load_runtime

    runtime = load_runtime(None, RuntimeConfig(n_ctx=512, adapters="none"))
    return lambda messages: runtime.count_tokens(tuple(messages))


def run(args: argparse.Namespace) -> int:
    from .build import build

    if args.limit is not None and args.limit < 1:
        raise SystemExit("--limit must be at least 1")
    if args.nice > 0:
        os.nice(args.nice)
    config = BuildConfig(seed=args.seed, out=args.out, card=args.card, limit=args.limit,
                         decompositions_target=args.decompositions, workers=args.workers,
                         count_tokens=_token_counter() if args.tokenizer else None)
    stats = build(config, progress=not args.quiet)
    summary = {name: info["count"] for name, info in stats["files"].items()}
    print(json.dumps({"files": summary, "seconds": stats["timings_s"]["total"]}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_iotcoder.data")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
