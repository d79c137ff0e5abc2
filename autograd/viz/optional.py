"""The views' optional imports, loaded when first used, with an error that says what to install.

``import autograd`` needs only the standard library. Drawing needs the
``graphviz`` Python package (installed with tracegrad) and Graphviz's ``dot``
program; the Jupyter stepper needs ``ipywidgets`` (the ``notebook`` extra).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..i18n import N_, Catalogue

_ = Catalogue("views").gettext
GRAPHVIZ_HINT = "pip install graphviz"  # a dependency of tracegrad: pip install tracegrad brings it
IPYWIDGETS_HINT = "pip install tracegrad[notebook]"


def import_graphviz() -> ModuleType:
    """The ``graphviz`` package, or an ImportError naming what to install."""
    return _optional("graphviz", N_("drawing a graph needs the {module} package, which is not installed: {hint} "
                                    "(it is a dependency of tracegrad: pip install tracegrad)"), GRAPHVIZ_HINT)


def import_ipywidgets() -> ModuleType:
    """The ``ipywidgets`` package, or an ImportError naming the extra to install."""
    return _optional("ipywidgets", N_("the Jupyter Stepper needs the {module} package, which is not installed: "
                                      "{hint}"), IPYWIDGETS_HINT)


def import_anywidget() -> ModuleType:
    """The ``anywidget`` package (the Jupyter Stepper's widget), or an ImportError naming the extra to install."""
    return _optional("anywidget", N_("the Jupyter Stepper needs the {module} package, which is not installed: "
                                     "{hint}"), IPYWIDGETS_HINT)


def _optional(module: str, message: str, hint: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(_(message).format(module=module, hint=hint)) from error
