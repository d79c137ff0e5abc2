"""Optimisers: SGD (momentum, weight decay) and Adam, with PyTorch's update rules.

An optimiser holds a list of parameters (Values). ``step()`` moves each one
against its gradient; ``zero_grad()`` clears the gradients, which otherwise
accumulate. Updates run under ``autograd.no_grad()`` and touch only the
floats ``p.data``: they build no graph.

The learning rate is a number or a schedule: a callable of the step number
(0 for the first ``step()``), e.g. micrograd's demo ``lambda k: 1.0 - 0.9 * k / 100``.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence, Union

from autograd import Value, no_grad
from autograd.validation import instance, is_real, real

from .functional import check_ordered, is_list_like
from .module import Module

LearningRate = Union[float, Callable[[int], float]]


class Optimizer:
    """What SGD and Adam share: the parameters, the step count and the learning rate."""

    def __init__(self, parameters: Union[Module, Iterable[Value]], lr: LearningRate) -> None:
        listed = getattr(parameters, "parameters", None)  # a Module's, or any model's that lists them
        if hasattr(type(parameters), "parameters") and callable(listed):
            parameters = listed()
        check_ordered(parameters, "parameters")
        self.parameters: list[Value] = list(parameters)
        if not self.parameters:
            raise ValueError("an optimiser needs at least one parameter")
        seen = set()
        for i, p in enumerate(self.parameters):
            if not isinstance(p, Value):
                raise TypeError(f"parameter {i} is not a Value: {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"parameter {i} ({p.label or 'unlabelled'}) is listed twice")
            seen.add(id(p))
        if not callable(lr):
            real(lr, "lr", low=0.0)
        self.lr = lr
        #: How many times ``step()`` has run.
        self.steps = 0

    def learning_rate(self, step: int | None = None) -> float:
        """The learning rate at ``step`` (default: the next step), calling the schedule if any."""
        k = self.steps if step is None else step
        if callable(self.lr):
            rate = self.lr(k)
            if not is_real(rate):
                raise TypeError(
                    f"the learning-rate schedule gave {type(rate).__name__} ({rate!r}) at step {k}; expected a number"
                )
            if not math.isfinite(rate):
                raise ValueError(f"the learning-rate schedule gave {rate!r} at step {k}; expected a finite number")
            return float(rate)
        return float(self.lr)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.parameters:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current gradient."""
        rate = self.learning_rate()
        with no_grad():
            self._update(rate)
        self.steps += 1

    def _update(self, rate: float) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule.

    g = grad + weight_decay * p; with momentum, buf = g on the first step and
    buf = momentum * buf + (1 - dampening) * g after, then g = buf (or
    g + momentum * buf with ``nesterov``); finally p = p - lr * g.
    """

    def __init__(
        self,
        parameters: Union[Module, Iterable[Value]],
        lr: LearningRate = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(parameters, lr)
        self.momentum = real(momentum, "momentum", low=0.0)
        self.weight_decay = real(weight_decay, "weight_decay", low=0.0)
        self.dampening = real(dampening, "dampening", low=0.0)
        self.nesterov = instance(nesterov, "nesterov", bool)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        self.velocity: list[float] | None = None

    def _update(self, rate: float) -> None:
        decay, momentum = self.weight_decay, self.momentum
        if momentum == 0.0:
            if decay == 0.0:
                for p in self.parameters:
                    p.data -= rate * p.grad
            else:
                for p in self.parameters:
                    p.data -= rate * (p.grad + decay * p.data)
            return
        first = self.velocity is None
        if first:
            self.velocity = [0.0] * len(self.parameters)
        velocity = self.velocity
        assert velocity is not None
        keep = 1.0 - self.dampening
        for i, p in enumerate(self.parameters):
            g = p.grad + decay * p.data if decay != 0.0 else p.grad
            buf = g if first else momentum * velocity[i] + keep * g
            velocity[i] = buf
            p.data -= rate * (g + momentum * buf if self.nesterov else buf)


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule.

    With t the step number from 1 and g = grad + weight_decay * p:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    def __init__(
        self,
        parameters: Union[Module, Iterable[Value]],
        lr: LearningRate = 0.001,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        check_ordered(betas, "betas")
        if not is_list_like(betas):
            raise TypeError(f"betas must be two numbers, got {type(betas).__name__} ({betas!r})")
        if len(betas) != 2:
            raise ValueError(f"betas must be two numbers, got {betas!r}")
        self.betas = (
            real(betas[0], "betas[0]", low=0.0, high=1.0, high_open=True),
            real(betas[1], "betas[1]", low=0.0, high=1.0, high_open=True),
        )
        self.eps = real(eps, "eps", low=0.0)
        self.weight_decay = real(weight_decay, "weight_decay", low=0.0)
        self.first_moment = [0.0] * len(self.parameters)
        self.second_moment = [0.0] * len(self.parameters)

    def _update(self, rate: float) -> None:
        beta1, beta2 = self.betas
        t = self.steps + 1
        step_size = rate / (1.0 - beta1**t)
        correction2_root = math.sqrt(1.0 - beta2**t)
        m, v, decay, eps = self.first_moment, self.second_moment, self.weight_decay, self.eps
        for i, p in enumerate(self.parameters):
            g = p.grad + decay * p.data if decay != 0.0 else p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2_root + eps)


#: Every optimiser by the name the command line accepts (as ``LOSSES`` and ``ACTIVATIONS``).
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}
