"""jupyter-iotcoder: a local IoT coding copilot for Jupyter.

Importing the package is light: llama_cpp, nbformat and friends are imported
only by the modules that use them.
"""

__version__ = "0.1.0"
