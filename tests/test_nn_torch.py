"""nn against PyTorch float64: every parameter's gradient, for every activation and loss.

Each test builds a network with nn, copies its weights into PyTorch tensors,
runs the same forward and loss in both, and compares every parameter's
gradient (and the loss) by name. torch is imported inside the tests, so the
file is collected without it (``pytest -m "not torch"``).
"""

from __future__ import annotations

import random
import zlib

import pytest

from autograd import Value
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
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from nn.functional import ACTIVATIONS, LEAKY_RELU_SLOPE

pytestmark = pytest.mark.torch


def torch_activation(name, tensor):
    """The activation ``name`` of nn, applied by torch."""
    import torch

    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(tensor, LEAKY_RELU_SLOPE)
    if name == "linear":
        return tensor
    return {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name](tensor)


class TorchMirror:
    """The same network in PyTorch, with a tensor entry for every nn parameter name."""

    def __init__(self, model):
        self.model = model
        self.by_name = {}  # nn name -> (tensor, index tuple)
        self.tensors = []

    def leaf(self, values):
        import torch

        tensor = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        self.tensors.append(tensor)
        return tensor

    def forward(self, module, batch, prefix=""):
        """batch: a (samples, features) tensor; returns the output tensor."""
        kind = type(module).__name__
        if kind in ("MLP", "Sequential"):
            for key, child in module.named_children():
                batch = self.forward(child, batch, f"{prefix}{key}.")
            return batch
        if kind == "Layer":
            weights, biases = self._layer_tensors(module, prefix)
            return torch_activation(module.activation, batch @ weights.T + biases)
        if kind == "Activation":
            return torch_activation(module.activation, batch)
        if kind == "Dropout":
            if not module.training or module.p == 0.0:
                return batch
            import torch

            mask = torch.tensor(module.last_masks, dtype=torch.float64)
            return batch * mask / (1.0 - module.p)
        if kind == "BatchNorm":
            norm = self._batchnorm(module, prefix)
            return norm(batch)
        raise AssertionError(f"no mirror for {kind}")

    def _layer_tensors(self, layer, prefix):
        key = ("layer", prefix)
        if key not in self.by_name:
            weights = self.leaf([[w.data for w in neuron.w] for neuron in layer.neurons])
            biases = self.leaf([neuron.b.data for neuron in layer.neurons])
            for j, neuron in enumerate(layer.neurons):
                for k in range(len(neuron.w)):
                    self.by_name[f"{prefix}N{j + 1}.w{k + 1}"] = (weights, (j, k))
                self.by_name[f"{prefix}N{j + 1}.b"] = (biases, (j,))
            self.by_name[key] = (weights, biases)
        return self.by_name[key]

    def _batchnorm(self, module, prefix):
        import torch

        key = ("bn", prefix)
        if key not in self.by_name:
            norm = torch.nn.BatchNorm1d(
                module.num_features, eps=module.eps, momentum=module.momentum, dtype=torch.float64
            )
            with torch.no_grad():
                norm.weight.copy_(torch.tensor([g.data for g in module.gamma], dtype=torch.float64))
                norm.bias.copy_(torch.tensor([b.data for b in module.beta], dtype=torch.float64))
                norm.running_mean.copy_(torch.tensor(module.running_mean, dtype=torch.float64))
                norm.running_var.copy_(torch.tensor(module.running_var, dtype=torch.float64))
            norm.train(module.training)
            for j in range(module.num_features):
                self.by_name[f"{prefix}gamma{j + 1}"] = (norm.weight, (j,))
                self.by_name[f"{prefix}beta{j + 1}"] = (norm.bias, (j,))
            self.by_name[key] = norm
        return self.by_name[key]

    def parameters_tensor_values(self):
        return [t for t in self.tensors]

    def grad_of(self, name):
        tensor, index = self.by_name[name]
        return tensor.grad[index].item()

    def data_of(self, name):
        tensor, index = self.by_name[name]
        return tensor.detach()[index].item()


def assert_same_gradients(model, mirror, loss, torch_loss, min_nonzero_share=0.5):
    assert loss.data == pytest.approx(torch_loss.item(), rel=1e-12, abs=1e-14)
    names = [name for name, _ in model.named_parameters()]
    assert names, "the model has parameters"
    # Equal gradients prove nothing if they are all 0 (a dead net, a lost backward):
    # the inputs and seeds are chosen so that most parameters get a gradient.
    nonzero = [name for name, parameter in model.named_parameters() if parameter.grad != 0.0]
    assert len(nonzero) >= min_nonzero_share * len(names), (
        f"only {len(nonzero)} of {len(names)} gradients are non-zero"
    )
    for name, parameter in model.named_parameters():
        expected = mirror.grad_of(name)
        assert parameter.grad == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def sample_inputs(n, nin, seed):
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(n)]


def run_both(model, X, our_loss, torch_loss_of, penalty=None, torch_first=False):
    """Forward both, add the penalties, backward both. ``torch_first`` mirrors the
    model before nn's forward changes it (batch norm's running statistics); without
    it the mirror is built after, so it can read the masks dropout drew."""
    import torch

    mirror = TorchMirror(model)
    if torch_first:
        torch_out = mirror.forward(model, torch.tensor(X, dtype=torch.float64))
    outputs = model.forward_batch(X)
    loss = our_loss(outputs)
    if not torch_first:
        torch_out = mirror.forward(model, torch.tensor(X, dtype=torch.float64))
    reference = torch_loss_of(torch_out)
    if penalty is not None:
        ours_penalty, torch_penalty = penalty
        loss = loss + ours_penalty(model)
        reference = reference + torch_penalty(mirror)
    model.zero_grad()
    loss.backward()
    reference.backward()
    return loss, reference, mirror, outputs, torch_out


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_name", ["mse", "bce", "bce_with_logits", "cross_entropy", "cross_entropy_onehot", "hinge"])
def test_every_gradient_matches_torch_for_each_activation_and_loss(hidden, loss_name):
    import torch

    F = torch.nn.functional
    rng = random.Random(zlib.crc32(f"{hidden}-{loss_name}".encode()))
    X = sample_inputs(6, 3, seed=rng.randrange(1000))
    if loss_name == "mse":
        model = MLP(3, [4, 4, 2], activation=hidden, seed=11)
        targets = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in X]
        ours = lambda out: mse_loss(out, targets)
        theirs = lambda out: F.mse_loss(out, torch.tensor(targets, dtype=torch.float64))
    elif loss_name == "bce":
        model = MLP(3, [4, 4, 1], activation=hidden, output_activation="sigmoid", seed=12)
        targets = [1.0, 0.0, 1.0, 0.0, 0.3, 1.0]
        ours = lambda out: binary_cross_entropy(out, targets)
        theirs = lambda out: F.binary_cross_entropy(out[:, 0], torch.tensor(targets, dtype=torch.float64))
    elif loss_name == "bce_with_logits":
        model = MLP(3, [4, 4, 1], activation=hidden, seed=13)
        targets = [1.0, 0.0, 1.0, 0.0, 0.25, 1.0]
        ours = lambda out: binary_cross_entropy_with_logits(out, targets)
        theirs = lambda out: F.binary_cross_entropy_with_logits(out[:, 0], torch.tensor(targets, dtype=torch.float64))
    elif loss_name == "cross_entropy":
        model = MLP(3, [4, 4, 3], activation=hidden, seed=14)
        targets = [0, 2, 1, 1, 0, 2]
        ours = lambda out: cross_entropy(out, targets)
        theirs = lambda out: F.cross_entropy(out, torch.tensor(targets))
    elif loss_name == "cross_entropy_onehot":
        model = MLP(3, [4, 4, 3], activation=hidden, seed=15)
        targets = [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0.2, 0.5, 0.3], [1, 0, 0], [0, 0, 1]]
        ours = lambda out: cross_entropy(out, targets)
        theirs = lambda out: F.cross_entropy(out, torch.tensor(targets, dtype=torch.float64))
    else:
        model = MLP(3, [4, 4, 1], activation=hidden, seed=16)
        labels = [1, -1, 1, 1, -1, -1]
        ours = lambda out: hinge_loss(out, labels)
        theirs = lambda out: torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * out[:, 0]).mean()
    loss, reference, mirror, _, _ = run_both(model, X, ours, theirs)
    assert_same_gradients(model, mirror, loss, reference)


@pytest.mark.parametrize("which", ["l1", "l2"])
def test_penalty_gradients_match_torch(which):
    import torch

    F = torch.nn.functional
    model = MLP(2, [5, 1], seed=21)
    X = sample_inputs(5, 2, seed=4)
    targets = [0.5, -0.2, 0.1, 0.9, -1.0]
    alpha = 0.03
    if which == "l1":
        penalty = (lambda m: l1_penalty(m, alpha), lambda mirror: alpha * sum(t.abs().sum() for t in mirror.tensors))
    else:
        penalty = (lambda m: l2_penalty(m, alpha), lambda mirror: alpha * sum((t * t).sum() for t in mirror.tensors))
    loss, reference, mirror, _, _ = run_both(
        model, X, lambda out: mse_loss(out, targets),
        lambda out: F.mse_loss(out[:, 0], torch.tensor(targets, dtype=torch.float64)), penalty,
    )
    assert_same_gradients(model, mirror, loss, reference)


def test_l1_gradient_at_a_zero_weight_is_zero_like_torch():
    import torch

    F = torch.nn.functional
    model = MLP(2, [3, 1], seed=5)  # biases start at exactly 0: the kink of |w|
    X = sample_inputs(4, 2, seed=6)
    targets = [0.1, 0.2, 0.3, 0.4]
    loss, reference, mirror, _, _ = run_both(
        model, X, lambda out: mse_loss(out, targets),
        lambda out: F.mse_loss(out[:, 0], torch.tensor(targets, dtype=torch.float64)),
        (lambda m: l1_penalty(m, 0.5), lambda mirror: 0.5 * sum(t.abs().sum() for t in mirror.tensors)),
    )
    assert_same_gradients(model, mirror, loss, reference)


def test_dropout_with_its_recorded_mask_matches_torch():
    import torch

    F = torch.nn.functional
    dropout = Dropout(0.4, seed=3)
    model = Sequential(Layer(3, 6, "linear", seed=1), Activation("relu"), dropout, Layer(6, 2, "linear", seed=2))
    X = sample_inputs(5, 3, seed=8)
    targets = [[0.3, -0.1]] * 5
    loss, reference, mirror, _, torch_out = run_both(
        model, X, lambda out: mse_loss(out, targets),
        lambda out: F.mse_loss(out, torch.tensor(targets, dtype=torch.float64)),
    )
    flat = [keep for mask in dropout.last_masks for keep in mask]
    assert 0.0 in flat and 1.0 in flat, "the mask drops some inputs and keeps others"
    assert_same_gradients(model, mirror, loss, reference)


def test_batchnorm_training_forward_backward_and_running_stats_match_torch():
    import torch

    F = torch.nn.functional
    norm = BatchNorm(4, momentum=0.2)
    model = Sequential(Layer(3, 4, "linear", seed=1), norm, Activation("tanh"), Layer(4, 2, "linear", seed=2))
    for j, (g, b) in enumerate(zip(norm.gamma, norm.beta)):
        g.data, b.data = 0.5 + 0.3 * j, -0.2 + 0.1 * j
    X = sample_inputs(7, 3, seed=9)
    targets = [0, 1, 1, 0, 1, 0, 0]

    def ours(out):
        return cross_entropy(out, targets)

    def theirs(out):
        return F.cross_entropy(out, torch.tensor(targets))

    for j in range(4):  # start from running statistics that are not the defaults
        norm.running_mean[j], norm.running_var[j] = 0.1 * j, 1.0 + 0.5 * j
    loss, reference, mirror, _, _ = run_both(model, X, ours, theirs, torch_first=True)
    assert_same_gradients(model, mirror, loss, reference)
    torch_norm = mirror.by_name[("bn", "L2.")]
    assert norm.running_mean == pytest.approx(torch_norm.running_mean.tolist(), rel=1e-12, abs=1e-15)
    assert norm.running_var == pytest.approx(torch_norm.running_var.tolist(), rel=1e-12)

    # Eval mode: the running statistics, one sample at a time, as torch's eval.
    model.eval()
    torch_norm.eval()
    outputs = [model(x) for x in X]
    torch_out = TorchMirror(model)
    torch_out.by_name[("bn", "L2.")] = torch_norm
    expected = torch_out.forward(model, torch.tensor(X, dtype=torch.float64))
    for row, expected_row in zip(outputs, expected.tolist()):
        assert [v.data for v in row] == pytest.approx(expected_row, rel=1e-12, abs=1e-14)


def test_softmax_cross_entropy_of_extreme_logits_matches_torch():
    import torch

    F = torch.nn.functional

    logits = [Value(1000.0), Value(-1000.0), Value(3.0)]
    loss = cross_entropy(logits, 1)
    loss.backward()
    t = torch.tensor([1000.0, -1000.0, 3.0], dtype=torch.float64, requires_grad=True)
    expected = F.cross_entropy(t[None], torch.tensor([1]))
    expected.backward()
    assert loss.data == expected.item()
    assert [z.grad for z in logits] == pytest.approx(t.grad.tolist(), abs=1e-15)


@pytest.mark.parametrize("z", [-1000.0, -30.0, -1e-3, 0.0, 2.5, 1000.0])
@pytest.mark.parametrize("y", [0.0, 0.4, 1.0])
def test_bce_with_logits_is_stable_and_matches_torch_including_zero(z, y):
    import torch

    F = torch.nn.functional

    logit = Value(z)
    loss = binary_cross_entropy_with_logits(logit, y)
    loss.backward()
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    expected = F.binary_cross_entropy_with_logits(t, torch.tensor(y, dtype=torch.float64))
    expected.backward()
    # Neither side has an exact log1p here: values agree to ~1e-15 absolute.
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-14)
    assert logit.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)
