"""Copying and pickling graphs of any depth: the copy backpropagates to the same bits as the original.

``copy.deepcopy`` and ``pickle`` of a node take its whole graph; both walk
it with an explicit stack (a chain of 100,000 ops was a RecursionError), keep
shared nodes shared (``a + a``, diamonds, leaves reached from several
places), restore each op as the very object of the op table (so a copy
compiles, steps and draws as the original), and keep labels, scopes, rows,
constants and the attributes a user set on a node.
"""

from __future__ import annotations

import copy
import math
import pickle
import struct

import pytest

from autograd import Value, compile, no_grad, row, scope, topological_order


CHAIN = 100_000


def chain(length=CHAIN):
    """A chain of ``length`` ops over two leaves: every node depends on the one before."""
    x, w = Value(0.3, label="x"), Value(-0.7, label="w")
    v = x
    for step in range(length // 2):
        v = v * w if step % 2 else v + x
        v = v.tanh()
    return x, w, v


def mixed_graph(micrograd=True):
    """Every kind of node: table ops, a power, leaky_relu, constants, labels, scopes, rows, micrograd's."""
    x, w, b = Value(0.5, label="x"), Value(-1.25, label="w"), Value(0.125)
    with scope("L1"), scope("N1"):
        z = x * w + b
        z.label = "z"
        a = z.tanh()
    with row(3):
        hidden = (a ** 2 + 2 ** x - w / x + (x - 3.0).leaky_relu(0.1)).sigmoid()
    # micrograd's way, no _backward assigned (compile refuses such a node)
    micro = Value(hidden.data * 2.0, (hidden,), "twice") if micrograd else hidden * 2.0
    leaf_with_op = Value(1.5, (), "input")
    loss = (hidden * hidden + micro * 0.0 + leaf_with_op * a).exp().log() + abs(w).sqrt() - (-b).relu()
    loss.label = "L"
    return [x, w, b, leaf_with_op], loss


def describe(root):
    """Everything a node shows, for every node of the graph, inputs given by position in the order."""
    order = topological_order(root)
    position = {id(node): index for index, node in enumerate(order)}
    return [(node.data, node.grad, node.op, node._op, node.label, node.scope and node.scope.name, node.row,
             node.is_constant, node.local_grads, tuple(position[id(i)] for i in node.inputs))
            for node in order]


def bits(values):
    """The floats' bit patterns: -0.0 differs from 0.0, and nan is comparable."""
    return [struct.pack("<d", value) for value in values]


def round_trips(root):
    """The graph of ``root`` through pickle (protocols 2 to 5) and through deepcopy."""
    copies = [pickle.loads(pickle.dumps(root, protocol)) for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1)]
    copies.append(copy.deepcopy(root))
    return copies


def test_a_100000_op_chain_pickles_and_deep_copies_and_backpropagates_to_the_same_bits():
    x, w, v = chain()
    original = topological_order(v)
    v.backward()
    expected_grads = bits([node.grad for node in original])
    for copied in (pickle.loads(pickle.dumps(v)), copy.deepcopy(v)):
        order = topological_order(copied)
        assert len(order) == len(original) == CHAIN + 2
        assert not set(map(id, order)) & set(map(id, original))  # a copy, not the same nodes
        assert bits([node.data for node in order]) == bits([node.data for node in original])
        assert bits([node.grad for node in order]) == expected_grads  # gradients travel too
        for leaf in order:
            if leaf.is_leaf:
                leaf.grad = 0.0
        copied.backward()
        assert bits([node.grad for node in order]) == expected_grads
        assert [leaf.label for leaf in order if leaf.is_leaf] == ["x", "w"]


def test_every_kind_of_node_round_trips_with_the_same_ops_names_and_gradients():
    leaves, loss = mixed_graph()
    before = describe(loss)
    for copied in round_trips(loss):
        assert describe(copied) == before  # ops compare by identity: the table's own objects
        copied.backward()
    loss.backward()
    expected = describe(loss)
    for copied in round_trips(loss):
        for leaf in topological_order(copied):
            if leaf.is_leaf:  # constants too: they carry the original's gradient
                leaf.grad = 0.0
        copied.backward()
        ours = describe(copied)
        assert [entry[:1] + entry[2:] for entry in ours] == [entry[:1] + entry[2:] for entry in expected]
        assert bits([e[1] for e in ours]) == bits([e[1] for e in expected])  # grads, bit for bit


def test_a_copy_compiles_to_the_same_gradients():
    leaves, loss = mixed_graph(micrograd=False)
    x, w = leaves[:2]
    program = compile(loss, wrt=[x, w], inputs=[x, w])
    for copied in round_trips(loss):
        copied_x, copied_w = [n for n in topological_order(copied) if n.label in ("x", "w")]
        assert compile(copied, wrt=[copied_x, copied_w], inputs=[copied_x, copied_w])([0.5, -1.25]) == \
            program([0.5, -1.25])


def test_shared_nodes_stay_shared_within_one_pickle_or_copy():
    x, w = Value(2.0), Value(3.0)
    twice = x * w
    loss = twice * twice + x
    for copied_x, copied_w, copied_twice, copied_loss in (
            pickle.loads(pickle.dumps([x, w, twice, loss])), copy.deepcopy([x, w, twice, loss])):
        assert copied_loss.inputs[0].inputs == (copied_twice, copied_twice)
        assert copied_twice.inputs == (copied_x, copied_w) and copied_loss.inputs[1] is copied_x
        copied_loss.backward()
        assert (copied_x.grad, copied_w.grad) == (2 * 6.0 * 3.0 + 1.0, 2 * 6.0 * 2.0)


def test_pickling_every_node_of_a_chain_stays_linear_in_size():
    # Each node listed after the ones it depends on: every one of them is
    # pickled once; none lists its whole upstream again (that would be quadratic).
    x, w, v = chain(4_000)
    one_root = len(pickle.dumps(v))
    every_node = pickle.dumps(topological_order(v))
    assert len(every_node) < 1.5 * one_root
    loaded = pickle.loads(every_node)
    assert loaded[-1].inputs[0] is loaded[-2]


def test_attributes_set_on_a_node_travel_with_it():
    p = Value(0.5)
    p.m, p.v, p._vis_color = 0.25, 0.0625, "lightgreen"
    loss = p * p
    for copied in round_trips(loss):
        copied_p = copied.inputs[0]
        assert (copied_p.m, copied_p.v, copied_p._vis_color) == (0.25, 0.0625, "lightgreen")
    assert copy.copy(p).m == 0.25 and copy.copy(loss).inputs == (p, p)  # a shallow copy shares the inputs


class Scalar(Value):
    """A learner's subclass with an attribute of its own."""

    def __init__(self, data, note=""):
        super().__init__(data)
        self.note = note


def test_a_subclass_keeps_its_class_and_attributes():
    s = Scalar(1.5, note="mine")
    for copied in round_trips(s * 2.0):
        copied_s = copied.inputs[0]
        assert type(copied_s) is Scalar and copied_s.note == "mine" and copied_s.data == 1.5


def test_no_grad_leaves_and_constants_stay_what_they_were():
    x = Value(2.0)
    with no_grad():
        frozen = x * 3.0
    node = frozen + 1.0
    for copied in round_trips(node):
        assert copied.inputs[0].is_leaf and copied.inputs[1].is_constant and not copied.inputs[0].is_constant


def test_a_node_with_its_own_backward_function_is_refused_clearly():
    # The function is a closure over the original nodes: a copy of it would
    # pass gradients to the original graph, so copying refuses it.
    x = Value(0.3)
    out = Value(math.sin(x.data), (x,), "sin")

    def _backward():
        x.grad += math.cos(x.data) * out.grad

    out._backward = _backward
    loss = out * 2.0
    with pytest.raises(TypeError, match=r"'sin'.* its own _backward .*define_op"):
        copy.deepcopy(loss)
    with pytest.raises(TypeError, match=r"'sin'.* its own _backward .*define_op"):
        pickle.dumps(loss)
