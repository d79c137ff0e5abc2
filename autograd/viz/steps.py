"""The steps of backward, one per node, with every number the engine multiplies.

``loss.backward()`` walks the graph in reverse topological order and, for
each node that has inputs, does ``input.grad += local_grad * node.grad`` for
each input. :func:`backward_steps` records exactly that loop, step by step:
the node, its upstream gradient, and for each input the local derivative
(its number and its rule, read from the op's single definition), the
product, and the input's gradient before and after the accumulation.

By default the steps are those of a *fresh* backward pass and nothing in the
graph is changed: every gradient starts at 0, so ``Stepper(y)`` or
``explain(y, ...)`` after ``y.backward()`` neither doubles a leaf's
gradient nor depends on backward having been called. ``apply=True`` instead
performs the pass on the graph, exactly as ``loss.backward(gradient)`` would
(non-leaf gradients reset, leaf gradients accumulate from their current
values), and returns its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence, Union

from ..validation import is_real
from ..value import Value
from .snapshot import Snapshot
from .text import Names, factor, grad_of, number, partial, write_op


@dataclass(frozen=True)
class Contribution:
    """What one input receives in a step: ``grad_after = grad_before + local_grad * upstream``."""

    input: Value
    position: int
    local_grad: float
    rule: str
    product: float
    grad_before: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One step of backward: ``node`` passes its gradient ``upstream`` to its inputs."""

    index: int
    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    loss: Value = field(repr=False, compare=False)

    @property
    def op_name(self) -> str:
        """The name of the op that made ``node`` (``mul``, ``tanh``, ...)."""
        op = self.node.op
        assert op is not None, "a step's node always has an op"
        return op.name

    def text(self, names: Names | None = None, total: int | None = None) -> str:
        """The step's arithmetic as a few lines of text (what the stepper shows).

        Unlabelled nodes are named by op and id in the loss's graph
        (``mul#2``); ``names`` may pass those names in (a snapshot's), computed once.
        """
        names = names or Snapshot(self.loss).names
        loss_name = names(self.loss)
        node = self.node
        op = node.op
        assert op is not None
        node_name = names(node)
        input_names = [names(c.input) for c in self.contributions]
        counter = f"Step {self.index + 1}" + (f" of {total}" if total is not None else "")
        lines = [
            f"{counter}: {node_name} = {write_op(op, input_names)} = {number(node.data)}",
            f"  upstream {partial(loss_name, node_name)} = {number(self.upstream)}"
            + ("  (the initial gradient of backward)" if node is self.loss else ""),
        ]
        for contribution, input_name in zip(self.contributions, input_names):
            local = partial(node_name, input_name)
            constant = contribution.input.is_constant
            lines.append(
                f"  → {input_name}{' (a constant)' if constant else ''}:"
                f" local {local} = {number(contribution.local_grad)}"
                f"   [{op.name}: {contribution.rule}]"
            )
            product = f"      {factor(contribution.local_grad)} × {factor(self.upstream)} = {number(contribution.product)}"
            if constant:
                # A number written into the formula: nothing learns from its gradient.
                lines.append(f"{product};  {input_name} is a constant: nothing to update")
            else:
                lines.append(
                    f"{product};  {grad_of(input_name)} {number(contribution.grad_before)}"
                    f" + {factor(contribution.product)} = {number(contribution.grad_after)}"
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def backward_steps(
    loss: Union[Value, Snapshot], gradient: float = 1.0, *, apply: bool = False
) -> list[BackwardStep]:
    """The ordered steps of ``loss.backward(gradient)``: reverse topological order of non-leaves.

    With ``apply=False`` (the default) the steps are those of a fresh pass
    (every gradient starts at 0) and no node's ``grad`` is touched. With
    ``apply=True`` the pass is performed on the graph exactly as
    ``loss.backward(gradient)`` would, and its steps are returned. Either
    way, replaying the steps gives, bit for bit, the gradients of backward.
    ``loss`` may be a ``Snapshot`` of the loss's graph.
    """
    snapshot = Snapshot.of(loss, "loss")
    initial = _initial_gradient(gradient)
    order = snapshot.order
    if apply:
        grads = {id(node): (0.0 if node._a is not None else node.grad) for node in order}
    else:
        grads = {id(node): 0.0 for node in order}
    grads[id(snapshot.root)] += initial
    steps = list(_replay(order, grads))
    if apply:
        for node in order:
            node.grad = grads[id(node)]
    return steps


def _initial_gradient(gradient: object) -> float:
    """``gradient`` as a float, as backward takes it: any real number, nan and infinities included."""
    if not is_real(gradient):
        kind = type(gradient).__name__
        raise TypeError(f"gradient must be a real number, got {kind} ({gradient!r})")
    try:
        return float(gradient)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"gradient is too large for a float, got {gradient!r}") from None


def _replay(order: Sequence[Value], grads: dict[int, float]) -> Iterator[BackwardStep]:
    """Backward's loop over ``order`` reversed, on the gradients in ``grads``, one step per node."""
    loss = order[-1]
    index = 0
    for node in reversed(order):
        if node._a is None:
            continue
        op = node.op
        assert op is not None
        upstream = grads[id(node)]
        contributions = []
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            before = grads[id(node_input)]
            product = local_grad * upstream
            after = before + product  # the engine's `input.grad += local_grad * upstream`
            grads[id(node_input)] = after
            contributions.append(
                Contribution(node_input, position, local_grad, op.rules[position], product, before, after)
            )
        yield BackwardStep(index, node, upstream, tuple(contributions), loss)
        index += 1


def replay(steps: Sequence[BackwardStep]) -> dict[int, float]:
    """The gradient each input holds after the steps, keyed by ``id(node)``, recomputed from them."""
    grads: dict[int, float] = {}
    for step in steps:
        for contribution in step.contributions:
            key = id(contribution.input)
            grads[key] = grads.get(key, contribution.grad_before) + contribution.local_grad * step.upstream
    return grads
