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

What the program reads at each call: the values of ``inputs`` (passed in,
each checked and converted as ``Value`` converts its data), the current
``.data`` of every other leaf that is not a constant (the parameters), and
the constants as literals, listed in ``program.constants``: a plain number
of the graph (a mini-batch's label in ``-yi * score``) is fixed in the
program; one that changes must be a Value among ``inputs``. It builds no
Value, and checks no value for inf or nan: under ``detect_anomaly`` it
refuses to run.

Nothing of the graph's text is code: labels and rule texts appear only in
comments, escaped to one printable line; a variable is named after a label
only where the label is a plain identifier the program does not use
itself; constants are ``repr``'d floats. An op made by ``define_op`` (or
by hand) is called through its ``compute``: only the op table's own
expressions are written into a program.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import re
import weakref
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Callable, NamedTuple, Union

from .graph import topological_order
from .expressions import ATOM, Code, atom, derivative_reads, literal, product, template, variable
from .modes import STATE, current_modes
from .ops import EXPRESSION_NAMES, Op, made_by_table
from .validation import instance
from .value import Value, _to_float

#: Straight-line functions longer than this many statements are split into
#: parts that hand their live variables on (see ``_split``): CPython's
#: compiler needs time and memory superlinear in the size of one function.
STATEMENTS_PER_FUNCTION = 20000
#: ... or longer than this many characters of code (a backward statement may
#: nest 40 products): one part's text, tree and bytecode are all that
#: compiling holds at a time, some 50 bytes per character while it works.
CHARACTERS_PER_FUNCTION = 400_000
#: The largest graph compile takes (nodes): past it, compiling costs minutes
#: and hundreds of MB that one eager ``backward()`` does not.
MAX_NODES = 2_000_000


class Constant(NamedTuple):
    """A number of the graph written into a program as a literal: its node's name and value."""

    name: str
    value: float


class CompiledProgram:
    """A graph's forward and backward pass as one generated Python function.

    ``program(input_values)`` returns ``(loss, grads)``: the root's value and
    its gradient with respect to each node of ``wrt``, in that order.
    ``program.source`` is the generated code; ``print(program)`` shows it.
    ``program.constants`` are the numbers fixed in it (plain numbers of the
    graph, such as a label ``yi`` in ``-yi * score``): a new call cannot
    change them; make them Values among ``inputs`` to pass them at each call.
    """

    def __init__(self, source: str | list[bytes], function: Callable[..., tuple[float, list[float]]],
                 reads: Sequence[Value], input_count: int, wrt_count: int, node_count: int,
                 constants: tuple[list[str], list[float]] = ([], []), line_count: int = 0) -> None:
        # One part's text, or the compressed text of each part of a long program.
        self._source = source
        self._function = function
        self._reads = list(reads)
        self.input_count = input_count
        self.wrt_count = wrt_count
        self.node_count = node_count
        self._constants = constants
        self.line_count = line_count or (source.count("\n") if isinstance(source, str) else 0)

    @property
    def source(self) -> str:
        """The generated code (a long program's parts one after the other)."""
        if isinstance(self._source, str):
            return self._source
        return "\n".join(zlib.decompress(part).decode("utf-8") for part in self._source)

    @property
    def constants(self) -> list[Constant]:
        """Each number written into the program, with its node's name (its label, else ``v<position>``)."""
        names, values = self._constants
        return [Constant(name, value) for name, value in zip(names, values)]

    def __call__(self, input_values: Sequence[float] = ()) -> tuple[float, list[float]]:
        """``(loss, grads)`` for these input values and the parameters' current ``.data``."""
        if STATE.active and current_modes().anomaly:
            raise RuntimeError(
                "a compiled program does not check its values for inf and nan: under detect_anomaly, "
                "build the graph and call backward() (the eager engine names the op that failed), "
                "or call the program outside detect_anomaly")
        kind = type(input_values)
        if kind is not list and kind is not tuple:
            input_values = _input_list(input_values)
        if len(input_values) != self.input_count:
            raise ValueError(
                f"the program takes {self.input_count} input value(s), got {len(input_values)}"
            )
        for value in input_values:
            if type(value) is not float:
                # Converted as Value() converts its data: numpy's float32 to the float64 it
                # stands for, so that the program computes in float64 as the eager engine does.
                input_values = [value if type(value) is float else _to_float(value, f"input_values[{k}]")
                                for k, value in enumerate(input_values)]
                break
        return self._function(input_values, [leaf.data for leaf in self._reads])

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f"<CompiledProgram: {self.node_count} nodes, {self.input_count} inputs, "
                f"{self.wrt_count} gradients, {len(self._constants[1])} constants, "
                f"{self.line_count} lines>")


def _input_list(input_values: object) -> list[float]:
    """A program's input values as a list: a sequence of numbers (or a 1-D NumPy array), nothing else."""
    if isinstance(input_values, (str, bytes, bytearray, Mapping)) or not (
            isinstance(input_values, Sequence) or getattr(input_values, "ndim", None) == 1):
        raise TypeError(f"input_values must be a list or tuple of numbers, one per input, "
                        f"got {type(input_values).__name__}")
    return list(input_values)  # type: ignore[call-overload]


def compile(root: Value, wrt: Iterable[Value] = (), inputs: Iterable[Value] = ()) -> CompiledProgram:
    """Compile ``root``'s graph into a program returning ``root`` and d(root)/d(each of wrt).

    A node of ``wrt`` that ``root`` does not depend on gets the gradient 0.0,
    as its ``grad`` would after ``backward()``.

    ``inputs`` are leaves whose values are passed at each call, in order;
    every other leaf that is not a constant is read from its ``.data`` at
    each call; constants are written into the code.

    Three phases, each returning data: the plan (which values and edges the
    program needs), the statements (records: what each line assigns, reads
    and says), and the program made from their text.
    """
    instance(root, "root", Value)
    wrt = _values(wrt, "wrt")
    inputs = _values(inputs, "inputs")
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"root's graph has {len(order)} nodes, more than compile takes ({MAX_NODES}, "
            f"autograd.compiler.MAX_NODES): call root.backward() instead, which needs no code")
    _check_graph(order, inputs)
    writer = _Writer(root, order, wrt, inputs)
    statements = writer.statements(_plan(root, order, wrt))
    return _program(statements, writer)


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
# The names the program makes itself: v7, g_w, op12 (an op's compute), v7_d0 (its
# derivative), part3 (a part of a long program).
_GENERATED_NAME = re.compile(r"(v|g_\w*|op|part)\d*\Z|\w*_d\d+\Z")
_RESERVED = set(EXPRESSION_NAMES) | {"inputs", "reads", "store", "program"} | set(dir(builtins))

#: How much of a label or rule a comment shows (the rest is "...").
COMMENT_LENGTH = 200


def _comment(text: str) -> str:
    """``text`` as the text of a ``#`` comment: one line, every unprintable character escaped.

    Labels and rules are data (a model file, a command line): a line break
    would end the comment and run what follows, and a NUL byte or a lone
    surrogate would stop the code compiling. ``\\n``, ``\\x00``, ``\\u2028`` and
    ``\\ud800`` are shown escaped, as ``repr`` shows them; a backslash as ``\\\\``.
    """
    if len(text) > COMMENT_LENGTH:
        text = text[:COMMENT_LENGTH - 3] + "..."
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(character if character.isprintable() and character != "\\"
                   else _escaped(character) for character in text)


def _escaped(character: str) -> str:
    """An unprintable character (or a backslash) as ``repr`` writes it: ``\\n``, ``\\x00``, ``\\u2028``."""
    return repr(character)[1:-1]


#: How deeply expressions may be nested into one statement before a value
#: gets a variable of its own (CPython's parser allows 200 nested parentheses).
MAX_DEPTH = 40
#: How many terms one statement sums before the sum goes on in the next.
MAX_TERMS = 200


class Statement(NamedTuple):
    """One line of a program, as data: the variables it assigns, its code, the variables it reads, its comment.

    ``code`` is the whole line's code (``z = x * w + b``), empty for a line
    that is only a comment; ``comment`` is already escaped to one line.
    """

    targets: tuple[str, ...]
    code: str
    reads: tuple[str, ...] = ()
    comment: str = ""

    def text(self) -> str:
        """The line as the program writes it, unindented."""
        if not self.code:
            return f"# {self.comment}"
        return f"{self.code}  # {self.comment}" if self.comment else self.code


Edges = Union[tuple[Value, int], list[tuple[Value, int]]]


class _Plan(NamedTuple):
    """What the program needs of the graph, found in one walk before any code is written.

    ``uses``: how many nodes take each node as an input; ``read_by_backward``:
    the values a local derivative reads; ``contributions``: per node whose
    gradient is needed, the edges (consumer, input position) that carry it,
    in backward's order (one edge as a tuple, more in a list: most nodes
    have one user, and a graph 10^6).
    """

    uses: dict[Value, int]
    read_by_backward: set[Value]
    contributions: dict[Value, Edges]


def _plan(root: Value, order: list[Value], wrt: list[Value]) -> _Plan:
    """The plan of ``root``'s program: uses, the values backward reads, the edges that carry a gradient."""
    wanted = set(wrt)  # Values hash by identity
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
    contributions: dict[Value, Edges] = {}
    read_by_backward: set[Value] = set()
    if root in needs_grad:
        contributions[root] = []
        for node in reversed(order):
            if node._a is None or node not in contributions:
                continue
            op = node._operation
            for position, node_input in enumerate((node._a, node._b)):
                if node_input not in needs_grad:
                    continue
                edges = contributions.get(node_input)
                if edges is None:
                    contributions[node_input] = (node, position)
                elif isinstance(edges, tuple):
                    contributions[node_input] = [edges, (node, position)]
                else:
                    edges.append((node, position))
                for name in derivative_reads(op, position):
                    read = node if name == "out" else node._a if name == "a" else node._b
                    if read is not None:  # (always: only an op of two inputs reads b)
                        read_by_backward.add(read)
    return _Plan(uses, read_by_backward, contributions)


class _Writer:
    """Writes the statements of one graph's program: names, the forward lines, the backward lines.

    Its state, all made here: the variable names taken, each value's code
    and each gradient's code so far, the inlined nodes' positions, the
    numbers fixed in the program, the leaves read at each call, and the
    namespace the program runs in.
    """

    def __init__(self, root: Value, order: list[Value], wrt: list[Value], inputs: list[Value]) -> None:
        self.root = root
        self.order = order
        self.wrt = wrt
        self.inputs = inputs
        self.used: set[str] = set()
        self.code: dict[Value, Code] = {}  # each value's code: its variable, literal or inlined expression
        self.grad: dict[Value, Code] = {}  # each gradient's code, while it still has a user
        self.index: dict[Value, int] = {}  # the position of each node written inline (see _variable)
        self.constant_names: list[str] = []
        self.constant_values: list[float] = []
        self.reads: list[Value] = []  # the leaves read from their .data at each call
        self.namespace: dict[str, object] = {"__name__": __name__, **EXPRESSION_NAMES}

    def statements(self, plan: _Plan) -> list[Statement]:
        """The program's statements: unpacking, the forward pass, the backward pass, the return."""
        forward, read_names = self._forward(plan.uses, plan.read_by_backward, set(self.inputs))
        backward, grads = self._backward(plan.contributions, set(self.wrt))
        input_names = [self.code[node].text for node in self.inputs]
        head = []
        if input_names:
            head.append(Statement(tuple(input_names), f"{_unpack(input_names)} = inputs"))
        if read_names:
            head.append(Statement(tuple(read_names), f"{_unpack(read_names)} = reads"))
        if self.constant_values:
            head.append(Statement((), "", (), f"{len(self.constant_values)} number(s) of the graph fixed in "
                                               "this program: see program.constants"))
        statements = head + [Statement((), "", (), "forward")] + forward
        if backward:
            statements += [Statement((), "", (), "backward")] + backward
        returned = self.code[self.root]
        names = returned.names + tuple(read for grad in grads for read in grad.names)
        if any(grad.names for grad in grads):
            statements.append(Statement((), "", (), "+ 0.0: backward() adds each gradient into a 0.0, "
                                                    "which turns a sum of -0.0 into 0.0"))
        texts = [f"{grad.within(11)} + 0.0" if grad.names else grad.text for grad in grads]
        statements.append(Statement((), f"return {returned.text}, [{', '.join(texts)}]", names))
        self.code = {}
        self.grad = {}  # every statement is written: let go of the expressions
        return statements

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

    def _operands(self, node: Value) -> tuple[Code, Code | None, Code | None]:
        """The code of the node's inputs and of its own value (None where there is none yet)."""
        code = self.code
        a, b = node._a, node._b
        assert a is not None  # (only an interior node is written from its operands)
        return code[a], None if b is None else code[b], code.get(node)

    # -- forward --

    def _forward(self, uses: dict[Value, int], read_by_backward: set[Value],
                 input_ids: set[Value]) -> tuple[list[Statement], list[str]]:
        """One statement per value that gets a variable; a value used once is written where it is used."""
        statements: list[Statement] = []
        read_names: list[str] = []
        for index, node in enumerate(self.order):
            if node.is_constant:
                self.code[node] = atom(literal(node.data))
                self.constant_names.append(node.label or f"v{index}")
                self.constant_values.append(node.data)
                continue
            if node.is_leaf:
                name = self._name(node, index)
                self.code[node] = variable(name)
                if node not in input_ids:
                    self.reads.append(node)
                    read_names.append(name)
                continue
            op = node.op
            assert op is not None
            if op.forward is None or not made_by_table(op):
                # An op given as a compute function, or made by define_op: its code is
                # called, never written in (its expressions are a user's text).
                name = self._name(node, index)
                function_name = f"op{index}"
                self.namespace[function_name] = op.compute
                outputs = [name] + [f"{name}_d{k}" for k in range(op.arity)]
                operands = [self.code[i] for i in node.inputs]
                call = ", ".join(code.text for code in operands)
                statements.append(Statement(
                    tuple(outputs), f"{', '.join(outputs)} = {function_name}({call})",
                    tuple(read for code in operands for read in code.names), _comment(self._formula(node))))
                self.code[node] = variable(name)
                continue
            code = template(op.forward, op.constants).render(*self._operands(node))
            if uses[node] == 1 and node not in read_by_backward and node is not self.root \
                    and code.depth <= MAX_DEPTH:
                self.code[node] = code
                self.index[node] = index
            else:
                name = self._name(node, index)
                statements.append(Statement((name,), f"{name} = {code.text}", code.names,
                                            _comment(self._formula(node))))
                self.code[node] = variable(name)
        return statements, read_names

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

    def _backward(self, contributions: dict[Value, Edges],
                  wanted: set[Value]) -> tuple[list[Statement], list[Code]]:
        """One statement per gradient that is used more than once or asked for: the sum of its terms.

        The terms are added in the order ``Value.backward`` adds them, so
        the sums round the same way. A gradient asked for always gets its
        own line (``g_w = ...``); the root's is the initial gradient 1.0.
        """
        statements: list[Statement] = []
        if self.root not in contributions:
            return statements, [atom("0.0")] * len(self.wrt)
        grad_uses: dict[Value, int] = {}
        for consumers in contributions.values():
            for node, _ in ((consumers,) if isinstance(consumers, tuple) else consumers):
                grad_uses[node] = grad_uses.get(node, 0) + 1
        term = self._term
        root = self.root
        grad = self.grad
        for node in reversed(self.order):
            edges = contributions.pop(node, None)
            if edges is None:
                continue
            if node is root:
                grad[node] = atom("1.0")  # backward's initial gradient
                continue
            if isinstance(edges, tuple):
                edges = [edges]
            terms = [term(consumer, position) for consumer, position in edges]
            # A gradient's code is let go once its last user has it (a graph of 10^6
            # nodes would otherwise keep every nested expression to the end).
            for consumer, _ in edges:
                left = grad_uses[consumer] - 1
                if left:
                    grad_uses[consumer] = left
                else:
                    del grad_uses[consumer]
                    if consumer not in wanted:
                        del grad[consumer]
            if node not in wanted and len(terms) == 1:
                only = terms[0]
                if only.precedence == ATOM and only.depth == 0 or (
                        grad_uses.get(node, 0) <= 1 and only.depth < MAX_DEPTH):
                    grad[node] = only  # a copy, or used once: written where it is used
                    continue
            name = "g_" + self._variable(node)
            comment = _comment(self._rules(edges))
            for start in range(0, len(terms), MAX_TERMS):
                chunk = terms[start:start + MAX_TERMS]
                if start == 0:
                    summed = " + ".join([chunk[0].within(10)] + [code.within(11) for code in chunk[1:]])
                    reads = tuple(read for code in chunk for read in code.names)
                    statements.append(Statement((name,), f"{name} = {summed}", reads, comment))
                else:
                    summed = " + ".join(code.within(11) for code in chunk)
                    reads = (name,) + tuple(read for code in chunk for read in code.names)
                    statements.append(Statement((name,), f"{name} = {name} + {summed}", reads))
            grad[node] = variable(name)
        grads = [grad[node] if node in grad else atom("0.0") for node in self.wrt]
        return statements, grads

    @staticmethod
    def _rules(edges: list[tuple[Value, int]]) -> str:
        """The comment of a gradient's line: the rules of the local derivatives it sums."""
        rules = []
        for consumer, position in edges:
            op = consumer._operation
            assert type(op) is Op  # (compile takes only nodes made by an op)
            rules.append(op.rules[position])
        return "; ".join(dict.fromkeys(rules))

    def _variable(self, node: Value) -> str:
        """The name a gradient's variable is made from: the node's variable, label or index."""
        code = self.code[node]
        if code.depth == 0 and code.precedence == ATOM and not node.is_constant:
            return code.text
        index = self.index.get(node)
        return self._name(node, self.order.index(node) if index is None else index)

    def _term(self, node: Value, position: int) -> Code:
        """local derivative * upstream gradient, simplified where that is exact (1.0 * g is g)."""
        upstream = self.grad[node]
        op = node._operation
        assert type(op) is Op  # (compile takes only nodes made by an op)
        if op.derivatives is None or not made_by_table(op):
            return product(variable(f"{self.code[node].text}_d{position}"), None, upstream, ())
        local = template(op.derivatives[position], op.constants)
        if local.text == "1.0":
            return upstream  # 1.0 * g is g, to the bit
        return product(None, local, upstream, self._operands(node))


def _program(statements: list[Statement], writer: _Writer) -> CompiledProgram:
    """The program of these statements: one function, or a long program's parts (see ``_split``)."""
    filename = f"<tracegrad program {next(_programs)}>"
    constants = (writer.constant_names, writer.constant_values)
    counts = (len(writer.inputs), len(writer.wrt), len(writer.order))
    lines = [statement.text() for statement in statements]
    characters = sum(map(len, lines)) + 5 * len(lines)
    if len(lines) <= STATEMENTS_PER_FUNCTION and characters <= CHARACTERS_PER_FUNCTION:
        source = "def program(inputs, reads):\n" + "".join(f"    {line}\n" for line in lines)
        del lines, statements[:]
        function = _function(source, filename, writer.namespace, show_lines=True)
        program = CompiledProgram(source, function, writer.reads, *counts, constants)
        weakref.finalize(program, linecache.cache.pop, filename, None)
        return program
    del lines
    parts, function, line_count = _split(statements, filename, writer.namespace)
    return CompiledProgram(parts, function, writer.reads, *counts, constants, line_count)


_programs = itertools.count(1)
#: The characters of one ``name = store[k]`` line, counted into a part's size.
_LOAD_CHARACTERS = 28


def _split(statements: list[Statement], filename: str, namespace: dict[str, object]
           ) -> tuple[list[bytes], Callable[..., tuple[float, list[float]]], int]:
    """A long program as parts called in turn, each compiled on its own; their compressed text.

    A part has at most STATEMENTS_PER_FUNCTION statements and
    CHARACTERS_PER_FUNCTION characters, counting the lines that take the
    values it reads from earlier parts out of ``store``, a list with one
    place per value handed on: the part that computes a value puts it there
    at its end. What a statement reads and assigns is in its record. Each
    part's statements are dropped once it is compiled (only its compressed
    text stays, for ``program.source``), so compiling holds one part's text,
    tree and code at a time, besides the statements.
    """
    starts = [0]
    loads: list[list[str]] = [[]]  # per part: the names it takes from earlier parts
    handed: list[dict[str, None]] = [{}]  # per part: the names later parts take from it
    defined_by: dict[str, int] = {}
    loaded: set[str] = set()
    part = count = weight = 0
    for index, statement in enumerate(statements):
        read = dict.fromkeys(statement.reads)
        length = len(statement.text())
        new = [name for name in read if defined_by.get(name, part) < part and name not in loaded]
        size = length + _LOAD_CHARACTERS * len(new)
        if count and (count + 1 + len(new) > STATEMENTS_PER_FUNCTION
                      or weight + size > CHARACTERS_PER_FUNCTION):
            part += 1
            starts.append(index)
            loads.append([])
            handed.append({})
            loaded = set()
            count = weight = 0
            new = [name for name in read if defined_by.get(name, part) < part]
            size = length + _LOAD_CHARACTERS * len(new)
        for name in new:
            loaded.add(name)
            loads[part].append(name)
            handed[defined_by[name]][name] = None
        count += 1 + len(new)
        weight += size
        for name in statement.targets:
            defined_by[name] = part
    del defined_by, loaded
    starts.append(len(statements))

    place: dict[str, int] = {}
    compressed: list[bytes] = []
    line_count = 0
    for part, (start, end) in enumerate(zip(starts, starts[1:])):
        lines = [f"def part{part}(inputs, reads, store):"]
        lines.extend(f"    {name} = store[{place[name]}]" for name in loads[part])
        lines.extend(f"    {statements[index].text()}" for index in range(start, end))
        for name in handed[part]:
            place.setdefault(name, len(place))
        lines.extend(_stores(sorted((place[name], name) for name in handed[part])))
        statements[start:end] = [_WRITTEN] * (end - start)  # dropped: this part is written
        unit = "\n".join(lines) + "\n"
        del lines
        _function(unit, f"{filename[:-1]} part {part}>", namespace, show_lines=False)
        compressed.append(zlib.compress(unit.encode("utf-8"), 1))
        line_count += unit.count("\n")
        del unit
    parts = len(starts) - 1
    lines = ["def program(inputs, reads):", f"    store = [None] * {len(place)}"]
    lines.extend(f"    part{k}(inputs, reads, store)" for k in range(parts - 1))
    lines.append(f"    return part{parts - 1}(inputs, reads, store)")
    unit = "\n".join(lines) + "\n"
    function = _function(unit, filename, namespace, show_lines=False)
    compressed.append(zlib.compress(unit.encode("utf-8"), 1))
    return compressed, function, line_count + unit.count("\n") + len(compressed) - 1  # blank lines between


_WRITTEN = Statement((), "")  # what a written part's statements are replaced by


def _stores(placed: list[tuple[int, str]]) -> Iterator[str]:
    """The lines putting these names into their places of ``store``: a slice for each run of places."""
    run: list[tuple[int, str]] = []
    for entry in placed + [(-2, "")]:
        if run and entry[0] != run[-1][0] + 1:
            names = [name for _, name in run]
            if len(run) == 1:
                yield f"    store[{run[0][0]}] = {names[0]}"
            else:
                yield f"    store[{run[0][0]}:{run[-1][0] + 1}] = {', '.join(names)}"
            run = []
        run.append(entry)


def _function(unit: str, filename: str, namespace: dict[str, object],
              show_lines: bool) -> Callable[..., tuple[float, list[float]]]:
    """Compile a unit of code and run it in ``namespace``; with ``show_lines``, tracebacks show its lines."""
    if show_lines:
        linecache.cache[filename] = (len(unit), None, unit.splitlines(True), filename)
    exec(builtins.compile(unit, filename, "exec"), namespace)
    return namespace.get("program")  # type: ignore[return-value]


def _unpack(names: list[str]) -> str:
    return names[0] + "," if len(names) == 1 else ", ".join(names)
