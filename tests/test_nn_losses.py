"""softmax / log_softmax, the losses and the penalties: values, gradients, stability, errors."""

from __future__ import annotations

import math

import pytest

from autograd import Value, gradcheck
from nn import (
    MLP,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    get_loss,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)


def values(*numbers):
    return [Value(float(n)) for n in numbers]


def probabilities(logits):
    m = max(logits)
    exps = [math.exp(z - m) for z in logits]
    return [e / sum(exps) for e in exps]


def test_softmax_sums_to_one_and_matches_the_formula():
    logits = [1.0, 2.0, -0.5]
    out = softmax(logits)
    assert [p.data for p in out] == pytest.approx(probabilities(logits), rel=1e-15)
    assert sum(p.data for p in out) == pytest.approx(1.0, rel=1e-15)


def test_softmax_and_log_softmax_are_stable_for_logits_of_1000():
    logits = values(1000.0, -1000.0, 999.0)
    p = softmax(logits)
    assert all(math.isfinite(v.data) for v in p)
    assert p[1].data == 0.0 and p[0].data == pytest.approx(1.0 / (1.0 + math.exp(-1.0)), rel=1e-15)
    lp = log_softmax(values(1000.0, -1000.0))
    assert [v.data for v in lp] == [0.0, -2000.0]
    lp[1].backward()
    assert all(math.isfinite(z.grad) for z in logits)


def test_softmax_gradients_match_central_differences():
    gradcheck(lambda a, b, c: softmax([a, b, c])[1] * 3.0 + softmax([a, b, c])[2], [0.3, -1.2, 2.0])
    gradcheck(lambda a, b, c: log_softmax([a, b, c])[0], [0.3, -1.2, 2.0])


@pytest.mark.parametrize("target", [0, 2, [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
def test_cross_entropy_gradient_wrt_logits_is_p_minus_y(target):
    raw = [0.5, -1.5, 2.25]
    logits = values(*raw)
    loss = cross_entropy(logits, target)
    loss.backward()
    y = [1.0 if k == target else 0.0 for k in range(3)] if isinstance(target, int) else target
    p = probabilities(raw)
    assert [z.grad for z in logits] == pytest.approx([pk - yk for pk, yk in zip(p, y)], rel=1e-13, abs=1e-15)
    assert loss.data == pytest.approx(-sum(yk * math.log(pk) for pk, yk in zip(p, y)), rel=1e-14)


def test_cross_entropy_over_a_batch_is_the_mean():
    batch = [values(1.0, 2.0), values(0.0, -3.0), values(4.0, 4.0)]
    loss = cross_entropy(batch, [1, 0, 1])
    loss.backward()
    p0 = probabilities([1.0, 2.0])
    assert batch[0][1].grad == pytest.approx((p0[1] - 1.0) / 3, rel=1e-13)
    singles = [cross_entropy(b, t).data for b, t in zip(batch, [1, 0, 1])]
    assert loss.data == pytest.approx(sum(singles) / 3, rel=1e-15)


@pytest.mark.parametrize("logits, target, error, text", [
    ([1.0, 2.0], 2, ValueError, "class 2, but there are 2 classes"),
    ([1.0, 2.0], True, TypeError, "bool"),
    ([1.0, 2.0], [1.0], ValueError, "list of 2 numbers"),
    ([1.0, 2.0], 0.5, ValueError, "must be a class index or a list of 2 numbers, got 0.5"),
    ([1.0, 2.0], "1", TypeError, "must be a class index or a list of 2 numbers, got '1'"),
    ([1.0, 2.0], [0.0, 0.0], ValueError, "all zeros"),
    ([[1.0, 2.0]], [0, 1], ValueError, "1 samples of logits but 2 targets"),
    ([], 0, ValueError, "non-empty"),
    (Value(1.0), 0, TypeError, "a list of logits"),
])
def test_cross_entropy_refuses_bad_targets(logits, target, error, text):
    with pytest.raises(error) as caught:
        cross_entropy(logits, target)
    assert text in str(caught.value)


def test_mse_is_the_mean_over_all_outputs():
    single = mse_loss(Value(3.0), 1.0)
    assert single.data == 4.0
    batch = mse_loss([Value(1.0), Value(2.0)], [0.0, 4.0])
    assert batch.data == (1.0 + 4.0) / 2
    multi = mse_loss([values(1.0, 2.0), values(0.0, 0.0)], [[1.0, 0.0], [1.0, 1.0]])
    assert multi.data == (0 + 4 + 1 + 1) / 4
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse_loss(values(1.0, 2.0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="sample 0: 2 outputs but 1 targets"):
        mse_loss([values(1.0, 2.0)], [[1.0]])
    with pytest.raises(TypeError, match=r"sample 0: 2 outputs but the target is float \(1.0\)"):
        mse_loss([values(1.0, 2.0)], [1.0])
    with pytest.raises(TypeError, match="target 1 must be a number"):
        mse_loss(values(1.0, 2.0), [1.0, "x"])


def test_binary_cross_entropy_values_and_no_nan_at_the_edges():
    p = Value(0.8)
    assert binary_cross_entropy(p, 1.0).data == pytest.approx(-math.log(0.8), rel=1e-15)
    assert binary_cross_entropy(Value(0.8), 0.25).data == pytest.approx(
        -(0.25 * math.log(0.8) + 0.75 * math.log(0.2)), rel=1e-14)
    assert binary_cross_entropy(Value(0.0), 0.0).data == 0.0
    assert binary_cross_entropy(Value(1.0), 1.0).data == 0.0
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        binary_cross_entropy(Value(0.5), 2.0)


@pytest.mark.parametrize("z, y, expected", [(1000.0, 1.0, 0.0), (1000.0, 0.0, 1000.0), (-1000.0, 0.0, 0.0), (-1000.0, 1.0, 1000.0), (0.0, 1.0, math.log(2.0))])
def test_bce_with_logits_is_finite_for_huge_logits(z, y, expected):
    logit = Value(z)
    loss = binary_cross_entropy_with_logits(logit, y)
    loss.backward()
    assert loss.data == pytest.approx(expected, rel=1e-15, abs=1e-300)
    sigmoid = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
    assert logit.grad == pytest.approx(sigmoid - y, abs=1e-15)


def test_bce_with_logits_equals_bce_of_sigmoid_in_the_middle():
    for z in (-3.0, -0.1, 0.7, 2.5):
        a = binary_cross_entropy_with_logits(Value(z), 0.3).data
        b = binary_cross_entropy(Value(z).sigmoid(), 0.3).data
        assert a == pytest.approx(b, rel=1e-13)


def test_hinge_loss_as_micrograd_demo():
    scores = values(2.0, 0.5, -0.25, -3.0)
    loss = hinge_loss(scores, [1, 1, -1, 1])
    expected = (0.0 + 0.5 + 0.75 + 4.0) / 4
    assert loss.data == expected
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, -0.25]
    assert hinge_loss(values(2.0, 0.5, -0.25, -3.0), [1, 1, 0, 1]).data == expected  # 0 reads as -1
    with pytest.raises(ValueError, match="label 1 must be -1 or 1"):
        hinge_loss(values(1.0, 2.0), [1, 2])
    with pytest.raises(TypeError, match=r"label 1 must be a number, -1 or 1 .*got str \('1'\)"):
        hinge_loss(values(1.0, 2.0), [1, "1"])


def test_penalties_over_a_model_or_a_list():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"L1.N1.w1": -3.0, "L1.N1.b": 2.0})
    assert l2_penalty(model).data == 13.0
    assert l2_penalty(model.parameters(), 0.5).data == 6.5
    assert l1_penalty(model, 0.1).data == pytest.approx(0.5, rel=1e-15)
    penalty = l1_penalty(model)
    penalty.backward()
    assert [p.grad for p in model.parameters()] == [-1.0, 1.0]
    with pytest.raises(ValueError, match="at least one parameter"):
        l2_penalty([])
    with pytest.raises(TypeError, match="parameter 0 is not a Value"):
        l1_penalty([1.0])


def test_losses_by_name():
    assert get_loss("hinge") is hinge_loss and get_loss(mse_loss) is mse_loss
    with pytest.raises(ValueError, match="^loss must be one of mse, bce, bce_with_logits, cross_entropy, hinge; got 'huber'$"):
        get_loss("huber")
    with pytest.raises(TypeError, match="^loss must be a str, one of mse, .*; got int$"):
        get_loss(3)


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
@pytest.mark.parametrize("alpha", [-0.1, -1, -math.inf, math.nan, math.inf])
def test_penalty_strength_must_be_a_finite_number_at_least_zero(penalty, alpha):
    # -0.1 used to give a negative penalty: "regularisation" that rewards big weights.
    with pytest.raises(ValueError, match=rf"^alpha must be a finite number >= 0, got {alpha!r}$"):
        penalty([Value(3.0)], alpha)


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
@pytest.mark.parametrize("alpha, kind", [("0.1", "str"), (True, "bool"), (None, "NoneType"), ([0.1], "list")])
def test_penalty_strength_must_be_a_real_number(penalty, alpha, kind):
    with pytest.raises(TypeError, match=rf"^alpha must be a real number, got {kind} "):
        penalty([Value(3.0)], alpha)


def test_penalty_strength_zero_and_ints_are_accepted():
    assert l2_penalty([Value(3.0)], 0).data == 0.0
    assert l2_penalty([Value(3.0)], 2).data == 18.0
    assert l1_penalty([Value(-3.0)], 0.0).data == 0.0


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalties_refuse_parameters_without_an_order(penalty):
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"^parameters must be an ordered sequence .* not set"):
        penalty({a, b})
    with pytest.raises(TypeError, match=r"^parameters must be an ordered sequence .* not dict_values"):
        penalty({"a": a, "b": b}.values())


def test_total_and_mean_refuse_sets():
    from nn.functional import mean, total

    # a set of Values sums in id() order (and drops a repeated Value): the graph changes run to run.
    with pytest.raises(TypeError, match="not set"):
        total({Value(1.0), Value(2.0)})
    with pytest.raises(TypeError, match="not frozenset"):
        mean(frozenset({Value(1.0), Value(2.0)}))
    assert total(v for v in (Value(1.0), Value(2.0))).data == 3.0


@pytest.mark.parametrize("probability", [1.5, -0.25, 1.0000000000000002, math.nan, math.inf])
def test_binary_cross_entropy_refuses_probabilities_outside_zero_one(probability):
    # log(1 - 1.5) was a silent nan; torch raises "all elements of input should be between 0 and 1".
    predictions = [Value(0.5), Value(0.25), Value(probability)]
    with pytest.raises(ValueError, match=rf"probability 2 must lie in \[0, 1\], got {probability!r}"):
        binary_cross_entropy(predictions, [1.0, 0.0, 1.0])


@pytest.mark.parametrize("target", [1.5, -0.5])
def test_binary_cross_entropy_refuses_targets_outside_zero_one(target):
    with pytest.raises(ValueError, match=rf"binary target 1 must lie in \[0, 1\], got {target!r}"):
        binary_cross_entropy([Value(0.5), Value(0.25)], [1.0, target])
    with pytest.raises(ValueError, match="target 1 must be finite"):
        binary_cross_entropy([Value(0.5), Value(0.25)], [1.0, math.nan])


def test_binary_cross_entropy_accepts_the_closed_interval():
    loss = binary_cross_entropy([Value(0.0), Value(1.0), Value(0.5)], [0.0, 1.0, 0.5])
    assert loss.data == pytest.approx(math.log(2.0) / 3, rel=1e-15)
