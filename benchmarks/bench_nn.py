"""Benchmark: micrograd's demo training step through ``nn.MLP`` vs micrograd's own ``nn``.

One step = forward 100 two-moons points through an MLP(2, [16, 16, 1]),
SVM max-margin (hinge) loss + 1e-4 L2, zero grads, backward, SGD update —
the loop of micrograd's ``demo.ipynb``. Both models start from the same
weights and see the same data; their steps are interleaved (alternating which
goes first) in one process, each after an untimed ``gc.collect()``, and the
medians are compared. The process never
imports torch (a big import slows every pure-Python engine down through the
garbage collector), and the interpreter keeps its default settings.

Run: ``.venv/bin/python benchmarks/bench_nn.py [--repeats 9]``
Goal: nn.MLP at least 12x faster than micrograd.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd.nn as micrograd_nn  # noqa: E402
from micrograd.engine import Value as MicrogradValue  # noqa: E402

from nn import MLP, SGD, data, hinge_loss, l2_penalty  # noqa: E402

ALPHA = 1e-4


def micrograd_step(model: micrograd_nn.MLP, X: list[list[float]], y: list[float], k: int) -> float:
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
    return total_loss.data


def nn_step(model: MLP, optimizer: SGD, X: list[list[float]], y: list[float]) -> float:
    """The same step with nn: forward_batch, hinge_loss + l2_penalty, SGD with the same schedule."""
    scores = model.forward_batch(X)
    loss = hinge_loss(scores, y) + l2_penalty(model, ALPHA)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data


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

    # One untimed step each (warm-up), and a check that both compute the same loss.
    first_ours = nn_step(ours, optimizer, X, y)
    first_theirs = micrograd_step(theirs, X, y, 0)
    if abs(first_ours - first_theirs) > 1e-9 * max(1.0, abs(first_theirs)):
        print(f"warning: first losses differ: nn {first_ours!r}, micrograd {first_theirs!r}")

    times_ours: list[float] = []
    times_theirs: list[float] = []
    for k in range(1, args.repeats + 1):
        runs = [("nn", lambda: nn_step(ours, optimizer, X, y)), ("micrograd", lambda: micrograd_step(theirs, X, y, k))]
        if k % 2:
            runs.reverse()
        for name, run in runs:
            # Start each step from a clean heap: micrograd's graphs are webs of
            # cycles that linger until collected and would be walked during the
            # other implementation's step otherwise.
            gc.collect()
            start = time.perf_counter()
            run()
            gc.collect()  # timed: a step pays for freeing its own graph
            elapsed = time.perf_counter() - start
            (times_ours if name == "nn" else times_theirs).append(elapsed)

    assert "torch" not in sys.modules, "the benchmark process must not import torch"
    median_ours = statistics.median(times_ours)
    median_theirs = statistics.median(times_theirs)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.repeats} interleaved steps each")
    print("micrograd demo step (100 moons, MLP 2-16-16-1, hinge + 1e-4 L2, backward, SGD):")
    print(f"  micrograd.nn.MLP : {median_theirs * 1e3:8.1f} ms (median)")
    print(f"  nn.MLP           : {median_ours * 1e3:8.1f} ms (median)")
    print(f"  speed-up         : {median_theirs / median_ours:8.1f}x  (goal >= 12x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
