"""The stepper's clock: forward frames, then backward frames, then (given a learning rate) the update.

For a loss, the steps of forward (``forward_steps``) come first, one frame
each: a node's ``data`` shows once its step has run (``?`` before). Then the
steps of a fresh backward pass (``backward_steps``), one frame each: for
every node, the step that processes it, the steps that add to its gradient,
and so its gradient at any step and whether it is *pending* (``?``, nothing
received yet), *partial* (some uses still to come) or *final*. With
``lr``, a last frame shows the update ``p ← p − lr·grad`` of ``params`` (the
leaves that learn; data never moves) and the loss after it.

``follow=node`` picks the frames whose step adds to ``node.grad``
(``follow_frames``), with the running sum after each.
"""

from __future__ import annotations

import bisect
from typing import Iterable, Union

from ..i18n import Catalogue, language
from ..validation import instance
from ..value import Value
from .snapshot import Snapshot
from .steps import BackwardStep, ForwardStep, backward_steps, forward_steps
from .text import Names, columns, grad_of, number, partial
from .update import Update, chosen_params, sgd_update

BEFORE_FIRST_STEP = -1  # the loss's initial gradient, set before backward's first step
BEFORE_BACKWARD = -2  # during forward: no gradient exists yet
PENDING = "?"
_ = Catalogue("views").gettext


class Timeline:
    """The frames of forward, backward and the update over ``loss``, and every node's state at every frame."""

    def __init__(self, loss: Union[Value, Snapshot], *, follow: Value | None = None, lr: float | None = None,
                 params: Iterable[Value] | None = None, forward: bool = True,
                 lang: str | None = None, parameters: Iterable[Value] | None = None) -> None:
        snapshot = Snapshot.of(loss, "loss")
        with language(lang) as chosen:
            self.lang = chosen  # every text of the frames is written in it
        self.snapshot = snapshot
        self.loss = loss = snapshot.root
        # With their texts, in the timeline's language (every frame shows one).
        self.steps: list[BackwardStep] = backward_steps(snapshot, lang=self.lang)
        self.forward: list[ForwardStep] = forward_steps(snapshot, lang=self.lang) if forward else []
        self.backward_start = len(self.forward)  # the frame of backward's first step
        self.step_of: dict[int, int] = {}
        self.computed_at: dict[int, int] = {id(step.node): step.index for step in self.forward}
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
        self.follow = follow
        self.follow_frames: list[int] = []
        self.follow_sums: list[float] = []
        self.follow_added: list[float] = []
        if follow is not None:
            instance(follow, "follow", Value)
            if id(follow) not in snapshot.ids:
                raise ValueError(f"follow: {follow!r} is not in the loss's graph")
            for step in self.steps:
                added = [c for c in step.contributions if c.input is follow]
                if added:
                    self.follow_frames.append(self.backward_start + step.index)
                    self.follow_sums.append(added[-1].grad_after)
                    self.follow_added.append(sum(c.product for c in added))
        self.update: Update | None = None
        if lr is not None:
            self.update = sgd_update(snapshot, self.final_grads, lr, chosen_params(params, parameters, "Timeline"))

    def __len__(self) -> int:
        """The number of frames: forward steps, backward steps, and the update if any."""
        return self.backward_start + len(self.steps) + (self.update is not None)

    # --- which frame is which ---

    def kind(self, frame: int) -> str:
        """``"forward"``, ``"backward"`` or ``"update"``."""
        if frame < self.backward_start:
            return "forward"
        if frame - self.backward_start < len(self.steps):
            return "backward"
        return "update" if self.update is not None else "backward"

    def backward_index(self, frame: int) -> int:
        """The backward step whose gradients a frame shows (BEFORE_BACKWARD during forward)."""
        if frame < self.backward_start:
            return BEFORE_BACKWARD
        return min(frame - self.backward_start, len(self.steps) - 1) if self.steps else BEFORE_FIRST_STEP

    def frame_node(self, frame: int) -> Value:
        """The node a frame is about (the loss for the update)."""
        kind = self.kind(frame)
        if kind == "forward":
            return self.forward[frame].node
        if kind == "backward" and self.steps:
            return self.steps[self.backward_index(frame)].node
        return self.loss

    # --- backward's gradients ---

    def first_at(self, node: Value) -> int:
        """The step that first adds to the node's grad (-1 for the loss's initial gradient)."""
        steps = self.change_steps.get(id(node))
        return steps[0] if steps else len(self.steps)

    def final_at(self, node: Value) -> int:
        """The step after which the node's grad is final (-1 for the loss)."""
        steps = self.change_steps.get(id(node))
        return steps[-1] if steps else len(self.steps)

    def grad_at(self, node: Value, index: int) -> float:
        """The node's grad once backward step ``index`` is done (0 before anything reached it)."""
        key = id(node)
        steps = self.change_steps.get(key)
        if not steps:
            return 0.0
        position = bisect.bisect_right(steps, index) - 1
        return self.change_grads[key][position] if position >= 0 else 0.0

    def grad_text(self, node: Value, index: int) -> str:
        """The node's grad after backward step ``index`` as shown: ``?`` pending, ``(partial)`` while uses remain."""
        steps = self.change_steps.get(id(node))
        if not steps or steps[0] > index:
            return PENDING
        text = number(self.grad_at(node, index))
        if steps[-1] > index:
            with language(self.lang):
                return _("{value} (partial)").format(value=text)
        return text

    def widest_grad_texts(self, only: set[int] | None = None) -> dict[int, str]:
        """Each node's widest grad text over the steps (``(partial)`` marks included), by ``id(node)``.

        A stepper's drawing sizes each grad cell for it, so no frame's text
        runs past its box; ``only`` limits it to those nodes (by ``id``).
        """
        widest: dict[int, str] = {}
        for key, grads in self.change_grads.items():
            if only is not None and key not in only:
                continue
            with language(self.lang):
                texts = [_("{value} (partial)").format(value=number(grad)) for grad in grads[:-1]]
            texts.append(number(grads[-1]))
            widest[key] = max(texts, key=columns)
        return widest

    def grads_at(self, index: int) -> dict[int, float]:
        """Every node's grad once backward step ``index`` is done, by ``id(node)``."""
        return {id(node): self.grad_at(node, index) for node in self.snapshot.order}

    def data_text(self, node: Value, frame: int) -> str:
        """The node's data as a frame shows it: ``?`` until forward computed it, updated in the update frame."""
        if self.kind(frame) == "update" and self.update is not None:
            return number(self.update.values_after[id(node)])
        if self.computed_at.get(id(node), -1) > frame:
            return PENDING
        return number(node.data)

    # --- the text under the drawing ---

    def text(self, frame: int) -> str:
        """What frame ``frame`` computes, as the stepper shows it under the graph (in the timeline's language)."""
        with language(self.lang):
            return self._text(frame)

    def _text(self, frame: int) -> str:
        names = self.snapshot.names
        kind = self.kind(frame)
        if kind == "forward":
            text = _step_text(self.forward[frame], names, len(self.forward), self.lang)
            if frame == self.backward_start - 1:
                text += "\n  " + _("Forward is done: {loss} = {value}. Next, backward.").format(
                    loss=names(self.loss), value=number(self.loss.data))
            return text
        if kind == "update":
            assert self.update is not None
            return self.update.text(names)
        if not self.steps:
            return _("{loss} is a leaf: backward has no steps; its grad is the initial gradient, 1.").format(
                loss=names(self.loss))
        index = self.backward_index(frame)
        text = _step_text(self.steps[index], names, len(self.steps), self.lang)
        follow_line = self.follow_text(frame)
        return f"{text}\n{follow_line}" if follow_line else text

    def follow_text(self, frame: int) -> str:
        """The running sum of the followed node's gradient at a backward frame ('' if none is followed)."""
        with language(self.lang):
            return self._follow_text(frame)

    def _follow_text(self, frame: int) -> str:
        follow = self.follow
        if follow is None or self.kind(frame) != "backward":
            return ""
        names = self.snapshot.names
        name, loss_name = names(follow), names(self.loss)
        count = bisect.bisect_right(self.follow_frames, frame)
        total = len(self.follow_frames)
        values = {"name": name, "grad": grad_of(name), "total": total, "count": count,
                  "derivative": partial(loss_name, name)}
        if count == 0:
            return _("Following {name}: none of its {total} contributions yet; {grad} is not computed yet.").format(
                **values)
        running = self.follow_sums[count - 1]
        here = frame in self.follow_frames
        added = self.follow_added[count - 1]
        values["adds"] = f" ({'−' if added < 0 else '+'}{number(abs(added))})" if here else ""
        values["value"] = number(running)
        if count == total:
            if here:
                which = (_("Following {name}: this step adds its only contribution{adds}; "
                           "the total {grad} = {derivative} = {value}.") if total == 1 else
                         _("Following {name}: this step adds the last of its {total} contributions{adds}; "
                           "the total {grad} = {derivative} = {value}."))
            else:
                which = (_("Following {name}: all {total} contributions are in; "
                           "the total {grad} = {derivative} = {value}.") if total > 1 else
                         _("Following {name}: its only contribution is in; "
                           "the total {grad} = {derivative} = {value}."))
            return which.format(**values)
        if here:
            return _("Following {name}: this step adds contribution {count} of {total}{adds}; "
                     "running sum {grad} = {value} so far.").format(**values)
        return _("Following {name}: after contribution {count} of {total}; "
                 "running sum {grad} = {value} so far.").format(**values)


def frame_title(timeline: Timeline, frame: int) -> str:
    """What a frame shows, in a few words (the stepper's and the page's counter), in the timeline's language."""
    with language(timeline.lang):
        names = timeline.snapshot.names
        kind = timeline.kind(frame)
        if kind == "forward":
            return _("Forward {index} of {total}: {node}").format(
                index=frame + 1, total=len(timeline.forward), node=names(timeline.forward[frame].node))
        if kind == "update":
            return _("The update: p ← p − lr·grad")
        if not timeline.steps:
            return _("No steps: the loss is a leaf")
        index = timeline.backward_index(frame)
        return _("Backward {index} of {total}: {node}").format(
            index=index + 1, total=len(timeline.steps), node=names(timeline.steps[index].node))


def _step_text(step: Union[ForwardStep, BackwardStep], names: Names, total: int, lang: str) -> str:
    """The step's text as written when it was made, or written again if it was made in another language."""
    return step.text(total=total) if step.lang == lang else step.text(names, total, lang)
