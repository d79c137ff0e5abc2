"""The way out to PyTorch: ``model.to_torch()`` and ``nn.from_torch(module)``.

``to_torch`` turns an ``MLP`` (or a ``Layer``, or a ``Sequential`` of layers,
activations, dropout and batch norm) into the equivalent ``torch.nn.Sequential``
in float64: each ``Layer`` a ``torch.nn.Linear`` (its neurons' weights as the
rows of the weight matrix), each activation its torch module (``leaky_relu``
with nn's slope 0.01), ``Dropout`` and ``BatchNorm`` their torch counterparts
with the same settings and running statistics. It computes the same outputs
and gradients on any input, up to rounding.

``from_torch`` reads back a ``torch.nn.Sequential`` of ``Linear`` layers, each
followed by at most one activation, as an ``MLP`` with those weights. It
reads only weights, so it refuses any module whose result could differ from
what its weights say: a subclass (it may have its own ``forward``), a
``forward`` set on the module itself, and hooks (forward, forward-pre,
backward, state-dict; torch's global forward and backward hooks too), each
named by its path (``model.2``).

torch is imported only here, when one of them is called; without it they
raise an ImportError naming the extra to install.
"""

from __future__ import annotations

from typing import Any

from .dropout import Dropout
from .batchnorm import BatchNorm
from .functional import LEAKY_RELU_SLOPE
from .layers import MLP, Activation, Layer, Sequential
from .module import Module

__all__ = ["to_torch", "from_torch", "INSTALL_HINT"]

INSTALL_HINT = "PyTorch is needed for this: pip install 'tracegrad[torch]' (or pip install torch)"


def _torch() -> Any:
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from None
    return torch


def _activation_module(torch: Any, name: str) -> Any:
    """The torch module of nn's activation ``name``; None for linear."""
    modules = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": lambda: torch.nn.LeakyReLU(LEAKY_RELU_SLOPE),
        "linear": lambda: None,
    }
    return modules[name]()


def _linear(torch: Any, layer: Layer) -> Any:
    linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in neuron.w] for neuron in layer.neurons],
                                         dtype=torch.float64))
        linear.bias.copy_(torch.tensor([neuron.b.data for neuron in layer.neurons], dtype=torch.float64))
    return linear


def _parts(torch: Any, module: Module) -> list[Any]:
    """The torch modules that compute ``module``, in order."""
    if isinstance(module, MLP) or isinstance(module, Sequential):
        return [part for child in module.layers for part in _parts(torch, child)]
    if isinstance(module, Layer):
        activation = _activation_module(torch, module.activation)
        return [_linear(torch, module)] + ([activation] if activation is not None else [])
    if isinstance(module, Activation):
        activation = _activation_module(torch, module.activation)
        return [activation] if activation is not None else []
    if isinstance(module, Dropout):
        return [torch.nn.Dropout(module.p)]
    if isinstance(module, BatchNorm):
        norm = torch.nn.BatchNorm1d(module.num_features, eps=module.eps, momentum=module.momentum,
                                    dtype=torch.float64)
        with torch.no_grad():
            norm.weight.copy_(torch.tensor([g.data for g in module.gamma], dtype=torch.float64))
            norm.bias.copy_(torch.tensor([b.data for b in module.beta], dtype=torch.float64))
            norm.running_mean.copy_(torch.tensor(module.running_mean, dtype=torch.float64))
            norm.running_var.copy_(torch.tensor(module.running_var, dtype=torch.float64))
        return [norm]
    raise TypeError(f"to_torch knows MLP, Layer, Sequential, Activation, Dropout and BatchNorm, "
                    f"not {type(module).__name__}")


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Sequential`` (float64), in the model's train/eval mode."""
    torch = _torch()
    converted = torch.nn.Sequential(*_parts(torch, model))
    converted.train(model.training)
    return converted


def _activation_name(torch: Any, module: Any) -> str | None:
    """nn's name of a torch activation module, or None if it is not one."""
    if type(module) is torch.nn.LeakyReLU:
        if module.negative_slope != LEAKY_RELU_SLOPE:
            raise ValueError(f"nn's leaky_relu has slope {LEAKY_RELU_SLOPE}, the module has {module.negative_slope}")
        return "leaky_relu"
    return {torch.nn.ReLU: "relu", torch.nn.Tanh: "tanh", torch.nn.Sigmoid: "sigmoid",
            torch.nn.Identity: "linear"}.get(type(module))


def _known_classes(torch: Any) -> tuple[type, ...]:
    return (torch.nn.Linear, torch.nn.ReLU, torch.nn.LeakyReLU, torch.nn.Tanh, torch.nn.Sigmoid, torch.nn.Identity)


def _refuse_altered(module: Any, path: str) -> None:
    """Refuse a module that may compute something other than its weights say: its own forward, or hooks."""
    kind = type(module).__name__
    if "forward" in vars(module):
        raise ValueError(f"{path} ({kind}) has a forward of its own, set on the module; from_torch reads only "
                         "weights, so it cannot tell what that forward computes")
    hooks = sorted(name.strip("_") for name, registered in vars(module).items()
                   if name.endswith("hooks") and isinstance(registered, dict) and registered)
    if hooks:
        raise ValueError(f"{path} ({kind}) has {', '.join(hooks)}: a hook may change what the module computes, "
                         "and from_torch reads only weights; remove the hooks (handle.remove()) first")


def _refuse_global_hooks(torch: Any) -> None:
    """Refuse while torch's global forward or backward hooks are registered: they change every module's result."""
    registry = torch.nn.modules.module
    hooks = sorted(name.strip("_") for name, registered in vars(registry).items()
                   if name.startswith("_global_") and name.endswith("hooks")
                   and ("forward" in name or "backward" in name) and isinstance(registered, dict) and registered)
    if hooks:
        raise ValueError(f"torch has {', '.join(hooks)} registered (register_module_forward_hook and the like): "
                         "they change what every module computes, and from_torch reads only weights")


def from_torch(module: Any) -> MLP:
    """The ``MLP`` a ``torch.nn.Sequential`` of Linear layers (each with at most one activation) computes.

    Hidden layers must share one activation (an MLP has one); the last
    layer's activation becomes ``output_activation``. The weights are copied
    as float64 values. Only torch's own classes are read (``Linear``,
    ``ReLU``, ``LeakyReLU(0.01)``, ``Tanh``, ``Sigmoid``, ``Identity``, in a
    ``Sequential``), without hooks or a ``forward`` of their own: anything
    else may compute what its weights do not say, and is refused, naming its
    path (``model.2``).
    """
    torch = _torch()
    if type(module) is not torch.nn.Sequential:
        if isinstance(module, torch.nn.Sequential):
            raise TypeError(f"from_torch reads a torch.nn.Sequential itself, got model ({type(module).__name__}), "
                            "a subclass of it, which may compute something other than its parts")
        raise TypeError(f"from_torch reads a torch.nn.Sequential, got {type(module).__name__}")
    _refuse_global_hooks(torch)
    _refuse_altered(module, "model")
    layers: list[tuple[Any, str]] = []
    # Every position (named_children would list a module used twice only once).
    for child_name, part in module._modules.items():
        path = f"model.{child_name}"
        kind = type(part).__name__
        if type(part) not in _known_classes(torch):
            known = next((base.__name__ for base in _known_classes(torch) if isinstance(part, base)), None)
            if known is not None:
                raise ValueError(f"{path} ({kind}) is a subclass of torch.nn.{known}: it may compute something "
                                 f"other than {known} (its own forward); from_torch reads only torch's own classes")
            raise ValueError(f"{path} ({kind}) is neither Linear nor an activation "
                             "nn knows (ReLU, LeakyReLU(0.01), Tanh, Sigmoid, Identity)")
        _refuse_altered(part, path)
        if type(part) is torch.nn.Linear:
            if part.bias is None:
                raise ValueError(f"{path}: a Linear without a bias has no nn counterpart")
            layers.append((part, "linear"))
            continue
        name = _activation_name(torch, part)
        assert name is not None  # (a known class other than Linear is an activation)
        if not layers or layers[-1][1] != "linear":
            raise ValueError(f"{path} ({kind}) must follow a Linear layer")
        layers[-1] = (layers[-1][0], name)
    if not layers:
        raise ValueError("from_torch needs at least one Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"an MLP has one hidden activation; the module's hidden layers use {sorted(hidden)}")
    for before, after in zip(layers, layers[1:]):
        if before[0].out_features != after[0].in_features:
            raise ValueError(f"a Linear of {before[0].out_features} outputs feeds one of {after[0].in_features} inputs")
    model = MLP(layers[0][0].in_features, [linear.out_features for linear, _ in layers],
                activation=hidden.pop() if hidden else "relu", output_activation=layers[-1][1], seed=0)
    state: dict[str, float] = {}
    for i, (linear, _) in enumerate(layers, start=1):
        weight = linear.weight.detach().to(torch.float64).tolist()
        bias = linear.bias.detach().to(torch.float64).tolist()
        for j, (row, b) in enumerate(zip(weight, bias), start=1):
            for k, w in enumerate(row, start=1):
                state[f"L{i}.N{j}.w{k}"] = w
            state[f"L{i}.N{j}.b"] = b
    return model.load_state_dict(state)  # type: ignore[return-value]
