"""Benchmark of the engine core: micrograd's demo training step, three ways.

    .venv/bin/python benchmarks/bench_engine.py [--repeats 11]

The step is micrograd's demo: an MLP 2-16-16-1 (ReLU hidden, linear output)
made of plain Value ops, 100 two-moons points, the SVM max-margin loss
mean(relu(1 - y*score)) plus 1e-4 * sum(p*p), one forward, backward and SGD
update. It is timed, interleaved in one run, for

* tracegrad (``autograd.Value``),
* micrograd (``micrograd.engine.Value``, the PyPI package in .venv),
* the same step written by hand with Python floats, forward and manual
  backward: the floor of any pure-Python scalar engine.

Then bytes per node (tracemalloc) and the deepest chain each engine can
backpropagate. The process runs under default interpreter settings (the
cycle collector on) and never imports torch: torch's ~150k objects would be
walked by every collection and slow both engines down.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import sys
import time
import tracemalloc
from typing import Callable, Collection, Protocol

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Value  # noqa: E402
from timing import interleaved  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

try:
    import micrograd.engine as micrograd_engine
except ImportError:  # the benchmark still reports tracegrad against the floor
    micrograd_engine = None

SIZES = (2, 16, 16, 1)
N_POINTS = 100
ALPHA = 1e-4
LEARNING_RATE = 0.05

TARGET_SPEEDUP = 12.0
TARGET_FLOOR_RATIO = 10.0
# 120 B until nodes took micrograd clients' attributes: the __dict__ slot costs every node 32 B on
# CPython 3.11 (a slot-only op result with a subclass for user Values measured 120 B but a 1.10x slower step).
TARGET_BYTES = 152.0
TARGET_CHAIN = 1_000_000


class Node(Protocol):
    """What the step needs of a Value: tracegrad's and micrograd's both have it."""

    data: float
    grad: float

    @property
    def _prev(self) -> Collection["Node"]: ...
    def __add__(self, other: "Node | float") -> "Node": ...
    def __radd__(self, other: float) -> "Node": ...
    def __mul__(self, other: "Node | float") -> "Node": ...
    def __rmul__(self, other: float) -> "Node": ...
    def __neg__(self) -> "Node": ...
    def relu(self) -> "Node": ...
    def backward(self) -> None: ...


MakeNode = Callable[[float], Node]  # a Value class: tracegrad's or micrograd's
Weights = list[tuple[list[list[float]], list[float]]]  # per layer: weights[out][in], biases
Model = list[tuple[list[list[Node]], list[Node]]]  # the same, as nodes


# --- the data and the initial weights, shared by all three ---

def two_moons(n: int, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """sklearn's make_moons in pure Python: two interleaved half circles, labels -1 / +1."""
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    points: list[list[float]] = []
    labels: list[float] = []
    for i in range(n_outer):
        t = math.pi * i / (n_outer - 1)
        points.append([math.cos(t) + rng.gauss(0.0, noise), math.sin(t) + rng.gauss(0.0, noise)])
        labels.append(-1.0)
    for i in range(n_inner):
        t = math.pi * i / (n_inner - 1)
        points.append([1.0 - math.cos(t) + rng.gauss(0.0, noise),
                       0.5 - math.sin(t) + rng.gauss(0.0, noise)])
        labels.append(1.0)
    return points, labels


def initial_weights(seed: int = 1337) -> Weights:
    """Per layer: weights[out][in] uniform in [-1, 1] and zero biases, as micrograd's nn."""
    rng = random.Random(seed)
    layers = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        weights = [[rng.uniform(-1.0, 1.0) for _ in range(n_in)] for _ in range(n_out)]
        layers.append((weights, [0.0] * n_out))
    return layers


# --- the step with Value objects (same code for tracegrad and micrograd) ---

def make_model(value: MakeNode, weights: Weights) -> Model:
    """The weights as nodes of one engine."""
    return [([[value(w) for w in row] for row in layer_w], [value(b) for b in layer_b])
            for layer_w, layer_b in weights]


def parameters(model: Model) -> list[Node]:
    """Every weight and bias node, layer by layer (micrograd's order)."""
    return [p for layer_w, layer_b in model for row, b in zip(layer_w, layer_b) for p in row + [b]]


def value_loss(value: MakeNode, model: Model, points: list[list[float]], labels: list[float]) -> Node:
    """micrograd's demo loss(): mean SVM max-margin loss plus ALPHA * L2."""
    last = len(model) - 1
    scores = []
    for point in points:
        activations = [value(x) for x in point]
        for depth, (layer_w, layer_b) in enumerate(model):
            outputs = []
            for row, bias in zip(layer_w, layer_b):
                act = sum((wi * xi for wi, xi in zip(row, activations)), bias)
                outputs.append(act.relu() if depth != last else act)
            activations = outputs
        scores.append(activations[0])
    losses = [(1 + -yi * score).relu() for yi, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in parameters(model))
    return data_loss + reg_loss


def value_step(value: MakeNode, model: Model, points: list[list[float]], labels: list[float]) -> Node:
    """The loss, then zero_grad, backward and the SGD update (micrograd's demo loop body).

    Returns the loss, so its graph is released by the caller, after the clock.
    """
    total_loss = value_loss(value, model, points, labels)
    params = parameters(model)
    for p in params:
        p.grad = 0
    total_loss.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return total_loss


# --- the same step with plain floats: forward, manual backward, update ---

def float_step(model: Weights, points: list[list[float]], labels: list[float]) -> float:
    """The hand-written floor; ``model`` holds lists of floats, updated in place.

    It does the engines' arithmetic: every gradient of the graph is computed,
    including those a kink makes zero (no branch is skipped), so the ratio
    measures what the engine adds, not a different algorithm.
    """
    (w1, b1), (w2, b2), (w3, b3) = model
    w3_row = w3[0]
    g_w1 = [[0.0] * len(row) for row in w1]
    g_b1 = [0.0] * len(b1)
    g_w2 = [[0.0] * len(row) for row in w2]
    g_b2 = [0.0] * len(b2)
    g_w3_row = [0.0] * len(w3_row)
    g_b3 = 0.0
    scale = 1.0 / len(points)
    data_loss = 0.0
    for (x0, x1), y in zip(points, labels):
        # forward
        h1 = []
        for (wa, wb), bias in zip(w1, b1):
            pre = bias + wa * x0 + wb * x1
            h1.append(pre if pre > 0.0 else 0.0)
        h2 = []
        for row, bias in zip(w2, b2):
            pre = bias
            for w, h in zip(row, h1):
                pre += w * h
            h2.append(pre if pre > 0.0 else 0.0)
        score = b3[0]
        for w, h in zip(w3_row, h2):
            score += w * h
        margin = 1.0 - y * score
        data_loss += margin if margin > 0.0 else 0.0
        # backward: d loss / d score, then layer by layer (relu'(0) = 0)
        g_score = -y * scale if margin > 0.0 else 0.0
        g_b3 += g_score
        g_h1 = [0.0] * len(h1)
        for j, h in enumerate(h2):
            g_row3_j = g_score * h
            g_w3_row[j] += g_row3_j
            g_pre = g_score * w3_row[j] if h > 0.0 else 0.0
            g_b2[j] += g_pre
            g_row = g_w2[j]
            row = w2[j]
            for k, hk in enumerate(h1):
                g_row[k] += g_pre * hk
                g_h1[k] += g_pre * row[k]
        for j, h in enumerate(h1):
            g_pre = g_h1[j] if h > 0.0 else 0.0
            g_b1[j] += g_pre
            g_row = g_w1[j]
            g_row[0] += g_pre * x0
            g_row[1] += g_pre * x1
    # the L2 term, its gradient, and the SGD update
    reg = 0.0
    for (layer_w, layer_b), (g_layer_w, g_layer_b) in zip(
        model, ((g_w1, g_b1), (g_w2, g_b2), ([g_w3_row], [g_b3]))
    ):
        for row, g_row in zip(layer_w, g_layer_w):
            for k, w in enumerate(row):
                reg += w * w
                row[k] = w - LEARNING_RATE * (g_row[k] + 2.0 * ALPHA * w)
        for k, b in enumerate(layer_b):
            reg += b * b
            layer_b[k] = b - LEARNING_RATE * (g_layer_b[k] + 2.0 * ALPHA * b)
    return data_loss * scale + ALPHA * reg


def float_model(weights: Weights) -> Weights:
    """A copy of the weights for the float step to update in place."""
    return [([list(row) for row in layer_w], list(layer_b)) for layer_w, layer_b in weights]


# --- memory and depth ---

def count_nodes(root: Node) -> int:
    """Nodes of a graph, walked with a stack (micrograd's _prev or tracegrad's inputs)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def bytes_per_node_chain(value: MakeNode, n: int = 100_000) -> float:
    """Memory of n nodes ``v = v + w`` (w one shared leaf), per node."""
    gc.collect()
    w = value(0.5)
    start = value(1.0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    v = start
    for _ in range(n):
        v = v + w
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del v
    return (after - before) / n


def bytes_per_node_step(value: MakeNode, weights: Weights, points: list[list[float]], labels: list[float]) -> float:
    """Memory of the demo step's forward graph (every node it holds), per node."""
    gc.collect()
    model = make_model(value, weights)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    total = value_loss(value, model, points, labels)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    new_nodes = count_nodes(total) - len(parameters(model))
    return (after - before) / new_nodes


def chain_backpropagates(value: MakeNode, n: int) -> bool:
    """Whether a chain of n additions backpropagates, with d(end)/d(start) = 1."""
    start = value(0.5)
    v = start
    for _ in range(n):
        v = v + 1.0
    try:
        v.backward()
    except RecursionError:
        return False
    if start.grad != 1.0 or v.data != 0.5 + n:
        raise AssertionError(f"chain of {n}: wrong result {v.data}, gradient {start.grad}")
    return True


def deepest_micrograd_chain(value: MakeNode) -> tuple[int, int]:
    """(longest chain that works, shortest that raises RecursionError), default limit."""
    good, n = 0, 250
    while chain_backpropagates(value, n):
        good, n = n, n * 2
    bad = n
    while bad - good > 1:
        middle = (good + bad) // 2
        if chain_backpropagates(value, middle):
            good = middle
        else:
            bad = middle
    return good, bad


# --- the run ---

def check_agreement(weights: Weights, points: list[list[float]], labels: list[float]) -> None:
    """The three steps compute the same loss and the same updated weights."""
    reference = float_model(weights)
    loss_float = float_step(reference, points, labels)
    engines: list[tuple[str, MakeNode]] = [("tracegrad", Value)]
    if micrograd_engine is not None:
        engines.append(("micrograd", micrograd_engine.Value))
    flat_reference = [p for layer_w, layer_b in reference for row, b in zip(layer_w, layer_b) for p in row + [b]]
    for name, value in engines:
        model = make_model(value, weights)
        loss = value_step(value, model, points, labels).data
        updated = [p.data for p in parameters(model)]
        if not math.isclose(loss, loss_float, rel_tol=1e-9):
            raise AssertionError(f"{name} loss {loss} differs from the float step's {loss_float}")
        worst = max(abs(a - b) for a, b in zip(updated, flat_reference))
        if worst > 1e-12:
            raise AssertionError(f"{name} update differs from the float step's by {worst}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed steps per engine (median reported)")
    parser.add_argument("--chain", type=int, default=TARGET_CHAIN, help="tracegrad chain length")
    args = parser.parse_args()

    points, labels = two_moons(N_POINTS)
    weights = initial_weights()
    check_agreement(weights, points, labels)

    steps: dict[str, Callable[[], object]] = {}
    models: dict[str, Model] = {}
    floor: dict[str, Weights] = {}

    def reset() -> None:
        models["tracegrad"] = make_model(Value, weights)
        floor["float"] = float_model(weights)
        if micrograd_engine is not None:
            models["micrograd"] = make_model(micrograd_engine.Value, weights)

    steps["tracegrad"] = lambda: value_step(Value, models["tracegrad"], points, labels)
    steps["float"] = lambda: float_step(floor["float"], points, labels)
    if micrograd_engine is not None:
        steps["micrograd"] = lambda: value_step(micrograd_engine.Value, models["micrograd"], points, labels)

    runs = interleaved(steps, args.repeats, reset)
    times = {name: [elapsed for elapsed, _ in results] for name, results in runs.items()}
    releases = {name: [released for _, released in results] for name, results in runs.items()}
    median = {name: statistics.median(values) for name, values in times.items()}

    graph_nodes = count_nodes(value_loss(Value, make_model(Value, weights), points, labels))
    print(f"micrograd's demo step: MLP {'-'.join(map(str, SIZES))}, {N_POINTS} two-moons points, "
          f"SVM loss + {ALPHA:g} L2, {graph_nodes:,} nodes")
    print(f"forward + backward + SGD update, median of {args.repeats} interleaved runs, "
          f"gc {'on' if gc.isenabled() else 'off'}, Python {sys.version.split()[0]}, torch not imported")
    for name in steps:
        spread = f"min {min(times[name]) * 1e3:.1f}, max {max(times[name]) * 1e3:.1f}"
        release = "" if name == "float" else (
            f"; releasing the graph afterwards: {statistics.median(releases[name]) * 1e3:.1f} ms")
        print(f"  {name:<10} {median[name] * 1e3:8.1f} ms  ({spread}){release}")

    results: list[tuple[str, str, bool]] = []
    floor_ratio = median["tracegrad"] / median["float"]
    results.append((f"tracegrad / float floor  = {floor_ratio:6.2f}x", f"<= {TARGET_FLOOR_RATIO:g}x",
                    floor_ratio <= TARGET_FLOOR_RATIO))
    if "micrograd" in median:
        speedup = median["micrograd"] / median["tracegrad"]
        results.append((f"micrograd / tracegrad    = {speedup:6.2f}x", f">= {TARGET_SPEEDUP:g}x",
                        speedup >= TARGET_SPEEDUP))

    chain_bytes = round(bytes_per_node_chain(Value), 1)
    step_bytes = bytes_per_node_step(Value, weights, points, labels)
    results.append((f"tracegrad bytes per node = {chain_bytes:6.1f}  (demo graph: {step_bytes:.1f})",
                    f"<= {TARGET_BYTES:g}", chain_bytes <= TARGET_BYTES))

    start = time.perf_counter()
    chain_ok = chain_backpropagates(Value, args.chain)
    chain_seconds = time.perf_counter() - start
    results.append((f"tracegrad chain of {args.chain:,} ops: {'backpropagates' if chain_ok else 'RecursionError'}"
                    f" ({chain_seconds:.1f} s build + backward)", f"{TARGET_CHAIN:,} ops",
                    chain_ok and args.chain >= TARGET_CHAIN))

    print("figures:")
    for text, target, met in results:
        print(f"  {text:<64} target {target:<12} {'met' if met else 'MISSED'}")
    if micrograd_engine is not None:
        micro_chain = bytes_per_node_chain(micrograd_engine.Value)
        micro_step = bytes_per_node_step(micrograd_engine.Value, weights, points, labels)
        good, bad = deepest_micrograd_chain(micrograd_engine.Value)
        print(f"  micrograd bytes per node = {micro_chain:6.1f}  (demo graph: {micro_step:.1f})")
        print(f"  micrograd deepest chain: {good:,} ops backpropagate, {bad:,} raise RecursionError "
              f"(recursion limit {sys.getrecursionlimit()})")
    assert "torch" not in sys.modules, "the timing process must not import torch"
    return 0 if all(met for _, _, met in results) else 1


if __name__ == "__main__":
    sys.exit(main())
