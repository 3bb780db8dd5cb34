"""jupyter-iotcoder: a local IoT coding copilot for Jupyter.

Importing the package is light: llama_cpp, nbformat and friends are imported
only by the modules that use them.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """`%load_ext jupyter_iotcoder` registers the `%%iotcoder` cell magic."""
    from .magic import load_ipython_extension as load

    load(ipython)


def _jupyter_labextension_paths():
    """Where JupyterLab finds the prebuilt frontend extension (also used by `jupyter labextension develop`)."""
    return [{"src": "labextension", "dest": "jupyter-iotcoder"}]
