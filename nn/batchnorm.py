"""``BatchNorm``: normalise each feature over a mini-batch, then scale and shift.

In train mode, for feature j over the n samples of the batch::

    mean_j = (1/n) sum_i x_ij
    var_j  = (1/n) sum_i (x_ij - mean_j)^2           (biased, as PyTorch's forward)
    y_ij   = gamma_j * (x_ij - mean_j) / sqrt(var_j + eps) + beta_j

all built from Values, so the gradient flows through the batch statistics
exactly as in PyTorch's ``BatchNorm1d``. The running statistics are updated
as PyTorch does (with the unbiased variance, n/(n-1) var_j)::

    running_mean_j = (1 - momentum) running_mean_j + momentum mean_j
    running_var_j  = (1 - momentum) running_var_j  + momentum var_j n/(n-1)

and eval mode uses them as constants: y = gamma (x - running_mean) /
sqrt(running_var + eps) + beta, one sample at a time.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from autograd import Value, no_grad
from autograd.validation import integer, real

from .functional import in_row, total
from .module import Config, Module, config_size


class BatchNorm(Module):
    """Batch normalisation of ``num_features`` features (PyTorch's ``BatchNorm1d``).

    Parameters ``gamma1..gammaN`` (start at 1) and ``beta1..betaN`` (start at
    0); buffers ``running_mean1..N`` (start at 0) and ``running_var1..N``
    (start at 1), saved with the state. In train mode a batch needs at
    least 2 samples (``min_batch_size``).
    """

    _scope_kind = "layer"

    min_batch_size = 2
    compilable = False  # the running statistics are updated while the graph is built

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.num_features = integer(num_features, "num_features", minimum=1)
        self.nin = self.num_features
        self.eps = real(eps, "eps", low=0.0)
        if self.eps == 0.0:
            raise ValueError("eps must be > 0 (it keeps 1/sqrt(var + eps) finite), got 0.0")
        self.momentum = real(momentum, "momentum", low=0.0, high=1.0)
        self.gamma = [Value(1.0) for _ in range(num_features)]
        self.beta = [Value(0.0) for _ in range(num_features)]
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features
        self._assign_name("")

    def _own_parameters(self) -> list[tuple[str, Value]]:
        return [(f"gamma{j}", g) for j, g in enumerate(self.gamma, start=1)] + [
            (f"beta{j}", b) for j, b in enumerate(self.beta, start=1)
        ]

    def _own_buffers(self) -> list[tuple[str, float]]:
        return [(f"running_mean{j}", m) for j, m in enumerate(self.running_mean, start=1)] + [
            (f"running_var{j}", v) for j, v in enumerate(self.running_var, start=1)
        ]

    def _set_buffer(self, key: str, value: float) -> None:
        for stem, store in (("running_mean", self.running_mean), ("running_var", self.running_var)):
            if key.startswith(stem) and key[len(stem):].isdigit():
                store[int(key[len(stem):]) - 1] = value
                return
        raise KeyError(key)

    def _buffer_problem(self, key: str, value: float) -> str | None:
        if key.startswith("running_var") and value < 0.0:
            return "a variance cannot be negative"
        return None

    def config(self) -> Config:
        return self._config(num_features=self.num_features, eps=self.eps, momentum=self.momentum)

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        return 4 * config_size(config, "num_features", where)  # gamma, beta; running mean, running var

    def _label(self, what: str, feature: int) -> str:
        return f"{self.name}.{what}{feature}" if self.name else f"{what}{feature}"

    # --- forward --------------------------------------------------------------------------

    def _forward(self, inputs: list[Value]) -> list[Value]:
        if self.training:
            raise ValueError(
                "BatchNorm in train mode normalises over a mini-batch: call forward_batch "
                "with at least 2 samples (fit does), or switch to eval mode"
            )
        return self._normalised([inputs], rows=False)[0]

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        if self.training and len(batch) < self.min_batch_size:
            raise ValueError(
                f"BatchNorm in train mode needs a batch of at least {self.min_batch_size} samples, "
                f"got {len(batch)}"
            )
        return self._normalised(batch, rows=True)

    def _normalised(self, batch: list[list[Value]], rows: bool) -> list[list[Value]]:
        """The batch normalised feature by feature; sample k's nodes carry row k (the statistics none)."""
        columns = []
        with self._scope():
            for j in range(self.num_features):
                column = [sample[j] for sample in batch]
                if self.training:
                    column = self._normalise_with_batch_statistics(column, j, rows)
                else:
                    column = self._normalise_with_running_statistics(column, j, rows)
                gamma, beta = self.gamma[j], self.beta[j]
                normalised = []
                for k, x_hat in enumerate(column, start=1):
                    with in_row(k if rows else None):
                        normalised.append(gamma * x_hat + beta)
                columns.append(normalised)
        return [list(row) for row in zip(*columns)]

    def _normalise_with_batch_statistics(self, column: list[Value], j: int, rows: bool) -> list[Value]:
        n = len(column)
        mean = total(column) / n
        mean.label = self._label("mean", j + 1)
        centered = []
        for k, x in enumerate(column, start=1):
            with in_row(k if rows else None):
                centered.append(x - mean)
        squares = []
        for k, c in enumerate(centered, start=1):
            with in_row(k if rows else None):
                squares.append(c * c)
        variance = total(squares) / n
        variance.label = self._label("var", j + 1)
        std = (variance + self.eps).sqrt()
        with no_grad():
            m = self.momentum
            self.running_mean[j] = (1.0 - m) * self.running_mean[j] + m * mean.data
            unbiased = variance.data * n / (n - 1)
            self.running_var[j] = (1.0 - m) * self.running_var[j] + m * unbiased
        shown = []
        for k, c in enumerate(centered, start=1):
            with in_row(k if rows else None):
                shown.append(c / std)
        return shown

    def _normalise_with_running_statistics(self, column: list[Value], j: int, rows: bool) -> list[Value]:
        std = math.sqrt(self.running_var[j] + self.eps)
        mean = self.running_mean[j]
        normalised = []
        for k, x in enumerate(column, start=1):
            with in_row(k if rows else None):
                normalised.append((x - mean) / std)
        return normalised

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features}, eps={self.eps}, momentum={self.momentum})"
