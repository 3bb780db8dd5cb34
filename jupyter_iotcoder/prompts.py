"""Prompt and JSON-schema files under `prompts/`, filled strictly.

A template names its variables as `{name}`. Filling raises when a variable is
missing or an unknown one is passed, so a renamed placeholder cannot silently
reach the model. Values are inserted in one pass, so braces inside a user's
requirement are never re-interpreted.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from .config import resource_dir

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class PromptError(KeyError):
    """A prompt template and the values given to it do not match."""


@lru_cache(maxsize=None)
def load_text(name: str) -> str:
    return (resource_dir("prompts") / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _load_json(name: str) -> str:
    return load_text(name)


def load_json(name: str) -> Any:
    """A fresh copy of a JSON file (callers may change it, e.g. a schema's maxItems)."""
    return json.loads(_load_json(name))


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def fill(template: str, **values: object) -> str:
    """Replace every `{name}`; a missing or unused value raises PromptError."""
    wanted = placeholders(template)
    missing = wanted - values.keys()
    unused = values.keys() - wanted
    if missing or unused:
        raise PromptError(f"prompt variables missing {sorted(missing)} / unused {sorted(unused)}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def render(name: str, **values: object) -> str:
    """Load `prompts/<name>` and fill it."""
    return fill(load_text(name), **values)
