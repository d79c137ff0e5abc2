"""tracegrad's engine: a scalar reverse-mode autograd you can watch work.

``Value`` records every op into a graph; ``backward()`` applies the chain rule
in reverse topological order. This package imports only the standard library;
drawing and notebook helpers load graphviz or ipywidgets when first used.
"""

from .files import write_atomically
from .gradcheck import GradcheckError, GradcheckResult, central_difference, gradcheck
from .graph import Edge, edges, node_ids, topological_order
from .modes import Scope, detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from .ops import OPS, Op
from .value import Value

__all__ = [
    "Value",
    "Op",
    "OPS",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "scope",
    "Scope",
    "topological_order",
    "edges",
    "node_ids",
    "Edge",
    "gradcheck",
    "central_difference",
    "GradcheckError",
    "GradcheckResult",
    "write_atomically",
]
__version__ = "0.1.0"

# Drawing and notebook helpers import graphviz / ipywidgets, so they load on
# first use: `import autograd` stays instant and works without them.
_LAZY = {
    # Modules named apart from the functions: importing a submodule sets it as
    # an attribute of the package, which would shadow a function of its name.
    "draw": "_draw",
    "backward_steps": "steps",
    "BackwardStep": "steps",
    "Contribution": "steps",
    "explain": "_explain",
    "chain_rule": "_explain",
    "Stepper": "stepper",
    "export_html": "html_export",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module_name}", __name__), name)
