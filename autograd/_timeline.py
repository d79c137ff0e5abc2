"""When each node's gradient changes during backward: the stepper's clock.

For a loss, the steps of a fresh backward pass (``backward_steps``) give, for
every node, the step that processes it, the steps that add to its gradient,
and so its state at any step: *pending* (nothing received yet), *partial*
(some uses still to come) or *done* (its gradient is final).
"""

from __future__ import annotations

import bisect

from ._text import Names
from .graph import topological_order
from .steps import BackwardStep, backward_steps
from .value import Value

BEFORE_FIRST_STEP = -1


class Timeline:
    """The steps of backward over ``loss`` and every node's gradient at every step."""

    def __init__(self, loss: Value) -> None:
        self.loss = loss
        self.order = topological_order(loss)
        self.ids = {id(node): f"n{index}" for index, node in enumerate(self.order)}
        self.names = Names(self.ids)
        self.steps: list[BackwardStep] = backward_steps(loss)
        self.step_of: dict[int, int] = {}
        # Per node: the steps that change its grad and the grad after each.
        self.change_steps: dict[int, list[int]] = {id(loss): [BEFORE_FIRST_STEP]}
        self.change_grads: dict[int, list[float]] = {id(loss): [1.0]}
        self.receivers: list[list[Value]] = []
        for step in self.steps:
            self.step_of[id(step.node)] = step.index
            receivers = []
            for contribution in step.contributions:
                key = id(contribution.input)
                self.change_steps.setdefault(key, []).append(step.index)
                self.change_grads.setdefault(key, []).append(contribution.grad_after)
                receivers.append(contribution.input)
            self.receivers.append(receivers)
        self.final_grads = {key: grads[-1] for key, grads in self.change_grads.items()}
        for node in self.order:
            self.final_grads.setdefault(id(node), 0.0)

    def __len__(self) -> int:
        return len(self.steps)

    def first_at(self, node: Value) -> int:
        """The step that first adds to the node's grad (-1 for the loss's seed)."""
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
        return {id(node): self.grad_at(node, index) for node in self.order}

    def state(self, node: Value, index: int) -> str:
        """``pending``, ``partial`` or ``done``: how much of the node's grad exists at step ``index``."""
        if self.final_at(node) <= index:
            return "done"
        if self.first_at(node) <= index:
            return "partial"
        return "pending"

    def text(self, index: int) -> str:
        """What step ``index`` computes, as the stepper shows it under the graph."""
        if not self.steps:
            return (f"{self.names(self.loss)} is a leaf: backward has no steps; "
                    f"its grad is the seed, 1.")
        return self.steps[index].text(self.names, len(self.steps))
