"""When each node's gradient changes during backward: the stepper's clock.

For a loss, the steps of a fresh backward pass (``backward_steps``) give, for
every node, the step that processes it, the steps that add to its gradient,
and so its gradient at any step and whether it is still *pending* (nothing
received yet), *partial* (some uses still to come) or *done* (final).
"""

from __future__ import annotations

import bisect
from typing import Union

from ..value import Value
from .snapshot import Snapshot
from .steps import BackwardStep

BEFORE_FIRST_STEP = -1


class Timeline:
    """The steps of backward over ``loss`` and every node's gradient at every step."""

    def __init__(self, loss: Union[Value, Snapshot]) -> None:
        snapshot = Snapshot.of(loss, "loss")
        self.snapshot = snapshot
        self.loss = loss = snapshot.root
        self.steps: list[BackwardStep] = snapshot.steps
        self.step_of: dict[int, int] = {}
        # Per node: the steps that change its grad and the grad after each.
        self.change_steps: dict[int, list[int]] = {id(loss): [BEFORE_FIRST_STEP]}
        self.change_grads: dict[int, list[float]] = {id(loss): [1.0]}
        for step in self.steps:
            self.step_of[id(step.node)] = step.index
            for contribution in step.contributions:
                key = id(contribution.input)
                self.change_steps.setdefault(key, []).append(step.index)
                self.change_grads.setdefault(key, []).append(contribution.grad_after)
        self.final_grads = {key: grads[-1] for key, grads in self.change_grads.items()}
        for node in snapshot.order:
            self.final_grads.setdefault(id(node), 0.0)

    def __len__(self) -> int:
        return len(self.steps)

    def first_at(self, node: Value) -> int:
        """The step that first adds to the node's grad (-1 for the loss's initial gradient)."""
        steps = self.change_steps.get(id(node))
        return steps[0] if steps else len(self.steps)

    def final_at(self, node: Value) -> int:
        """The step after which the node's grad is final (-1 for the loss)."""
        steps = self.change_steps.get(id(node))
        return steps[-1] if steps else len(self.steps)

    def grad_at(self, node: Value, index: int) -> float:
        """The node's grad once step ``index`` is done (0 before anything reached it)."""
        key = id(node)
        steps = self.change_steps.get(key)
        if not steps:
            return 0.0
        position = bisect.bisect_right(steps, index) - 1
        return self.change_grads[key][position] if position >= 0 else 0.0

    def grads_at(self, index: int) -> dict[int, float]:
        """Every node's grad once step ``index`` is done, by ``id(node)``."""
        return {id(node): self.grad_at(node, index) for node in self.snapshot.order}

    def text(self, index: int) -> str:
        """What step ``index`` computes, as the stepper shows it under the graph."""
        names = self.snapshot.names
        if not self.steps:
            return (f"{names(self.loss)} is a leaf: backward has no steps; "
                    f"its grad is the initial gradient, 1.")
        return self.steps[index].text(names, len(self.steps))
