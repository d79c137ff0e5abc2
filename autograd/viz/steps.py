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

import warnings
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence, Union

from ..graph import GradCell, grad_cells, pass_edge
from ..i18n import Catalogue, language
from ..validation import is_real
from ..value import Value
from .snapshot import Snapshot
from .narrate import backward_sentence, forward_sentence
from .text import Names, factor, grad_of, number, partial, row_of, write_op

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext


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
    """One step of forward: ``node = op(inputs)``, the local derivatives recorded for backward, and its text.

    Plain data: :func:`forward_steps` writes the text (in the language
    chosen there, ``lang``) when it makes the step.
    """

    index: int
    node: Value
    input_values: tuple[float, ...]
    result: float
    local_grads: tuple[float, ...]
    rules: tuple[str, ...]
    explanation: str = ""  # the step in one sentence
    lang: str = "en"  # the language of the texts
    name: str = field(default="", compare=False)  # the node's name in its graph
    equation: str = field(default="", repr=False, compare=False)  # `` = x * w = 2 * 3 = 6``: the first line's end
    details: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the lines below it, sentence last

    @property
    def inputs(self) -> tuple[Value, ...]:
        return self.node.inputs

    @property
    def op_name(self) -> str:
        """The name of the op that made ``node`` (``mul``, ``relu``, ...)."""
        return _op_name(self.node)

    def text(self, names: Names | None = None, total: int | None = None, lang: str | None = None) -> str:
        """The step as a few lines of text: the computation, then what backward will need.

        As written when the step was made; ``names`` or another ``lang``
        write it again (``names`` is then needed: the snapshot's).
        """
        if names is None and lang in (None, self.lang):
            with language(self.lang):
                return _joined(_counter(_("Forward {index} of {total}: {node}"), _("Forward {index}: {node}"),
                                        self.index, total, self.name), self)
        if names is None:
            raise TypeError("names is needed to write a forward step in another language: pass the snapshot's "
                            "names, or make the steps in that language (forward_steps(root, lang=...))")
        with language(lang or self.lang) as chosen:
            return _joined(_counter(_("Forward {index} of {total}: {node}"), _("Forward {index}: {node}"),
                                    self.index, total, names(self.node)), _written_forward(self, names, chosen))


def _written_forward(step: ForwardStep, names: Names, lang: str) -> ForwardStep:
    """``step`` with its texts written with ``names``, in ``lang`` (the current language)."""
    node = step.node
    operands = [names.within(x, node) for x in step.inputs]
    equation = _equation("", names, node, step.op_name, operands, step.input_values, step.result)
    # Below the first line, the row (said there) is left out of the names that share it.
    short = names.base(node)[0]
    details = []
    for node_input, operand, local_grad, rule in zip(step.inputs, operands, step.local_grads, step.rules):
        if node_input.is_constant:
            continue  # a number in the formula: no derivative is taken with respect to it
        recorded = _("records {derivative} = {value}").format(
            derivative=partial(short, operand), value=number(local_grad))
        details.append(f"  {recorded}   [{rule}]")
    explanation = forward_sentence(step, names)
    details.append(f"  {explanation}")
    return replace(step, explanation=explanation, lang=lang, name=names(node), equation=equation,
                   details=tuple(details))


def _joined(head: str, step: Union[ForwardStep, "BackwardStep"]) -> str:
    return "\n".join((head + step.equation, *step.details))


def _op_name(node: Value) -> str:
    op = node.op
    return op.name if op is not None else (getattr(node, "_op", "") or "op")


def _equation(head: str, names: Names, node: Value, op_name: str, operands: Sequence[str],
              input_values: Sequence[float], result: float) -> str:
    """``Step 3: z = w·x = 2·3 = 6``: the head, then the formula, its numbers and the result.

    The formula is left out when it is the node's own name, and the numbers when they are the result.
    """
    op = node.op
    if op is not None:
        formula = write_op(op, operands)
        numbers = write_op(op, [number(v) for v in input_values])
    else:
        formula = f"{op_name}({', '.join(operands)})"
        numbers = f"{op_name}({', '.join(factor(v) for v in input_values)})"
    if formula not in (names(node), names.base(node)[0]):
        head += f" = {formula}"
    written = number(result)
    return f"{head} = {numbers} = {written}" if numbers != written else f"{head} = {written}"


def _counter(of_total: str, alone: str, index: int, total: int | None, node_name: str) -> str:
    """``Step 3 of 8: z`` (or ``Step 3: z`` without a total), from the two messages given."""
    if total is not None:
        return of_total.format(index=index + 1, total=total, node=node_name)
    return alone.format(index=index + 1, node=node_name)


@dataclass(frozen=True)
class BackwardStep:
    """One step of backward: ``node`` passes its gradient ``upstream`` to its inputs; and its text.

    Plain data: :func:`backward_steps` writes the text (in the language
    chosen there, ``lang``) when it makes the step. ``loss`` is the node
    backward started from. A snapshot's steps (``Snapshot.steps``) hold
    the numbers only: writing the texts of a 100k-node graph's steps costs
    ~50x the pass, and ``explain`` reads only their gradients.
    """

    index: int
    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    loss: Value = field(repr=False, compare=False)
    explanation: str = field(default="", compare=False)  # the step in one sentence ('' if not written)
    lang: str = field(default="", compare=False)  # the language of the texts ('' if not written)
    name: str = field(default="", compare=False)  # the node's name in its graph
    equation: str = field(default="", repr=False, compare=False)  # `` = x * w = 2 * 3 = 6``: the first line's end
    details: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the lines below it, sentence last

    @property
    def op_name(self) -> str:
        """The name of the op that made ``node`` (``mul``, ``tanh``, ...; a micrograd-style node's ``_op``)."""
        return _op_name(self.node)

    def text(self, names: Names | None = None, total: int | None = None, lang: str | None = None) -> str:
        """The step's arithmetic as a few lines of text (what the stepper shows), then its sentence.

        As written when the step was made: unlabelled nodes named by their
        formula (``w1·x1``), no line for a constant, each gradient marked
        partial (uses still to come) or final. ``names`` or another ``lang``
        write it again (``names``: the snapshot's names of the loss's graph).
        """
        if names is None and self.details and lang in (None, self.lang):
            with language(self.lang):
                return _joined(_counter(_("Step {index} of {total}: {node}"), _("Step {index}: {node}"),
                                        self.index, total, self.name), self)
        if names is None:
            warnings.warn("writing a backward step without names (in another language, or a snapshot's step, "
                          "which holds numbers only) walks its graph again; pass the snapshot's names, or make "
                          "the steps with backward_steps(loss, lang=...)", DeprecationWarning, stacklevel=2)
            names = Snapshot(self.loss).names
        with language(lang or self.lang or None) as chosen:  # (a step of numbers only: the current language)
            return _joined(_counter(_("Step {index} of {total}: {node}"), _("Step {index}: {node}"),
                                    self.index, total, names(self.node)), _written_backward(self, names, chosen))

    def __str__(self) -> str:
        return self.text()


def _written_backward(step: BackwardStep, names: Names, lang: str) -> BackwardStep:
    """``step`` with its texts written with ``names``, in ``lang`` (the current language)."""
    loss_name = names(step.loss)
    node = step.node
    node_name = names(node)
    operands = [names.within(c.input, node) for c in step.contributions]
    upstream = _("upstream {derivative} = {value}").format(
        derivative=partial(loss_name, node_name), value=number(step.upstream))
    details = [f"  {upstream}" + ("  " + _("(the initial gradient of backward)") if node is step.loss else "")]
    short = names.base(node)[0] if row_of(node) is not None else node_name
    for contribution, input_name in zip(step.contributions, operands):
        if contribution.input.is_constant:
            continue  # a number written into the formula: nothing learns from its gradient
        local = partial(short, input_name)
        received = _("{input}: local {derivative} = {value}").format(
            input=input_name, derivative=local, value=number(contribution.local_grad))
        details.append(f"  → {received}   [{step.op_name}: {contribution.rule}]")
        state = (_("(final)") if contribution.remaining == 0 else
                 ngettext("(partial: {count} more use to come)", "(partial: {count} more uses to come)",
                          contribution.remaining).format(count=contribution.remaining))
        details.append(
            f"      {factor(contribution.local_grad)} × {factor(step.upstream)} = {number(contribution.product)};"
            f"  {grad_of(input_name)} {number(contribution.grad_before)}"
            f" + {factor(contribution.product)} = {number(contribution.grad_after)}  {state}"
        )
    explanation = backward_sentence(step, names)
    details.append(f"  {explanation}")
    equation = _equation("", names, node, step.op_name, operands, [c.input.data for c in step.contributions],
                         node.data)
    return replace(step, explanation=explanation, lang=lang, name=node_name, equation=equation,
                   details=tuple(details))


def backward_steps(
    loss: Union[Value, Snapshot], gradient: float = 1.0, *, apply: bool = False, lang: str | None = None
) -> list[BackwardStep]:
    """The ordered steps of ``loss.backward(gradient)``: reverse topological order of non-leaves.

    With ``apply=False`` (the default) the steps are those of a fresh pass
    (every gradient starts at 0) and no node's ``grad`` is touched. With
    ``apply=True`` the pass is performed on the graph exactly as
    ``loss.backward(gradient)`` would, and its steps are returned. Either
    way, replaying the steps gives, bit for bit, the gradients of backward.
    ``loss`` may be a ``Snapshot`` of the loss's graph. The steps' texts are
    written in ``lang`` (``"en"`` or ``"zh"``; None: the current language), kept with each step.
    """
    snapshot = Snapshot.of(loss, "loss")
    initial = _initial_gradient(gradient)
    with language(lang) as chosen:
        return _backward_steps(snapshot, initial, apply, chosen)


def _backward_steps(snapshot: Snapshot, initial: float, apply: bool, lang: str | None) -> list[BackwardStep]:
    """The steps; their texts written in ``lang`` (None: numbers only)."""
    order = snapshot.order
    # A fresh pass starts every gradient at 0; backward itself resets the
    # interior nodes' and lets the leaves' accumulate.
    start = {node: node.grad for node in order if node.is_leaf} if apply else {}
    start[snapshot.root] = start.get(snapshot.root, 0.0) + initial
    cells = grad_cells(order, start)
    steps = list(_replay(order, cells, snapshot.names, lang))
    if apply:
        for node in order:
            node.grad = cells[node].grad
    return steps


def numbers_only_steps(snapshot: Snapshot) -> list[BackwardStep]:
    """The steps of a fresh ``root.backward()`` without their texts (``Snapshot.steps``)."""
    return _backward_steps(snapshot, 1.0, False, None)


def _initial_gradient(gradient: object) -> float:
    """``gradient`` as a float, as backward takes it: any real number, nan and infinities included."""
    if not is_real(gradient):
        kind = type(gradient).__name__
        raise TypeError(f"gradient must be a real number, got {kind} ({gradient!r})")
    try:
        return float(gradient)
    except OverflowError:
        raise ValueError(f"gradient is too large for a float, got {gradient!r}") from None


def _replay(order: Sequence[Value], cells: dict[Value, GradCell], names: Names,
            lang: str | None) -> Iterator[BackwardStep]:
    """Backward's pass over ``order`` reversed, on the gradients in ``cells``, one step per node.

    Each edge is passed on its own (``graph.pass_edge``: backward's own
    accumulation), so a step holds every input's gradient before and after.
    """
    loss = order[-1]
    remaining: dict[Value, int] = {}  # uses of each node by steps still to come
    for node in order:
        for node_input in node.inputs:
            remaining[node_input] = remaining.get(node_input, 0) + 1
    index = 0
    for node in reversed(order):
        if node.is_leaf:
            continue
        rules = rules_of(node)
        upstream = cells[node].grad
        contributions = []
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            cell = cells[node_input]
            before = cell.grad
            pass_edge(cell, local_grad, upstream)
            left = remaining[node_input] = remaining[node_input] - 1
            contributions.append(Contribution(node_input, position, local_grad, rules[position],
                                              local_grad * upstream, before, cell.grad, left))
        step = BackwardStep(index, node, upstream, tuple(contributions), loss)
        yield step if lang is None else _written_backward(step, names, lang)
        index += 1


def rules_of(node: Value) -> tuple[str, ...]:
    """The rule text of each local derivative of ``node`` (a micrograd-style node: its ``_op``)."""
    op = node.op
    if op is not None:
        return op.rules
    symbol = getattr(node, "_op", "") or "op"
    return tuple(_("d({symbol})/d{input}, as its _backward computes it").format(symbol=symbol, input="ab"[position])
                 for position in range(len(node.inputs)))


def forward_steps(root: Union[Value, Snapshot], *, lang: str | None = None) -> list[ForwardStep]:
    """The steps of the forward computation of ``root``: one per node with inputs, in topological order.

    Each holds the op, its inputs' values, the result and the local
    derivatives the node recorded for backward, with a one-sentence
    ``explanation``. ``root`` may be a ``Snapshot`` of its graph. The texts
    are written in ``lang`` (None: the current language), kept with each step.
    """
    snapshot = Snapshot.of(root)
    names = snapshot.names
    steps: list[ForwardStep] = []
    with language(lang) as chosen:
        for node in snapshot.order:
            if node.is_leaf:
                continue
            measured = ForwardStep(len(steps), node, tuple(x.data for x in node.inputs), node.data,
                                   node.local_grads, rules_of(node))
            steps.append(_written_forward(measured, names, chosen))
    return steps


def replay(steps: Sequence[BackwardStep]) -> dict[int, float]:
    """The gradient each input holds after the steps, keyed by ``id(node)``, recomputed from them (by backward's pass)."""
    cells: dict[Value, GradCell] = {}
    for step in steps:
        for contribution in step.contributions:
            cell = cells.get(contribution.input)
            if cell is None:
                cell = cells[contribution.input] = GradCell(contribution.grad_before)
            pass_edge(cell, contribution.local_grad, step.upstream)
    return {id(node): cell.grad for node, cell in cells.items()}
