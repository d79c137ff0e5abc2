"""The views' optional imports, loaded when first used, with an error that says what to install.

``import autograd`` needs only the standard library. Drawing needs the
``graphviz`` Python package (installed with tracegrad) and Graphviz's ``dot``
program; the Jupyter stepper needs ``ipywidgets`` (the ``notebook`` extra).
"""

from __future__ import annotations

import importlib
from types import ModuleType

GRAPHVIZ_HINT = "pip install graphviz (it is a dependency of tracegrad: pip install tracegrad)"
IPYWIDGETS_HINT = "pip install tracegrad[notebook]"


def import_graphviz() -> ModuleType:
    """The ``graphviz`` package, or an ImportError naming what to install."""
    return _optional("graphviz", "drawing a graph", GRAPHVIZ_HINT)


def import_ipywidgets() -> ModuleType:
    """The ``ipywidgets`` package, or an ImportError naming the extra to install."""
    return _optional("ipywidgets", "the Jupyter Stepper", IPYWIDGETS_HINT)


def _optional(module: str, needed_by: str, hint: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{needed_by} needs the {module} package, which is not installed: {hint}") from error
