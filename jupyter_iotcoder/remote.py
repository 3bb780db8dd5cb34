"""The second runtime backend: an OpenAI-compatible server (vLLM, llama.cpp's llama-server,
llama-cpp-python's server via `iotcoder serve`, Ollama, a hosted endpoint).

The stages cannot tell it from the local `LlamaRuntime`: it implements the same
`Runtime` protocol. Per-stage LoRA adapters travel with each request, either as
the request's model name (vLLM `--lora-modules decompose=...`) or as llama-server's
`lora` field. Retries with backoff on connection errors, timeouts, 429 and 5xx are
the `openai` client's own (`max_retries`); this module turns what is left into
errors that say what to do. The `openai` package is imported only when a runtime
is created, so `import jupyter_iotcoder` stays light.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from .config import ServerConfig
from .errors import ContextOverflowError, IoTCoderError
from .runtime import STAGES_WITH_ADAPTERS, ChatRequest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger("jupyter_iotcoder")

STAGES = ("decompose", "transform", "codegen")
JSON_MODES = ("auto", "json_schema", "json_object")
CHARS_PER_TOKEN = 3
_SERVE_HINT = "start one with `iotcoder serve`, or unset IOTCODER_BASE_URL to run the model locally"


class ServerError(IoTCoderError):
    """The inference server answered, but not with something the pipeline can use."""


class ServerConfigError(ServerError):
    """The server configuration (file or IOTCODER_* variables) cannot be used."""

    exit_code = 2


class ServerUnavailableError(ServerError):
    """Nothing answers at the base URL (not started, wrong port, connection lost)."""


class ServerAuthError(ServerError):
    """The server refused the API key."""


class ServerModelError(ServerError):
    """The server does not serve the model (or adapter) a stage asked for."""


class ServerTimeoutError(ServerError):
    """The server stayed silent longer than the configured timeout."""


# --- configuration ------------------------------------------------------------

_ENV = {
    "IOTCODER_BASE_URL": "base_url",
    "IOTCODER_API_KEY": "api_key",
    "IOTCODER_SERVER_MODEL": "model",
    "IOTCODER_STAGE_MODELS": "stage_models",
    "IOTCODER_LORA_IDS": "lora_ids",
    "IOTCODER_SERVER_TIMEOUT": "timeout",
    "IOTCODER_JSON_MODE": "json_mode",
}
_FIELDS = set(_ENV.values()) | {"max_retries"}


def parse_mapping(text: str, source: str, *, as_int: bool = False) -> dict:
    """"decompose=decompose,codegen=codegen" -> {"decompose": "decompose", "codegen": "codegen"}."""
    mapping: dict = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        stage, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not value:
            raise ServerConfigError(f"{source}: {item!r} is not stage=value (e.g. decompose=0,codegen=1)")
        mapping[stage] = value
    return _check_mapping(mapping, source, as_int)


def _check_mapping(mapping: Mapping, source: str, as_int: bool) -> dict:
    unknown = sorted(set(mapping) - set(STAGES))
    if unknown:
        raise ServerConfigError(f"{source}: unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}")
    if not as_int:
        return {stage: str(value) for stage, value in mapping.items()}
    try:
        return {stage: int(value) for stage, value in mapping.items()}
    except (TypeError, ValueError):
        raise ServerConfigError(f"{source}: adapter ids must be integers (llama-server's --lora order)") from None


def normalize_base_url(url: str) -> str:
    """Add the `/v1` that OpenAI-compatible servers serve under when the URL has no path."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServerConfigError(f"base URL {url!r} is not an http(s) URL like http://127.0.0.1:8000/v1")
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def load_server_config(path: str | os.PathLike | None = None, *, base_url: str | None = None,
                       environ: Mapping[str, str] | None = None) -> ServerConfig | None:
    """The configured server, or None when no base URL is set (then the local model runs).

    Precedence: arguments (CLI flags) > IOTCODER_* variables > the TOML file
    (`path`, else $IOTCODER_SERVER_CONFIG).
    """
    environ = os.environ if environ is None else environ
    path = path or environ.get("IOTCODER_SERVER_CONFIG")
    values: dict = {}
    if path:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ServerConfigError(f"cannot read the server config {path}: {exc}") from exc
        unknown = sorted(set(values) - _FIELDS)
        if unknown:
            raise ServerConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
        for key, as_int in (("stage_models", False), ("lora_ids", True)):
            if key in values and not isinstance(values[key], dict):
                raise ServerConfigError(f"{path}: [{key}] must be a table of stage = value lines")
            if key in values:
                values[key] = _check_mapping(values[key], f"{path} [{key}]", as_int)
    for var, key in _ENV.items():
        text = environ.get(var)
        if not text:
            continue
        if key in ("stage_models", "lora_ids"):
            values[key] = parse_mapping(text, var, as_int=key == "lora_ids")
        else:
            values[key] = text
    if base_url:
        values["base_url"] = base_url
    if not values.get("base_url"):
        if path:
            raise ServerConfigError(f"{path} sets no base_url: add base_url = \"http://host:port/v1\"")
        return None
    if values.get("json_mode", "auto") not in JSON_MODES:
        raise ServerConfigError(f"json_mode must be one of {', '.join(JSON_MODES)}, not {values['json_mode']!r}")
    try:
        values["timeout"] = float(values.get("timeout", ServerConfig.timeout))
        values["max_retries"] = int(values.get("max_retries", ServerConfig.max_retries))
    except (TypeError, ValueError) as exc:
        raise ServerConfigError(f"timeout and max_retries must be numbers: {exc}") from None
    return ServerConfig(**{**values, "base_url": normalize_base_url(values["base_url"])})


# --- the runtime --------------------------------------------------------------

def _response_format(mode: str, schema: dict) -> dict:
    if mode == "json_object":  # llama-cpp-python's server and llama-server
        return {"type": "json_object", "schema": schema}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title", "answer")))[:64] or "answer"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def _rejects_json_schema(exc) -> bool:
    """llama-cpp-python's server answers 500 'Input should be 'text' or 'json_object''."""
    text = str(getattr(exc, "message", "")) + str(getattr(exc, "body", ""))
    return getattr(exc, "status_code", 0) in (400, 422, 500) and ("json_object" in text or "json_schema" in text)


class OpenAIRuntime:
    """Runs every stage on an OpenAI-compatible server; one instance per kernel.

    Requests from one instance are serialised by a lock (a kernel's calls stay in
    order); separate instances, i.e. separate kernels, send concurrently and the
    server batches them (vLLM, llama-server) or queues them (llama-cpp-python).
    """

    def __init__(self, config: ServerConfig, *, n_ctx: int = 4096, use_adapters: bool = True) -> None:
        import openai  # imported here: only a remote run needs it

        self._openai = openai
        self.config = config
        self.base_url = normalize_base_url(config.base_url)
        self.n_ctx = n_ctx
        self.model_name = config.model or ""
        self.json_mode = config.json_mode
        self._use_adapters = use_adapters
        self._stage_models = dict(config.stage_models) if use_adapters else {}
        self._lora_ids = dict(config.lora_ids) if use_adapters else {}
        self._client = openai.OpenAI(base_url=self.base_url, api_key=config.api_key or "no-key",
                                     timeout=config.timeout, max_retries=config.max_retries)
        self._lock = threading.Lock()
        self._checked = False

    @classmethod
    def connect(cls, config: ServerConfig, *, model: str | None = None, n_ctx: int = 4096,
                use_adapters: bool = True) -> "OpenAIRuntime":
        """Create a runtime and check now, not at the first stage, that the server serves its models."""
        runtime = cls(replace(config, model=model or config.model), n_ctx=n_ctx, use_adapters=use_adapters)
        runtime.check()
        return runtime

    def list_models(self) -> list[str]:
        """Model ids that the server's /v1/models offers."""
        try:
            return [model.id for model in self._client.models.list()]
        except Exception as exc:
            raise self._error(exc) from exc

    def check(self) -> None:
        """Resolve the base model and the stage models against /v1/models.

        llama-cpp-python's server silently answers with its default model when the
        name is unknown, so the names are checked here rather than trusted.
        """
        try:
            offered = self.list_models()
        except ServerModelError:
            if not self.model_name:
                raise ServerModelError(f"the server at {self.base_url} does not list its models (/v1/models): "
                                       "name the model with IOTCODER_SERVER_MODEL or --model") from None
            self._checked = True
            return
        if not offered:
            raise ServerModelError(f"the server at {self.base_url} offers no models")
        if self._use_adapters and not self._stage_models and not self._lora_ids:
            self._stage_models = {stage: stage for stage in STAGES_WITH_ADAPTERS if stage in offered}
            if self._stage_models:
                log.info("server adapters found for %s", ", ".join(self._stage_models))
        if not self.model_name:
            adapters = set(self._stage_models.values())
            self.model_name = next((m for m in offered if m not in adapters), offered[0])
        missing = [m for m in [self.model_name, *self._stage_models.values()] if m not in offered]
        if missing:
            raise ServerModelError(
                f"the server at {self.base_url} does not serve {', '.join(map(repr, missing))}; "
                f"it offers: {', '.join(offered)}. Fix IOTCODER_SERVER_MODEL / IOTCODER_STAGE_MODELS (or --model)."
            )
        self._checked = True

    def adapters(self) -> dict[str, str]:
        named = dict(self._stage_models)
        named.update({stage: f"llama-server lora {i}" for stage, i in self._lora_ids.items()})
        return named

    def count_tokens(self, messages: tuple[dict, ...]) -> int:
        """An estimate (the server tokenizes): ~3 characters per token, on the high side for English and code."""
        return sum(len(m["content"]) // CHARS_PER_TOKEN + 4 for m in messages) + 3

    def _chat_kwargs(self, request: ChatRequest) -> dict:
        kwargs: dict = dict(
            model=self._stage_models.get(request.adapter or "", self.model_name),
            messages=list(request.messages),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            stream=True,
        )
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if self._lora_ids:
            kwargs["extra_body"] = {"lora": [{"id": i, "scale": 1.0 if stage == request.adapter else 0.0}
                                             for stage, i in sorted(self._lora_ids.items(), key=lambda x: x[1])]}
        return kwargs

    def _open(self, request: ChatRequest):
        kwargs = self._chat_kwargs(request)
        if request.json_schema is None:
            return self._client.chat.completions.create(**kwargs)
        if self.json_mode == "auto":
            # One attempt without the client's retries: a server that rejects the
            # json_schema shape answers at once, and is not asked three times.
            probe = self._client.with_options(max_retries=0).chat.completions.create
            try:
                stream = probe(**kwargs, response_format=_response_format("json_schema", request.json_schema))
                self.json_mode = "json_schema"
                return stream
            except self._openai.APIStatusError as exc:
                if _rejects_json_schema(exc):
                    log.info("%s does not take response_format json_schema: using json_object with a schema",
                             self.base_url)
                    self.json_mode = "json_object"
            except self._openai.APIConnectionError:
                pass  # tried again below, with the client's retries
        mode = "json_schema" if self.json_mode == "auto" else self.json_mode
        return self._client.chat.completions.create(**kwargs, response_format=_response_format(mode, request.json_schema))

    def stream(self, request: ChatRequest) -> Iterator[str]:
        with self._lock:
            if not self._checked:
                self.check()
            try:
                with self._open(request) as chunks:
                    for chunk in chunks:
                        piece = chunk.choices[0].delta.content if chunk.choices else None
                        if piece:
                            yield piece
            except IoTCoderError:
                raise
            except Exception as exc:
                raise self._error(exc) from exc

    def _offered_text(self) -> str:
        try:
            return ", ".join(model.id for model in self._client.models.list())
        except Exception:
            return "(the model list could not be read)"

    def _error(self, exc: Exception) -> IoTCoderError:
        """Turn a client exception (after the client's own retries) into a message that says what to do."""
        openai, url = self._openai, self.base_url
        tries = f"{self.config.max_retries + 1} attempt(s)"
        if isinstance(exc, openai.APITimeoutError) or "Timeout" in type(exc).__name__:
            return ServerTimeoutError(
                f"the server at {url} sent nothing for {self.config.timeout:g} s ({tries}): it may be overloaded "
                "or stuck. Check its log, or raise the timeout (IOTCODER_SERVER_TIMEOUT or `timeout` in the config)."
            )
        if isinstance(exc, openai.APIConnectionError) or type(exc).__module__.startswith("httpx"):
            return ServerUnavailableError(f"cannot reach {url} ({tries}): is the server running? {_SERVE_HINT}")
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ServerAuthError(
                f"the server at {url} refused the API key (HTTP {exc.status_code}): set IOTCODER_API_KEY "
                "(or api_key in the server config) to the key the server was started with"
            )
        if isinstance(exc, openai.NotFoundError):
            return ServerModelError(f"the server at {url} has no such model or endpoint ({exc.message}); "
                                    f"it offers: {self._offered_text()}")
        if isinstance(exc, openai.BadRequestError) and "context" in str(exc.message).lower():
            return ContextOverflowError(f"the server at {url}: {exc.message} Shorten the requirement or "
                                        "raise the server's context size.")
        if isinstance(exc, openai.APIStatusError):
            return ServerError(f"the server at {url} answered HTTP {exc.status_code} ({tries}): {exc.message}")
        return ServerError(f"the server at {url} sent something that is not an OpenAI chat-completion answer "
                           f"({type(exc).__name__}: {exc})")

    def close(self) -> None:
        self._client.close()
