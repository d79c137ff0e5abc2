"""tracegrad's engine: a scalar reverse-mode autograd you can watch work.

``Value`` records every op into a graph; ``backward()`` applies the chain rule
in reverse topological order. The engine imports only the standard library.
The views (``draw``, ``Stepper``, ``explain``, ``export_html``, ...) live in
``autograd.viz`` and load on first use, so ``import autograd`` stays instant
and works without graphviz or ipywidgets.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import validation
from .compiler import CompiledProgram, compile
from .gradcheck import GradcheckError, GradcheckResult, central_difference, gradcheck
from .graph import Edge, edges, node_ids, topological_order
from .modes import Scope, detect_anomaly, enable_grad, is_grad_enabled, no_grad, row, scope
from .ops import OPS, Op, define_op
from .value import Value

if _TYPE_CHECKING:  # the views' names as type checkers see them; at run time __getattr__ loads them
    from types import ModuleType

    from .viz.dot import DotFailed
    from .viz.draw import draw
    from .viz.explain import chain_rule, explain
    from .viz.files import write_atomically
    from .viz.html import export_html, html_page
    from .viz.network import NetworkPicture, NeuronPicture
    from .viz.stepper import Stepper
    from .viz.steps import BackwardStep, Contribution, ForwardStep, backward_steps, forward_steps
    from .viz.update import Update

__version__ = "0.1.0"

# The views' public names, loaded from autograd.viz on first use (see __getattr__).
_VIEWS = (
    "draw", "backward_steps", "forward_steps", "ForwardStep", "Update", "DotFailed", "BackwardStep",
    "Contribution", "explain", "chain_rule", "Stepper", "export_html", "html_page", "NetworkPicture",
    "NeuronPicture", "write_atomically",
)

__all__ = [
    "Value",
    "Op",
    "OPS",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "scope",
    "row",
    "Scope",
    "define_op",
    "topological_order",
    "edges",
    "node_ids",
    "Edge",
    "gradcheck",
    "central_difference",
    "GradcheckError",
    "GradcheckResult",
    "validation",
    # not "compile": ``from autograd import *`` would hide the builtin compile();
    # it is ``autograd.compile`` (or ``from autograd import compile``).
    "CompiledProgram",
    *_VIEWS,
]


def __getattr__(name: str) -> object:
    """Load a view's public name from ``autograd.viz`` on first use.

    Plain imports, one module at a time, so that import-linter sees them and
    drawing never loads the widget's dependencies.
    """
    module: ModuleType  # (a local's annotation is never evaluated)
    if name in ("draw",):
        from .viz import draw as module
    elif name in ("backward_steps", "forward_steps", "ForwardStep", "BackwardStep", "Contribution"):
        from .viz import steps as module
    elif name == "Update":
        from .viz import update as module
    elif name == "DotFailed":
        from .viz import dot as module
    elif name in ("explain", "chain_rule"):
        from .viz import explain as module
    elif name == "Stepper":
        from .viz import stepper as module
    elif name in ("export_html", "html_page"):
        from .viz import html as module
    elif name in ("NetworkPicture", "NeuronPicture"):
        from .viz import network as module
    elif name == "write_atomically":
        from .viz import files as module
    else:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    found = getattr(module, name)
    globals()[name] = found  # later lookups skip this function
    return found


def __dir__() -> list[str]:
    """The module's names and the views' names, loaded or not (for ``dir`` and tab completion)."""
    return sorted(set(globals()) | set(_VIEWS))
