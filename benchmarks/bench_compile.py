"""Benchmark of ``autograd.compile``: micrograd's demo step as a compiled program.

    .venv/bin/python benchmarks/bench_compile.py [--repeats 11]

The step is bench_engine.py's (MLP 2-16-16-1, ReLU hidden, linear output,
100 two-moons points, SVM max-margin loss + 1e-4 L2, forward, backward and
the SGD update), timed four ways, interleaved in one process that never
imports torch:

* compiled -- the loss recorded once, compiled with ``autograd.compile``;
  each step calls the program and applies the update to the parameters;
* float    -- the same step written by hand with Python floats (the floor);
* eager    -- ``autograd.Value``, building the graph at every step;
* micrograd -- micrograd 0.1.0's Value (skipped if it is not installed).

Then the time and memory of compiling, and the compiled program's size.
The compiled step must give the eager step's loss and gradients to the bit.

    .venv/bin/python benchmarks/bench_compile.py --chain 1000000

measures instead, in a fresh process, the peak memory (the process's
maximum resident set, the graph included) and time of compiling a chain
of that many nodes, ``y = (y * 1.0001).tanh()`` repeated, and checks the
program against ``backward()`` to the bit.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bench_engine as engine  # noqa: E402  (benchmarks/ is on sys.path when run as a script)
from timing import interleaved  # noqa: E402

import autograd  # noqa: E402
from autograd import Value  # noqa: E402

TARGET_FLOOR_RATIO = 0.75
TARGET_COMPILE_SECONDS = 1.0


def compiled_step_factory(weights: list, points: list,
                          labels: list) -> tuple[Callable[[], float], list[Value]]:
    """A step that calls the compiled program and updates the parameters in place."""
    model = engine.make_model(Value, weights)
    params = engine.parameters(model)
    program = autograd.compile(engine.value_loss(Value, model, points, labels), wrt=params)
    rate = engine.LEARNING_RATE

    def step() -> float:
        loss, grads = program()
        for p, grad in zip(params, grads):
            p.data -= rate * grad
        return loss

    return step, params


def check_bit_identical(weights: list, points: list, labels: list) -> None:
    """Three compiled steps give the eager steps' losses and parameters, to the bit."""
    step, compiled_params = compiled_step_factory(weights, points, labels)
    eager_model = engine.make_model(Value, weights)
    for _ in range(3):
        compiled_loss = step()
        eager_loss = engine.value_step(Value, eager_model, points, labels).data
        assert compiled_loss == eager_loss, (compiled_loss, eager_loss)
    assert [p.data for p in compiled_params] == [p.data for p in engine.parameters(eager_model)]


def compile_cost(weights: list, points: list, labels: list, repeats: int) -> tuple[float, int, int, int]:
    """Median seconds to compile the demo graph, its peak and kept memory, and source lines."""
    seconds = []
    for _ in range(repeats):
        model = engine.make_model(Value, weights)
        loss = engine.value_loss(Value, model, points, labels)
        params = engine.parameters(model)
        gc.collect()
        start = time.perf_counter()
        program = autograd.compile(loss, wrt=params)
        seconds.append(time.perf_counter() - start)
        del program
    model = engine.make_model(Value, weights)
    loss = engine.value_loss(Value, model, points, labels)
    params = engine.parameters(model)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    program = autograd.compile(loss, wrt=params)
    del loss, model
    gc.collect()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = program.source.count("\n")
    return statistics.median(seconds), peak - before, kept - before, lines


# Run in a fresh process (python -c), so that its peak resident set is compile's own.
CHAIN_PROGRAM = """
import resource, sys, time
sys.path.insert(0, {root!r})
import autograd
from autograd import Value
x = Value(0.5, label="x")
y = x
for _ in range({length} // 3):
    y = (y * 1.0001).tanh()
built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
program = autograd.compile(y, wrt=[x])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loss, (grad,) = program()
y.backward()
assert (loss, grad) == (y.data, x.grad), "the program differs from backward()"
print(program.node_count, built, peak, seconds, program.line_count)
"""


def chain_cost(length: int) -> int:
    """Print the peak memory and time of compiling a chain of ``length`` nodes, in a fresh process."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    output = subprocess.run([sys.executable, "-c", CHAIN_PROGRAM.format(root=root, length=length)],
                            check=True, capture_output=True, text=True).stdout.split()
    nodes, built, peak = (int(field) for field in output[:3])
    print(f"compiling a chain of {nodes:,} nodes ({int(output[4]):,} lines): {float(output[3]):.1f} s; "
          f"peak resident memory {peak / 2**20:.2f} GiB (the graph alone: {built / 2**20:.2f} GiB); "
          "bit-identical to backward()")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed steps per engine (median reported)")
    parser.add_argument("--chain", type=int, metavar="NODES",
                        help="measure compiling a chain of NODES nodes instead (peak memory, time)")
    args = parser.parse_args()
    if args.chain:
        return chain_cost(args.chain)

    points, labels = engine.two_moons(engine.N_POINTS)
    weights = engine.initial_weights()
    check_bit_identical(weights, points, labels)

    models: dict[str, Any] = {}
    steps: dict[str, Callable[[], Any]] = {}

    def reset() -> None:
        models["compiled"] = compiled_step_factory(weights, points, labels)[0]
        models["float"] = engine.float_model(weights)
        models["eager"] = engine.make_model(Value, weights)
        if engine.micrograd_engine is not None:
            models["micrograd"] = engine.make_model(engine.micrograd_engine.Value, weights)

    steps["compiled"] = lambda: models["compiled"]()
    steps["float"] = lambda: engine.float_step(models["float"], points, labels)
    steps["eager"] = lambda: engine.value_step(Value, models["eager"], points, labels)
    if engine.micrograd_engine is not None:
        steps["micrograd"] = lambda: engine.value_step(
            engine.micrograd_engine.Value, models["micrograd"], points, labels)

    # (compiling is not part of the step: it is timed below)
    times = {name: [elapsed for elapsed, _ in runs]
             for name, runs in interleaved(steps, args.repeats, reset).items()}
    median = {name: statistics.median(values) for name, values in times.items()}

    compile_seconds, peak_bytes, kept_bytes, lines = compile_cost(weights, points, labels, 5)

    print(f"micrograd's demo step: MLP {'-'.join(map(str, engine.SIZES))}, {engine.N_POINTS} "
          f"two-moons points, SVM loss + {engine.ALPHA:g} L2; forward + backward + SGD update")
    print(f"median of {args.repeats} interleaved runs, gc {'on' if gc.isenabled() else 'off'}, "
          f"Python {sys.version.split()[0]}, torch not imported")
    for name in steps:
        ratio = median[name] / median["float"]
        print(f"  {name:<10} {median[name] * 1e3:8.2f} ms   {ratio:6.2f}x the float floor")
    print(f"compiling the {lines:,}-line program: {compile_seconds:.2f} s (median of 5); "
          f"peak memory {peak_bytes / 2**20:.1f} MiB, kept {kept_bytes / 2**20:.1f} MiB")

    floor_ratio = median["compiled"] / median["float"]
    results = [
        (f"compiled / float floor = {floor_ratio:.2f}x", f"<= {TARGET_FLOOR_RATIO}x",
         floor_ratio <= TARGET_FLOOR_RATIO),
        (f"compiling the demo graph = {compile_seconds:.2f} s", f"<= {TARGET_COMPILE_SECONDS:g} s",
         compile_seconds <= TARGET_COMPILE_SECONDS),
        (f"eager / compiled = {median['eager'] / median['compiled']:.1f}x", "", True),
    ]
    if "micrograd" in median:
        results.append((f"micrograd / compiled = {median['micrograd'] / median['compiled']:.0f}x", "", True))
    print("figures:")
    for text, target, met in results:
        verdict = "" if not target else f"target {target:<10} {'met' if met else 'MISSED'}"
        print(f"  {text:<40} {verdict}")
    assert "torch" not in sys.modules, "the timing process must not import torch"
    return 0 if all(met for _, _, met in results) else 1


if __name__ == "__main__":
    sys.exit(main())
