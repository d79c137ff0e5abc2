"""The steps of forward and of backward, one per node, with every number the engine multiplies.

:func:`forward_steps` walks the forward computation in topological order:
for each node that has inputs, the op, its inputs' values, the result and
the local derivatives recorded for backward, with one sentence saying so.

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
from .narrate import backward_sentence, forward_sentence
from .text import Names, factor, grad_of, number, partial, row_of, write_op


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
    remaining: int = 0  # uses of the input whose steps are still to come: 0 once its grad is final


@dataclass(frozen=True)
class ForwardStep:
    """One step of forward: ``node = op(inputs)``, and the local derivatives recorded for backward."""

    index: int
    node: Value
    input_values: tuple[float, ...]
    result: float
    local_grads: tuple[float, ...]
    rules: tuple[str, ...]
    explanation: str

    @property
    def inputs(self) -> tuple[Value, ...]:
        return self.node.inputs

    @property
    def op_name(self) -> str:
        """The name of the op that made ``node`` (``mul``, ``relu``, ...)."""
        op = self.node.op
        return op.name if op is not None else (getattr(self.node, "_op", "") or "op")

    def text(self, names: Names, total: int | None = None) -> str:
        """The step as a few lines of text: the computation, then what backward will need."""
        node, op = self.node, self.node.op
        node_name = names(node)
        input_names = [names(x) for x in self.inputs]
        operands = [names.within(x, node) for x in self.inputs]
        counter = f"Forward {self.index + 1}" + (f" of {total}" if total is not None else "")
        if op is not None:
            formula = write_op(op, operands)
            numbers = write_op(op, [number(v) for v in self.input_values])
        else:
            formula = f"{self.op_name}({', '.join(operands)})"
            numbers = f"{self.op_name}({', '.join(factor(v) for v in self.input_values)})"
        head = f"{counter}: {node_name}" + ("" if formula in (node_name, names.base(node)[0]) else f" = {formula}")
        result = number(self.result)
        lines = [f"{head} = {numbers} = {result}" if numbers != result else f"{head} = {result}"]
        # Below the first line, the row (said there) is left out of the names that share it.
        short = names.base(node)[0]
        for node_input, operand, local_grad, rule in zip(self.inputs, operands, self.local_grads, self.rules):
            if node_input.is_constant:
                continue  # a number in the formula: no derivative is taken with respect to it
            lines.append(f"  records {partial(short, operand)} = {number(local_grad)}   [{rule}]")
        lines.append(f"  {self.explanation}")
        return "\n".join(lines)


@dataclass(frozen=True)
class BackwardStep:
    """One step of backward: ``node`` passes its gradient ``upstream`` to its inputs."""

    index: int
    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    loss: Value = field(repr=False, compare=False)
    names: Names | None = field(default=None, repr=False, compare=False)

    @property
    def explanation(self) -> str:
        """The step in one sentence, generated from the op and the numbers (made when first read)."""
        cached = self.__dict__.get("_explanation")
        if cached is None:
            cached = backward_sentence(self, self.names or Snapshot(self.loss).names)
            object.__setattr__(self, "_explanation", cached)
        return cached

    @property
    def op_name(self) -> str:
        """The name of the op that made ``node`` (``mul``, ``tanh``, ...; a micrograd-style node's ``_op``)."""
        op = self.node.op
        return op.name if op is not None else (getattr(self.node, "_op", "") or "op")

    def text(self, names: Names | None = None, total: int | None = None) -> str:
        """The step's arithmetic as a few lines of text (what the stepper shows), then its sentence.

        Unlabelled nodes are named by their formula (``w1·x1``); ``names``
        may pass in the names of the loss's graph (a snapshot's), computed once.
        Constants are numbers in the formula: no line takes a derivative with
        respect to one. Each gradient is marked partial (uses still to come)
        or final.
        """
        names = names or Snapshot(self.loss).names
        loss_name = names(self.loss)
        node = self.node
        op = node.op
        node_name = names(node)
        input_names = [names(c.input) for c in self.contributions]
        operands = [names.within(c.input, node) for c in self.contributions]
        counter = f"Step {self.index + 1}" + (f" of {total}" if total is not None else "")
        if op is not None:
            formula = write_op(op, operands)
            numbers = write_op(op, [number(c.input.data) for c in self.contributions])
        else:
            formula = f"{self.op_name}({', '.join(operands)})"
            numbers = f"{self.op_name}({', '.join(factor(c.input.data) for c in self.contributions)})"
        head = f"{counter}: {node_name}" + ("" if formula in (node_name, names.base(node)[0]) else f" = {formula}")
        result = number(node.data)
        lines = [
            f"{head} = {numbers} = {result}" if numbers != result else f"{head} = {result}",
            f"  upstream {partial(loss_name, node_name)} = {number(self.upstream)}"
            + ("  (the initial gradient of backward)" if node is self.loss else ""),
        ]
        short = names.base(node)[0] if row_of(node) is not None else node_name
        for contribution, input_name in zip(self.contributions, operands):
            if contribution.input.is_constant:
                continue  # a number written into the formula: nothing learns from its gradient
            local = partial(short, input_name)
            rule = contribution.rule
            lines.append(
                f"  → {input_name}: local {local} = {number(contribution.local_grad)}"
                f"   [{self.op_name}: {rule}]"
            )
            state = ("final" if contribution.remaining == 0 else
                     f"partial: {contribution.remaining} more use{'s' * (contribution.remaining != 1)} to come")
            lines.append(
                f"      {factor(contribution.local_grad)} × {factor(self.upstream)} = {number(contribution.product)};"
                f"  {grad_of(input_name)} {number(contribution.grad_before)}"
                f" + {factor(contribution.product)} = {number(contribution.grad_after)}  ({state})"
            )
        lines.append(f"  {self.explanation if self.names is names else backward_sentence(self, names)}")
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
    steps = list(_replay(order, grads, snapshot.names))
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


def _replay(order: Sequence[Value], grads: dict[int, float], names: Names) -> Iterator[BackwardStep]:
    """Backward's loop over ``order`` reversed, on the gradients in ``grads``, one step per node."""
    loss = order[-1]
    remaining: dict[int, int] = {}  # uses of each node by steps still to come
    for node in order:
        for node_input in node.inputs:
            remaining[id(node_input)] = remaining.get(id(node_input), 0) + 1
    index = 0
    for node in reversed(order):
        if node._a is None:
            continue
        rules = rules_of(node)
        upstream = grads[id(node)]
        contributions = []
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            before = grads[id(node_input)]
            product = local_grad * upstream
            after = before + product  # the engine's `input.grad += local_grad * upstream`
            grads[id(node_input)] = after
            left = remaining[id(node_input)] = remaining[id(node_input)] - 1
            contributions.append(
                Contribution(node_input, position, local_grad, rules[position], product, before, after, left)
            )
        yield BackwardStep(index, node, upstream, tuple(contributions), loss, names)
        index += 1


def rules_of(node: Value) -> tuple[str, ...]:
    """The rule text of each local derivative of ``node`` (a micrograd-style node: its ``_op``)."""
    op = node.op
    if op is not None:
        return op.rules
    symbol = getattr(node, "_op", "") or "op"
    return tuple(f"d({symbol})/d{'ab'[position]}, as its _backward computes it"
                 for position in range(len(node.inputs)))


def forward_steps(root: Union[Value, Snapshot]) -> list[ForwardStep]:
    """The steps of the forward computation of ``root``: one per node with inputs, in topological order.

    Each holds the op, its inputs' values, the result and the local
    derivatives the node recorded for backward, with a one-sentence
    ``explanation``. ``root`` may be a ``Snapshot`` of its graph.
    """
    snapshot = Snapshot.of(root)
    names = snapshot.names
    steps = []
    for node in snapshot.order:
        if node._a is None:
            continue
        step = ForwardStep(len(steps), node, tuple(x.data for x in node.inputs), node.data,
                           node.local_grads, rules_of(node), "")
        object.__setattr__(step, "explanation", forward_sentence(step, names))
        steps.append(step)
    return steps


def replay(steps: Sequence[BackwardStep]) -> dict[int, float]:
    """The gradient each input holds after the steps, keyed by ``id(node)``, recomputed from them."""
    grads: dict[int, float] = {}
    for step in steps:
        for contribution in step.contributions:
            key = id(contribution.input)
            grads[key] = grads.get(key, contribution.grad_before) + contribution.local_grad * step.upstream
    return grads
