"""micrograd drop-in: the same code, run with micrograd's Value and ours, gives the same numbers.

To the last bit (``==``) wherever both perform the same float operations:
``+ - *``, numbers on either side, ``** number``, ``relu``, backward.
Two documented exceptions, compared approximately:

* micrograd computes ``a / b`` as ``a * b**-1`` (two roundings), the engine
  as one IEEE division (one rounding), so quotients may differ in the last bit;
* micrograd orders its graph through a ``set`` of inputs, so when a node has
  three or more consumers the order in which their contributions are added
  into its gradient follows memory addresses, and float addition is not
  associative. With at most two consumers the sum ``0 + c1 + c2`` is the
  same in either order; the exact programs below keep to that, or use
  numbers whose sums are exact in any order.

micrograd is a benchmark-only dependency (the ``bench`` extra): the tests that
run it are marked ``micrograd`` and import it inside.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value


def micrograd_value():
    """micrograd's ``Value`` class (the PyPI package)."""
    from micrograd.engine import Value as MicroValue

    return MicroValue


def run_both(program, *inputs):
    """``program(Value, *leaves)`` with each engine: (data of every returned node, leaf grads)."""
    results = []
    for value_class in (micrograd_value(), Value):
        leaves = [value_class(x) for x in inputs]
        nodes = program(value_class, *leaves)
        nodes[-1].backward()
        results.append(([node.data for node in nodes], [leaf.grad for leaf in leaves]))
    return results


def two_consumer_program(V, x, y, z):
    """Non-dyadic numbers; no node is used more than twice."""
    a = x * y + 0.1       # x, y: once here...
    b = 0.7 - z * a       # a: 1st use
    c = (a * 1.3).relu()  # a: 2nd use
    d = b ** 2 + 3.3 * c  # b: 1st use
    e = (d - b).relu()    # b: 2nd use, d: 1st use
    f = -e * x + d ** 3   # x: 2nd use, d: 2nd use
    g = f - 2 + y ** 2    # y: 2nd use
    h = g * z * 0.3       # z: 2nd use
    return [a, b, c, d, e, f, g, h]


@pytest.mark.micrograd
def test_same_float_ops_give_the_same_bits():
    (micro_data, micro_grads), (our_data, our_grads) = run_both(two_consumer_program, 0.37, -1.21, 0.83)
    assert our_data == micro_data
    assert our_grads == micro_grads
    assert any(g != round(g, 6) for g in our_grads), "the numbers exercise the last bits"


def micrograd_readme_program(V, x):
    """micrograd's test_sanity_check: x has four consumers, but every number is an integer."""
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return [z, q, h, y]


@pytest.mark.micrograd
@pytest.mark.parametrize("x", [-4.0, 3.0, 0.0, 7])
def test_micrograds_sanity_check_program_runs_unchanged_and_agrees(x):
    (micro_data, micro_grads), (our_data, our_grads) = run_both(micrograd_readme_program, x)
    assert our_data == micro_data and our_grads == micro_grads


def micrograd_more_ops_program(V, a, b):
    """micrograd's test_more_ops, with its in-place updates and divisions."""
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return [c, d, e, f, g]


@pytest.mark.micrograd
def test_micrograds_more_ops_program_agrees_up_to_its_division():
    (micro_data, micro_grads), (our_data, our_grads) = run_both(micrograd_more_ops_program, -4.0, 2.0)
    # c, d, e, f involve no division: exact
    assert our_data[:4] == micro_data[:4]
    # g = f/2 + 10/f: micrograd's f * 2.0**-1 and 10 * f**-1 round twice
    assert our_data[4] == pytest.approx(micro_data[4], rel=1e-15)
    assert our_grads == pytest.approx(micro_grads, rel=1e-14)
    assert our_data[4] == pytest.approx(24.70408163265306, rel=1e-15)  # micrograd's README value


def test_micrograds_node_interface():
    x = Value(2.0)
    y = (x * 3 + 1).relu() ** 2
    assert y._op == "**2" and y._prev[0]._op == "ReLU" and y._prev[0]._prev[0]._op == "+"
    assert isinstance(y._prev, tuple)  # a tuple, in order (micrograd: a set)
    y.grad = 1.0
    y._backward()  # one step, as micrograd's node-level _backward
    assert y._prev[0].grad == 2 * 7.0


# --- random programs with at most two consumers per node ---

@st.composite
def micrograd_programs(draw):
    """Leaves and steps of a random program over micrograd's ops, no node used 3 times."""
    leaves = draw(st.lists(st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=4))
    values = list(leaves)
    uses = [0] * len(leaves)
    steps = []
    for _ in range(draw(st.integers(1, 25))):
        available = [index for index, count in enumerate(uses) if count < 2]
        if not available:
            break
        kind = draw(st.sampled_from(["add", "sub", "mul", "radd", "rsub", "rmul", "addc", "subc",
                                     "mulc", "neg", "relu", "pow2", "pow3", "powm1", "pow_half"]))
        i = draw(st.sampled_from(available))
        x = values[i]
        if kind in ("add", "sub", "mul"):
            others = [index for index in available if index != i or uses[i] == 0]
            j = draw(st.sampled_from(others))
        else:
            j = i
        constant = draw(st.sampled_from([0.1, -0.7, 2.0, 1.3, -3]))
        if kind == "powm1" and abs(x) < 1e-3 or kind == "pow_half" and x <= 0:
            continue
        result = apply(kind, Value(x), Value(values[j]), constant).data
        if not (math.isfinite(result) and abs(result) < 1e8):
            continue
        uses[i] += 1
        if j != i or kind in ("add", "sub", "mul"):
            uses[j] += 1
        steps.append((kind, i, j, constant))
        values.append(result)
        uses.append(0)
    return leaves, steps


def apply(kind, a, b, constant):
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
        "radd": lambda: constant + a, "rsub": lambda: constant - a, "rmul": lambda: constant * a,
        "addc": lambda: a + constant, "subc": lambda: a - constant, "mulc": lambda: a * constant,
        "neg": lambda: -a, "relu": lambda: a.relu(), "pow2": lambda: a ** 2, "pow3": lambda: a ** 3,
        "powm1": lambda: a ** -1, "pow_half": lambda: a ** 0.5,
    }[kind]()


@pytest.mark.micrograd
@settings(max_examples=300, deadline=None)
@given(program=micrograd_programs())
def test_random_micrograd_programs_give_the_same_bits(program):
    leaves, steps = program

    def run(V, *leaf_values):
        nodes = list(leaf_values)
        for kind, i, j, constant in steps:
            nodes.append(apply(kind, nodes[i], nodes[j], constant))
        return nodes

    (micro_data, micro_grads), (our_data, our_grads) = run_both(run, *leaves)
    assert our_data == micro_data
    assert our_grads == micro_grads


# --- micrograd's own nn.MLP, its weights moved into a plain-Value MLP ---

def plain_value_mlp(weights, x):
    """An MLP of plain Values, written as micrograd's Neuron: sum(w*x, b), ReLU but last."""
    for depth, layer in enumerate(weights):
        outputs = []
        for neuron_w, neuron_b in layer:
            act = sum((wi * xi for wi, xi in zip(neuron_w, x)), neuron_b)
            outputs.append(act.relu() if depth != len(weights) - 1 else act)
        x = outputs
    return x[0]


def svm_loss(model, parameters, points, labels, value_class):
    """micrograd's demo loss: mean max-margin loss plus 1e-4 * sum(p*p)."""
    scores = [model(list(map(value_class, point))) for point in points]
    losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in parameters)


@pytest.mark.micrograd
def test_a_training_step_of_micrograds_mlp_agrees():
    from micrograd import nn as micrograd_nn

    MicroValue = micrograd_value()
    random.seed(1337)
    micro_model = micrograd_nn.MLP(2, [16, 16, 1])
    weights = [[([Value(w.data) for w in neuron.w], Value(neuron.b.data)) for neuron in layer.neurons]
               for layer in micro_model.layers]
    our_parameters = [p for layer in weights for neuron_w, neuron_b in layer for p in neuron_w + [neuron_b]]
    assert [p.data for p in our_parameters] == [p.data for p in micro_model.parameters()]

    rng = random.Random(7)
    points = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(20)]
    labels = [1 if x * y > 0 else -1 for x, y in points]

    micro_loss = svm_loss(micro_model, micro_model.parameters(), points, labels, MicroValue)
    our_loss = svm_loss(lambda x: plain_value_mlp(weights, x), our_parameters, points, labels, Value)
    # The forward pass does the same float operations in the same order: exact.
    assert our_loss.data == micro_loss.data

    micro_model.zero_grad()
    micro_loss.backward()
    our_loss.backward()
    # Weights and hidden activations have many consumers (one per point, 16
    # neurons each): micrograd adds their contributions in set order, so the
    # gradients agree up to float re-association, not bit for bit.
    micro_grads = [p.grad for p in micro_model.parameters()]
    our_grads = [p.grad for p in our_parameters]
    assert our_grads == pytest.approx(micro_grads, rel=1e-12, abs=1e-15)
    assert any(g != 0 for g in our_grads)

    for p in micro_model.parameters():
        p.data -= 0.05 * p.grad
    for p in our_parameters:
        p.data -= 0.05 * p.grad
    assert [p.data for p in our_parameters] == pytest.approx([p.data for p in micro_model.parameters()],
                                                             rel=1e-14, abs=1e-16)
    next_micro = svm_loss(micro_model, micro_model.parameters(), points, labels, MicroValue)
    next_ours = svm_loss(lambda x: plain_value_mlp(weights, x), our_parameters, points, labels, Value)
    assert next_ours.data == pytest.approx(next_micro.data, rel=1e-12)
    assert next_ours.data < our_loss.data


# --- micrograd's way of adding an op: Value(data, _children, _op) and an assigned _backward ---

def lecture_sin(x, value_class=Value):
    """The classic lecture's pattern, outside the class (with either engine's Value)."""
    out = value_class(math.sin(x.data), (x,), "sin")

    def _backward():
        x.grad += math.cos(x.data) * out.grad

    out._backward = _backward
    return out


def micrograd_style_mul(a, b):
    """micrograd's own __mul__, written with keywords."""
    out = Value(a.data * b.data, _children=(a, b), _op="*")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return out


def test_a_node_made_the_micrograd_way_backpropagates_through_its_own_backward():
    x = Value(0.7, label="x")
    y = lecture_sin(x) * 3.0 + lecture_sin(x * x)  # x reused: contributions accumulate
    y.backward()
    assert x.grad == pytest.approx(3 * math.cos(0.7) + math.cos(0.49) * 1.4, rel=1e-15)
    assert y.data == 3 * math.sin(0.7) + math.sin(0.7 * 0.7)


def test_keyword_children_and_op_and_two_inputs():
    a, b = Value(2.0), Value(-3.0)
    product = micrograd_style_mul(a, b)
    (product + a).backward()
    assert (product.data, a.grad, b.grad) == (-6.0, -2.0, 2.0)
    assert product.inputs == (a, b) and product._prev == (a, b) and product._op == "*"


def test_such_a_node_reports_its_inputs_op_and_measured_local_grads():
    x = Value(0.3, label="x")
    out = lecture_sin(x)
    assert out.inputs == (x,) and out._prev == (x,) and out._op == "sin" and not out.is_leaf
    assert out.has_custom_backward and not x.has_custom_backward and not (x * 2).has_custom_backward
    assert out.op.name == "sin" and out.op.symbol == "sin" and out.op.rules == ("sin",)
    assert out.op.write("x") == "sin(x)"
    x.grad, out.grad = 5.0, 7.0
    assert out.local_grads == (math.cos(0.3),)  # measured with upstream 1.0 on zeroed inputs...
    assert (x.grad, out.grad) == (5.0, 7.0)  # ...and everything restored
    twice = micrograd_style_mul(x, x)
    assert twice.local_grads == (0.3, 0.3)  # an input used twice: the measured total, halved


def test_without_an_assigned_backward_nothing_flows_back_as_in_micrograd():
    x = Value(1.5)
    out = Value(x.data * 2, (x,), "double")
    assert out.local_grads == (0.0,)
    (out * 1.0).backward()
    assert x.grad == 0.0
    assert callable(out._backward) and out._backward() is None


@pytest.mark.micrograd
def test_its_backward_runs_in_topological_order_like_micrograds():
    x = Value(0.2)
    a = lecture_sin(x)
    b = lecture_sin(a)  # b's backward must run before a's
    c = b * a
    c.backward()
    cos = math.cos
    expected = (b.data + a.data * cos(a.data)) * cos(x.data)  # dc/da = b + a·cos(a)
    assert x.grad == pytest.approx(expected, rel=1e-14)
    # micrograd itself gives the same
    micro = micrograd_value()
    mx = micro(0.2)
    ma = lecture_sin(mx, micro)
    (lecture_sin(ma, micro) * ma).backward()
    assert x.grad == pytest.approx(mx.grad, rel=1e-14)


def test_a_long_chain_of_such_nodes_needs_no_recursion():
    x = Value(0.1)
    v = x
    for _ in range(20_000):
        v = lecture_sin(v)
    v.backward()
    assert 0.0 < x.grad < 1.0


def test_a_table_ops_node_can_be_given_its_own_backward():
    x = Value(2.0)
    y = x * 3.0
    y._backward = lambda: setattr(x, "grad", x.grad + 10.0 * y.grad)
    (y + 0.0).backward()
    assert x.grad == 10.0 and y.has_custom_backward and y.op.name == "mul" and y.local_grads == (10.0, 0.0)


def test_wrong_children_and_ops_are_clear_errors():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"_children\[1\] must be Value, got float"):
        Value(1.0, (x, 2.0), "+")
    with pytest.raises(TypeError, match="single Value"):
        Value(1.0, x, "sin")
    with pytest.raises(TypeError, match="_op must be str, got int"):
        Value(1.0, (x,), 3)
    with pytest.raises(ValueError, match="at most two inputs, got 3"):
        Value(3.0, (x, x, x), "sum3")
    with pytest.raises(TypeError, match="_backward must be a function"):
        lecture_sin(x)._backward = 3.0


def test_under_no_grad_such_a_node_is_a_leaf_and_its_op_text_stays():
    from autograd import no_grad

    x = Value(1.0)
    with no_grad():
        out = lecture_sin(x)
    assert out.is_leaf and out._op == "sin" and out.op is None and not out.has_custom_backward


def test_detect_anomaly_checks_an_assigned_backwards_result():
    from autograd import detect_anomaly

    x = Value(1.0)
    out = Value(2.0, (x,), "blowup")
    out._backward = lambda: setattr(x, "grad", x.grad + math.inf)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="blowup"):
        (out * 2.0).backward()


class Scalar(Value):
    """A learner's subclass adding an op as a method, micrograd's way."""

    def sin(self):
        out = Scalar(math.sin(self.data), (self,), "sin")

        def _backward():
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward
        return out


class NamedScalar(Value):
    """A subclass with its own constructor and attributes (it has a __dict__)."""

    def __init__(self, data, _children=(), _op="", label=""):
        super().__init__(data, _children, _op, label)
        self.note = "mine"


def test_subclasses_work_and_their_ops_return_plain_values():
    x, w = Scalar(0.5, label="x"), NamedScalar(2.0, label="w")
    s = x.sin()
    assert type(s) is Scalar and s.inputs == (x,)
    y = s * w + x ** w + 2 ** x - w / x
    assert type(y) is Value and type(s * w) is Value and type(x ** w) is Value
    y.backward()
    reference = [math.cos(0.5) * 2.0 + 2.0 * 0.5 ** 1.0 + 2 ** 0.5 * math.log(2) + 2.0 / 0.25,
                 math.sin(0.5) + 0.5 ** 2.0 * math.log(0.5) - 1 / 0.5]
    assert [x.grad, w.grad] == pytest.approx(reference, rel=1e-13)
    assert w.note == "mine" and w.label == "w"


# --- micrograd's clients: attributes on Values, nn's keywords ---

class AdamOnParameters:
    """An optimiser that keeps its state on the parameters, as micrograd's clients do (p.m, p.v)."""

    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.95), eps=1e-8):
        self.parameters, self.lr, (self.beta1, self.beta2), self.eps = parameters, lr, betas, eps
        self.t = 0
        for p in parameters:
            p.m = 0  # first moment
            p.v = 0  # second moment
            p._vis_color = "lightgreen"  # a drawing's colour, set on the node

    def step(self):
        self.t += 1
        for p in self.parameters:
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * p.grad ** 2
            m_hat = p.m / (1 - self.beta1 ** self.t)
            v_hat = p.v / (1 - self.beta2 ** self.t)
            p.data -= self.lr * m_hat / (v_hat ** 0.5 + self.eps)

    def zero_grad(self):
        for p in self.parameters:
            p.grad = 0


def adam_client(V):
    """Three Adam steps on one ReLU neuron over two points (no node has more than two consumers)."""
    w1, w2, b = V(0.37), V(-0.81), V(0.05)
    optimiser = AdamOnParameters([w1, w2, b])
    history = []
    for _ in range(3):
        loss = 0
        for (x1, x2), y in (((1.5, -0.25), 0.7), ((-0.5, 2.0), 0.2)):
            inputs = [V(x1), V(x2)]
            for x in inputs:
                x._vis_color = "lightblue"
            loss = loss + ((w1 * inputs[0] + w2 * inputs[1] + b).relu() - y) ** 2
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
        history.append((loss.data, [p.data for p in (w1, w2, b)], [p.m for p in (w1, w2, b)]))
    return history, [p._vis_color for p in (w1, w2, b)]


@pytest.mark.micrograd
def test_an_optimiser_keeping_state_on_the_parameters_runs_unchanged_to_the_same_bits():
    ours = adam_client(Value)  # was: AttributeError, 'Value' object has no attribute 'm'
    assert ours == adam_client(micrograd_value())
    assert ours[0][-1][0] < ours[0][0][0] and ours[1] == ["lightgreen"] * 3


@pytest.mark.micrograd
@pytest.mark.parametrize("nonlin", [False, True])
def test_micrograds_nonlin_keyword_of_neuron_and_layer(nonlin):
    import nn
    from micrograd import nn as micrograd_nn

    random.seed(11)
    theirs = micrograd_nn.Neuron(3, nonlin=nonlin)
    their_layer = micrograd_nn.Layer(3, 2, nonlin=nonlin)
    random.seed(11)
    ours = nn.Neuron(3, nonlin=nonlin)  # was: TypeError, unexpected keyword argument 'nonlin'
    our_layer = nn.Layer(3, 2, nonlin=nonlin)
    assert ours.activation == our_layer.activation == ("relu" if nonlin else "linear")
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert [p.data for p in our_layer.parameters()] == [p.data for p in their_layer.parameters()]
    for x in ([0.5, -1.25, 2.0], [-3.0, 0.1, 0.2]):
        outputs = [ours(x), *our_layer(x)]
        their_outputs = [theirs(x), *their_layer(x)]
        assert [o.data for o in outputs] == [o.data for o in their_outputs]
        sum(outputs).backward()
        sum(their_outputs).backward()
        assert [p.grad for p in ours.parameters() + our_layer.parameters()] == \
            [p.grad for p in theirs.parameters() + their_layer.parameters()]


def test_nonlin_is_a_bool_and_not_given_with_an_activation():
    import nn

    assert nn.Neuron(2).activation == nn.Layer(2, 2).activation == "relu"
    assert nn.Neuron(2, "tanh").activation == "tanh"
    with pytest.raises(TypeError, match=r"nonlin must be a bool .*got int \(0\)"):
        nn.Neuron(2, nonlin=0)
    with pytest.raises(ValueError, match="activation or micrograd's nonlin, not both: got activation='tanh'"):
        nn.Layer(2, 3, "tanh", nonlin=True)


# --- the differences the README lists, each checked against micrograd 0.1.0 ---

@pytest.mark.micrograd
def test_difference_data_is_a_float_so_ints_print_as_floats():
    micro = micrograd_value()
    assert repr(micro(3)) == "Value(data=3, grad=0)" and type(micro(3).data) is int
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)" and type(Value(3).data) is float
    assert repr(micro(3) + 1) == "Value(data=4, grad=0)" and repr(Value(3) + 1) == "Value(data=4.0, grad=0.0)"


@pytest.mark.micrograd
@pytest.mark.torch
def test_difference_backward_twice_gives_pytorchs_answer_not_micrograds():
    import torch

    def twice(V):
        x = V(3.0)
        a = x + 0  # an interior node: micrograd keeps adding into its grad
        y = a * a
        y.backward()
        y.backward()
        return x.grad

    assert twice(micrograd_value()) == 18.0
    assert twice(Value) == 12.0
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    y = (x + 0) * (x + 0)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0


@pytest.mark.micrograd
def test_difference_prev_is_a_tuple_in_order_not_a_set():
    micro = micrograd_value()
    a, b = micro(2.0), micro(5.0)
    assert type((a - b)._prev) is set and len((a + a)._prev) == 1
    x, w = Value(2.0), Value(5.0)
    assert type((x - w)._prev) is tuple and (x - w)._prev == (x, w) and (x + x)._prev == (x, x)


@pytest.mark.micrograd
def test_difference_subtraction_negation_and_division_are_one_node_each():
    micro = micrograd_value()
    a, b = micro(2.0), micro(5.0)
    assert [(a - b)._op, (-a)._op, (a / b)._op] == ["+", "*", "*"]  # a + (-1 * b), a * -1, a * b**-1
    assert {node._op for node in (a - b)._prev} == {"", "*"} and {n._op for n in (a / b)._prev} == {"", "**-1"}
    x, w = Value(2.0), Value(5.0)
    assert [(x - w)._op, (-x)._op, (x / w)._op] == ["-", "neg", "/"]
    assert (x - w)._prev == (x, w) and (x / w)._prev == (x, w) and (-x)._prev == (x,)


@pytest.mark.micrograd
@pytest.mark.parametrize("divide", [lambda V: V(1.0) / V(0.0), lambda V: V(1.0) / 0, lambda V: V(0.0) ** -1,
                                    lambda V: 2.0 / V(0.0)])
def test_difference_division_by_zero_gives_inf_not_an_exception(divide):
    with pytest.raises(ZeroDivisionError):
        divide(micrograd_value())
    assert divide(Value).data == math.inf


@pytest.mark.micrograd
def test_difference_none_left_for_attributes_both_take_them():
    for V in (micrograd_value(), Value):
        p = V(1.0)
        p.m, p.v, p._vis_color = 0.5, 0.25, "lightgreen"
        node = p * p
        node.m = 1.5  # an op's result too
        assert (p.m, p.v, p._vis_color, node.m) == (0.5, 0.25, "lightgreen", 1.5)


def test_attributes_on_nns_parameters_and_on_a_node_made_the_micrograd_way():
    import nn

    model = nn.MLP(2, [3, 1])
    for p in model.parameters():
        p.m, p.v, p._vis_color = 0.0, 0.0, "lightgreen"
    model([0.5, -1.0]).backward()
    for p in model.parameters():  # an Adam-like update, its state read and written on each parameter
        p.m = 0.9 * p.m + 0.1 * p.grad
        p.v = 0.99 * p.v + 0.01 * p.grad ** 2
    assert [(p.m, p.v, p._vis_color) for p in model.parameters()] == [
        (0.1 * p.grad, 0.01 * p.grad ** 2, "lightgreen") for p in model.parameters()]
    x = Value(0.3)
    out = lecture_sin(x)
    out.m, out._vis_color = 1.0, "orange"
    (out * 2.0).backward()
    assert (out.m, out._vis_color, x.grad) == (1.0, "orange", 2.0 * math.cos(0.3))
