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
    # (the engine computes 1 - t**2 as (1 - t)(1 + t), exact to the last bit or so)
    assert math.isclose(x.grad, dn * -3.0, rel_tol=1e-15)
    assert math.isclose(w.grad, dn * 2.0, rel_tol=1e-15)
    assert math.isclose(b.grad, dn, rel_tol=1e-15)


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


# --- bad inputs, each with its message ---

def test_constructor_names_a_numpy_bool_as_bool():
    import numpy as np

    with pytest.raises(TypeError, match="bool"):
        Value(np.bool_(True))


def test_constructor_accepts_numpy_scalars_and_special_floats():
    import numpy as np

    assert Value(np.float64(2.5)).data == 2.5 and type(Value(np.int64(3)).data) is float
    assert math.isnan(Value(float("nan")).data) and Value(-math.inf).data == -math.inf


@pytest.mark.parametrize("other", ["a", None, [1.0], 1j, object()])
def test_arithmetic_with_a_non_number_raises_type_error_naming_it(other):
    x = Value(1.0)
    kind = type(other).__name__
    for attempt in (lambda: x + other, lambda: other + x, lambda: other - x,
                    lambda: x / other, lambda: x ** other):
        with pytest.raises(TypeError, match=kind):
            attempt()
    with pytest.raises(TypeError):  # Python's own message when other is a sequence
        x * other


def test_bools_are_not_numbers_here():
    x = Value(1.0)
    for attempt in (lambda: x + True, lambda: False * x, lambda: x ** True, lambda: True ** x):
        with pytest.raises(TypeError, match="bool"):
            attempt()


@pytest.mark.parametrize("label", [3, None, 0, b"x", ["x"]])
def test_a_label_must_be_a_str(label):
    with pytest.raises(TypeError, match=f"label must be str, got {type(label).__name__}"):
        Value(1.0, label=label)
    v = Value(1.0, label="ok")
    with pytest.raises(TypeError, match="label must be str"):
        v.label = label
    assert v.label == "ok"


@pytest.mark.parametrize("gradient", ["1.0", None, [1.0], True, 1j])
def test_the_initial_gradient_must_be_a_real_number(gradient):
    y = Value(2.0) * 3.0
    with pytest.raises(TypeError, match=f"initial gradient must be a real number.*{type(gradient).__name__}"):
        y.backward(gradient)


def test_an_initial_gradient_too_large_for_a_float_is_a_value_error():
    with pytest.raises(ValueError, match="initial gradient is too large for a float"):
        (Value(2.0) * 3.0).backward(10**400)


def test_the_leaky_relu_slope_must_be_a_real_number():
    with pytest.raises(TypeError, match="slope.*str"):
        Value(1.0).leaky_relu("0.1")
    with pytest.raises(TypeError, match="slope.*bool"):
        Value(1.0).leaky_relu(True)


# --- the node itself ---

def test_a_node_records_inputs_op_and_local_grads():
    x, w = Value(2.0, label="x"), Value(-3.0)
    y = x * w
    assert y.inputs == (x, w) and y._prev == (x, w)
    assert y.op.name == "mul" and y._op == "*"
    assert y.local_grads == (-3.0, 2.0)
    assert not y.is_leaf and x.is_leaf and not x.is_constant and x.op is None and x._op == ""
    z = y.tanh()
    assert z.inputs == (y,) and len(z.local_grads) == 1


def test_repr_shows_data_grad_and_label():
    v = Value(1.5, label="w")
    assert repr(v) == "Value(data=1.5, grad=0.0, label='w')"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


def test_a_node_takes_attributes_of_the_users_own():
    # micrograd's clients set them: optimiser state (p.m, p.v), drawing colours (p._vis_color).
    p = Value(1.0)
    p.m, p._vis_color = 0.0, "lightgreen"
    p.m = 0.9 * p.m + 0.1 * 2.0
    assert (p.m, p._vis_color) == (0.2, "lightgreen") and vars(p) == {"m": 0.2, "_vis_color": "lightgreen"}
    assert vars(Value(2.0)) == {} and not hasattr(Value(2.0), "m")
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'm'"):
        Value(2.0).m  # noqa: B018  (reading one never set is still an error)
    assert Value.__slots__ == ("data", "grad", "_a", "_b", "_da", "_db", "_operation", "_tag", "__dict__")


def test_a_node_costs_at_most_152_bytes():
    # The node and its float. CPython 3.11 gives an object that can take
    # attributes 32 bytes more than one that cannot (a 16-byte pre-header for
    # the dict and a 16-byte value array made with the object; the dict
    # itself only when an attribute is set): 128 + 24 for the float. Without
    # "__dict__" in __slots__ it was 96 + 24 = 120.
    import gc
    import tracemalloc

    w = Value(0.5)
    v = Value(1.0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(20_000):
        v = v + w  # the node and its float
    per_node = (tracemalloc.get_traced_memory()[0] - before) / 20_000
    tracemalloc.stop()
    assert per_node <= 152.5, per_node


def test_graphs_hold_no_reference_cycles():
    # Freed by reference counting alone, with the cycle collector off: no
    # closure or back-pointer makes a node part of a cycle.
    import gc

    def live_values():
        return sum(1 for obj in gc.get_objects() if type(obj) is Value)

    gc.collect()
    baseline = live_values()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * x + 1.0).tanh() - y.relu()
        y.backward()
        assert live_values() > baseline + 1000
        del x, y
        assert live_values() == baseline
    finally:
        gc.enable()


# --- the engine core imports only the standard library ---

def test_import_autograd_loads_no_heavy_or_upper_layer_module():
    import subprocess
    import sys

    code = (
        "import sys, autograd\n"
        "x = autograd.Value(2.0); (x * x).backward()\n"
        "bad = ('graphviz', 'ipywidgets', 'matplotlib', 'numpy', 'tqdm', 'nn', 'torch', 'IPython')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "build, where",
    [
        (lambda: Value(10**400), "Value data"),
        (lambda: Value(1.0) + 10**400, "operand of '\\+'"),
        (lambda: 10**400 * Value(1.0), "operand of '\\*'"),
        (lambda: Value(2.0) ** 10**400, "exponent of '\\*\\*'"),
    ],
)
def test_an_int_too_large_for_a_float_is_a_value_error_naming_where(build, where):
    # The right type (an int) with a bad value: ValueError, as everywhere in tracegrad.
    with pytest.raises(ValueError, match=f"{where} is too large for a float .*, got 10000000...\\(401 digits\\)"):
        build()
