"""``Dropout(p)``: in train mode, zero each input with probability p and scale the rest.

Each kept input is multiplied by 1 / (1 - p), so the expected output equals
the input and eval mode can be the identity (PyTorch's "inverted dropout").
The mask comes from the module's own ``random.Random(seed)``: the same seed
gives the same sequence of masks, and ``last_mask`` / ``last_masks`` record
the masks of the latest call so a test or a drawing can reproduce them.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from autograd import Value
from autograd.validation import integer, real

from .functional import in_row
from .module import Config, Module


class Dropout(Module):
    """Zero each input with probability ``p`` in train mode, scaling the kept ones by 1/(1-p)."""

    _scope_kind = "layer"

    def __init__(self, p: float = 0.5, *, seed: int = 0) -> None:
        self.p = real(p, "dropout probability p", low=0.0, high=1.0)
        self.seed = integer(seed, "seed")
        self._random = random.Random(seed)
        #: The mask of the latest sample: 1.0 kept, 0.0 dropped (empty before any train call).
        self.last_mask: list[float] = []
        #: The masks of the latest ``forward_batch``, one per sample.
        self.last_masks: list[list[float]] = []

    @property
    def compilable(self) -> bool:  # type: ignore[override]
        """A new mask at every step changes the graph; only p = 0 (no mask) can be compiled."""
        return self.p == 0.0

    def reseed(self, seed: int | None = None) -> None:
        """Restart the mask sequence from ``seed`` (the constructor's seed if None)."""
        self._random = random.Random(self.seed if seed is None else integer(seed, "seed"))

    def config(self) -> Config:
        return self._config(p=self.p)

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        return 0

    def _draw_mask(self, size: int) -> list[float]:
        draw = self._random.random
        p = self.p
        return [0.0 if draw() < p else 1.0 for _ in range(size)]

    def _forward(self, inputs: list[Value]) -> list[Value]:
        if not self.training or self.p == 0.0:
            return list(inputs)
        mask = self._draw_mask(len(inputs))
        self.last_mask = mask
        self.last_masks = [mask]
        with self._scope():
            return self._apply(inputs, mask)

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        outputs = []
        masks = []
        for k, sample in enumerate(batch, start=1):
            with in_row(k):
                outputs.append(self._forward(sample))
            masks.append(self.last_mask)
        if self.training and self.p != 0.0:
            self.last_masks = masks
        return outputs

    def _apply(self, inputs: list[Value], mask: list[float]) -> list[Value]:
        """x * mask / (1 - p): one multiplication node per input (x * 0 for a dropped one)."""
        scale = 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0
        return [x * (scale * keep) for x, keep in zip(inputs, mask)]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
