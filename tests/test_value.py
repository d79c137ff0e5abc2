"""The Value node: construction, validation, graph structure."""

import math

import pytest

from autograd import Value, no_grad


def test_neuron_example_gradients_match_hand_derivation():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.backward()
    n = 2.0 * -3.0 + 6.88
    dn = 1.0 - math.tanh(n) ** 2
    assert y.data == math.tanh(n)
    assert x.grad == dn * -3.0
    assert w.grad == dn * 2.0
    assert b.grad == dn


@pytest.mark.parametrize("bad", ["2.0", None, [1.0], 1 + 2j, True, False])
def test_constructor_rejects_non_real_with_type_name(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_constructor_stores_ints_as_float():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0


def test_inputs_keep_order_and_duplicates():
    a = Value(1.5)
    twice = a + a
    assert twice.inputs == (a, a)
    assert twice._prev == (a, a)
    assert twice._op == "+"


def test_no_grad_builds_no_graph():
    a = Value(2.0)
    with no_grad():
        b = a * 3.0
    assert b.is_leaf and b.inputs == () and b.data == 6.0
