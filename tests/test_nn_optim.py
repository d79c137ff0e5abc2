"""SGD and Adam: update rules against torch.optim, schedules, no graph, bad settings."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value
from nn import MLP, SGD, Adam, mse_loss

START = [0.5, -1.25, 2.0, 0.0, -0.75]


def fake_gradient(step, index, value):
    """A gradient that depends on the step, the parameter and its current value."""
    return math.sin(1.7 * value + index) + 0.3 * (step + 1) * (-1) ** index


def run_ours(make, steps):
    parameters = [Value(v) for v in START]
    optimizer = make(parameters)
    history = []
    for step in range(steps):
        for i, p in enumerate(parameters):
            p.grad = fake_gradient(step, i, p.data)
        optimizer.step()
        history.append([p.data for p in parameters])
    return history


def run_torch(optimizer_name, settings, steps):
    """The same steps with ``torch.optim.<optimizer_name>(**settings)``, in float64."""
    import torch

    parameters = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    optimizer = getattr(torch.optim, optimizer_name)(parameters, **settings)
    history = []
    for step in range(steps):
        for i, p in enumerate(parameters):
            p.grad = torch.tensor(fake_gradient(step, i, p.item()), dtype=torch.float64)
        optimizer.step()
        history.append([p.item() for p in parameters])
    return history


@pytest.mark.parametrize("name, settings, steps", [
    ("SGD", {"lr": 0.1}, 6),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, 6),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}, 6),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3}, 6),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, 6),
    ("SGD", {"lr": 0.2, "weight_decay": 0.5}, 6),
    ("Adam", {"lr": 0.01}, 8),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.99)}, 8),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-6}, 8),
])
@pytest.mark.torch
def test_the_optimisers_match_torch_over_several_steps(name, settings, steps):
    optimiser = {"SGD": SGD, "Adam": Adam}[name]
    ours = run_ours(lambda ps: optimiser(ps, **settings), steps)
    theirs = run_torch(name, settings, steps)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14), f"{name} step {step}"


def test_plain_sgd_step_is_p_minus_lr_times_grad_exactly():
    p = Value(1.5)
    p.grad = 0.25
    SGD([p], lr=0.1).step()
    assert p.data == 1.5 - 0.1 * 0.25


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.1),
])
def test_updates_build_no_graph(make):
    model = MLP(2, [3, 1], seed=0)
    loss = mse_loss([model([1.0, 2.0])], [0.5])
    loss.backward()
    optimizer = make(model)
    for _ in range(2):
        optimizer.step()
    for p in model.parameters():
        assert p.is_leaf and p.inputs == () and p.op is None
        assert type(p.data) is float and type(p.grad) is float
    assert autograd.is_grad_enabled()


def test_step_runs_under_no_grad(monkeypatch):
    seen = []
    optimizer = SGD([Value(1.0)], lr=0.1)
    original = optimizer._update

    def spy(rate):
        seen.append(autograd.is_grad_enabled())
        original(rate)

    monkeypatch.setattr(optimizer, "_update", spy)
    optimizer.step()
    assert seen == [False]


def test_learning_rate_schedule_is_called_with_the_step_number():
    calls = []

    def schedule(k):
        calls.append(k)
        return 1.0 - 0.9 * k / 100

    p = Value(0.0)
    optimizer = SGD([p], lr=schedule)
    for _ in range(3):
        p.grad = 1.0
        optimizer.step()
    assert calls == [0, 1, 2] and optimizer.steps == 3
    assert p.data == -(1.0 + 0.991 + 0.982)
    assert optimizer.learning_rate(99) == pytest.approx(0.109)


def test_schedule_returning_nan_is_refused():
    optimizer = SGD([Value(0.0)], lr=lambda k: math.nan)
    with pytest.raises(ValueError, match="schedule gave nan at step 0"):
        optimizer.step()


def test_zero_grad_clears_the_optimisers_parameters():
    parameters = [Value(1.0), Value(2.0)]
    for p in parameters:
        p.grad = 3.0
    Adam(parameters).zero_grad()
    assert [p.grad for p in parameters] == [0.0, 0.0]


@pytest.mark.parametrize("make, text", [
    (lambda: SGD([], lr=0.1), "at least one parameter"),
    (lambda: SGD([Value(1.0)], lr=math.inf), "lr must be a finite number >= 0, got inf"),
    (lambda: Adam([Value(1.0)], eps=-1.0), "eps must be a finite number >= 0, got -1.0"),
    (lambda: SGD([Value(1.0)], lr=0.1, weight_decay=math.nan), "weight_decay must be a finite number >= 0, got nan"),
    (lambda: SGD([Value(1.0)], lr=-0.1), "lr must be a finite number >= 0, got -0.1"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=-1.0), "momentum"),
    (lambda: SGD([1.0], lr=0.1), "parameter 0 is not a Value"),
    (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), "betas[1]"),
    (lambda: Adam([Value(1.0)], betas=(0.9,)), "two numbers"),
    (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), "nesterov"),
])
def test_bad_settings_are_refused(make, text):
    with pytest.raises((ValueError, TypeError)) as caught:
        make()
    assert text in str(caught.value)


def test_the_same_parameter_twice_is_refused():
    p = Value(1.0, label="w")
    with pytest.raises(ValueError, match=r"parameter 1 \(w\) is listed twice"):
        SGD([p, p], lr=0.1)


def _unordered_parameters():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    named = {"a": a, "b": b}
    return [
        ({a, b}, "set"),
        (frozenset({a, b}), "frozenset"),
        (named, "dict"),
        (named.values(), "dict_values"),
        (named.items(), "dict_items"),
    ]


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.1)], ids=["SGD", "Adam"])
@pytest.mark.parametrize("index", range(5), ids=[kind for _, kind in _unordered_parameters()])
def test_parameters_without_an_order_are_refused(make, index):
    # A set's order follows id(): momentum buffers and moments would belong to whichever came first.
    parameters, kind = _unordered_parameters()[index]
    with pytest.raises(TypeError, match=rf"^parameters must be an ordered sequence .* not {kind}:"):
        make(parameters)


def test_ordered_parameters_are_kept_in_order():
    a, b = Value(1.0), Value(2.0)
    assert SGD((a, b), lr=0.1).parameters == [a, b]
    assert Adam((p for p in (b, a)), lr=0.1).parameters == [b, a]


def test_adam_betas_without_an_order_are_refused():
    with pytest.raises(TypeError, match=r"^betas must be an ordered sequence .* not set"):
        Adam([Value(1.0)], betas={0.999, 0.9})
    with pytest.raises(TypeError, match=r"betas must be two numbers, got float \(0.9\)"):
        Adam([Value(1.0)], betas=0.9)


@pytest.mark.parametrize("make, text", [
    (lambda: SGD([Value(1.0)], lr="0.1"), "lr must be a real number, got str ('0.1')"),
    (lambda: SGD([Value(1.0)], lr=True), "lr must be a real number, got bool (True)"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=None), "momentum must be a real number, got NoneType (None)"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=1), "nesterov must be bool, got int"),
    (lambda: Adam([Value(1.0)], betas=(0.9, "0.999")), "betas[1] must be a real number, got str ('0.999')"),
    (lambda: Adam([Value(1.0)], weight_decay=[0.1]), "weight_decay must be a real number, got list ([0.1])"),
])
def test_wrong_types_are_type_errors(make, text):
    with pytest.raises(TypeError) as caught:
        make()
    assert str(caught.value) == text


def test_schedule_returning_a_non_number_is_a_type_error():
    optimizer = SGD([Value(1.0)], lr=lambda k: "fast")
    with pytest.raises(TypeError, match=r"schedule gave str \('fast'\) at step 0; expected a number"):
        optimizer.step()
