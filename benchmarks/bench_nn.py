"""Benchmark: micrograd's demo training step through ``nn.MLP`` vs bare Values vs micrograd's own ``nn``.

One step = forward 100 two-moons points through an MLP(2, [16, 16, 1]),
SVM max-margin (hinge) loss + 1e-4 L2, zero grads, backward, SGD update —
the loop of micrograd's ``demo.ipynb``. The same step is also written with
bare tracegrad Values (``bench_engine.value_step``: no modules, no names, no
rows), so the ratio nn / bare is what nn's names and rows cost. All models start from the same
weights and see the same data; their steps are interleaved (alternating which
goes first) in one process, each from a collected heap, with the release of
the step's graph timed apart (as ``bench_engine.py`` does), and the medians
are compared. The process never
imports torch (a big import slows every pure-Python engine down through the
garbage collector), and the interpreter keeps its default settings.

Run: ``.venv/bin/python benchmarks/bench_nn.py [--repeats 9]``
Goals: nn.MLP at least 12x faster than micrograd; nn.MLP within 15% of bare Values.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd.nn as micrograd_nn  # noqa: E402
from micrograd.engine import Value as MicrogradValue  # noqa: E402

from autograd import Value  # noqa: E402
from nn import MLP, SGD, data, hinge_loss, l2_penalty  # noqa: E402
from timing import timed  # noqa: E402  (benchmarks/ is on sys.path when run as a script)
import bench_engine  # noqa: E402  (the same step with bare Values)

ALPHA = 1e-4
TARGET_SPEEDUP = 12.0
TARGET_OVER_BARE = 1.15


def micrograd_step(model: micrograd_nn.MLP, X: list[list[float]], y: list[float], k: int) -> MicrogradValue:
    """micrograd's demo loss(), backward and update, written as its notebook does."""
    inputs = [list(map(MicrogradValue, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss


def nn_step(model: MLP, optimizer: SGD, X: list[list[float]], y: list[float]) -> Value:
    """The same step with nn: forward_batch, hinge_loss + l2_penalty, SGD with the same schedule."""
    scores = model.forward_batch(X)
    loss = hinge_loss(scores, y) + l2_penalty(model, ALPHA)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def main() -> int:
    """Time both steps, interleaved, and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed steps per implementation")
    args = parser.parse_args()

    X, labels = data.make_moons(100, noise=0.1, seed=0)
    y = data.signed_labels(labels)
    ours = MLP(2, [16, 16, 1], seed=1)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    for mine, other in zip(ours.parameters(), theirs.parameters()):
        other.data = mine.data
    optimizer = SGD(ours.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
    bare = bench_engine.make_model(Value, [
        ([[w.data for w in neuron.w] for neuron in layer.neurons], [neuron.b.data for neuron in layer.neurons])
        for layer in ours.layers])

    # One untimed step each (warm-up), and a check that both compute the same loss.
    first_ours = nn_step(ours, optimizer, X, y).data
    first_theirs = micrograd_step(theirs, X, y, 0).data
    if abs(first_ours - first_theirs) > 1e-9 * max(1.0, abs(first_theirs)):
        print(f"warning: first losses differ: nn {first_ours!r}, micrograd {first_theirs!r}")

    steps = {
        "nn": lambda k: nn_step(ours, optimizer, X, y),
        "micrograd": lambda k: micrograd_step(theirs, X, y, k),
        "bare": lambda k: bench_engine.value_step(Value, bare, X, y),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    releases: dict[str, list[float]] = {name: [] for name in steps}
    for k in range(1, args.repeats + 1):
        # Interleaved, alternating which goes first.
        for name in (list(steps) if k % 2 else list(reversed(steps))):
            step_seconds, release_seconds = timed(lambda: steps[name](k))
            times[name].append(step_seconds)
            releases[name].append(release_seconds)

    assert "torch" not in sys.modules, "the benchmark process must not import torch"
    median = {name: statistics.median(values) for name, values in times.items()}
    release = {name: statistics.median(values) for name, values in releases.items()}
    print(f"micrograd's demo step through an MLP 2-16-16-1: {len(X)} two-moons points, hinge + {ALPHA:g} L2,")
    print(f"forward + backward + SGD update; median of {args.repeats} interleaved runs, "
          f"gc {'on' if gc.isenabled() else 'off'}, Python {platform.python_version()}, torch not imported")
    for name, label in (("micrograd", "micrograd.nn.MLP"), ("bare", "bare Values"), ("nn", "nn.MLP")):
        print(
            f"  {label:<17} {median[name] * 1e3:8.1f} ms  (min {min(times[name]) * 1e3:.1f}, "
            f"max {max(times[name]) * 1e3:.1f}); releasing the graph afterwards: {release[name] * 1e3:.1f} ms"
        )
    speedup = median["micrograd"] / median["nn"]
    with_release = (median["micrograd"] + release["micrograd"]) / (median["nn"] + release["nn"])
    verdict = "met" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(f"  micrograd / nn.MLP = {speedup:.2f}x   target >= {TARGET_SPEEDUP:g}x   {verdict}")
    print(f"  (counting the release of each step's graph too: {with_release:.2f}x)")
    over_bare = median["nn"] / median["bare"]
    verdict = "met" if over_bare <= TARGET_OVER_BARE else "MISSED"
    print(f"  nn.MLP / bare Values = {over_bare:.2f}x   target <= {TARGET_OVER_BARE:g}x   {verdict}"
          "   (what names, rows and modules cost)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
