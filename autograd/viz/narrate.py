"""One sentence per step, generated from the op and the numbers.

``forward_sentence`` says what a forward step computed and which local
derivatives it recorded; ``backward_sentence`` says why each input of a
backward step receives what it receives ("ReLU is off here (z = -0.42 ≤ 0):
its local derivative is 0, so nothing flows back to z or to L1.N2's
weights"). Constants are numbers written into a formula: no sentence speaks
of a derivative with respect to one. The op table writes its rule texts as
maths (``d(u²)/du = 2·u``), so a sentence quotes them as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from ..i18n import N_, Catalogue, current
from .text import factor, number, partial

if TYPE_CHECKING:
    from ..value import Value
    from .steps import BackwardStep, ForwardStep

Namer = Callable[["Value"], str]
_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext

# What an op is called when it passes gradient back ("Tanh multiplies the gradient ...").
_OP_WORDS = {
    "tanh": "tanh", "sigmoid": N_("The sigmoid"), "exp": "exp", "log": "log", "sqrt": N_("The square root"),
    "abs": "abs", "div": N_("A quotient"), "pow": N_("A power"),
}


def _is_cjk(character: str) -> bool:
    return "\u3000" <= character <= "\u9fff" or "\uff00" <= character <= "\uffef"


def _spaced_before_cjk(name: str, template: str, field: str) -> str:
    """``name`` followed by a space if ``template`` writes a CJK character right after ``{field}`` and the
    name ends in a Latin letter or digit ("tanh 把梯度…", but "除法把梯度…")."""
    after = template.split("{" + field + "}", 1)[-1][:1]
    if after and _is_cjk(after) and name and not _is_cjk(name[-1]):
        return name + " "
    return name


def join_and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (Chinese ``a、b 和 c``)."""
    if len(items) <= 1:
        return "".join(items)
    listed = items[0]
    for item in items[1:-1]:
        listed = _("{items}, {item}").format(items=listed, item=item)
    return _("{items} and {last}").format(items=listed, last=items[-1])


def _scope_of(node: "Value") -> str:
    found = node.scope
    return found.name if found is not None else ""


def _variables(step: "BackwardStep") -> list:
    return [c for c in step.contributions if not c.input.is_constant]


def backward_sentence(step: "BackwardStep", names: Namer) -> str:
    """Why the inputs of ``step`` receive what they do, in one sentence."""
    sentence = _backward_sentence(step, names)
    if step.node is step.loss:
        if current() == "en" and sentence.split(" ", 1)[0] in ("A", "No", "The"):
            sentence = sentence[0].lower() + sentence[1:]
        sentence = _("Backward starts at {node} with the initial gradient {gradient}; {sentence}").format(
            node=names(step.node), gradient=number(step.upstream), sentence=sentence)
    return sentence


def _backward_sentence(step: "BackwardStep", names: Namer) -> str:
    node, op_name, upstream = step.node, step.op_name, step.upstream
    node_name = names(node)
    variables = _variables(step)
    if not variables:
        return _("{node} is made only of numbers, so nothing here has a gradient to receive.").format(node=node_name)
    receivers = join_and([names(c.input) for c in variables])
    if upstream == 0.0 and op_name != "relu":
        return ngettext("No gradient reaches {node} (its gradient is 0), so {receivers} receives 0 from it.",
                        "No gradient reaches {node} (its gradient is 0), so {receivers} receive 0 from it.",
                        len(variables)).format(node=node_name, receivers=receivers)
    if op_name in ("relu", "leaky_relu"):
        (contribution,) = variables
        source = contribution.input
        values = {"input": names(source), "value": number(source.data), "node": node_name,
                  "local": factor(contribution.local_grad), "upstream": factor(upstream),
                  "product": number(contribution.product), "gradient": number(upstream)}
        if source.data <= 0.0:
            scope = _scope_of(node)
            if op_name == "relu" and scope:
                return _("ReLU is off here ({input} = {value} ≤ 0): its local derivative is 0, so nothing "
                         "flows back to {input} or to {scope}'s weights.").format(scope=scope, **values)
            if op_name == "relu":
                return _("ReLU is off here ({input} = {value} ≤ 0): its local derivative is 0, so nothing "
                         "flows back to {input}.").format(**values)
            return _("Leaky ReLU is in its slope here ({input} = {value} ≤ 0): {input} receives "
                     "{local} × {upstream} = {product}.").format(**values)
        if upstream == 0.0:
            return _("ReLU is on here ({input} = {value} > 0), but no gradient reaches {node}, "
                     "so {input} receives 0.").format(**values)
        return _("ReLU is on here ({input} = {value} > 0): its local derivative is 1, so {input} receives "
                 "the gradient {gradient} unchanged.").format(**values)
    if op_name == "add":
        return _("A sum passes its gradient {gradient} unchanged to each term: {receipts}.").format(
            gradient=number(upstream), receipts=_receive_list(variables, names))
    if op_name == "sub":
        return _("A difference passes its gradient {gradient} to the first term and its negative to the "
                 "second: {receipts}.").format(gradient=number(upstream), receipts=_receive_list(variables, names))
    if op_name == "neg":
        return _("A negation flips the sign: {receipts}.").format(receipts=_receive_list(variables, names))
    if op_name == "mul":
        parts = []
        for contribution in variables:
            other = step.node.inputs[1 - contribution.position]
            parts.append(_("{input} gets {upstream} × {other} = {upstream} × {other_value} = {product}").format(
                input=names(contribution.input), upstream=factor(upstream), other=names(other),
                other_value=factor(other.data), product=number(contribution.product)))
        return _("A product sends each factor the gradient times the other factor: {parts}.").format(
            parts=_("; ").join(parts))
    if op_name.startswith("pow") and len(step.node.inputs) == 1:
        (contribution,) = variables
        return _("{node}'s local derivative is {formula} = {local} here, so {input} gets "
                 "{local} × {upstream} = {product}.").format(
            node=node_name, formula=contribution.rule, local=number(contribution.local_grad),
            input=names(contribution.input), upstream=factor(upstream), product=number(contribution.product))
    words = _OP_WORDS.get(op_name, op_name)
    words = _(words) if words != op_name else words
    parts = [_("{input} gets {local} × {upstream} = {product} (local derivative {rule})").format(
        input=names(c.input), local=factor(c.local_grad), upstream=factor(upstream), product=number(c.product),
        rule=c.rule) for c in variables]
    template = _("{operation} multiplies the gradient {gradient} by its local derivative: {parts}.")
    operation = _spaced_before_cjk(words[0].upper() + words[1:], template, "operation")
    return template.format(operation=operation, gradient=number(upstream), parts=_("; ").join(parts))


def _receive_list(contributions: Sequence, names: Namer) -> str:
    return _(", ").join(_("{input} gets {product}").format(input=names(c.input), product=number(c.product))
                        for c in contributions)


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
        values = {"input": names(source), "value": number(source.data), "node": node_name}
        if source.data <= 0.0:
            return _("ReLU is off: {input} = {value} ≤ 0, so {node} = 0 and its local derivative is 0 "
                     "(no gradient will pass here).").format(**values)
        return _("ReLU is on: {input} = {value} > 0 passes through unchanged, so its local derivative "
                 "is 1.").format(**values)
    op_name = op.name if op is not None else ""
    kind = "pow" if op_name.startswith("pow") else op_name if op_name in _FORWARD_SENTENCES else ""
    numbers_only, one_input, more_inputs = _FORWARD_SENTENCES[kind]
    if not recorded:
        return _(numbers_only).format(node=node_name)
    sentence = one_input if len(step.inputs) == 1 else more_inputs
    return _(sentence).format(node=node_name, recorded=join_and(recorded))


# Per op: the sentence when only numbers go in, and when it records local derivatives
# (one input, more inputs).
_FORWARD_SENTENCES = {
    "add": (N_("{node} adds numbers only, so backward will send nothing through it."),
            N_("{node} adds its input and records {recorded} for backward to multiply by."),
            N_("{node} adds its inputs and records {recorded} for backward to multiply by.")),
    "sub": (N_("{node} subtracts numbers only, so backward will send nothing through it."),
            N_("{node} subtracts its input and records {recorded} for backward to multiply by."),
            N_("{node} subtracts its inputs and records {recorded} for backward to multiply by.")),
    "mul": (N_("{node} multiplies numbers only, so backward will send nothing through it."),
            N_("{node} multiplies its input and records {recorded} for backward to multiply by."),
            N_("{node} multiplies its inputs and records {recorded} for backward to multiply by.")),
    "div": (N_("{node} divides numbers only, so backward will send nothing through it."),
            N_("{node} divides its input and records {recorded} for backward to multiply by."),
            N_("{node} divides its inputs and records {recorded} for backward to multiply by.")),
    "neg": (N_("{node} negates numbers only, so backward will send nothing through it."),
            N_("{node} negates its input and records {recorded} for backward to multiply by."),
            N_("{node} negates its inputs and records {recorded} for backward to multiply by.")),
    "tanh": (N_("{node} squashes numbers only, so backward will send nothing through it."),
             N_("{node} squashes its input into (-1, 1) and records {recorded} for backward to multiply by."),
             N_("{node} squashes its inputs into (-1, 1) and records {recorded} for backward to multiply by.")),
    "sigmoid": (N_("{node} squashes numbers only, so backward will send nothing through it."),
                N_("{node} squashes its input into (0, 1) and records {recorded} for backward to multiply by."),
                N_("{node} squashes its inputs into (0, 1) and records {recorded} for backward to multiply by.")),
    "exp": (N_("{node} exponentiates numbers only, so backward will send nothing through it."),
            N_("{node} exponentiates its input and records {recorded} for backward to multiply by."),
            N_("{node} exponentiates its inputs and records {recorded} for backward to multiply by.")),
    "log": (N_("{node} takes the log of numbers only, so backward will send nothing through it."),
            N_("{node} takes the log of its input and records {recorded} for backward to multiply by."),
            N_("{node} takes the log of its inputs and records {recorded} for backward to multiply by.")),
    "pow": (N_("{node} raises to a power numbers only, so backward will send nothing through it."),
            N_("{node} raises its input to a power and records {recorded} for backward to multiply by."),
            N_("{node} raises its inputs to a power and records {recorded} for backward to multiply by.")),
    "": (N_("{node} computes numbers only, so backward will send nothing through it."),
         N_("{node} computes its input and records {recorded} for backward to multiply by."),
         N_("{node} computes its inputs and records {recorded} for backward to multiply by.")),
}
