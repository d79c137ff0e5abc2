"""Neuron, Layer, MLP, Activation, Dropout and BatchNorm: values by hand, nodes, modes."""

from __future__ import annotations

import math

import pytest

from autograd import Value, topological_order
from nn import MLP, Activation, BatchNorm, Dropout, Layer, Neuron, Sequential

HAND = {
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "linear": lambda z: z,
}


@pytest.mark.parametrize("activation", sorted(HAND))
@pytest.mark.parametrize("inputs", [[2.0, -3.0], [-2.0, 0.5], [0.25, 0.0]])
def test_neuron_is_activation_of_weighted_sum_plus_bias(activation, inputs):
    neuron = Neuron(2, activation, weights=[0.5, 0.75], bias=-0.25)
    out = neuron(inputs)
    z = -0.25 + 0.5 * inputs[0] + 0.75 * inputs[1]
    assert out.data == pytest.approx(HAND[activation](z), rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("activation, extra", [("relu", 1), ("leaky_relu", 1), ("tanh", 1), ("sigmoid", 1), ("linear", 0)])
def test_each_activation_is_one_graph_node(activation, extra):
    neuron = Neuron(3, activation, seed=0)
    out = neuron([1.0, 2.0, 3.0])
    interior = [n for n in topological_order(out) if not n.is_leaf]
    assert len(interior) == 3 + 3 + extra  # 3 products, 3 additions, the activation
    if extra:
        assert out.op.name == activation


def test_neuron_gradient_is_the_chain_rule_by_hand():
    neuron = Neuron(2, "tanh", weights=[-3.0, 1.0], bias=6.8813735870195432)
    x = [Value(2.0), Value(0.0)]
    out = neuron(x)
    out.backward()
    local = 1.0 - out.data ** 2
    assert neuron.w[0].grad == pytest.approx(local * 2.0, rel=1e-15)
    assert neuron.b.grad == pytest.approx(local, rel=1e-15)
    assert x[0].grad == pytest.approx(local * -3.0, rel=1e-15)


def test_neuron_weights_argument_is_checked():
    with pytest.raises(ValueError, match="needs 2 weights, got 3"):
        Neuron(2, weights=[1.0, 2.0, 3.0])


def test_layer_outputs_every_neuron_on_the_same_inputs():
    layer = Layer(2, 3, "relu", seed=4)
    x = [0.3, -0.7]
    assert [v.data for v in layer(x)] == [n(x).data for n in layer.neurons]


def test_mlp_hidden_and_output_activations():
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=1)
    assert [layer.activation for layer in model.layers] == ["tanh", "sigmoid"]
    assert 0.0 < model([5.0, -5.0]).data < 1.0
    assert repr(model) == "MLP(2, [3, 1], activation='tanh', output_activation='sigmoid')"


def test_mlp_with_a_one_neuron_hidden_layer_chains():
    model = MLP(2, [1, 2], seed=3)
    out = model([1.0, 1.0])
    assert isinstance(out, list) and len(out) == 2


def test_activation_module_applies_elementwise():
    act = Activation("leaky_relu")
    out = act([-2.0, 3.0])
    assert [v.data for v in out] == [-0.02, 3.0]


# --- dropout ------------------------------------------------------------------------------


def test_dropout_is_identity_in_eval_mode_and_for_p_zero():
    x = [Value(1.0), Value(2.0)]
    dropout = Dropout(0.5).eval()
    assert dropout(x) == x
    assert Dropout(0.0)(x) == x


def test_dropout_zeroes_with_probability_p_and_scales_the_rest():
    p = 0.3
    dropout = Dropout(p, seed=11)
    x = [Value(float(i + 1)) for i in range(2000)]
    out = dropout(x)
    kept = [(o.data, xi.data) for o, xi in zip(out, x) if o.data != 0.0]
    assert all(o == xi * (1.0 / (1 - p)) for o, xi in kept)  # as torch: x * (1 / (1 - p))
    dropped = 2000 - len(kept)
    assert abs(dropped / 2000 - p) < 0.04
    assert dropout.last_mask.count(0.0) == dropped


def test_dropout_gradient_follows_the_mask():
    dropout = Dropout(0.5, seed=2)
    x = [Value(1.0) for _ in range(20)]
    out = dropout(x)
    total = out[0]
    for v in out[1:]:
        total = total + v
    total.backward()
    assert [xi.grad for xi in x] == [2.0 * keep for keep in dropout.last_mask]


def test_dropout_masks_are_reproducible_from_the_seed():
    a, b = Dropout(0.5, seed=5), Dropout(0.5, seed=5)
    x = [1.0] * 30
    assert [v.data for v in a(x)] == [v.data for v in b(x)]
    first = list(a.last_mask)
    a(x)
    assert a.last_mask != first  # the sequence moves on
    a.reseed()
    a(x)
    assert a.last_mask == first
    batch = a.forward_batch([[1.0] * 4, [2.0] * 4, [3.0] * 4])
    assert len(a.last_masks) == 3 and len(batch) == 3


def test_dropout_with_p_one_drops_everything():
    out = Dropout(1.0)([1.0, -2.0, 3.0])
    assert [v.data for v in out] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, math.inf])
def test_dropout_rejects_bad_probabilities(p):
    with pytest.raises(ValueError, match=rf"^dropout probability p must be a finite number in \[0, 1\], got {p!r}$"):
        Dropout(p)


@pytest.mark.parametrize("kwargs, text", [
    ({"p": "0.5"}, "dropout probability p must be a real number, got str ('0.5')"),
    ({"p": True}, "dropout probability p must be a real number, got bool (True)"),
    ({"p": 0.5, "seed": 1.0}, "seed must be an int, got float (1.0)"),
])
def test_dropout_rejects_wrong_types(kwargs, text):
    with pytest.raises(TypeError) as caught:
        Dropout(**kwargs)
    assert str(caught.value) == text


# --- batch norm ---------------------------------------------------------------------------


def test_batchnorm_training_normalises_each_feature_over_the_batch():
    norm = BatchNorm(2, eps=0.0 + 1e-5)
    batch = [[1.0, 10.0], [2.0, 20.0], [3.0, 60.0], [6.0, 30.0]]
    out = norm.forward_batch(batch)
    for j in range(2):
        column = [row[j] for row in batch]
        mean = sum(column) / 4
        variance = sum((c - mean) ** 2 for c in column) / 4  # biased
        expected = [(c - mean) / math.sqrt(variance + 1e-5) for c in column]
        assert [row[j].data for row in out] == pytest.approx(expected, rel=1e-13)


def test_batchnorm_scale_shift_running_statistics_and_eval():
    norm = BatchNorm(1, momentum=0.25)
    norm.gamma[0].data, norm.beta[0].data = 2.0, 0.5
    batch = [[1.0], [3.0], [8.0]]
    out = norm.forward_batch(batch)
    mean, variance = 4.0, (9 + 1 + 16) / 3
    assert out[0].data == pytest.approx(2.0 * (1.0 - mean) / math.sqrt(variance + 1e-5) + 0.5, rel=1e-13)
    assert norm.running_mean == [pytest.approx(0.75 * 0.0 + 0.25 * mean)]
    assert norm.running_var == [pytest.approx(0.75 * 1.0 + 0.25 * variance * 3 / 2)]  # unbiased
    norm.eval()
    y = norm([5.0])
    expected = 2.0 * (5.0 - norm.running_mean[0]) / math.sqrt(norm.running_var[0] + 1e-5) + 0.5
    assert y.data == pytest.approx(expected, rel=1e-14)
    before = (list(norm.running_mean), list(norm.running_var))
    norm.forward_batch([[1.0], [2.0]])
    assert (norm.running_mean, norm.running_var) == before  # eval never updates them


def test_batchnorm_gradient_flows_through_the_batch_statistics():
    norm = BatchNorm(1)
    x = [Value(1.0), Value(2.0), Value(4.0)]
    out = norm.forward_batch([[v] for v in x])
    total = out[0] + out[1] + out[2]
    total.backward()
    # The normalised outputs always sum to 0 (times gamma), so d(sum)/dx = 0 for every x.
    assert [v.grad for v in x] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    assert norm.beta[0].grad == 3.0


def test_batchnorm_in_training_needs_two_samples_or_more():
    norm = BatchNorm(2)
    with pytest.raises(ValueError, match="at least 2 samples, got 1"):
        norm.forward_batch([[1.0, 2.0]])
    with pytest.raises(ValueError, match="forward_batch"):
        norm([1.0, 2.0])


def test_batchnorm_parameters_and_buffers_are_named():
    norm = BatchNorm(2)
    assert [name for name, _ in norm.named_parameters()] == ["gamma1", "gamma2", "beta1", "beta2"]
    assert [name for name, _ in norm.named_buffers()] == [
        "running_mean1", "running_mean2", "running_var1", "running_var2"]


@pytest.mark.parametrize("kwargs, text", [
    ({"num_features": 0}, "num_features must be an int >= 1, got 0"),
    ({"num_features": 2, "eps": 0.0}, "eps must be > 0"),
    ({"num_features": 2, "eps": -1e-5}, "eps must be a finite number >= 0, got -1e-05"),
    ({"num_features": 2, "momentum": 2.0}, r"momentum must be a finite number in \[0, 1\], got 2.0"),
])
def test_batchnorm_rejects_bad_settings(kwargs, text):
    with pytest.raises(ValueError, match=text):
        BatchNorm(**kwargs)


@pytest.mark.parametrize("kwargs, text", [
    ({"num_features": 2.0}, "num_features must be an int, got float (2.0)"),
    ({"num_features": True}, "num_features must be an int, got bool (True)"),
    ({"num_features": 2, "eps": "1e-5"}, "eps must be a real number, got str ('1e-5')"),
    ({"num_features": 2, "momentum": None}, "momentum must be a real number, got NoneType (None)"),
])
def test_batchnorm_rejects_wrong_types(kwargs, text):
    with pytest.raises(TypeError) as caught:
        BatchNorm(**kwargs)
    assert str(caught.value) == text


def test_batchnorm_needs_two_samples_per_training_batch_and_says_so():
    assert BatchNorm(2).min_batch_size == 2
    assert Layer(2, 2).min_batch_size == Dropout(0.1).min_batch_size == 1


def test_sequential_with_batchnorm_and_dropout_runs_batches():
    model = Sequential(Layer(2, 4, "linear", seed=0), BatchNorm(4), Activation("relu"), Dropout(0.25, seed=1), Layer(4, 1, "linear", seed=2))
    out = model.forward_batch([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    assert len(out) == 3 and all(isinstance(v, Value) for v in out)
    model.eval()
    assert isinstance(model([0.0, 1.0]), Value)


def _unordered_weights():
    return [
        ({2.0, 1.0}, "set"),
        (frozenset({2.0, 1.0}), "frozenset"),
        ({"w1": 2.0, "w2": 1.0}, "dict"),
        ({"w1": 2.0, "w2": 1.0}.values(), "dict_values"),
        ({2.0: "a", 1.0: "b"}.keys(), "dict_keys"),
    ]


@pytest.mark.parametrize("weights, kind", _unordered_weights(), ids=[kind for _, kind in _unordered_weights()])
def test_neuron_refuses_weights_without_an_order(weights, kind):
    # {2.0, 1.0} iterates as 1.0, 2.0: accepted, it would swap w1 and w2 silently.
    with pytest.raises(TypeError, match=rf"^weights must be an ordered sequence .* not {kind}:"):
        Neuron(2, weights=weights)


def test_neuron_takes_ordered_weights_in_the_order_given():
    for weights in ([2.0, 1.0], (2.0, 1.0), (w for w in (2.0, 1.0))):
        neuron = Neuron(2, "linear", weights=weights, bias=0.5)
        assert [w.data for w in neuron.w] == [2.0, 1.0]
        assert neuron([1.0, 10.0]).data == 0.5 + 2.0 * 1.0 + 1.0 * 10.0


def test_mlp_refuses_layer_sizes_without_an_order():
    with pytest.raises(TypeError, match=r"^nouts must be an ordered sequence .* not set"):
        MLP(2, {16, 1})
    with pytest.raises(TypeError, match=r"^nouts must be an ordered sequence .* not dict"):
        MLP(2, {16: "hidden", 1: "out"})
