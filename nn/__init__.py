"""tracegrad's neural networks: neurons, layers and MLPs made of autograd Values.

Everything here computes with ``autograd.Value``, so every number a network
produces can be drawn and its backward stepped node by node::

    from nn import MLP, SGD, hinge_loss, data
    X, y = data.make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1])                      # ReLU hidden, linear output
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = model.fit(X, y, loss=hinge_loss, optimizer=opt, epochs=100)
    model.save("moons.json"); again = MLP(2, [16, 16, 1]).load("moons.json")
"""

from . import data, models, names
from .backprop import deltas, deltas_by_row, weighted_sums
from .batchnorm import BatchNorm
from .dropout import Dropout
from .functional import ACTIVATIONS, activation, log_softmax, mean, softmax, total
from .layers import MLP, Activation, Layer, Neuron, Sequential
from .losses import (
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    get_loss,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from .models import icecream_network, tower_network
from .names import Naming, naming
from .module import History, Module, StateError, build
from .optim import OPTIMIZERS, SGD, Adam, Optimizer
from .picture import network_picture
from .serialization import load_model
from .training import evaluate, fit
from .torch_bridge import from_torch  # (torch itself is imported only when it is called)

__all__ = [
    "network_picture",
    "names",
    "naming",
    "Naming",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Sequential",
    "Activation",
    "Dropout",
    "BatchNorm",
    "SGD",
    "Adam",
    "Optimizer",
    "OPTIMIZERS",
    "History",
    "fit",
    "evaluate",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l1_penalty",
    "l2_penalty",
    "LOSSES",
    "get_loss",
    "softmax",
    "log_softmax",
    "total",
    "mean",
    "activation",
    "ACTIVATIONS",
    "StateError",
    "build",
    "load_model",
    "data",
    "models",
    "icecream_network",
    "tower_network",
    "deltas",
    "deltas_by_row",
    "weighted_sums",
    "from_torch",
]
