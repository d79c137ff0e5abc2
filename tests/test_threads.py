"""Modes across threads: per thread, as in PyTorch; never wrong gradients; a block restores what it found.

Every test joins its threads with a time limit (a hang fails, it never
blocks the suite) and times nothing.
"""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

from autograd import Value, detect_anomaly, enable_grad, is_grad_enabled, no_grad, row, scope

JOIN_SECONDS = 30.0


def run_threads(*targets):
    """Run each target in its own thread; re-raise the first error; fail if one is still running."""
    errors = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as error:  # noqa: BLE001 (reported to the test below)
                errors.append(error)
        return run

    threads = [threading.Thread(target=guarded(target), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]


def gradient_of_square(x: float) -> float:
    """d(x*x + 3x)/dx by backward: 2x + 3."""
    leaf = Value(x)
    (leaf * leaf + 3.0 * leaf).backward()
    return leaf.grad


def wait(event: threading.Event) -> None:
    assert event.wait(JOIN_SECONDS), "the other thread never got there"


def test_a_no_grad_in_one_thread_leaves_another_threads_gradients_right():
    inside, built = threading.Event(), threading.Event()
    grads = []

    def updater():
        with no_grad():
            inside.set()
            wait(built)
            assert not is_grad_enabled()

    def learner():
        wait(inside)  # the other thread is inside no_grad now
        assert is_grad_enabled()
        grads.extend(gradient_of_square(x) for x in (0.5, -2.0, 3.0))
        built.set()

    run_threads(updater, learner)
    assert grads == [4.0, -1.0, 9.0]
    assert is_grad_enabled()


def test_many_interleaved_no_grads_never_change_another_threads_gradients():
    """The issue's two-thread test: one thread toggles no_grad, the other computes 300 gradients."""
    stop = threading.Event()
    wrong = []
    points = [i / 100 - 1.5 for i in range(300)]
    expected = [gradient_of_square(x) for x in points]  # alone, in this thread
    assert expected == pytest.approx([2 * x + 3 for x in points], rel=1e-12, abs=1e-12)

    def toggler():
        while not stop.is_set():
            with no_grad():
                Value(1.0) * 2.0
            with scope("other"), row(7):
                Value(1.0) * 2.0

    def learner():
        try:
            for x, grad in zip(points, expected):
                leaf = Value(x)
                out = leaf * leaf + 3.0 * leaf
                out.backward()
                if leaf.grad != grad or out.scope is not None or out.row is not None:
                    wrong.append((x, leaf.grad, out.scope, out.row))
        finally:
            stop.set()

    run_threads(toggler, learner)
    assert wrong == []
    assert is_grad_enabled()


def test_interleaved_exits_across_threads_leave_every_thread_recording():
    """A enters, B enters, A exits, B exits: with one shared switch B would restore A's no_grad forever."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with no_grad():
            a_in.set()
            wait(b_in)
        seen["first after"] = is_grad_enabled()
        a_out.set()

    def second():
        wait(a_in)
        with no_grad():
            b_in.set()
            wait(a_out)
            seen["second inside, after first left"] = is_grad_enabled()
        seen["second after"] = is_grad_enabled()

    run_threads(first, second)
    assert seen == {"first after": True, "second inside, after first left": False, "second after": True}
    assert is_grad_enabled()
    assert not (Value(2.0) * 3.0).is_leaf


def test_out_of_order_exits_in_one_thread_restore_the_state_once_all_have_exited():
    def inside(mode):
        with mode():
            yield is_grad_enabled()

    outer, inner = inside(no_grad), inside(enable_grad)
    assert next(outer) is False and next(inner) is True
    outer.close()  # the first block exits first: only its own setting goes
    assert is_grad_enabled() is True  # enable_grad's is still active
    with no_grad():
        assert not is_grad_enabled()
    inner.close()
    assert is_grad_enabled()
    assert not (Value(2.0) * 3.0).is_leaf


def test_out_of_order_exits_restore_the_scope_and_row_as_well():
    def inside(manager):
        with manager:
            yield

    in_scope, in_row = inside(scope("L1")), inside(row(2))
    next(in_scope)
    next(in_row)
    node = Value(1.0) * 2.0
    assert (node.scope.name, node.row) == ("L1", 2)
    in_scope.close()
    in_row.close()
    node = Value(1.0) * 2.0
    assert node.scope is None and node.row is None


def test_a_scope_and_a_row_in_one_thread_do_not_tag_another_threads_nodes():
    inside, built = threading.Event(), threading.Event()
    nodes = {}

    def tagged():
        with scope("L1"), row(3):
            inside.set()
            wait(built)
            nodes["tagged"] = Value(1.0) * 2.0

    def plain():
        wait(inside)
        nodes["plain"] = (Value(1.0) * 2.0).tanh() + 1.0
        nodes["plain leaf"] = Value(1.0)
        built.set()

    run_threads(tagged, plain)
    assert (nodes["tagged"].scope.name, nodes["tagged"].row) == ("L1", 3)
    for name in ("plain", "plain leaf"):
        assert nodes[name].scope is None and nodes[name].row is None, name
    assert nodes["plain"].inputs[1].scope is None  # the constant 1.0 too


def test_detect_anomaly_in_one_thread_does_not_raise_in_another():
    inside, built = threading.Event(), threading.Event()
    results = {}

    def checking():
        with detect_anomaly():
            inside.set()
            wait(built)
            with pytest.raises(FloatingPointError):
                Value(0.0).log()

    def other():
        wait(inside)
        results["log 0"] = Value(0.0).log().data
        built.set()

    run_threads(checking, other)
    assert results["log 0"] == -math.inf


def test_a_new_thread_starts_with_the_default_modes():
    seen = {}

    def child():
        seen["recording"] = is_grad_enabled()
        seen["scope"] = (Value(1.0) * 2.0).scope

    with no_grad(), scope("outer"):
        run_threads(child)
    assert seen == {"recording": True, "scope": None}


def test_each_asyncio_task_has_its_own_modes():
    async def updater(entered, done):
        with no_grad():
            entered.set()
            await done.wait()

    async def learner(entered, done):
        await entered.wait()
        grad = gradient_of_square(1.0)
        done.set()
        return grad

    async def both():
        entered, done = asyncio.Event(), asyncio.Event()
        _, grad = await asyncio.wait_for(asyncio.gather(updater(entered, done), learner(entered, done)),
                                         JOIN_SECONDS)
        return grad

    assert asyncio.run(both()) == 5.0
    assert is_grad_enabled()


def test_a_block_that_raises_restores_the_state_in_its_thread():
    def failing():
        with pytest.raises(RuntimeError):
            with no_grad(), scope("L1"):
                raise RuntimeError("inside")
        assert is_grad_enabled() and (Value(1.0) * 2.0).scope is None

    run_threads(failing, failing)
    assert is_grad_enabled()
