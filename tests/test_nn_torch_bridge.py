"""model.to_torch() and nn.from_torch(module): the same outputs and gradients, a round trip to 1e-12."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

import nn
from nn import MLP, Activation, BatchNorm, Dropout, Layer, Sequential
from tests.support import assert_floats_match


def torch_outputs_and_gradients(module, X):
    import torch

    inputs = torch.tensor(X, dtype=torch.float64)
    out = module(inputs)
    (out ** 2).sum().backward()
    linears = [part for part in module if isinstance(part, torch.nn.Linear)]
    return out.detach().tolist(), linears


def nn_outputs_and_gradients(model, X):
    outputs = model.forward_batch(X)
    rows = [[o.data for o in (out if isinstance(out, list) else [out])] for out in outputs]
    flat = [o for out in outputs for o in (out if isinstance(out, list) else [out])]
    nn.total(o * o for o in flat).backward()
    return rows


@pytest.mark.torch
@pytest.mark.parametrize("activation, output", [("relu", "linear"), ("tanh", "sigmoid"), ("leaky_relu", "tanh"),
                                                ("sigmoid", "relu"), ("linear", "leaky_relu")])
def test_to_torch_gives_the_same_outputs_and_gradients(activation, output):
    import torch

    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output, seed=4)
    rng = random.Random(1)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(7)]
    module = model.to_torch()
    assert isinstance(module, torch.nn.Module)
    assert all(p.dtype == torch.float64 for p in module.parameters())
    theirs, linears = torch_outputs_and_gradients(module, X)
    ours = nn_outputs_and_gradients(model, X)
    for row_ours, row_theirs in zip(ours, theirs):
        for a, b in zip(row_ours, row_theirs):
            assert_floats_match(a, b, "output", abs_=1e-12)
    for i, (layer, linear) in enumerate(zip(model.layers, linears), start=1):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                assert_floats_match(w.grad, linear.weight.grad[j][k].item(), f"L{i}.N{j + 1}.w{k + 1}", abs_=1e-12)
            assert_floats_match(neuron.b.grad, linear.bias.grad[j].item(), f"L{i}.N{j + 1}.b", abs_=1e-12)


@pytest.mark.torch
def test_round_trip_matches_to_1e_12():
    model = MLP(2, [8, 8, 1], activation="tanh", output_activation="sigmoid", seed=2)
    again = nn.from_torch(model.to_torch())
    assert again.config() == model.config()
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert_floats_match(b, a, name, abs_=1e-12)
    X = [[0.3, -0.7], [1.5, 2.0]]
    for a, b in zip(model.predict(X), again.predict(X)):
        assert_floats_match(b, a, "prediction", abs_=1e-12)


@pytest.mark.torch
def test_from_torch_reads_a_pytorch_mlp():
    import torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)).double()
    model = nn.from_torch(module)
    assert (model.nin, model.nouts, model.activation, model.output_activation) == (2, [3, 1], "relu", "linear")
    x = [[0.25, -1.0]]
    assert_floats_match(model.predict(x)[0], module(torch.tensor(x, dtype=torch.float64)).item(), "output",
                        abs_=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("parts, message", [
    (lambda t: [t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Tanh(), t.nn.Linear(3, 1)],
     "one hidden activation"),
    (lambda t: [t.nn.ReLU(), t.nn.Linear(2, 1)], "must follow a Linear"),
    (lambda t: [t.nn.Linear(2, 3), t.nn.Softmax(dim=1)], "neither Linear nor an activation"),
    (lambda t: [t.nn.Linear(2, 3, bias=False)], "without a bias"),
    (lambda t: [t.nn.Linear(2, 3), t.nn.LeakyReLU(0.2)], "slope 0.01"),
])
def test_from_torch_refuses_what_an_mlp_cannot_be(parts, message):
    import torch

    with pytest.raises(ValueError, match=message):
        nn.from_torch(torch.nn.Sequential(*parts(torch)))
    with pytest.raises(TypeError, match="torch.nn.Sequential"):
        nn.from_torch(torch.nn.Linear(2, 1))


@pytest.mark.torch
def test_sequential_with_batchnorm_converts_in_eval_mode():
    import torch

    model = Sequential(Layer(2, 3, "linear", seed=0), BatchNorm(3), Activation("relu"), Dropout(0.3),
                       Layer(3, 1, "linear", seed=1))
    model.fit([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0]], [0.0, 1.0, 0.5], epochs=2, verbose=False)
    model.eval()
    module = model.to_torch()
    assert not module.training
    X = [[0.5, 0.5], [-1.0, 2.0]]
    theirs = module(torch.tensor(X, dtype=torch.float64)).detach().tolist()
    for a, b in zip(model.predict(X), theirs):
        assert_floats_match(a, b[0], "output", abs_=1e-12)


def test_without_torch_the_error_names_the_extra():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import nn\n"
        "try:\n    nn.MLP(2, [1]).to_torch()\n"
        "except ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'tracegrad[torch]'" in result.stdout, result.stderr
    imported = subprocess.run([sys.executable, "-c", "import nn, sys; print('torch' in sys.modules)"],
                              capture_output=True, text=True, timeout=60)
    assert imported.stdout == "False\n", imported.stderr  # import nn does not import torch


# --- from_torch reads weights only: it refuses what computes something else ---

def doubling_linear(torch):
    class DoublingLinear(torch.nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)

    return DoublingLinear


@pytest.mark.torch
@pytest.mark.parametrize("alter, message", [
    (lambda t, m: t.nn.Sequential(m[0], m[1], doubling_linear(t)(3, 1).double()),
     r"model\.2 \(DoublingLinear\) is a subclass of torch\.nn\.Linear"),
    (lambda t, m: t.nn.Sequential(m[0], type("LoudReLU", (t.nn.ReLU,), {"forward": lambda self, x: 3 * x})(),
                                  m[2]),
     r"model\.1 \(LoudReLU\) is a subclass of torch\.nn\.ReLU"),
    (lambda t, m: m[2].register_forward_hook(lambda module, inputs, out: out * 10) and m,
     r"model\.2 \(Linear\) has forward_hooks"),
    (lambda t, m: m[0].register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,)) and m,
     r"model\.0 \(Linear\) has forward_pre_hooks"),
    (lambda t, m: m[1].register_full_backward_hook(lambda module, grad_in, grad_out: None) and m,
     r"model\.1 \(ReLU\) has backward_hooks"),
    (lambda t, m: m[0]._register_state_dict_hook(lambda module, state, prefix, local: state) and m,
     r"model\.0 \(Linear\) has state_dict_hooks"),
    (lambda t, m: m.register_forward_hook(lambda module, inputs, out: -out) and m,
     r"model \(Sequential\) has forward_hooks"),
    (lambda t, m: setattr(m[2], "forward", lambda x: 0 * x) or m,
     r"model\.2 \(Linear\) has a forward of its own"),
])
def test_from_torch_refuses_a_module_that_may_compute_other_than_its_weights(alter, message):
    import torch

    torch.manual_seed(0)
    module = alter(torch, torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)).double())
    with pytest.raises(ValueError, match=message):
        nn.from_torch(module)  # was: read, computing other outputs than the module (0.5249 for 1.0497)


@pytest.mark.torch
def test_once_its_hook_is_removed_a_module_is_read_as_the_function_it_computes():
    import torch

    torch.manual_seed(0)
    x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    hooked = torch.nn.Sequential(torch.nn.Linear(2, 1).double())
    handle = hooked[0].register_forward_hook(lambda module, inputs, out: out * 10)
    with pytest.raises(ValueError, match="forward_hooks"):
        nn.from_torch(hooked)
    handle.remove()
    assert_floats_match(nn.from_torch(hooked).predict([[0.5, -1.0]])[0], hooked(x).item(), "output", abs_=1e-12)


@pytest.mark.torch
def test_from_torch_refuses_a_sequential_subclass_and_global_hooks():
    import torch

    class Scaled(torch.nn.Sequential):
        def forward(self, x):
            return 3 * super().forward(x)

    with pytest.raises(TypeError, match=r"torch\.nn\.Sequential itself, got model \(Scaled\)"):
        nn.from_torch(Scaled(torch.nn.Linear(2, 1)))
    handle = torch.nn.modules.module.register_module_forward_hook(lambda module, inputs, out: out)
    try:
        with pytest.raises(ValueError, match="global_forward_hooks registered"):
            nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)))
    finally:
        handle.remove()
    nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)))


@pytest.mark.torch
def test_from_torch_reads_a_module_used_at_two_positions():
    import torch

    torch.manual_seed(1)
    relu = torch.nn.ReLU()
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), relu, torch.nn.Linear(3, 2), relu, torch.nn.Linear(2, 1))
    module = module.double()
    model = nn.from_torch(module)
    assert (model.nouts, model.activation) == ([3, 2, 1], "relu")
    x = [[0.25, -1.5]]
    assert_floats_match(model.predict(x)[0], module(torch.tensor(x, dtype=torch.float64)).item(), "output",
                        abs_=1e-12)
