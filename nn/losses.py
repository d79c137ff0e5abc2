"""Loss functions and penalties, each a mean over samples built from Values.

Every loss takes the model's outputs and the targets, sample by sample:

* ``predictions``: one output per sample — a Value (one output) or a list of
  Values — or, for a single sample, just that output;
* ``targets``: numbers (or lists of numbers) in the same arrangement.

and returns one Value, the mean over samples (and over outputs, for MSE and
the binary losses), as PyTorch's ``reduction="mean"``.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Iterable, Sequence, Union

from autograd import Value
from autograd.validation import choice, is_real, real

from .functional import Scalar, as_value, check_ordered, in_row, is_list_like, log_softmax, total
from .module import Module, Target
from .names import current as current_naming

#: One sample's output as a loss reads it: a Value (or a number), or a list of them.
Prediction = Union[Value, float, Sequence[Union[Value, float]]]
#: A loss's predictions: one per sample (``forward_batch``'s outputs), or one sample's alone.
Predictions = Union[Prediction, Sequence[Prediction]]
#: A loss's targets, arranged like its predictions.
Targets = Union[Target, Sequence[Target]]
#: A loss: (predictions, targets) -> L, the mean over samples.
Loss = Callable[[Predictions, Targets], Value]


def _target_number(y: object, where: str) -> float:
    if isinstance(y, Value):
        number = y.data
    elif is_real(y):
        number = float(y)
    else:
        raise TypeError(f"target {where} must be a number, got {type(y).__name__} ({y!r})")
    if not math.isfinite(number):
        raise ValueError(f"target {where} must be finite, got {number!r}")
    return number


#: One output, its target (a number, or a Value leaf that holds it) and its row (None: not in a batch).
Pair = tuple[Value, Union[float, Value], Union[int, None]]


def _pair(prediction: Scalar, target: object, where: str, row: int | None) -> Pair:
    number = _target_number(target, where)
    return as_value(prediction, f"prediction {where}"), target if isinstance(target, Value) else number, row


def _pairs(predictions: Predictions, targets: Targets) -> list[Pair]:
    """(output, target, row) for every output of every sample, checking the shapes agree.

    Sample i of a list is row i + 1; a single prediction has no row.
    """
    if isinstance(predictions, Value) or is_real(predictions):
        if is_list_like(targets) and len(targets) == 1:
            targets = targets[0]
        return [_pair(predictions, targets, "0", None)]
    if not is_list_like(predictions):
        raise TypeError(f"predictions must be a Value or a list, got {type(predictions).__name__}")
    if not is_list_like(targets):
        raise TypeError(f"targets must be a list like the predictions, got {type(targets).__name__}")
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets")
    if len(predictions) == 0:
        raise ValueError("a loss needs at least one prediction")
    pairs = []
    for i, (prediction, target) in enumerate(zip(predictions, targets)):
        if isinstance(prediction, Value) or is_real(prediction):
            if is_list_like(target) and len(target) == 1:
                target = target[0]
            pairs.append(_pair(prediction, target, str(i), i + 1))
            continue
        if not is_list_like(target):
            raise TypeError(
                f"sample {i}: {len(prediction)} outputs but the target is {type(target).__name__} "
                f"({target!r}), not a list of {len(prediction)} numbers"
            )
        if len(prediction) != len(target):
            raise ValueError(f"sample {i}: {len(prediction)} outputs but {len(target)} targets")
        for k, (output, value) in enumerate(zip(prediction, target)):
            pairs.append(_pair(output, value, f"{i}[{k}]", i + 1))
    return pairs


def _target_leaf(target: Union[float, Value]) -> Value:
    """The target as a leaf labelled ``y`` (the naming table's; a Value given as the target is used as it is)."""
    return target if isinstance(target, Value) else Value(target, label=current_naming().target)


def _mean_loss(terms: list[Value], kind: str = "") -> Value:
    """L = (1/n) sum of the terms, labelled ``L`` (``MSE`` for kind "mse" under the ice-cream table).

    One term is L itself (no ``/ 1``).
    """
    summed = total(terms)
    loss = summed if len(terms) == 1 else summed / len(terms)
    loss.label = current_naming().loss_name(kind)
    return loss


def mse_loss(predictions: Predictions, targets: Targets) -> Value:
    """Mean squared error: L = (1/N) sum e^2 over all N outputs, with the error e = ŷ - y.

    Each sample's target is a leaf labelled ``y``, its error ``e``, both in the
    sample's row (the names of the table ``nn.naming`` chose: under "ice-cream"
    e = r̂ - r and the loss is ``MSE``).
    """
    terms = []
    error_name = current_naming().error
    for prediction, target, row in _pairs(predictions, targets):
        with in_row(row):
            error = prediction - _target_leaf(target)
            error.label = error_name
            terms.append(error ** 2)
    return _mean_loss(terms, "mse")


def _check_probability_target(y: float, index: int) -> None:
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary target {index} must lie in [0, 1], got {y!r}")


def binary_cross_entropy(probabilities: Predictions, targets: Targets) -> Value:
    """-(1/N) sum [y log p + (1 - y) log(1 - p)], from probabilities p (e.g. sigmoid outputs).

    A target of exactly 0 or 1 keeps only its own term, so p = 0 with y = 0
    costs 0 rather than 0 * log 0 = nan. A confidently wrong p (0 or 1) costs
    inf; prefer ``binary_cross_entropy_with_logits`` for stability. A
    probability or a target outside [0, 1] (or nan) raises ValueError naming
    its index, as PyTorch refuses them, rather than returning nan.
    """
    terms = []
    for index, (p, target, row) in enumerate(_pairs(probabilities, targets)):
        y = _target_number(target, str(index))
        _check_probability_target(y, index)
        if not 0.0 <= p.data <= 1.0:  # as torch: log of a negative number would be a silent nan
            raise ValueError(
                f"binary_cross_entropy: probability {index} must lie in [0, 1], got {p.data!r}; "
                "use a sigmoid output, or binary_cross_entropy_with_logits on raw scores"
            )
        with in_row(row):
            if y == 1.0:
                terms.append(-p.log())
            elif y == 0.0:
                terms.append(-(1.0 - p).log())
            else:
                terms.append(-(y * p.log() + (1.0 - y) * (1.0 - p).log()))
    return _mean_loss(terms)


def binary_cross_entropy_with_logits(logits: Predictions, targets: Targets) -> Value:
    """Binary cross-entropy of sigmoid(z), computed from the logit z without overflow.

    Per output: softplus(z) - y z, written so that exp never sees a positive
    argument: z (1 - y) + log(1 + exp(-z)) for z >= 0, and
    -y z + log(1 + exp(z)) for z < 0. Both forms have derivative sigmoid(z) - y,
    so logits of +-1000 give finite losses and exact gradients.
    """
    terms = []
    for index, (z, target, row) in enumerate(_pairs(logits, targets)):
        y = _target_number(target, str(index))
        _check_probability_target(y, index)
        with in_row(row):
            # A factor that would be 1 is left out (z * 1 is z, to the bit).
            if z.data >= 0.0:
                softplus = ((-z).exp() + 1.0).log()
                terms.append((z if y == 0.0 else z * (1.0 - y)) + softplus)
            else:
                softplus = (z.exp() + 1.0).log()
                terms.append(softplus - (z if y == 1.0 else z * y))
    return _mean_loss(terms)


def _class_index(target: object, classes: int, index: int) -> int | None:
    """The target as a class index, or None if it is a vector of class weights."""
    if isinstance(target, bool):
        raise TypeError(f"target {index} is a bool; use a class index (int) or a one-hot list")
    if isinstance(target, numbers.Integral):
        class_index = int(target)
        if not 0 <= class_index < classes:
            raise ValueError(f"target {index} is class {target}, but there are {classes} classes (0..{classes - 1})")
        return class_index
    if isinstance(target, float) and target.is_integer():
        return _class_index(int(target), classes, index)
    return None


def cross_entropy(logits: Predictions, targets: Targets) -> Value:
    """Softmax cross-entropy from logits: mean over samples of -sum_k y_k log softmax(z)_k.

    ``logits`` is one sample's list of logits or a list of such lists;
    ``targets`` the matching class index (int) or target vector (one-hot or
    probabilities) per sample. The gradient with respect to a sample's logits
    is (softmax(z) - y) / number of samples. Stable for logits of +-1000.
    """
    if not is_list_like(logits):
        raise TypeError(f"cross_entropy expects a list of logits (or of lists of logits), got {type(logits).__name__}")
    if len(logits) == 0:
        raise ValueError("cross_entropy expects a non-empty list of logits (or of lists of logits)")
    single = isinstance(logits[0], Value) or is_real(logits[0])
    batch = [logits] if single else list(logits)
    labels = [targets] if single else targets
    if not is_list_like(labels):
        raise TypeError(f"targets must be a list, got {type(labels).__name__}")
    if len(batch) != len(labels):
        raise ValueError(f"{len(batch)} samples of logits but {len(labels)} targets")
    losses = []
    for i, (sample, target) in enumerate(zip(batch, labels)):
        if not is_list_like(sample):
            raise TypeError(f"sample {i}: logits must be a list of Values or numbers")
        with in_row(None if single else i + 1):
            losses.append(_sample_cross_entropy(sample, target, i))
    return _mean_loss(losses)


def _sample_cross_entropy(logits: Sequence[Union[Value, float]], target: object, i: int) -> Value:
    """-sum_k y_k log softmax(z)_k for one sample (a class index picks one term)."""
    log_probabilities = log_softmax(logits)
    classes = len(log_probabilities)
    index = _class_index(target, classes, i)
    if index is not None:
        return -log_probabilities[index]
    if not is_list_like(target) or len(target) != classes:
        kind = ValueError if is_real(target) or is_list_like(target) else TypeError
        raise kind(f"target {i} must be a class index or a list of {classes} numbers, got {target!r}")
    weights = [_target_number(w, f"{i}[{k}]") for k, w in enumerate(target)]
    # A weight of 1 (one-hot) takes the log-probability itself: no "× 1" node.
    terms = [lp if w == 1.0 else w * lp for w, lp in zip(weights, log_probabilities) if w != 0.0]
    if not terms:
        raise ValueError(f"target {i} is all zeros; a target vector needs some weight")
    return -total(terms)


def signed_label(label: object, index: int) -> float:
    """A binary label as +1.0 / -1.0: 1 is positive, -1 and 0 are negative."""
    if not is_real(label):
        raise TypeError(f"label {index} must be a number, -1 or 1 (0 is read as -1), got {type(label).__name__} ({label!r})")
    if label == 1:
        return 1.0
    if label == -1 or label == 0:
        return -1.0
    raise ValueError(f"label {index} must be -1 or 1 (0 is read as -1), got {label!r}")


def hinge_loss(scores: Predictions, labels: Targets) -> Value:
    """SVM max-margin loss, micrograd's demo: mean of relu(1 - y * score), labels y = +-1.

    Labels 0/1 (as the data generators give) are accepted: 0 counts as -1.
    Each label becomes a leaf ``y`` holding +-1 (a Value label must already
    hold +1 or -1), so one graph serves every labelling of a batch.
    """
    single = isinstance(scores, Value) or is_real(scores)
    batch_scores = [scores] if single else scores
    batch_labels = [labels] if single else labels
    if not is_list_like(batch_scores):
        raise TypeError(f"hinge_loss expects a list of scores, got {type(batch_scores).__name__}")
    if len(batch_scores) == 0:
        raise ValueError("hinge_loss expects a non-empty list of scores")
    if not is_list_like(batch_labels):
        raise TypeError(f"labels must be a list, got {type(batch_labels).__name__}")
    if len(batch_scores) != len(batch_labels):
        raise ValueError(f"{len(batch_scores)} scores but {len(batch_labels)} labels")
    margins = []
    for i, (score, label) in enumerate(zip(batch_scores, batch_labels)):
        if is_list_like(score) and len(score) == 1:
            score = score[0]
        score = as_value(score, f"score {i}")
        if isinstance(label, Value) and label.data not in (1.0, -1.0):
            raise ValueError(f"label {i} is a Value holding {label.data!r}; a hinge label Value must hold 1.0 or -1.0")
        with in_row(None if single else i + 1):
            y = label if isinstance(label, Value) else Value(signed_label(label, i), label=current_naming().target)
            # y = +-1, so y * score is exactly +-score: the numbers of 1 - score and 1 + score.
            margins.append((1.0 - y * score).relu())
    return _mean_loss(margins)


def _parameter_list(parameters: Union[Module, Iterable[Value]]) -> list[Value]:
    listed = getattr(parameters, "parameters", None)  # a Module's, or any model's that lists them
    if hasattr(type(parameters), "parameters") and callable(listed):
        parameters = listed()
    check_ordered(parameters, "parameters")
    values = list(parameters)
    if not values:
        raise ValueError("a penalty needs at least one parameter")
    for i, p in enumerate(values):
        if not isinstance(p, Value):
            raise TypeError(f"parameter {i} is not a Value: {type(p).__name__}")
    return values


def l1_penalty(parameters: Union[Module, Iterable[Value]], alpha: float = 1.0) -> Value:
    """alpha * sum |w| over the parameters (a Module or an iterable of Values): pushes weights to 0."""
    alpha = real(alpha, "alpha", low=0.0)
    penalty = total(p.abs() for p in _parameter_list(parameters))
    return penalty if alpha == 1.0 else alpha * penalty


def l2_penalty(parameters: Union[Module, Iterable[Value]], alpha: float = 1.0) -> Value:
    """alpha * sum w^2 over the parameters (a Module or an iterable of Values): keeps weights small."""
    alpha = real(alpha, "alpha", low=0.0)
    penalty = total(p * p for p in _parameter_list(parameters))
    return penalty if alpha == 1.0 else alpha * penalty


#: Every loss by the name the command line and ``fit(loss="...")`` accept.
LOSSES: dict[str, Loss] = {
    "mse": mse_loss,
    "bce": binary_cross_entropy,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


def get_loss(loss: Union[str, Loss]) -> Loss:
    """A loss function given itself or its name (one of ``LOSSES``)."""
    if callable(loss):
        return loss
    return LOSSES[choice(loss, "loss", LOSSES)]
