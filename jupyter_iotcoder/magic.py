"""The `%%iotcoder` cell magic: parse the options, check the requirement, start the job.

A thin shell over jobs.KernelGenerator (background generation), progress
(what the cell shows) and frontend (insertion below the magic cell).
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .config import ADAPTER_CHOICES, GenerationConfig, RuntimeConfig
from .errors import IoTCoderError
from .frontend import Delivery, deliver
from .jobs import KernelGenerator, MagicRequest
from .requirement import check_requirement
from .schema import PipelineResult


def magic_cell_id(shell: Any) -> str | None:
    """The id of the executing cell, which JupyterLab sends in the execute request's metadata."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        return kernel.get_parent("shell").get("metadata", {}).get("cellId") or None
    except (AttributeError, KeyError, LookupError):
        return None


def _known_data_names() -> tuple[str, ...] | None:
    try:
        from .sensors import DATASETS
    except ImportError:
        return None
    return tuple(DATASETS)


@magics_class
class IoTCoderMagics(Magics):
    """Registered by `%load_ext jupyter_iotcoder`; one KernelGenerator (and model) per kernel."""

    def __init__(self, shell: Any, generator: KernelGenerator | None = None) -> None:
        super().__init__(shell)
        self.generator = generator or KernelGenerator()

    def in_kernel(self) -> bool:
        """True under ipykernel with ipywidgets: generate in the background and insert via the extension."""
        return getattr(self.shell, "kernel", None) is not None and importlib.util.find_spec("ipywidgets") is not None

    def request(self, line: str, cell: str) -> MagicRequest:
        """Parse the magic line into a MagicRequest; raises UsageError or RequirementError."""
        args = parse_argstring(self.iotcoder, line)
        if not 1 <= args.max_tasks <= 8:
            raise UsageError("--max-tasks must be between 1 and 8")
        if not 0.0 <= args.temperature <= 2.0:
            raise UsageError("--temperature must be between 0 and 2")
        if args.threads is not None and args.threads < 1:
            raise UsageError("--threads must be at least 1")
        if args.replace and args.no_insert:
            raise UsageError("--replace and --no-insert cannot be used together")
        data = tuple(dict.fromkeys(args.data or ()))
        known = _known_data_names()
        unknown = [name for name in data if known is not None and name not in known]
        if unknown:
            raise UsageError(f"unknown --data {', '.join(unknown)}; choose from {', '.join(known or ())}")
        config = GenerationConfig(max_tasks=args.max_tasks, temperature=args.temperature, seed=args.seed,
                                  validate=not args.no_validate, available_data=data)
        _cleaned, warnings = check_requirement(cell, config)
        for warning in warnings:
            print(f"iotcoder: {warning}", file=sys.stderr)
        return MagicRequest(requirement=cell, config=config, model=args.model,
                            runtime=RuntimeConfig(n_threads=args.threads, adapters=args.adapters),
                            insert=not args.no_insert,
                            replace=args.replace, magic_cell_id=magic_cell_id(self.shell))

    @magic_arguments()
    @argument("--model", default=None, help="model name from `iotcoder models list`, or a .gguf path")
    @argument("--max-tasks", type=int, default=5, help="at most this many steps (1-8)")
    @argument("--temperature", type=float, default=0.2, help="sampling temperature (0-2)")
    @argument("--seed", type=int, default=0, help="sampling seed")
    @argument("--threads", type=int, default=None,
              help="CPU threads for the model (default: all cores; 1 is faster when other work shares the CPU)")
    @argument("--no-insert", action="store_true", help="show the result in this cell's output only")
    @argument("--replace", action="store_true",
              help="remove the cells this magic cell generated before, then insert the new ones")
    @argument("--no-validate", action="store_true", help="skip running each step on sample inputs")
    @argument("--adapters", choices=ADAPTER_CHOICES, default="default",
              help="which shipped LoRA adapters to apply: those on by default, all, or none")
    @argument("--data", nargs="+", default=[], metavar="NAME",
              help="example sensor data the generated code may load (e.g. basic_motions ppg)")
    @cell_magic
    def iotcoder(self, line: str, cell: str) -> None:
        """Generate a documented markdown + code cell pair per task for the requirement in the cell body."""
        try:
            self.generator.check_idle()
            request = self.request(line, cell)
        except IoTCoderError as exc:
            print(f"iotcoder: {exc}", file=sys.stderr)
            return
        background = self.in_kernel()
        if background:
            from IPython.display import display

            from .progress import WidgetProgress

            view = WidgetProgress(display)
        else:
            from .progress import TextProgress

            view = TextProgress()
        try:
            self.generator.start(request, view, self._deliverer(background), background=background)
        except IoTCoderError as exc:  # another cell started a run between the check and here
            view.fail(str(exc))

    def _deliverer(self, in_kernel: bool):
        def deliver_result(result: PipelineResult, request: MagicRequest) -> Delivery:
            return deliver(result, request.magic_cell_id, replace=request.replace, in_kernel=in_kernel)

        return deliver_result


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(IoTCoderMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo: a reloaded extension registers a fresh magic (and loads the model again)."""
