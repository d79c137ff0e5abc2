"""The training loop: ``fit`` and the ``History`` it returns.

One step is the articles' recipe: forward a batch, compute the loss (plus
any L1 / L2 penalty), zero the gradients, backward, let the optimiser update
the parameters. The batch size picks the articles' three variants:

* ``batch_size=None`` — (full-batch) gradient descent: one step per epoch;
* ``batch_size=1`` — stochastic gradient descent: one step per sample;
* ``batch_size=k`` — mini-batch gradient descent.

An epoch's loss (including any penalty) and accuracy are the averages,
weighted by batch size, of the values measured on each batch before its
update (for full batch this is exactly micrograd's demo printout).
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Sequence, Union

from autograd import CompiledProgram, Value, no_grad
from autograd import compile as compile_graph
from autograd.i18n import Catalogue
from autograd.validation import instance, integer, real

from . import losses
from .data import batches, check_batching
from .functional import in_row, is_list_like
from .names import current as current_naming
from .losses import Loss, signed_label
from .module import History, Module, Output, Sample, Target
from .optim import SGD, Optimizer

__all__ = [
    "History",
    "fit",
    "evaluate",
    "ACCURACY_OF_LOSS",
    "sign_accuracy",
    "probability_accuracy",
    "logit_accuracy",
    "argmax_accuracy",
]

#: An accuracy: (the model's outputs, the labels) -> the fraction right.
Accuracy = Callable[[Sequence[Output], Sequence[Target]], float]


# --- accuracy, chosen from the loss -------------------------------------------------------


def _score(output: Output | float) -> float:
    if isinstance(output, Value):
        return output.data
    if isinstance(output, (list, tuple)) and len(output) == 1:
        return _score(output[0])
    if isinstance(output, (int, float)):
        return float(output)
    raise ValueError("a binary accuracy needs one output per sample")


def _number(label: Target) -> float:
    """A label as a float: a Value's data (the losses take Value targets too), else the number."""
    return label.data if isinstance(label, Value) else float(label)  # type: ignore[arg-type]


def sign_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of samples whose score has the label's sign (labels +-1, or 0/1)."""
    hits = sum((_score(out) > 0.0) == (signed_label(label, i) > 0.0) for i, (out, label) in enumerate(zip(outputs, labels)))
    return hits / len(outputs)


def probability_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of samples where the probability output is on the label's side of 0.5."""
    hits = sum((_score(out) > 0.5) == (_number(label) > 0.5) for out, label in zip(outputs, labels))
    return hits / len(outputs)


def logit_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of samples where the logit is on the label's side of 0."""
    hits = sum((_score(out) > 0.0) == (_number(label) > 0.5) for out, label in zip(outputs, labels))
    return hits / len(outputs)


def argmax_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of samples whose largest output is the label's class (index or one-hot)."""
    hits = 0
    for out, label in zip(outputs, labels):
        if isinstance(out, Value):
            raise TypeError("argmax_accuracy takes one output per class for each sample, got a single Value")
        scores = [v.data if isinstance(v, Value) else float(v) for v in out]
        predicted = max(range(len(scores)), key=scores.__getitem__)
        if isinstance(label, (list, tuple)):
            one_hot = [_number(entry) for entry in label]
            label = max(range(len(one_hot)), key=one_hot.__getitem__)
        hits += predicted == int(_number(label))
    return hits / len(outputs)


#: The accuracy ``fit`` reports for each classification loss.
ACCURACY_OF_LOSS: dict[Loss, Accuracy] = {
    losses.hinge_loss: sign_accuracy,
    losses.binary_cross_entropy: probability_accuracy,
    losses.binary_cross_entropy_with_logits: logit_accuracy,
    losses.cross_entropy: argmax_accuracy,
}


# --- the loop -----------------------------------------------------------------------------


def _objective(
    model: Module, loss_fn: Loss, X: Sequence[Sample], y: Sequence[Target], l1: float, l2: float
) -> tuple[Value, list[Output]]:
    """(loss including penalties, outputs) for one batch."""
    outputs = model.forward_batch(X)
    objective = loss_fn(outputs, y)
    if l1:
        objective = objective + losses.l1_penalty(model, l1)
    if l2:
        objective = objective + losses.l2_penalty(model, l2)
    return objective, outputs


def evaluate(
    model: Module,
    X: Sequence[Sample],
    y: Sequence[Target],
    loss: Union[str, Loss],
    accuracy: Union[Accuracy, None, bool] = None,
) -> tuple[float, float | None]:
    """(loss, accuracy or None) on (X, y) in eval mode without a graph; modes are restored."""
    loss_fn = losses.get_loss(loss)
    metric = _metric(loss_fn, accuracy)
    with model.eval_mode(), no_grad():
        outputs = model.forward_batch(X)
        value = loss_fn(outputs, y).data
    return value, (metric(outputs, y) if metric else None)


def _metric(loss_fn: Loss, accuracy: Union[Accuracy, None, bool]) -> Accuracy | None:
    if accuracy is False:
        return None
    if accuracy is None or accuracy is True:
        return ACCURACY_OF_LOSS.get(loss_fn)
    if not callable(accuracy):
        raise TypeError("accuracy must be a callable(outputs, labels) -> float, None or False")
    return accuracy


def _check_smallest_batch(model: Module, samples: int, batch_size: int | None) -> None:
    """Refuse up front a batch size that would hand a module fewer samples than it needs.

    Each module says how many it needs in train mode (``min_batch_size``: batch norm 2).
    """
    needy = max(model.modules(), key=lambda module: module.min_batch_size)
    if batch_size is None or batch_size >= samples:
        smallest = samples
    else:
        smallest = min(batch_size, samples % batch_size or batch_size)
    if smallest < needy.min_batch_size:
        raise ValueError(
            f"the model holds a {type(needy).__name__}, which needs at least {needy.min_batch_size} "
            f"samples per batch, but batch_size={batch_size} with {samples} samples makes a batch of "
            f"{smallest}; choose another batch size"
        )


# --- compiled steps -----------------------------------------------------------------------

#: The losses ``fit(compile=True)`` runs, each with how a target becomes its leaf's number:
#: their graphs depend on nothing but the batch size (the targets enter as leaves).
COMPILABLE_LOSSES: dict[Loss, Callable[[Target, int], float]] = {
    losses.mse_loss: lambda target, index: float(target),  # type: ignore[arg-type]  # a number, or float() refuses it
    losses.hinge_loss: signed_label,
}


class _CompiledSteps:
    """``fit``'s steps through ``autograd.compile``: one program per batch size.

    Each program is recorded from a graph whose inputs and targets are leaves
    (in their rows, as ``forward_batch`` and the loss build them), so the
    next batch of that size passes its numbers to the same program.
    """

    def __init__(self, model: Module, loss_fn: Loss, l1: float, l2: float, X: Sequence[Sample]) -> None:
        if loss_fn not in COMPILABLE_LOSSES:
            names = ", ".join(name for name, known in losses.LOSSES.items() if known in COMPILABLE_LOSSES)
            raise ValueError(
                f"fit(compile=True) runs the losses {names}: the graph of "
                f"{getattr(loss_fn, '__name__', 'this loss')} depends on the data (branches on the "
                "targets or the outputs), not only on the batch size; use compile=False"
            )
        for name, module in model.named_modules():
            if not module.compilable:
                raise ValueError(
                    f"fit(compile=True) cannot run {type(module).__name__} {name or '(the model)'}: its graph "
                    "changes at every step (a new dropout mask, batch statistics); use compile=False"
                )
        self.model, self.loss_fn, self.l1, self.l2 = model, loss_fn, l1, l2
        self.parameters = model.parameters()
        self.encode = COMPILABLE_LOSSES[loss_fn]
        self.programs: dict[int, CompiledProgram] = {}
        width = len(model._inputs(X[0], 0))
        for index, sample in enumerate(X):
            values = model._inputs(sample, index)  # checks every sample once, up front
            if len(values) != width:
                raise ValueError(f"sample {index} has {len(values)} inputs, sample 0 has {width}")
        self.width = width

    def __call__(self, batch_X: Sequence[Sample], batch_y: Sequence[Target]) -> tuple[float, list[float]]:
        """(the batch's objective, its gradient for each of the model's parameters)."""
        numbers: list[float] = []
        for sample in batch_X:
            items: Sequence[Any] = sample if is_list_like(sample) else [sample]  # (not checked yet)
            numbers.extend(float(item.data if isinstance(item, Value) else item) for item in items)
        numbers.extend(self.encode(target, index) for index, target in enumerate(batch_y))
        program = self.programs.get(len(batch_X))
        if program is None:
            program = self.programs[len(batch_X)] = self._record(numbers, len(batch_X))
        return program(numbers)

    def _record(self, numbers: list[float], size: int) -> CompiledProgram:
        samples: list[list[Value]] = []
        for k in range(size):
            with in_row(k + 1):
                samples.append([Value(x, label=f"x{i + 1}")
                                for i, x in enumerate(numbers[k * self.width:(k + 1) * self.width])])
        targets = []
        for k, target in enumerate(numbers[size * self.width:], start=1):
            with in_row(k):
                targets.append(Value(target, label=current_naming().target))
        objective, _ = _objective(self.model, self.loss_fn, samples, targets, self.l1, self.l2)
        leaves = [x for sample in samples for x in sample] + targets
        return compile_graph(objective, wrt=self.parameters, inputs=leaves)

    def store(self, gradients: list[float]) -> None:
        """Put the program's gradients where ``backward()`` would have put them."""
        for parameter, gradient in zip(self.parameters, gradients):
            parameter.grad = gradient


def fit(
    model: Module,
    X: Sequence[Sample],
    y: Sequence[Target],
    loss: Union[str, Loss] = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle_seed: int | None = 0,
    verbose: bool = True,
    l1: float = 0.0,
    l2: float = 0.0,
    accuracy: Union[Accuracy, None, bool] = None,
    validation_data: tuple[Sequence[Sample], Sequence[Target]] | None = None,
    callback: Callable[[int, History], object] | None = None,
    compile: bool = False,
) -> History:
    """Train ``model`` on (X, y) and return the per-epoch ``History``.

    * ``loss``: a loss function of (outputs, targets) or its name (``nn.losses.LOSSES``);
    * ``optimizer``: default ``SGD(model.parameters(), lr=0.05)``;
    * ``batch_size``: None = full-batch gradient descent, 1 = SGD, k = mini-batches;
    * ``shuffle_seed``: seeds the order of the samples in each epoch (None: no shuffling);
    * ``verbose``: a tqdm progress bar showing the running loss (False: silent);
    * ``l1``, ``l2``: strengths of the L1 / L2 penalties added to the loss;
    * ``accuracy``: a callable(outputs, labels) -> float; None picks the one that
      fits the loss (hinge, binary cross-entropies, cross-entropy; none for MSE);
      False disables it;
    * ``validation_data``: (X_val, y_val), evaluated after each epoch in eval mode;
    * ``callback(epoch, history)``: called after each epoch (epoch from 1);
    * ``compile``: run each step through ``autograd.compile``: the batch's
      graph is recorded once per batch size (inputs and targets as leaves,
      so later batches reuse the program) and the History is the same, bit
      for bit, as without it. For the losses mse and hinge (whose graphs
      depend on nothing but the batch size) and models without Dropout or
      BatchNorm (their graphs change at every step); others are refused.

    A loss that becomes nan or inf stops training with a FloatingPointError
    naming the epoch and batch; the parameters are left as they were before
    that batch's update.
    """
    loss_fn = losses.get_loss(loss)
    integer(epochs, "epochs", minimum=0)
    check_batching(X, y, batch_size)  # up front: batches() checks only once an epoch starts
    if shuffle_seed is not None:
        integer(shuffle_seed, "shuffle_seed")
    l1 = real(l1, "l1", low=0.0)
    l2 = real(l2, "l2", low=0.0)
    metric = _metric(loss_fn, accuracy)
    _check_smallest_batch(model, len(X), batch_size)
    instance(compile, "compile", bool)
    steps_of = _CompiledSteps(model, loss_fn, l1, l2, X) if compile else None
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=0.05)
    history = History()
    shuffler = random.Random(shuffle_seed) if shuffle_seed is not None else None

    from tqdm.auto import tqdm

    _ = Catalogue("nn").gettext
    loss_key, accuracy_key, val_loss_key = _("loss"), _("acc"), _("val_loss")
    progress = tqdm(range(1, epochs + 1), disable=not verbose, unit=_("epoch"), desc=_("training"))
    try:
        for epoch in progress:
            model.train()
            loss_sum = accuracy_sum = 0.0
            seen = steps = 0
            epoch_seed = shuffler.randrange(2**32) if shuffler is not None else None
            for batch_X, batch_y in batches(X, y, batch_size, epoch_seed):
                if steps_of is None:
                    objective, outputs = _objective(model, loss_fn, batch_X, batch_y, l1, l2)
                    value = objective.data
                else:
                    value, gradients = steps_of(batch_X, batch_y)
                if not math.isfinite(value):
                    raise FloatingPointError(
                        _("training diverged: loss {value} at epoch {epoch}, batch {batch}; "
                          "try a smaller learning rate").format(value=repr(value), epoch=epoch,
                                                                batch=steps + 1)
                    )
                # The optimiser may hold only some of the model's parameters: zero the
                # model's too, or the others' gradients would pile up step after step.
                model.zero_grad()
                optimizer.zero_grad()
                if steps_of is None:
                    objective.backward()
                else:
                    steps_of.store(gradients)
                    if metric is not None:  # the same floats as the graph's outputs
                        with no_grad():
                            outputs = model.forward_batch(batch_X)
                optimizer.step()
                size = len(batch_X)
                loss_sum += value * size
                if metric is not None:
                    accuracy_sum += metric(outputs, batch_y) * size
                seen += size
                steps += 1
                if steps > 1:
                    progress.set_postfix(refresh=False, **{loss_key: f"{loss_sum / seen:.4g}"})
            history.loss.append(loss_sum / seen)
            history.steps.append(steps)
            shown = {loss_key: f"{history.loss[-1]:.4g}"}
            if metric is not None:
                history.accuracy.append(accuracy_sum / seen)
                shown[accuracy_key] = f"{history.accuracy[-1]:.3f}"
            if validation_data is not None:
                val_loss, val_accuracy = evaluate(model, validation_data[0], validation_data[1], loss_fn, metric or False)
                history.val_loss.append(val_loss)
                shown[val_loss_key] = f"{val_loss:.4g}"
                if val_accuracy is not None:
                    history.val_accuracy.append(val_accuracy)
            progress.set_postfix(shown)
            if callback is not None:
                callback(epoch, history)
    finally:
        progress.close()
    return history
