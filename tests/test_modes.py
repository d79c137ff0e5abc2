"""Modes: no_grad / enable_grad, detect_anomaly and scope; nesting and restoring on errors."""

from __future__ import annotations

import math

import pytest

from autograd import Value, detect_anomaly, enable_grad, is_grad_enabled, no_grad, row, scope


# --- no_grad and enable_grad ---

def test_no_grad_builds_no_graph():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3.0 + 1.0).tanh()
        z = 2 ** x
    for node in (y, z):
        assert node.is_leaf and node.inputs == () and node.op is None and node._prev == ()
    assert y.data == math.tanh(7.0) and z.data == 4.0
    y.backward()
    assert x.grad == 0.0 and y.grad == 1.0
    assert is_grad_enabled()


def test_no_grad_for_the_parameter_update_leaves_the_graph_usable():
    w = Value(0.5)
    loss = (w * 4.0 - 1.0) ** 2
    loss.backward()
    with no_grad():
        updated = w - 0.1 * w.grad
    assert updated.is_leaf
    w.data = updated.data
    w.grad = 0.0
    loss = (w * 4.0 - 1.0) ** 2
    loss.backward()
    assert w.grad == 2 * (w.data * 4.0 - 1.0) * 4.0


def test_no_grad_nests_and_restores():
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        assert (Value(1.0) + 1).is_leaf
    assert is_grad_enabled()
    assert not (Value(1.0) + 1).is_leaf


def test_no_grad_is_restored_when_the_body_raises():
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(RuntimeError):
            with enable_grad():
                raise RuntimeError("boom")
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        z = x * x
    assert y.inputs == (x, x) and z.is_leaf
    y.backward()
    assert x.grad == 4.0


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def evaluate(v):
        return v * 2.0

    x = Value(1.5)
    assert evaluate(x).is_leaf and evaluate(x).is_leaf
    assert not (x * 2.0).is_leaf


# --- detect_anomaly ---

def test_anomaly_names_the_op_its_input_values_and_labels():
    x = Value(0.0, label="x")
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            x.log()
    message = str(error.value)
    assert "'log'" in message and "-inf" in message and "0.0 (x)" in message


def test_anomaly_names_both_inputs_of_a_binary_op():
    numerator, denominator = Value(1.0, label="num"), Value(0.0, label="den")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"'div'.*inf.*1\.0 \(num\), 0\.0 \(den\)"):
        numerator / denominator


def test_anomaly_is_raised_by_the_first_non_finite_op_only():
    x = Value(800.0, label="x")
    with detect_anomaly():
        y = x * 0.5  # finite: fine
        with pytest.raises(FloatingPointError, match=r"'exp'.*inf.*800\.0"):
            (y * 2.0).exp()
        assert math.isfinite(y.data)


def test_anomaly_in_unlabelled_nodes_and_number_operands():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"'pow0\.333.*nan.*-8\.0"):
        Value(-8.0) ** (1 / 3)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="'mul'.*1e\\+200"):
        Value(1e200) * 1e200


def test_backward_anomaly_names_the_op_rule_and_numbers():
    x = Value(0.0, label="x")
    y = x.sqrt()  # finite forward (0.0), infinite local derivative
    loss = y * 3.0
    with detect_anomaly(), pytest.raises(FloatingPointError) as error:
        loss.backward()
    message = str(error.value)
    assert "'sqrt'" in message and "d sqrt(u)/du" in message and "inf" in message and "x" in message


def test_anomaly_mode_gives_the_same_gradients_bit_for_bit():
    def program():
        x, w = Value(0.3, label="x"), Value(-1.7, label="w")
        h = (x * w).tanh() + (x / w).sigmoid() * x
        return x, w, (h * h + h.exp() - (2 ** w)).relu() + abs(h)

    x1, w1, y1 = program()
    y1.backward()
    with detect_anomaly():
        x2, w2, y2 = program()
        y2.backward()
    assert (x1.grad, w1.grad, y1.data) == (x2.grad, w2.grad, y2.data)


def test_anomaly_mode_is_restored_after_and_on_errors():
    with pytest.raises(FloatingPointError), detect_anomaly():
        Value(-1.0).log()
    assert math.isnan(Value(-1.0).log().data)  # no longer raises
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):
            Value(-1.0).sqrt()
    assert math.isnan(Value(-1.0).sqrt().data)


# --- scope ---

def test_scope_tags_nodes_and_nests():
    x = Value(1.0, label="x")
    with scope("L1") as outer:
        with scope("N0") as inner:
            y = x * 2.0
            labelled = Value(3.0, label="b")
        z = y + 1.0
    after = z * 1.0
    assert x.scope is None and after.scope is None
    assert y.scope is inner and inner.name == "L1.N0" and inner.path == ("L1", "N0")
    assert z.scope is outer and outer.name == "L1"
    assert labelled.label == "b" and labelled.scope is inner
    y.label = "y"
    assert y.label == "y" and y.scope is inner


def test_scope_is_restored_when_the_body_raises():
    with pytest.raises(KeyError):
        with scope("L1"):
            raise KeyError("x")
    assert (Value(1.0) * 2).scope is None


@pytest.mark.parametrize("name, error", [(3, TypeError), (None, TypeError), ("", ValueError),
                                         ("a.b", ValueError)])
def test_invalid_scope_names_are_rejected(name, error):
    with pytest.raises(error, match="scope name"):
        with scope(name):
            pass
    assert (Value(1.0) * 2).scope is None


# --- rows: the batch row a node was built for ---

def test_nodes_built_inside_row_carry_it_with_the_scope_around_or_inside():
    x = Value(1.0, label="x")
    with scope("L1"), row(3):
        inner = x * 2.0
        with scope("N2"):
            nested = inner + 1.0
            leaf = Value(4.0, label="w")
    with row(2), scope("L1"):
        other_order = x * 3.0
    with row(5):
        row_only = x - 1.0
        with row(6):
            replaced = x - 2.0
    assert (inner.scope.name, inner.row) == ("L1", 3)
    assert (nested.scope.name, nested.row) == ("L1.N2", 3)
    assert (leaf.scope.name, leaf.row, leaf.label) == ("L1.N2", 3, "w")
    assert inner.inputs[1].row == 3  # the constant 2.0 too
    assert (other_order.scope.name, other_order.row) == ("L1", 2)
    assert row_only.scope is None and row_only.row == 5 and replaced.row == 6
    assert x.row is None and (x * 2.0).row is None


def test_a_label_set_later_keeps_the_row():
    with row(4):
        node = Value(1.0) * 2.0
    node.label = "z"
    assert (node.label, node.row) == ("z", 4)


def test_row_keeps_the_node_size():
    with scope("L1"), row(3):
        node = Value(1.0) * 2.0
    assert type(node).__slots__ == ("data", "grad", "_a", "_b", "_da", "_db", "_operation", "_tag", "__dict__")
    assert repr(node.scope) == "Scope('L1', row=3)"


@pytest.mark.parametrize("k, error", [(0, ValueError), (-2, ValueError), (1.0, TypeError),
                                      (True, TypeError), ("3", TypeError)])
def test_a_row_is_an_int_from_1(k, error):
    with pytest.raises(error, match="row"):
        with row(k):
            pass
    assert (Value(1.0) * 2.0).row is None


def test_a_scope_carries_the_kind_its_maker_names_and_a_row_keeps_it():
    with scope("L1", "layer"), scope("N2", "neuron"), row(3):
        node = Value(1.0) * 2.0
    assert node.scope.path == ("L1", "N2") and node.scope.kinds == ("layer", "neuron") and node.row == 3
    with scope("X"):
        plain = Value(1.0) * 2.0
    assert plain.scope.kinds == ("",)
    for bad, error in ((3, TypeError), ("a.b", ValueError), (" layer", ValueError)):
        with pytest.raises(error, match="scope kind"):
            scope("L1", bad)
