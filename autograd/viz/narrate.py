"""One sentence per step, generated from the op and the numbers.

``forward_sentence`` says what a forward step computed and which local
derivatives it recorded; ``backward_sentence`` says why each input of a
backward step receives what it receives ("ReLU is off here (z = -0.42 ≤ 0):
its local derivative is 0, so nothing flows back to z or to L1.N2's
weights"). Constants are numbers written into a formula: no sentence speaks
of a derivative with respect to one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from .text import factor, number, partial

if TYPE_CHECKING:
    from ..value import Value
    from .steps import BackwardStep, ForwardStep

Namer = Callable[["Value"], str]

_OP_WORDS = {
    "tanh": "tanh", "sigmoid": "The sigmoid", "exp": "exp", "log": "log", "sqrt": "The square root",
    "abs": "abs", "div": "A quotient", "pow": "A power",
}


def _scope_of(node: "Value") -> str:
    found = node.scope
    return found.name if found is not None else ""


def _variables(step: "BackwardStep") -> list:
    return [c for c in step.contributions if not c.input.is_constant]


def backward_sentence(step: "BackwardStep", names: Namer) -> str:
    """Why the inputs of ``step`` receive what they do, in one sentence."""
    sentence = _backward_sentence(step, names)
    if step.node is step.loss:
        opening = f"Backward starts at {names(step.node)} with the initial gradient {number(step.upstream)}; "
        if sentence.split(" ", 1)[0] in ("A", "No", "The"):
            sentence = sentence[0].lower() + sentence[1:]
        sentence = opening + sentence
    return sentence


def _backward_sentence(step: "BackwardStep", names: Namer) -> str:
    node, op_name, upstream = step.node, step.op_name, step.upstream
    node_name = names(node)
    opening = ""
    variables = _variables(step)
    if not variables:
        return opening + f"{node_name} is made only of numbers, so nothing here has a gradient to receive."
    receivers = " and ".join(names(c.input) for c in variables)
    if upstream == 0.0 and op_name != "relu":
        return opening + (f"No gradient reaches {node_name} (its gradient is 0), "
                          f"so {receivers} receive{'s' * (len(variables) == 1)} 0 from it.")
    if op_name in ("relu", "leaky_relu"):
        (contribution,) = variables
        source = contribution.input
        source_name = names(source)
        if source.data <= 0.0:
            scope = _scope_of(node)
            further = f" or to {scope}'s weights" if scope else ""
            if op_name == "relu":
                return opening + (f"ReLU is off here ({source_name} = {number(source.data)} ≤ 0): its local "
                                  f"derivative is 0, so nothing flows back to {source_name}{further}.")
            return opening + (f"Leaky ReLU is in its slope here ({source_name} = {number(source.data)} ≤ 0): "
                              f"{source_name} receives {factor(contribution.local_grad)} × "
                              f"{factor(upstream)} = {number(contribution.product)}.")
        if upstream == 0.0:
            return opening + (f"ReLU is on here ({source_name} = {number(source.data)} > 0), but no gradient "
                              f"reaches {node_name}, so {source_name} receives 0.")
        return opening + (f"ReLU is on here ({source_name} = {number(source.data)} > 0): its local derivative "
                          f"is 1, so {source_name} receives the gradient {number(upstream)} unchanged.")
    if op_name == "add":
        return opening + (f"A sum passes its gradient {number(upstream)} unchanged to each term: "
                          + _receive_list(variables, names) + ".")
    if op_name == "sub":
        return opening + (f"A difference passes its gradient {number(upstream)} to the first term and its "
                          f"negative to the second: " + _receive_list(variables, names) + ".")
    if op_name == "neg":
        return opening + f"A negation flips the sign: " + _receive_list(variables, names) + "."
    if op_name == "mul":
        parts = []
        for contribution in variables:
            other = step.node.inputs[1 - contribution.position]
            parts.append(f"{names(contribution.input)} gets {factor(upstream)} × {names(other)} = "
                         f"{factor(upstream)} × {factor(other.data)} = {number(contribution.product)}")
        return opening + ("A product sends each factor the gradient times the other factor: "
                          + "; ".join(parts) + ".")
    if op_name.startswith("pow") and len(step.node.inputs) == 1:
        (contribution,) = variables
        return opening + (f"{node_name}'s local derivative is {contribution.rule.split(' = ', 1)[-1]} = "
                          f"{number(contribution.local_grad)} here, so {names(contribution.input)} gets "
                          f"{factor(contribution.local_grad)} × {factor(upstream)} = {number(contribution.product)}.")
    words = _OP_WORDS.get(op_name, op_name)
    parts = [f"{names(c.input)} gets {factor(c.local_grad)} × {factor(upstream)} = {number(c.product)} "
             f"(local derivative {c.rule})" for c in variables]
    return opening + (f"{words[0].upper() + words[1:]} multiplies the gradient {number(upstream)} by its local "
                      f"derivative: " + "; ".join(parts) + ".")


def _receive_list(contributions: Sequence, names: Namer) -> str:
    return ", ".join(f"{names(c.input)} gets {number(c.product)}" for c in contributions)


def forward_sentence(step: "ForwardStep", names: Namer) -> str:
    """What a forward step computed and the local derivatives it recorded, in one sentence."""
    node, op = step.node, step.node.op
    node_name = names(node)
    recorded = [
        f"{partial(node_name, names(x))} = {number(local)}"
        for x, local in zip(step.inputs, step.local_grads) if not x.is_constant
    ]
    if op is not None and op.name == "relu":
        (source,) = step.inputs
        if source.data <= 0.0:
            return (f"ReLU is off: {names(source)} = {number(source.data)} ≤ 0, so {node_name} = 0 "
                    f"and its local derivative is 0 (no gradient will pass here).")
        return (f"ReLU is on: {names(source)} = {number(source.data)} > 0 passes through unchanged, "
                f"so its local derivative is 1.")
    op_name = op.name if op is not None else ""
    what = "raises to a power" if op_name.startswith("pow") else _FORWARD_WORDS.get(op_name, "computes")
    if not recorded:
        return f"{node_name} {what} numbers only, so backward will send nothing through it."
    what = what if what != "raises to a power" else "raises"
    listed = recorded[0] if len(recorded) == 1 else ", ".join(recorded[:-1]) + " and " + recorded[-1]
    return (f"{node_name} {what} its input{'s' * (len(step.inputs) > 1)}"
            f"{' to a power' if op_name.startswith('pow') else ''} and records {listed} "
            f"for backward to multiply by.")


_FORWARD_WORDS = {"add": "adds", "sub": "subtracts", "mul": "multiplies", "div": "divides", "neg": "negates",
                  "tanh": "squashes", "sigmoid": "squashes", "exp": "exponentiates", "log": "takes the log of"}
