"""Small graphs to draw and step through: the tests and the benchmarks share them.

``scoped_mlp`` builds the graph of an MLP by hand, with the scopes and
parameter labels that ``nn`` uses (layers ``L1``, neurons ``L1.N1``,
parameters ``L1.N1.w1`` and ``L1.N1.b``), so drawings can be grouped and
collapsed without ``nn``. ``micrograd_demo_loss`` is micrograd's demo loss
(~65k nodes), the graph a display must not hang on.
"""

from __future__ import annotations

import random

from autograd import Value, scope


def neuron() -> Value:
    """The classic example: ``y = tanh(x*w + b)`` with labels, after backward."""
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    n = x * w + b
    n.label = "n"
    y = n.tanh()
    y.label = "y"
    y.backward()
    return y


def scoped_mlp(sizes: tuple[int, ...] = (2, 3, 1), seed: int = 0, samples: int = 1) -> Value:
    """A tanh MLP's squared-error loss over ``samples`` inputs, built in nn's scopes (no backward)."""
    rng = random.Random(seed)
    layers = []
    for layer_index in range(1, len(sizes)):
        neurons = []
        for neuron_index in range(1, sizes[layer_index] + 1):
            prefix = f"L{layer_index}.N{neuron_index}"
            with scope(f"L{layer_index}", "layer"), scope(f"N{neuron_index}", "neuron"):
                weights = [
                    Value(rng.uniform(-1, 1), label=f"{prefix}.w{i}") for i in range(1, sizes[layer_index - 1] + 1)
                ]
                bias = Value(rng.uniform(-1, 1), label=f"{prefix}.b")
            neurons.append((weights, bias))
        layers.append(neurons)
    losses = []
    for sample in range(samples):
        activations = [Value(rng.uniform(-2, 2), label=f"x{i}" if samples == 1 else f"x{sample + 1}.{i}")
                       for i in range(1, sizes[0] + 1)]
        for layer_index, neurons in enumerate(layers, start=1):
            outputs = []
            for neuron_index, (weights, bias) in enumerate(neurons, start=1):
                with scope(f"L{layer_index}", "layer"), scope(f"N{neuron_index}", "neuron"):
                    total = bias
                    for weight, activation in zip(weights, activations):
                        total = total + weight * activation
                    outputs.append(total.tanh() if layer_index < len(layers) else total)
            activations = outputs
        target = 1.0 if sample % 2 == 0 else -1.0
        losses.append((activations[0] - target) ** 2)
    loss = losses[0]
    for term in losses[1:]:
        loss = loss + term
    loss.label = "loss"
    return loss


def random_graph(seed: int, size: int = 12, leaves: int = 3) -> tuple[Value, list[Value]]:
    """A random expression DAG with reuse (``a * a``, diamonds, constants) and its leaves.

    Every op keeps values finite for inputs in [-2, 2], so gradients can be
    compared exactly. Returns ``(loss, leaves)``; backward is not called.
    """
    rng = random.Random(seed)
    inputs = [Value(rng.uniform(-2.0, 2.0), label=f"x{i}") for i in range(leaves)]
    nodes = list(inputs)
    for _ in range(size):
        a = rng.choice(nodes)
        b = rng.choice(nodes)
        kind = rng.randrange(9)
        if kind == 0:
            node = a + b
        elif kind == 1:
            node = a * b
        elif kind == 2:
            node = a - b
        elif kind == 3:
            node = a.tanh()
        elif kind == 4:
            node = a.sigmoid()
        elif kind == 5:
            node = a * rng.choice([2.0, -0.5, 3.0])
        elif kind == 6:
            node = a + a
        elif kind == 7:
            node = (a * 0.5).tanh() ** 2
        else:
            node = a.relu() + 1.0
        nodes.append(node)
    # Use a few of the last nodes so most of the graph feeds the loss.
    loss = nodes[-1]
    for node in nodes[-4:-1]:
        loss = loss + node
    for leaf in inputs:
        loss = loss + leaf * 0.25
    return loss, inputs


def micrograd_demo_loss(samples: int = 100, seed: int = 0) -> Value:
    """micrograd's demo loss (bench_engine's value_loss): a 2-16-16-1 ReLU MLP's SVM loss plus L2, ~65k nodes."""
    rng = random.Random(seed)
    sizes = (2, 16, 16, 1)
    model = [([[Value(rng.uniform(-1, 1)) for _ in range(sizes[i])] for _ in range(sizes[i + 1])],
              [Value(0.0) for _ in range(sizes[i + 1])]) for i in range(len(sizes) - 1)]
    scores = []
    for _ in range(samples):
        activations = [Value(rng.uniform(-2, 2)) for _ in range(2)]
        for depth, (weights, biases) in enumerate(model):
            outputs = [sum((w * x for w, x in zip(row, activations)), bias) for row, bias in zip(weights, biases)]
            activations = [output.relu() for output in outputs] if depth != len(model) - 1 else outputs
        scores.append(activations[0])
    labels = [rng.choice((-1.0, 1.0)) for _ in range(samples)]
    losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    parameters = [p for weights, _ in model for row in weights for p in row] + [b for _, biases in model for b in biases]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)
