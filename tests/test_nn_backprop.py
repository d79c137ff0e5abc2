"""nn.deltas: δ = ∂L/∂z per neuron, checked against the layer recursion δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ) by hand."""

from __future__ import annotations

import html
import math
import re

import pytest

import nn
from autograd import Value
from nn import MLP, data, deltas, mse_loss
from tests.support import assert_floats_match


def test_icecream_deltas_by_hand_for_one_sample():
    """The ice-cream network on the table's first row (18 °C, Tuesday, sales 0.43), bias 0.3."""
    model = nn.icecream_network()
    (temperature, weekday), sales = data.icecream().X[0], data.icecream().y[0]
    loss = mse_loss(model([temperature, weekday]), sales)
    # Forward by hand: L1.N1 is on (z = 0.26), L1.N2 is off (z = -1.62), the output is on.
    z1 = 0.1 * temperature + -0.02 * weekday + -1.5
    z2 = 0.01 * temperature + 0.5 * weekday + -2.8
    a1, a2 = max(z1, 0.0), max(z2, 0.0)
    z_out = 0.6 * a1 + 0.8 * a2 + 0.3
    assert z1 > 0 and z2 < 0 and z_out > 0
    # Backward by the layer recursion: δ(out) = dL/dŷ · relu'(z), δ1 = W2ᵀ δ(out) ⊙ relu'(z1).
    delta_out = 2.0 * (z_out - sales) * 1.0
    expected = {"L2.N1": delta_out, "L1.N1": 0.6 * delta_out * 1.0, "L1.N2": 0.8 * delta_out * 0.0}
    found = nn.deltas(loss, model)
    assert found.keys() == expected.keys()
    for name, delta in expected.items():
        assert_floats_match(found[name], delta, f"δ of {name}", abs_=1e-15)
    assert found["L1.N2"] == 0.0  # a dead ReLU passes nothing back


DERIVATIVES = {"tanh": lambda z: 1.0 - math.tanh(z) ** 2, "sigmoid": lambda z: (s := 1 / (1 + math.exp(-z))) * (1 - s),
               "linear": lambda z: 1.0}
FUNCTIONS = {"tanh": math.tanh, "sigmoid": lambda z: 1 / (1 + math.exp(-z)), "linear": lambda z: z}


@pytest.mark.parametrize("hidden, output", [("tanh", "linear"), ("sigmoid", "tanh"), ("tanh", "sigmoid")])
def test_deltas_follow_the_layer_recursion(hidden, output):
    model = MLP(3, [4, 3, 2], activation=hidden, output_activation=output, seed=7)
    x, target = [0.3, -1.2, 0.8], [0.5, -0.25]
    loss = mse_loss([model(x)], [target])
    # The weights as matrices W[l][j][k] (neuron j, input k) and biases b[l][j].
    W = [[[w.data for w in neuron.w] for neuron in layer.neurons] for layer in model.layers]
    b = [[neuron.b.data for neuron in layer.neurons] for layer in model.layers]
    activations = [hidden, hidden, output]
    a, zs = x, []
    for layer, f in enumerate(activations):
        z = [b[layer][j] + sum(W[layer][j][k] * a[k] for k in range(len(a))) for j in range(len(b[layer]))]
        zs.append(z)
        a = [FUNCTIONS[f](v) for v in z]
    # L = (1/2) sum (ŷ - y)²: dL/dŷ = (ŷ - y).
    delta = [(a[j] - target[j]) * DERIVATIVES[output](zs[-1][j]) for j in range(2)]
    expected = {f"L3.N{j + 1}": d for j, d in enumerate(delta)}
    for layer in (1, 0):  # δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ)
        nxt = W[layer + 1]
        delta = [sum(nxt[i][j] * delta[i] for i in range(len(delta))) * DERIVATIVES[hidden](zs[layer][j])
                 for j in range(len(zs[layer]))]
        expected.update({f"L{layer + 1}.N{j + 1}": d for j, d in enumerate(delta)})
    found = nn.deltas(loss, model)
    assert found.keys() == expected.keys()
    for name, value in expected.items():
        assert_floats_match(found[name], value, f"δ of {name}", rel=1e-12, abs_=1e-15)


def test_deltas_are_the_gradients_backward_leaves_on_z_and_change_no_grad():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    loss = mse_loss([model([0.4, -0.7])], [0.2])
    found = nn.deltas(loss, model)
    assert all(p.grad == 0.0 for p in model.parameters())
    loss.backward()
    for neuron_name, delta in found.items():
        layer, neuron = (int(part[1:]) for part in neuron_name.split("."))
        bias = model.layers[layer - 1].neurons[neuron - 1].b
        assert delta == bias.grad  # ∂z/∂b = 1: the bias's gradient is δ, to the bit


def test_deltas_per_row_and_summed_over_the_batch():
    table = data.icecream()
    model = nn.icecream_network(output_bias=0.0)
    loss = mse_loss(model.forward_batch(table.X), table.y)
    by_row = nn.deltas_by_row(loss, model)
    assert list(by_row) == list(range(1, 11))
    for k in (1, 4, 10):
        assert nn.deltas(loss, model, row=k) == by_row[k]
        single = mse_loss(model(table.X[k - 1]), table.y[k - 1])
        for name, delta in nn.deltas(single, model).items():
            assert_floats_match(by_row[k][name], delta / 10, f"row {k} δ of {name}", abs_=1e-15)
    summed = nn.deltas(loss, model)
    loss.backward()
    for name, delta in summed.items():
        layer, neuron = (int(part[1:]) for part in name.split("."))
        assert_floats_match(delta, model.layers[layer - 1].neurons[neuron - 1].b.grad, name, abs_=1e-15)
    with pytest.raises(ValueError, match=r"row must be one of the loss's rows \[1, 2, .*10\], got 11"):
        nn.deltas(loss, model, row=11)


def test_deltas_refuse_a_loss_the_model_did_not_build():
    model = MLP(2, [2, 1], seed=0)
    other = MLP(2, [1], seed=0)
    loss = mse_loss([other([1.0, 2.0])], [0.0])
    with pytest.raises(ValueError, match="holds no weighted sum z of neuron 'L1.N1'"):
        nn.deltas(loss, model)
    with pytest.raises(TypeError):
        nn.deltas(Value(1.0) * 2, "model")


def test_the_drawings_delta_badges_are_nn_deltas_on_the_weighted_sums_nn_names():
    from autograd import draw
    from nn import weighted_sums

    model = MLP(2, [3, 1], activation="tanh", seed=4)
    loss = mse_loss(model([0.3, -0.7]), 0.5)
    loss.backward()
    sums = weighted_sums(loss, model)
    assert [node.label for node in sums] == ["z", "z", "z", "ŷ"]  # three hidden z, the linear output's z is ŷ
    svg = html.unescape(draw(loss, deltas=sums).pipe(format="svg").decode())
    badges = re.findall(r"δ = ∂L/∂[^ ]+ = ([-0-9.e]+)", svg)
    assert sorted(float(b) for b in badges) == pytest.approx(sorted(deltas(loss, model).values()), rel=1e-3)
