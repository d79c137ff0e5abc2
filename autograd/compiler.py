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

import ast
import functools
import gc
import builtins
import keyword
import linecache
import math
import re
from collections.abc import Iterable, Sequence
from typing import Callable, NamedTuple

from .graph import topological_order
from .ops import EXPRESSION_NAMES, INPUT_NAMES, Op
from .validation import instance, real
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


# --- turning the op table's expressions into templates ---

ATOM = 100  # a name, a literal, a call: never needs parentheses
_PRECEDENCE = {
    ast.IfExp: 1, ast.BoolOp: 2, ast.Compare: 5, ast.BinOp: 10, ast.UnaryOp: 30,
}
_BINARY_PRECEDENCE = {ast.Add: 10, ast.Sub: 10, ast.Mult: 20, ast.Div: 20, ast.FloorDiv: 20,
                      ast.Mod: 20, ast.Pow: 40}


class _Code(NamedTuple):
    """An expression's text, how deeply it nests, and the precedence of its outermost operator."""

    text: str
    depth: int = 0
    precedence: int = ATOM

    def within(self, required: int) -> str:
        """The text, in parentheses where the surrounding operator binds tighter."""
        return self.text if self.precedence >= required else f"({self.text})"


# Building the tuple directly skips NamedTuple's Python-level __new__ (hot: once per node).
_new_code: Callable[[tuple[str, int, int]], _Code] = functools.partial(tuple.__new__, _Code)  # type: ignore[assignment]


def _atom(text: str) -> _Code:
    """The code of a name or a literal."""
    return _new_code((text, 0, ATOM))


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY_PRECEDENCE[type(node.op)]
    return _PRECEDENCE.get(type(node), ATOM)


def _required(parent: ast.AST | None, child: ast.AST) -> int:
    """How tightly an operand at this place must bind to need no parentheses."""
    if isinstance(parent, ast.BinOp):
        own = _BINARY_PRECEDENCE[type(parent.op)]
        if isinstance(parent.op, ast.Pow):
            return own + 1 if child is parent.left else _PRECEDENCE[ast.UnaryOp]
        return own if child is parent.left else own + 1
    if isinstance(parent, ast.UnaryOp):
        return _PRECEDENCE[ast.UnaryOp]
    if isinstance(parent, (ast.Compare, ast.IfExp, ast.BoolOp)):
        return _precedence(parent) + 1
    return 0  # a call's argument or the whole expression


class _Template:
    """An expression of the op table, ready to be filled with operand code."""

    def __init__(self, expression: str, constants: tuple[tuple[str, float], ...]) -> None:
        names = {*INPUT_NAMES, "out"}
        bound = dict(constants)
        tree = ast.parse(expression, mode="eval")
        self.places: list[tuple[str, int]] = []  # (operand name, required precedence) per marker
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in bound:
                node.id = _literal(bound[node.id])
        markers = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in names:
                parent = parents.get(node)
                markers.append((node, node.id, _required(None if parent is tree else parent, node)))
        for index, (node, name, required) in enumerate(markers):
            node.id = f"__place{index}__"
            self.places.append((name, required))
        self.reads = frozenset(name for name, _ in self.places)
        self.slots = tuple((("a", "b", "out").index(name), required) for name, required in self.places)
        text = ast.unparse(tree).replace("{", "{{").replace("}", "}}")
        for index in range(len(markers)):
            text = text.replace(f"__place{index}__", "{" + str(index) + "}")
        self.text = text
        self.format = text.format
        self.precedence = _precedence(tree.body)
        self.branches: tuple[_Template, _Template, _Template] | None = None
        original = ast.parse(expression, mode="eval").body
        if isinstance(original, ast.IfExp):
            self.branches = tuple(  # type: ignore[assignment]
                _template(ast.unparse(part), constants)
                for part in (original.body, original.test, original.orelse)
            )

    def render(self, a: _Code, b: _Code | None, out: _Code | None) -> _Code:
        """The expression with each operand's code in its place (b and out where it reads them)."""
        codes = (a, b, out)
        filled = []
        depth = 0
        for slot, required in self.slots:
            text, inner_depth, precedence = codes[slot]  # type: ignore[misc]
            filled.append(text if precedence >= required else f"({text})")
            if inner_depth > depth:
                depth = inner_depth
        return _new_code((self.format(*filled), depth + 1, self.precedence))


@functools.lru_cache(maxsize=None)
def _template(expression: str, constants: tuple[tuple[str, float], ...] = ()) -> _Template:
    return _Template(expression, constants)


def _literal(number: float) -> str:
    """A float as code that evaluates to exactly it (inf and nan by name)."""
    if math.isnan(number):
        return "NAN"
    if math.isinf(number):
        return "INF" if number > 0 else "(-INF)"
    text = repr(float(number))
    return f"({text})" if text.startswith("-") else text


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
                    for name in _derivative_reads(op, position):
                        read_by_backward.add(node if name == "out" else node._a if name == "a" else node._b)

        forward, reads, read_names = self._forward(uses, read_by_backward, set(self.inputs))
        backward, grads = self._backward(contributions, wanted)
        input_names = [self.code[node].text for node in self.inputs]
        units = self._source(input_names, read_names, forward, backward, grads)
        function = _function(units, f"<tracegrad program {id(self):x}>", self.namespace)
        source = "\n".join(units)
        return CompiledProgram(source, function, reads, len(self.inputs), len(self.wrt), len(order))

    def _operands(self, node: Value) -> tuple[_Code, _Code | None, _Code | None]:
        """The code of the node's inputs and of its own value (None where there is none yet)."""
        code = self.code
        b = node._b
        return code[node._a], None if b is None else code[b], code.get(node)

    # -- forward --

    def _forward(self, uses: dict[Value, int], read_by_backward: set[Value],
                 input_ids: set[Value]) -> tuple[list[str], list[Value], list[str]]:
        """One line per value that gets a variable; a value used once is written where it is used."""
        self.code: dict[Value, _Code] = {}
        lines: list[str] = []
        reads: list[Value] = []
        read_names: list[str] = []
        for index, node in enumerate(self.order):
            if node.is_constant:
                self.code[node] = _atom(_literal(node.data))
                continue
            if node.is_leaf:
                name = self._name(node, index)
                self.code[node] = _atom(name)
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
                self.code[node] = _atom(name)
                continue
            code = _template(op.forward, op.constants).render(*self._operands(node))
            if uses[node] == 1 and node not in read_by_backward and node is not self.root \
                    and code.depth <= MAX_DEPTH:
                self.code[node] = code
            else:
                name = self._name(node, index)
                lines.append(f"{name} = {code.text}  # {self._formula(node)}")
                self.code[node] = _atom(name)
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
        self.grad: dict[Value, _Code] = {}
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
                terms = [_atom("1.0")]
            else:
                terms = [term(consumer, position) for consumer, position in edges]
            if node in wanted:
                # backward starts each gradient at 0.0: 0.0 + x turns -0.0 into 0.0 as it does.
                terms.insert(0, _atom("0.0"))
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
            self.grad[node] = _atom(name)
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

    def _term(self, node: Value, position: int) -> _Code:
        """local derivative * upstream gradient, simplified where that is exact (1.0 * g is g)."""
        upstream = self.grad[node]
        op = node._operation
        if op.derivatives is None:
            return _product(_atom(f"{self.code[node].text}_d{position}"), None, upstream, ())
        template = _template(op.derivatives[position], op.constants)
        if template.text == "1.0":
            return upstream  # 1.0 * g is g, to the bit
        return _product(None, template, upstream, self._operands(node))

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


@functools.lru_cache(maxsize=4096)
def _derivative_reads(op: Op, position: int) -> tuple[str, ...]:
    """Which of a, b and out the local derivative of input ``position`` reads."""
    if op.derivatives is None:
        return ("out",)
    reads = _template(op.derivatives[position], op.constants).reads
    return tuple(name for name in ("a", "b", "out") if name in reads)


def _product(local: _Code | None, template: _Template | None, upstream: _Code,
             operands: tuple[_Code, _Code | None, _Code | None] | tuple[()]) -> _Code:
    """The code of ``local * upstream`` (``local`` given, or rendered from ``template``)."""
    depth = upstream.depth + 1
    if template is not None:
        if template.text == "1.0":
            return upstream  # 1.0 * g is g, to the bit
        if template.text == "-1.0":
            return _new_code((f"-{upstream.within(30)}", depth, 30))  # -1.0 * g is -g, to the bit
        if template.branches is not None:
            # (x if c else y) * g is (x * g if c else y * g): the same product on each branch.
            body, test, orelse = template.branches
            code = " ".join((_product(None, body, upstream, operands).within(2), "if",
                             test.render(*operands).within(2), "else",
                             _product(None, orelse, upstream, operands).within(1)))
            return _new_code((code, depth, 1))
        local = template.render(*operands)
    assert local is not None
    if upstream.text == "1.0":
        return local  # x * 1.0 is x, to the bit
    return _new_code((f"{local.within(20)} * {upstream.within(21)}", max(depth, local.depth + 1), 20))


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
