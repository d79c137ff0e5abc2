"""The nodes nn builds carry the articles' names and rows, with no artefacts of the implementation.

A weighted sum is ``z``, hidden neuron k's activation ``hk`` (``L1.hk`` when
there are several hidden layers), the model's output ``ŷ``, a target ``y``,
an error ``e`` and the loss ``L`` (the "general" table of ``nn.names``); every node built for sample
k of a batch carries row k; a mean over one sample builds no ``/ 1`` and no
product has the constant 1 as a factor. Data sets name their inputs.
"""

from __future__ import annotations

import re

import pytest

import nn
from autograd import Value, topological_order
from nn import (
    MLP,
    Activation,
    BatchNorm,
    Dropout,
    Layer,
    Sequential,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    data,
    hinge_loss,
    mse_loss,
)


def _moons_hinge():
    X, y = data.make_moons(6, seed=1)
    model = MLP(2, [3, 3, 1], seed=0)
    return model, hinge_loss(model.forward_batch(X), y), {"z", "L1.h3", "L2.h3", "ŷ", "y", "L"}


def _icecream_mse():
    table = data.icecream()
    model = nn.icecream_network(output_bias=0.0)
    outputs = model.forward_batch(table.X, input_names=table.feature_names)
    return model, mse_loss(outputs, table.y), {"z", "h1", "h2", "ŷ", "y", "e", "L", "temperature", "weekday"}


def _tower_mse():
    X, y = data.make_tower(5, seed=2)
    model = nn.tower_network()
    return model, mse_loss(model.forward_batch(X), y), {"z", "h1", "h4", "ŷ", "y", "e", "L"}


def _spirals_cross_entropy():
    X, y = data.make_spirals(6, classes=3, seed=0)
    model = MLP(2, [4, 3], activation="tanh", seed=0)
    one_hot = [[1.0 if k == label else 0.0 for k in range(3)] for label in y]
    return model, cross_entropy(model.forward_batch(X), one_hot), {"z", "h1", "h4", "ŷ", "L"}


def _circles_bce():
    X, y = data.make_circles(4, seed=0)
    model = MLP(2, [3, 1], activation="leaky_relu", output_activation="sigmoid", seed=0)
    return model, binary_cross_entropy(model.forward_batch(X), y), {"z", "h1", "h3", "ŷ", "L"}


def _xor_logits_with_batchnorm_and_dropout():
    X, y = data.make_xor(4, seed=0)
    model = Sequential(Layer(2, 3, "linear", seed=0), BatchNorm(3), Activation("relu"), Dropout(0.5, seed=1),
                       Layer(3, 1, "linear", seed=2))
    return model, binary_cross_entropy_with_logits(model.forward_batch(X), y), {"z", "h1", "h3", "ŷ", "L"}


GRAPHS = [_moons_hinge, _icecream_mse, _tower_mse, _spirals_cross_entropy, _circles_bce,
          _xor_logits_with_batchnorm_and_dropout]


@pytest.mark.parametrize("make", GRAPHS, ids=lambda make: make.__name__.strip("_"))
def test_every_role_is_named_and_no_label_is_a_fallback_name(make):
    model, loss, roles = make()
    order = topological_order(loss)
    labels = {node.label for node in order}
    assert roles <= labels, f"roles missing: {roles - labels}"
    assert loss.label == "L"
    for node in order:
        assert not re.search(r"#\d|\.out$", node.label), node.label
    parameters = dict(model.named_parameters())
    for name, parameter in parameters.items():
        assert parameter.label == name


@pytest.mark.parametrize("make", GRAPHS, ids=lambda make: make.__name__.strip("_"))
def test_no_division_by_one_and_no_product_with_the_constant_one(make):
    _, loss, _ = make()
    for node in topological_order(loss):
        if node.op is None:
            continue
        constants = [x.data for x in node.inputs if x.is_constant]
        if node.op.name == "div":
            assert not (node.inputs[1].is_constant and node.inputs[1].data == 1.0), "a '/ 1' node"
        if node.op.name == "mul":
            assert 1.0 not in constants, "a '× 1' node"


def test_a_mean_over_one_sample_is_its_term():
    model = nn.icecream_network(output_bias=0.0)
    table = data.icecream()
    (prediction,) = model.forward_batch(table.X[:1])
    loss = mse_loss([prediction], table.y[:1])
    assert loss.op.name.startswith("pow") and loss.label == "L"
    (error,) = loss.inputs
    assert error.label == "e" and [x.label for x in error.inputs] == ["ŷ", "y"]
    assert loss.data == (prediction.data - table.y[0]) ** 2
    assert nn.mean([prediction]) is prediction


def test_one_hot_targets_take_the_log_probability_itself():
    logits = [Value(0.5), Value(-1.0), Value(2.0)]
    by_index = cross_entropy(logits, 2)
    by_one_hot = cross_entropy(logits, [0.0, 0.0, 1.0])
    assert by_one_hot.data == by_index.data
    assert len(topological_order(by_one_hot)) == len(topological_order(by_index))


def test_a_neuron_labels_its_weighted_sum_and_activation():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    prediction = model([1.0, -2.0])
    assert prediction.label == "ŷ" and prediction.scope.name == "L2.N1"
    order = topological_order(prediction)
    for k, neuron in enumerate(("L1.N1", "L1.N2"), start=1):
        z = [n for n in order if n.label == "z" and n.scope.name == neuron]
        h = [n for n in order if n.label == f"h{k}" and n.scope.name == neuron]
        assert len(z) == len(h) == 1 and h[0].inputs == (z[0],)
    # Products and partial sums are left to their formulas.
    assert any(n.op is not None and n.op.name == "mul" and not n.label for n in order)


def test_user_labels_win():
    x1, x2 = Value(1.0, label="hours"), Value(2.0, label="coffees")
    model = MLP(2, [1], seed=0)
    out = model([x1, x2])
    assert out.label == "ŷ" and x1.label == "hours" and x2.label == "coffees"
    out.label = "score"
    assert Dropout(0.5).eval()._forward([out])[0].label == "score"


def test_input_names_label_the_inputs_and_must_fit():
    model = nn.icecream_network()
    prediction = model([25.0, 6.0], input_names=("temperature", "weekday"))
    leaves = {n.label for n in topological_order(prediction) if n.is_leaf}
    assert {"temperature", "weekday"} <= leaves and "x1" not in leaves
    with pytest.raises(ValueError, match="input_names must name each of the 2 inputs"):
        model([25.0, 6.0], input_names=("temperature",))


def test_every_node_built_for_sample_k_carries_row_k():
    table = data.icecream()
    model = nn.icecream_network(output_bias=0.0)
    loss = mse_loss(model.forward_batch(table.X, input_names=table.feature_names), table.y)
    parameters = {id(p) for p in model.parameters()}
    rows_seen = set()
    for node in topological_order(loss):
        if id(node) in parameters or node.is_constant:
            continue
        if node.label in ("temperature", "weekday", "y", "z", "h1", "h2", "ŷ", "e"):
            assert node.row is not None, node.label
        if node.row is not None:
            rows_seen.add(node.row)
            # Everything a row's node was computed from is a parameter, a constant or of that row.
            for x in node.inputs:
                assert id(x) in parameters or x.is_constant or x.row == node.row
    assert rows_seen == set(range(1, 11))
    assert loss.row is None  # the mean spans the rows


# --- data sets name their inputs ----------------------------------------------------------

DATA_SETS = [data.make_moons, data.make_xor, data.make_circles, data.make_spirals, data.make_tower,
             data.icecream]


@pytest.mark.parametrize("make", DATA_SETS, ids=lambda make: make.__name__)
def test_every_data_set_names_its_columns(make):
    table = make()
    X, y = table
    assert X is table.X and y is table.y
    assert len(table.feature_names) == len(X[0])
    for name in (*table.feature_names, table.target_name):
        assert name and table.descriptions[name]


def test_the_icecream_inputs_are_temperature_and_weekday_with_the_coding_stated():
    table = data.icecream()
    assert table.feature_names == ("temperature", "weekday") and table.target_name == "sales"
    assert "1 = Monday" in table.descriptions["weekday"] and "7 = Sunday" in table.descriptions["weekday"]
    assert "Celsius" in table.descriptions["temperature"]
    assert data.icecream(scaled=True).feature_names == ("temperature", "weekday")
