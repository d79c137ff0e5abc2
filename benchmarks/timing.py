"""Timing shared by the benchmarks."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable


def timed(step: Callable[[], Any]) -> tuple[float, float]:
    """Seconds of the step, then seconds to release the graph it returns.

    Each step starts from a collected heap. The release is not part of the
    step for any engine: tracegrad's graph is freed by reference counting as
    soon as it is dropped, micrograd's (a web of closures and cycles) only by
    the cycle collector, so both are released, and timed apart, by dropping
    the result and collecting.
    """
    gc.collect()
    start = time.perf_counter()
    result = step()
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    del result
    gc.collect()
    return elapsed, time.perf_counter() - start


def interleaved(steps: dict[str, Callable[[], Any]], repeats: int,
                reset: Callable[[], None]) -> dict[str, list[tuple[float, float]]]:
    """``timed`` for each step, ``repeats`` times, after one untimed warm-up each.

    ``reset`` runs before every repeat, so each repeat times the same first
    step from the same state. The steps are interleaved, in a rotating order,
    so that no engine always runs first on a noisy machine.
    """
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
    reset()
    for step in steps.values():
        timed(step)
    names = list(steps)
    for repeat in range(repeats):
        reset()
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            results[name].append(timed(steps[name]))
    return results
