"""Module: names, labels, scopes, modes, state dicts, input checks, typos, defaults."""

from __future__ import annotations

import inspect
import math
import random

import pytest

import nn
from autograd import Value, topological_order
from nn import MLP, BatchNorm, Dropout, Layer, Module, Neuron, Sequential, StateError


def expected_names(nin, nouts):
    names = []
    sizes = [nin] + nouts
    for i, nout in enumerate(nouts, start=1):
        for j in range(1, nout + 1):
            names += [f"L{i}.N{j}.w{k}" for k in range(1, sizes[i - 1] + 1)] + [f"L{i}.N{j}.b"]
    return names


def test_named_parameters_are_one_based_dotted_names_and_match_labels():
    model = MLP(2, [3, 2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == expected_names(2, [3, 2, 1])
    assert names[:3] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b"]
    for name, parameter in model.named_parameters():
        assert parameter.label == name
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert len(model.parameters()) == (2 * 3 + 3) + (3 * 2 + 2) + (2 + 1)


def test_micrograd_demo_model_has_337_parameters():
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337


def test_child_named_parameters_are_relative_like_torch():
    model = MLP(2, [3, 1], seed=0)
    layer_names = [name for name, _ in model.layers[0].named_parameters()]
    assert layer_names[:3] == ["N1.w1", "N1.w2", "N1.b"]
    assert model.layers[0].parameters()[0].label == "L1.N1.w1"


def test_nodes_built_in_a_neuron_carry_layer_and_neuron_scope():
    model = MLP(2, [3, 2], seed=0)
    outputs = model([0.5, -1.5])
    assert isinstance(outputs, list) and len(outputs) == 2
    assert outputs[1].label == "ŷ"  # the output layer is linear: its z is the prediction
    assert outputs[1].scope.path == ("L2", "N2")
    parameters = set(map(id, model.parameters()))
    order = topological_order(outputs[0])
    interior = [node for node in order if not node.is_leaf]
    assert interior, "the graph has op nodes"
    for node in interior:
        path = node.scope.path
        assert len(path) == 2 and path[0] in ("L1", "L2") and path[1].startswith("N")
    inputs = [node for node in order if node.is_leaf and id(node) not in parameters]
    assert sorted(node.label for node in inputs) == ["x1", "x2"]
    hidden = {node.scope.name for node in interior if node.scope.path[0] == "L1"}
    assert hidden == {"L1.N1", "L1.N2", "L1.N3"}
    named = {(n.scope.name, n.label) for n in interior if n.label}
    for k, neuron in enumerate(("L1.N1", "L1.N2", "L1.N3"), start=1):
        assert {(neuron, "z"), (neuron, f"h{k}")} <= named
    assert ("L2.N1", "ŷ") in named


def test_layer_level_nodes_carry_the_layer_scope():
    model = Sequential(Layer(2, 2, "linear", seed=0), BatchNorm(2), Layer(2, 1, "linear", seed=1))
    out = model.forward_batch([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    order = topological_order(out[0])
    means = [node for node in order if node.label == "L2.mean1"]
    assert len(means) == 1 and means[0].scope.path == ("L2",)
    assert {node.scope.path for node in order if node.scope is not None and node.scope.path[0] == "L2"} == {("L2",)}


def test_call_returns_value_for_one_output_and_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    out = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(Neuron(1, seed=0)(2.0), Value)


def test_inputs_may_be_values_and_are_used_as_given():
    x = [Value(1.0, label="a"), Value(-2.0, label="b")]
    model = MLP(2, [2, 1], seed=0)
    out = model(x)
    out.backward()
    assert x[0].grad != 0.0 or x[1].grad != 0.0 or out.data == 0.0
    assert {n.label for n in topological_order(out) if n.is_leaf} >= {"a", "b"}


@pytest.mark.parametrize("bad, error, text", [
    ([1.0, 2.0, 3.0], ValueError, "MLP expects 2 input(s), got 3"),
    ([1.0], ValueError, "MLP expects 2 input(s), got 1"),
    ("ab", TypeError, "expects a list"),
    ([1.0, "2"], TypeError, "input x2"),
    ([True, 1.0], TypeError, "input x1"),
    (None, TypeError, "NoneType"),
])
def test_bad_inputs_are_refused_with_sizes_or_types(bad, error, text):
    with pytest.raises(error) as caught:
        MLP(2, [3, 1], seed=0)(bad)
    assert text in str(caught.value)


def test_forward_batch_names_the_sample_with_the_wrong_size():
    with pytest.raises(ValueError, match=r"\(sample 1\)"):
        MLP(2, [1], seed=0).forward_batch([[1.0, 2.0], [1.0]])


def test_forward_batch_equals_calling_each_sample():
    model = MLP(3, [4, 2], activation="tanh", seed=2)
    X = [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0], [3.0, -2.0, 0.0]]
    batched = model.forward_batch(X)
    for x, outputs in zip(X, batched):
        assert [v.data for v in outputs] == [v.data for v in model(x)]


def test_predict_gives_floats_without_graph_and_restores_modes():
    dropout = Dropout(0.5, seed=0)
    model = Sequential(Layer(2, 4, seed=0), dropout, Layer(4, 1, "linear", seed=1))
    model.train()
    predictions = model.predict([[1.0, 2.0], [0.0, -1.0]])
    assert all(type(p) is float for p in predictions)
    assert model.training and dropout.training
    model.eval()
    assert predictions == [model([1.0, 2.0]).data, model([0.0, -1.0]).data]


def test_train_and_eval_reach_every_module():
    model = Sequential(Layer(2, 3, seed=0), Dropout(0.2), BatchNorm(3), Layer(3, 1, seed=1))
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert model.train(False) is model and not model.layers[1].training
    with pytest.raises(TypeError, match=r"^mode must be bool, got str$"):
        model.train("no")


def test_eval_mode_restores_each_modules_own_mode_even_after_an_error():
    dropout = Dropout(0.5, seed=0)
    model = Sequential(Layer(2, 2, seed=0), dropout, BatchNorm(2))
    dropout.eval()  # a mixed model: the context must restore exactly this
    with model.eval_mode() as inside:
        assert inside is model and not any(m.training for m in model.modules())
    assert [m.training for m in model.modules()] == [True, True, True, True, False, True]
    with pytest.raises(RuntimeError):
        with model.eval_mode():
            raise RuntimeError("boom")
    assert [m.training for m in model.modules()] == [True, True, True, True, False, True]


def test_named_modules_walks_the_tree_once_parents_first_with_dotted_names():
    model = Sequential(MLP(2, [2, 1], seed=0), BatchNorm(1))
    names = [name for name, _ in model.named_modules()]
    assert names == ["", "L1", "L1.L1", "L1.L1.N1", "L1.L1.N2", "L1.L2", "L1.L2.N1", "L2"]
    assert [module for _, module in model.named_modules()] == list(model.modules())
    assert [module.name for module in model.modules()] == names
    assert model.named_buffers()[0] == ("L2.running_mean1", 0.0)
    assert [name for name, _ in model.named_parameters()][:3] == ["L1.L1.N1.w1", "L1.L1.N1.w2", "L1.L1.N1.b"]


def test_an_unnamed_module_builds_its_nodes_outside_any_scope():
    out = Neuron(2, "tanh", seed=0)([1.0, 2.0])
    assert out.label == "ŷ"
    assert all(node.scope is None for node in topological_order(out))


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_seeded_initialisation_is_reproducible_and_global_random_otherwise():
    a, b = MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in MLP(2, [4, 1], seed=8).parameters()]
    random.seed(1337)
    c = MLP(2, [4, 1])
    random.seed(1337)
    d = MLP(2, [4, 1])
    assert [p.data for p in c.parameters()] == [p.data for p in d.parameters()]
    weights = [p.data for p in c.parameters() if p.label.split(".")[-1].startswith("w")]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert all(p.data == 0.0 for p in c.parameters() if p.label.endswith(".b"))


@pytest.mark.parametrize("args, text", [
    ((2, []), "nouts must be a non-empty list of layer sizes, got []"),
    ((2, [3, 0]), "layer size nouts[1] must be an int >= 1, got 0"),
    ((0, [3]), "nin must be an int >= 1, got 0"),
])
def test_bad_mlp_shapes_are_refused(args, text):
    with pytest.raises(ValueError) as caught:
        MLP(*args)
    assert str(caught.value) == text


@pytest.mark.parametrize("args, kwargs, text", [
    ((2, "31"), {}, "nouts must be a list of layer sizes, got str ('31')"),
    ((2, 3), {}, "nouts must be a list of layer sizes, got int (3)"),
    ((2, [3, 1.0]), {}, "layer size nouts[1] must be an int, got float (1.0)"),
    ((2.0, [3]), {}, "nin must be an int, got float (2.0)"),
    ((2, [3]), {"activation": 1}, "activation must be a str, one of relu, leaky_relu, tanh, sigmoid, linear; got int"),
    ((2, [3]), {"output_activation": None},
     "output_activation must be a str, one of relu, leaky_relu, tanh, sigmoid, linear; got NoneType"),
    ((2, [3]), {"seed": "7"}, "seed must be an int, got str ('7')"),
])
def test_wrong_types_for_mlp_are_type_errors(args, kwargs, text):
    with pytest.raises(TypeError) as caught:
        MLP(*args, **kwargs)
    assert str(caught.value) == text


@pytest.mark.parametrize("make", [
    lambda: Neuron(0), lambda: Layer(2, 0), lambda: Layer(0, 2),
])
def test_neuron_and_layer_sizes_are_positive(make):
    with pytest.raises(ValueError, match=r"must be an int >= 1, got 0"):
        make()


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match="^activation must be one of relu, leaky_relu, tanh, sigmoid, linear; got 'softplus'$"):
        MLP(2, [3, 1], activation="softplus")
    with pytest.raises(ValueError, match="^output_activation must be one of .*; got 'softplus'$"):
        MLP(2, [3, 1], output_activation="softplus")
    with pytest.raises(ValueError, match="^activation must be one of .*; got 'swish'$"):
        Layer(2, 3, activation="swish")


def test_typo_attribute_raises_with_a_suggestion_never_none():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(AttributeError, match="did you mean 'parameters'"):
        model.paramters
    with pytest.raises(AttributeError, match="did you mean 'layers'"):
        model.layer
    assert not hasattr(model, "weights")
    assert getattr(model, "weights", "default") == "default"


def test_sequential_names_its_modules_l1_to_ln():
    model = Sequential(Layer(2, 3, seed=0), Dropout(0.1), BatchNorm(3), Layer(3, 1, "linear", seed=1))
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b"]
    assert "L3.gamma1" in names and "L3.beta3" in names and names[-1] == "L4.N1.b"
    assert model.named_buffers()[0] == ("L3.running_mean1", 0.0)
    with pytest.raises(ValueError, match="same module twice"):
        layer = Layer(2, 2)
        Sequential(layer, layer)


def test_sequential_checks_widths_between_modules():
    model = Sequential(Layer(2, 3, seed=0), Layer(4, 1, seed=1))
    with pytest.raises(ValueError, match="expects 4 input"):
        model([1.0, 2.0])


def test_state_dict_round_trip_and_validation_leaves_model_untouched():
    model = Sequential(Layer(2, 2, seed=0), BatchNorm(2), Layer(2, 1, "linear", seed=1))
    state = model.state_dict()
    assert list(state)[:3] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b"]
    assert "L2.running_var2" in state
    changed = {name: value + 1.0 for name, value in state.items()}
    model.load_state_dict(changed)
    assert model.state_dict() == changed
    before = model.state_dict()
    bad_cases = [
        ({**changed, "L9.N1.w1": 1.0}, "unexpected entry 'L9.N1.w1'"),
        ({k: v for k, v in changed.items() if k != "L1.N2.b"}, "missing entry 'L1.N2.b'"),
        ({**changed, "L1.N1.w1": True}, "entry 'L1.N1.w1' is a bool"),
        ({**changed, "L1.N1.w2": "0.5"}, "entry 'L1.N1.w2' is not a number"),
        ({**changed, "L2.running_mean1": math.nan}, "entry 'L2.running_mean1' is nan"),
        ({**changed, "L1.N1.b": math.inf}, "entry 'L1.N1.b' is inf"),
        ({**changed, "L1.N1.b": None}, "entry 'L1.N1.b' is not a number"),
    ]
    for bad, message in bad_cases:
        with pytest.raises(StateError) as caught:
            model.load_state_dict(bad)
        assert message in str(caught.value)
        assert model.state_dict() == before
    with pytest.raises(StateError, match="mapping"):
        model.load_state_dict([1.0, 2.0])


def test_load_state_dict_accepts_ints_as_floats():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"L1.N1.w1": 2, "L1.N1.b": -1})
    assert model([3.0]).data == 5.0 and type(model.parameters()[0].data) is float


def test_first_offending_entry_is_named_with_a_count_of_the_rest():
    model = MLP(1, [2], seed=0)
    with pytest.raises(StateError) as caught:
        model.load_state_dict({"L1.N1.w1": "x", "L1.N1.b": "y"})
    text = str(caught.value)
    assert text.startswith("entry 'L1.N1.w1' is not a number") and "more problem" in text


def _public_callables():
    for module_name in ("module", "layers", "functional", "losses", "optim", "data", "training",
                        "serialization", "dropout", "batchnorm", "models"):
        module = getattr(nn, module_name, None) or __import__(f"nn.{module_name}", fromlist=["_"])
        for name, item in vars(module).items():
            if getattr(item, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(item):
                yield f"{module_name}.{name}", item
            elif inspect.isclass(item):
                for attribute, member in vars(item).items():
                    if inspect.isfunction(member):
                        yield f"{module_name}.{name}.{attribute}", member


def test_no_function_in_nn_has_a_mutable_default_argument():
    checked = 0
    for where, function in _public_callables():
        for parameter in inspect.signature(function).parameters.values():
            checked += 1
            assert not isinstance(parameter.default, (list, dict, set, bytearray)), (
                f"{where}({parameter.name}=...) has a mutable default"
            )
    assert checked > 100


def test_module_base_without_forward_says_so():
    class Empty(Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty"):
        Empty()([1.0])


def test_numpy_arrays_work_as_samples_and_targets():
    import numpy as np

    from nn import data, hinge_loss

    X, y = data.make_moons(12, seed=0)
    model = MLP(2, [3, 1], seed=0)
    as_lists = hinge_loss(model.forward_batch(X), y).data
    assert hinge_loss(model.forward_batch(np.array(X)), np.array(y)).data == as_lists
    assert model(np.array([0.5, 1.0])).data == model([0.5, 1.0]).data
    history = model.fit(np.array(X), np.array(y), loss="hinge", epochs=1, verbose=False)
    assert history.loss[0] == as_lists
