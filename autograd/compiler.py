"""``autograd.compile``: a recorded graph as one straight-line Python function.

A training loop builds the same graph at every step; only the numbers change.
``compile(loss, wrt=params, inputs=xs)`` walks the graph once and writes the
program a person would write by hand for it: the forward pass in topological
order, one line per node, then the backward pass in reverse, one line per
edge that carries a gradient someone asked for, each with its rule as a
comment::

    >>> from autograd import Value, compile
    >>> x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    >>> y = (x * w + b).tanh()
    >>> program = compile(y, wrt=[w, b], inputs=[x])
    >>> loss, (dw, db) = program([2.0])

The code is generated from the op table's expressions, the same text that
``Value``'s methods evaluate, so the compiled program computes the same
floats in the same order as building the graph again and calling
``backward()``: the results are equal to the bit. Branches (ReLU, abs,
leaky ReLU) are conditional expressions, decided at every call.

What the program reads at each call: the values of ``inputs`` (passed in),
the current ``.data`` of every other leaf that is not a constant (the
parameters), and the constants as literals. It builds no Value.
"""

from __future__ import annotations

import gc
import builtins
import keyword
import linecache
import re
from collections.abc import Iterable, Sequence
from typing import Callable

from .graph import topological_order
from .expressions import ATOM, atom, Code, derivative_reads, literal, product, template
from .ops import EXPRESSION_NAMES
from .validation import instance
from .value import Value

#: Straight-line functions longer than this many statements are split into
#: parts that hand their live variables on (see ``_split``): CPython's
#: compiler needs time and memory superlinear in the size of one function.
STATEMENTS_PER_FUNCTION = 20000


class CompiledProgram:
    """A graph's forward and backward pass as one generated Python function.

    ``program(input_values)`` returns ``(loss, grads)``: the root's value and
    its gradient with respect to each node of ``wrt``, in that order.
    ``program.source`` is the generated code; ``print(program)`` shows it.
    """

    def __init__(self, source: str, function: Callable[..., tuple[float, list[float]]],
                 reads: Sequence[Value], input_count: int, wrt_count: int, node_count: int) -> None:
        self.source = source
        self._function = function
        self._reads = list(reads)
        self.input_count = input_count
        self.wrt_count = wrt_count
        self.node_count = node_count

    def __call__(self, input_values: Sequence[float] = ()) -> tuple[float, list[float]]:
        """``(loss, grads)`` for these input values and the parameters' current ``.data``."""
        if len(input_values) != self.input_count:
            raise ValueError(
                f"the program takes {self.input_count} input value(s), got {len(input_values)}"
            )
        return self._function(input_values, [leaf.data for leaf in self._reads])

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f"<CompiledProgram: {self.node_count} nodes, {self.input_count} inputs, "
                f"{self.wrt_count} gradients, {self.source.count(chr(10))} lines>")


def compile(root: Value, wrt: Iterable[Value] = (), inputs: Iterable[Value] = ()) -> CompiledProgram:
    """Compile ``root``'s graph into a program returning ``root`` and d(root)/d(each of wrt).

    A node of ``wrt`` that ``root`` does not depend on gets the gradient 0.0,
    as its ``grad`` would after ``backward()``.

    ``inputs`` are leaves whose values are passed at each call, in order;
    every other leaf that is not a constant is read from its ``.data`` at
    each call; constants are written into the code.
    """
    instance(root, "root", Value)
    wrt = _values(wrt, "wrt")
    inputs = _values(inputs, "inputs")
    # Walking and writing make some 10^5 short-lived tuples and strings and no
    # cycles: the cycle collector would only rescan the graph's nodes.
    collecting = gc.isenabled()
    gc.disable()
    try:
        order = topological_order(root)
        _check_graph(order, inputs)
        return _Writer(root, order, wrt, inputs).program()
    finally:
        if collecting:
            gc.enable()


def _check_graph(order: list[Value], inputs: list[Value]) -> None:
    """Inputs are distinct leaves of the graph, not constants; every other node has an op."""
    in_graph = set(order)  # Values hash by identity
    seen: set[Value] = set()
    for position, node in enumerate(inputs):
        if node not in in_graph:
            raise ValueError(f"inputs[{position}] ({_described(node)}) is not part of the graph of root")
        if not node.is_leaf or node.is_constant:
            raise ValueError(f"inputs[{position}] ({_described(node)}) must be a leaf that is not a constant")
        if node in seen:
            raise ValueError(f"inputs[{position}] ({_described(node)}) is listed twice")
        seen.add(node)
    for node in order:
        if node.is_leaf:
            continue
        if node.has_custom_backward:
            raise ValueError(
                f"node {_described(node)} (op {node._op!r}) was made the micrograd way: its backward is "
                f"its own _backward function, which cannot be compiled; define the op with "
                f"autograd.define_op instead")
        if node.op is None:
            raise ValueError(f"node {_described(node)} has no op of the table and cannot be compiled")


def _values(nodes: Iterable[Value], what: str) -> list[Value]:
    if isinstance(nodes, Value):
        raise TypeError(f"{what} must be a list of Values, got a single Value")
    listed = list(nodes)
    for position, node in enumerate(listed):
        instance(node, f"{what}[{position}]", Value)
    return listed


def _described(node: Value) -> str:
    return f"{node.label!r}, data {node.data!r}" if node.label else f"data {node.data!r}"


_CALL_FORMULA = re.compile(r"\w+\(\{0\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_GENERATED_NAME = re.compile(r"(v|g_\w*|op)\d*\Z")
_RESERVED = set(EXPRESSION_NAMES) | {"inputs", "reads", "program"} | set(dir(builtins))

#: How deeply expressions may be nested into one statement before a value
#: gets a variable of its own (CPython's parser allows 200 nested parentheses).
MAX_DEPTH = 40
#: How many terms one statement sums before the sum goes on in the next.
MAX_TERMS = 200


class _Writer:
    """Writes the program of one graph: names, forward lines, backward lines."""

    def __init__(self, root: Value, order: list[Value], wrt: list[Value], inputs: list[Value]) -> None:
        self.root = root
        self.order = order
        self.wrt = wrt
        self.inputs = inputs
        self.used: set[str] = set()
        self.namespace: dict[str, object] = {"__name__": __name__, **EXPRESSION_NAMES}

    def _name(self, node: Value, index: int) -> str:
        """The node's label as a variable name where it is a fresh identifier, else ``v<index>``."""
        label = re.sub(r"\W", "_", node.label, flags=re.ASCII) if node.label else ""
        if (label and _IDENTIFIER.match(label) and not keyword.iskeyword(label)
                and label not in _RESERVED and label not in self.used
                and not _GENERATED_NAME.match(label)):
            name = label
        else:
            name = f"v{index}"
        self.used.add(name)
        return name

    def program(self) -> CompiledProgram:
        order = self.order
        wanted = set(self.wrt)  # Values hash by identity
        self.index = {node: index for index, node in enumerate(order)}
        uses = dict.fromkeys(order, 0)
        needs_grad: set[Value] = set()
        for node in order:
            a, b = node._a, node._b
            if a is None:
                if node in wanted:
                    needs_grad.add(node)
                continue
            uses[a] += 1
            if b is not None:
                uses[b] += 1
            if node in wanted or a in needs_grad or b in needs_grad:
                needs_grad.add(node)

        # The edges that carry a gradient, in backward's order, and the values they read.
        contributions: dict[Value, list[tuple[Value, int]]] = {}
        read_by_backward: set[Value] = set()
        if self.root in needs_grad:
            contributions[self.root] = []
            for node in reversed(order):
                if node._a is None or node not in contributions:
                    continue
                op = node._operation
                for position, node_input in enumerate((node._a, node._b)):
                    if node_input not in needs_grad:
                        continue
                    edges = contributions.get(node_input)
                    if edges is None:
                        contributions[node_input] = [(node, position)]
                    else:
                        edges.append((node, position))
                    for name in derivative_reads(op, position):
                        read_by_backward.add(node if name == "out" else node._a if name == "a" else node._b)

        forward, reads, read_names = self._forward(uses, read_by_backward, set(self.inputs))
        backward, grads = self._backward(contributions, wanted)
        input_names = [self.code[node].text for node in self.inputs]
        units = self._source(input_names, read_names, forward, backward, grads)
        function = _function(units, f"<tracegrad program {id(self):x}>", self.namespace)
        source = "\n".join(units)
        return CompiledProgram(source, function, reads, len(self.inputs), len(self.wrt), len(order))

    def _operands(self, node: Value) -> tuple[Code, Code | None, Code | None]:
        """The code of the node's inputs and of its own value (None where there is none yet)."""
        code = self.code
        b = node._b
        return code[node._a], None if b is None else code[b], code.get(node)

    # -- forward --

    def _forward(self, uses: dict[Value, int], read_by_backward: set[Value],
                 input_ids: set[Value]) -> tuple[list[str], list[Value], list[str]]:
        """One line per value that gets a variable; a value used once is written where it is used."""
        self.code: dict[Value, Code] = {}
        lines: list[str] = []
        reads: list[Value] = []
        read_names: list[str] = []
        for index, node in enumerate(self.order):
            if node.is_constant:
                self.code[node] = atom(literal(node.data))
                continue
            if node.is_leaf:
                name = self._name(node, index)
                self.code[node] = atom(name)
                if node not in input_ids:
                    reads.append(node)
                    read_names.append(name)
                continue
            op = node.op
            assert op is not None
            if op.forward is None:  # an op given only as a compute function
                name = self._name(node, index)
                function_name = f"op{index}"
                self.namespace[function_name] = op.compute
                outputs = ", ".join([name] + [f"{name}_d{k}" for k in range(op.arity)])
                call = ", ".join(self.code[i].text for i in node.inputs)
                lines.append(f"{outputs} = {function_name}({call})  # {self._formula(node)}")
                self.code[node] = atom(name)
                continue
            code = template(op.forward, op.constants).render(*self._operands(node))
            if uses[node] == 1 and node not in read_by_backward and node is not self.root \
                    and code.depth <= MAX_DEPTH:
                self.code[node] = code
            else:
                name = self._name(node, index)
                lines.append(f"{name} = {code.text}  # {self._formula(node)}")
                self.code[node] = atom(name)
        return lines, reads, read_names

    def _formula(self, node: Value) -> str:
        """The comment of a forward line: the node's formula in labels, e.g. ``z = x * w + b``."""
        shown = self._written(node)
        return f"{node.label} = {shown}" if node.label else shown

    def _written(self, node: Value) -> str:
        op = node.op
        assert op is not None
        shown = [self._shown(node_input) for node_input in node.inputs]
        if not _CALL_FORMULA.match(op.formula):  # an operator: compound operands in parentheses
            shown = [f"({text})" if " " in text else text for text in shown]
        written = op.write(*shown)
        return written if len(written) <= 60 else written[:57] + "..."

    def _shown(self, node: Value) -> str:
        """A node as the comments show it: its label, its variable, or its formula."""
        if node.label:
            return node.label
        code = self.code.get(node)
        if code is None:
            return "?"
        if code.precedence == ATOM and code.depth == 0:
            return code.text
        return self._written(node)

    # -- backward --

    def _backward(self, contributions: dict[Value, list[tuple[Value, int]]],
                  wanted: set[Value]) -> tuple[list[str], list[str]]:
        """One line per gradient that is used more than once or asked for: the sum of its terms.

        The terms are added in the order ``Value.backward`` adds them, so
        the sums round the same way.
        """
        self.grad: dict[Value, Code] = {}
        lines: list[str] = []
        if self.root not in contributions:
            return lines, ["0.0"] * len(self.wrt)
        grad_uses: dict[Value, int] = {}
        for edges in contributions.values():
            for node, _ in edges:
                grad_uses[node] = grad_uses.get(node, 0) + 1
        term = self._term
        root = self.root
        for node in reversed(self.order):
            edges = contributions.get(node)
            if edges is None:
                continue
            if node is root:
                terms = [atom("1.0")]
            else:
                terms = [term(consumer, position) for consumer, position in edges]
            if node in wanted:
                # backward starts each gradient at 0.0: 0.0 + x turns -0.0 into 0.0 as it does.
                terms.insert(0, atom("0.0"))
            elif len(terms) == 1:
                only = terms[0]
                if only.precedence == ATOM and only.depth == 0 or (
                        grad_uses.get(node, 0) <= 1 and only.depth < MAX_DEPTH):
                    self.grad[node] = only  # a copy, or used once: written where it is used
                    continue
            name = "g_" + self._variable(node)
            comment = self._rules(node, edges)
            for start in range(0, len(terms), MAX_TERMS):
                chunk = terms[start:start + MAX_TERMS]
                summed = " + ".join([chunk[0].within(10 if start == 0 else 11)]
                                    + [code.within(11) for code in chunk[1:]])
                if start == 0:
                    lines.append(f"{name} = {summed}  # {comment}")
                else:
                    lines.append(f"{name} = {name} + {summed}")
            self.grad[node] = atom(name)
        grads = [self.grad[node].text if node in self.grad else "0.0" for node in self.wrt]
        return lines, grads

    def _rules(self, node: Value, edges: list[tuple[Value, int]]) -> str:
        """The comment of a gradient's line: the rules of the local derivatives it sums."""
        if node is self.root:
            return f"the initial gradient d{self._shown(node)}/d{self._shown(node)} = 1"
        rules = dict.fromkeys(consumer._operation.rules[position] for consumer, position in edges)
        return "; ".join(rules)

    def _variable(self, node: Value) -> str:
        """The name a gradient's variable is made from: the node's variable, label or index."""
        code = self.code[node]
        if code.depth == 0 and code.precedence == ATOM and not node.is_constant:
            return code.text
        return self._name(node, self.index[node])

    def _term(self, node: Value, position: int) -> Code:
        """local derivative * upstream gradient, simplified where that is exact (1.0 * g is g)."""
        upstream = self.grad[node]
        op = node._operation
        if op.derivatives is None:
            return product(atom(f"{self.code[node].text}_d{position}"), None, upstream, ())
        local = template(op.derivatives[position], op.constants)
        if local.text == "1.0":
            return upstream  # 1.0 * g is g, to the bit
        return product(None, local, upstream, self._operands(node))

    def _source(self, input_names: list[str], read_names: list[str], forward: list[str],
                backward: list[str], grads: list[str]) -> list[str]:
        """The program's code, in units compiled one by one (one unit unless it is split)."""
        head = []
        if input_names:
            head.append(f"{_unpack(input_names)} = inputs")
        if read_names:
            head.append(f"{_unpack(read_names)} = reads")
        statements = head + ["# forward"] + forward
        if backward:
            statements += ["# backward"] + backward
        statements.append(f"return {self.code[self.root].text}, [{', '.join(grads)}]")
        if len(statements) <= STATEMENTS_PER_FUNCTION:
            return ["def program(inputs, reads):\n" + "".join(f"    {line}\n" for line in statements)]
        return _split(statements)


_NAME = re.compile(r"[A-Za-z_]\w*")


def _split(statements: list[str]) -> list[str]:
    """A long program as parts of at most STATEMENTS_PER_FUNCTION statements, called in turn.

    A value that a later part reads is handed on through ``store``, a list
    with one place per such value: the part that computes it puts it there,
    each part that reads it takes it out at its start.
    """
    parts = [statements[start:start + STATEMENTS_PER_FUNCTION]
             for start in range(0, len(statements), STATEMENTS_PER_FUNCTION)]
    defined_in: list[list[str]] = []
    read_in: list[set[str]] = []
    for part in parts:
        defined: list[str] = []
        read: set[str] = set()
        for line in part:
            code = line.split("  # ", 1)[0]
            if code.startswith("#"):
                continue
            target, equals, expression = code.partition(" = ")
            if equals:
                read.update(_NAME.findall(expression))
                defined.extend(name.strip() for name in target.split(",") if name.strip())
            else:
                read.update(_NAME.findall(code))
        defined_in.append(defined)
        read_in.append(read)
    defined_by = {name: k for k, defined in enumerate(defined_in) for name in defined}
    handed_on = {name for k, read in enumerate(read_in) for name in read
                 if defined_by.get(name, k) < k}
    # One place per handed-on value, in order of definition: each part's are side by side.
    place = {name: index for index, name in enumerate(
        name for defined in defined_in for name in defined if name in handed_on)}
    units = []
    for k, part in enumerate(parts):
        lines = [f"def part{k}(inputs, reads, store):"]
        taken = sorted((place[name], name) for name in read_in[k]
                       if name in place and defined_by[name] < k)
        lines.extend(f"    {name} = store[{index}]" for index, name in taken)
        lines.extend(f"    {line}" for line in part)
        handed = [name for name in defined_in[k] if name in place]
        if handed:
            lines.append(f"    store[{place[handed[0]]}:{place[handed[-1]] + 1}] = {_tuple(handed)}")
        units.append("\n".join(lines) + "\n")
    lines = ["def program(inputs, reads):", f"    store = [None] * {len(place)}"]
    lines.extend(f"    part{k}(inputs, reads, store)" for k in range(len(parts) - 1))
    lines.append(f"    return part{len(parts) - 1}(inputs, reads, store)")
    units.append("\n".join(lines) + "\n")
    return units


def _tuple(names: list[str]) -> str:
    return "()" if not names else names[0] + "," if len(names) == 1 else ", ".join(names)


def _function(units: list[str], filename: str,
              namespace: dict[str, object]) -> Callable[..., tuple[float, list[float]]]:
    """Compile each unit of code apart (so that compiling needs memory for one part at a time)
    and run it in ``namespace``; tracebacks show the generated lines (linecache)."""
    for number, unit in enumerate(units):
        name = f"{filename[:-1]} part {number}>" if len(units) > 1 else filename
        linecache.cache[name] = (len(unit), None, unit.splitlines(True), name)
        exec(builtins.compile(unit, name, "exec"), namespace)
    return namespace["program"]  # type: ignore[return-value]


def _unpack(names: list[str]) -> str:
    return names[0] + "," if len(names) == 1 else ", ".join(names)
