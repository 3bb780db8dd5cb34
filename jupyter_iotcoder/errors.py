"""Errors a user can act on. Each message says what went wrong and what to do next."""


class IoTCoderError(Exception):
    """Base class: the CLI prints these without a traceback and exits non-zero."""

    exit_code = 1


class RequirementError(IoTCoderError, ValueError):
    """The requirement text cannot be used as it is (empty, too long, off-topic)."""

    exit_code = 2


class ModelNotFoundError(IoTCoderError):
    """No usable model file could be found or assembled."""


class ModelCorruptError(IoTCoderError):
    """A model file exists but is truncated, corrupted or not GGUF."""


class RuntimeLoadError(IoTCoderError):
    """llama.cpp could not load a model or adapter."""


class ContextOverflowError(IoTCoderError, ValueError):
    """A prompt does not fit the model's context window."""

    exit_code = 2


class GenerationError(IoTCoderError):
    """The model's answer could not be turned into the next stage's input."""


class GenerationCancelled(IoTCoderError):
    """The user stopped generation (Ctrl-C, cancel button)."""

    exit_code = 130


class OutputPathError(IoTCoderError):
    """The notebook cannot be written where the user asked."""

    exit_code = 2
