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


# --- the articles' naming tables (nn.names) ---------------------------------------------------

@pytest.mark.parametrize("key", sorted(nn.names.TABLES))
def test_within_one_table_no_two_roles_share_a_name(key):
    table = nn.names.TABLES[key]
    assert table.article == key
    names = list(table.roles().values())
    assert len(names) == len(set(names)), table.roles()
    # the families h1, h2, ... and x1, x2, ... meet no fixed name either
    for k in range(1, 20):
        assert table.hidden_name(k) not in names[:1] + names[2:]
        assert table.hidden_name(k, "L1") not in names
        assert f"{table.input_prefix}{k}" not in (table.weighted_sum, table.output, table.target, table.error,
                                                  table.loss, table.mse)


def test_the_tables_say_what_the_articles_write():
    general, neuron, icecream = (nn.names.TABLES[key] for key in ("general", "neuron", "ice-cream"))
    assert (general.weighted_sum, general.hidden_name(1), general.output, general.target, general.error,
            general.loss) == ("z", "h1", "ŷ", "y", "e", "L")
    assert (neuron.weighted_sum, neuron.hidden_name(2), neuron.output) == ("z", "h2", "y")  # z = Wx + b, y = f(z)
    assert icecream.output == "r\u0302" and icecream.target == "r"
    assert icecream.loss_name("mse") == "MSE" and icecream.loss_name() == "L"  # MSE only for the MSE
    assert icecream.inputs == ("temperature", "weekday")


def test_a_naming_that_gives_two_roles_one_name_is_refused():
    with pytest.raises(ValueError, match="output and target are both 'y'"):
        nn.Naming("mine", output="y")
    with pytest.raises(ValueError, match="looks like a hidden name"):
        nn.Naming("mine", output="h2")
    with pytest.raises(ValueError, match="hidden must be a non-empty name"):
        nn.Naming("mine", hidden="")
    with pytest.raises(TypeError, match="inputs"):
        nn.Naming("mine", inputs=["a", "b"])


def test_an_unknown_table_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="ice-cream"):
        with nn.naming("icecream"):
            pass
    with pytest.raises(TypeError, match="naming"):
        nn.names.table(3)


def _labels(loss):
    return {node.label for node in topological_order(loss)}


def test_the_icecream_table_names_the_graph_as_the_article_does():
    table = data.icecream()
    model = nn.icecream_network(output_bias=0.0)
    with nn.naming("ice-cream") as chosen:
        assert nn.names.current() is chosen is nn.names.TABLES["ice-cream"]
        loss = mse_loss(model.forward_batch(table.X), table.y)
    assert nn.names.current().article == "general"  # restored on exit
    labels = _labels(loss)
    assert {"temperature", "weekday", "z", "h1", "h2", "r\u0302", "r", "e", "MSE"} <= labels
    assert not labels & {"ŷ", "y", "L", "x1", "x2", "a"}
    assert loss.label == "MSE"
    # the same numbers as under the general names
    again = mse_loss(model.forward_batch(table.X), table.y)
    assert again.data == loss.data and again.label == "L"


def test_the_neuron_table_writes_y_for_the_output_and_other_losses_keep_L():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    with nn.naming("neuron"):
        output = model([1.0, -2.0])
        loss = hinge_loss([output], [1])
    assert output.label == "y"
    assert {"x1", "x2", "z", "h1", "h2", "y", "t", "L"} <= _labels(loss)


def test_hidden_activations_are_distinct_and_layer_qualified_with_several_hidden_layers():
    one = MLP(2, [3, 1], seed=0)
    hidden = [n.label for n in topological_order(one([1.0, 2.0])) if n.label.startswith("h")]
    assert sorted(hidden) == ["h1", "h2", "h3"]
    deep = MLP(2, [2, 3, 1], seed=0)
    order = topological_order(deep([1.0, 2.0]))
    hidden = sorted(n.label for n in order if ".h" in n.label)
    assert hidden == ["L1.h1", "L1.h2", "L2.h1", "L2.h2", "L2.h3"]
    by_label = {n.label: n for n in order}
    assert by_label["L2.h3"].scope.name == "L2.N3" and by_label["L1.h2"].scope.name == "L1.N2"


def test_a_linear_layer_is_not_a_hidden_layer_of_activations():
    model = Sequential(Layer(2, 3, "linear", seed=0), Activation("tanh"), Layer(3, 1, "linear", seed=1))
    labels = [n.label for n in topological_order(model([1.0, 2.0]))]
    assert {"h1", "h2", "h3", "ŷ"} <= set(labels) and not any(".h" in label for label in labels)


def test_the_naming_is_per_thread():
    import threading

    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["other"] = MLP(1, [1], seed=0)([1.0]).label  # built while the main thread names r̂
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    with nn.naming("ice-cream"):
        inside.set()
        release.wait(5)
        seen["main"] = MLP(1, [1], seed=0)([1.0]).label
    thread.join()
    assert seen == {"other": "ŷ", "main": "r\u0302"}


def test_deltas_and_the_network_picture_read_any_table():
    table = data.icecream()
    model = MLP(2, [2, 1], seed=3)  # a linear output: its z is relabelled r̂
    with nn.naming("ice-cream"):
        loss = mse_loss(model.forward_batch(table.X[:3]), table.y[:3])
    plain = mse_loss(model.forward_batch(table.X[:3]), table.y[:3])
    assert nn.deltas(loss, model) == pytest.approx(nn.deltas(plain, model))
    picture = nn.network_picture(model, loss, inputs=("temperature", "weekday"))
    shown = {label for layer in picture.layers for neuron in layer for rows in neuron.rows.values()
             for label, _ in rows}
    assert {"z", "h1", "h2", "r\u0302"} <= shown


def test_the_icecream_inputs_are_named_once_for_the_data_the_table_and_the_demo():
    from nn.app import demo

    inputs = nn.names.TABLES["ice-cream"].inputs
    assert data.icecream().feature_names == inputs == demo.COLUMN_NAMES
    # so under the ice-cream table the numbers alone get the article's input names
    with nn.naming("ice-cream"):
        prediction = nn.icecream_network()(data.icecream().X[0])
    leaves = [node.label for node in topological_order(prediction) if node.is_leaf and "." not in node.label]
    assert leaves == ["temperature", "weekday"]
