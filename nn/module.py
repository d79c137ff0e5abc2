"""``Module``: what every network part shares — parameters, names, modes, state.

A module owns some parameters (Values) and buffers (plain floats such as
batch norm's running statistics) and may contain child modules. Everything
else is derived from those three lists:

* ``named_parameters()`` walks them in a fixed order and yields dotted names
  (``L1.N1.w1``, ``L1.N1.b``), the same names the parameters carry as labels;
* ``state_dict()`` / ``load_state_dict()`` copy their numbers out and in;
* ``save(path)`` / ``load(path)`` write and read them as JSON (see
  ``nn.serialization``): exact floats, atomic writes, validated loads.

Names are 1-based like the documents' w1, w2: layer ``L1`` is the first
layer after the input, ``N1`` its first neuron. A module with a name tags the
nodes it builds with ``autograd.scope`` (the last part of its name), so a
drawing can group them by layer and neuron.
"""

from __future__ import annotations

import difflib
import numbers
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from autograd import Value, no_grad

from .functional import is_list_like

if TYPE_CHECKING:
    from .training import History


class Module:
    """Base of every network part; subclasses list their parameters, buffers and children."""

    #: Train mode (dropout active, batch norm uses batch statistics) or eval mode.
    training: bool = True
    #: The dotted name of this module inside its model ("" for the model itself).
    name: str = ""
    #: The number of inputs a sample must have, or None if any length is accepted.
    nin: int | None = None
    #: The name of the scope the nodes of this module are tagged with (None: no scope).
    _scope_name: str | None = None

    # --- what a subclass describes --------------------------------------------------------

    def _own_parameters(self) -> list[tuple[str, Value]]:
        """This module's own parameters (not its children's), with their short names."""
        return []

    def _own_buffers(self) -> list[tuple[str, float]]:
        """This module's own buffers (plain floats saved with the state), with short names."""
        return []

    def _set_buffer(self, key: str, value: float) -> None:
        """Store buffer ``key`` (one of ``_own_buffers``' names)."""
        raise KeyError(key)

    def named_children(self) -> list[tuple[str, "Module"]]:
        """The direct sub-modules, with their short names (``L1``, ``N1``)."""
        return []

    def config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data: enough to build an identical empty model."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def _forward(self, inputs: list[Value]) -> list[Value]:
        """One sample through the module: a list of Values in, a list of Values out."""
        raise NotImplementedError(f"{type(self).__name__} does not define a forward pass")

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """A mini-batch of samples through the module (batch norm needs them together)."""
        return [self._forward(sample) for sample in batch]

    # --- calling --------------------------------------------------------------------------

    def __call__(self, x: Any) -> Any:
        """The output for one sample: a Value if there is one output, else a list of Values."""
        outputs = self._forward(self._inputs(x))
        return outputs[0] if len(outputs) == 1 else outputs

    def forward_batch(self, samples: Sequence[Any]) -> list[Any]:
        """The outputs for a list of samples (a Value or a list of Values each).

        Layers build the batch neuron by neuron (one scope per neuron rather
        than per sample); the graph is the same as calling the model on each
        sample.
        """
        if not is_list_like(samples):
            raise TypeError(f"forward_batch expects a list of samples, got {type(samples).__name__}")
        batch = [self._inputs(x, index) for index, x in enumerate(samples)]
        outputs = self._forward_batch(batch)
        return [out[0] if len(out) == 1 else out for out in outputs]

    def predict(self, samples: Sequence[Any]) -> list[Any]:
        """Plain-float outputs for a list of samples, in eval mode and without a graph.

        Each output is a float (one output) or a list of floats; the modules'
        train/eval modes are restored afterwards.
        """
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            with no_grad():
                outputs = self.forward_batch(samples)
        finally:
            for module, mode in modes:
                module.training = mode
        return [out.data if isinstance(out, Value) else [v.data for v in out] for out in outputs]

    def _inputs(self, x: Any, index: int | None = None) -> list[Value]:
        """One sample as a list of Values, checked against ``nin``; numbers become leaves x1, x2, ..."""
        where = "" if index is None else f" (sample {index})"
        if isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
            x = [x]
        elif not is_list_like(x):
            raise TypeError(
                f"{type(self).__name__} expects a list of numbers or Values{where}, "
                f"got {type(x).__name__}"
            )
        expected = self.nin
        if expected is not None and len(x) != expected:
            raise ValueError(
                f"{type(self).__name__} expects {expected} input(s){where}, got {len(x)}"
            )
        values = []
        for position, item in enumerate(x, start=1):
            if type(item) is Value or isinstance(item, Value):
                values.append(item)
            elif isinstance(item, numbers.Real) and not isinstance(item, bool):
                values.append(Value(float(item), label=f"x{position}"))
            else:
                raise TypeError(
                    f"input x{position}{where} must be a number or a Value, "
                    f"got {type(item).__name__} ({item!r})"
                )
        return values

    # --- walking the tree -----------------------------------------------------------------

    def modules(self) -> Iterator["Module"]:
        """This module and every module inside it, parents before children."""
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            yield module
            stack.extend(child for _, child in reversed(module.named_children()))

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name relative to this module (``L1.N1.w1``)."""
        found: list[tuple[str, Value]] = []
        self._collect_parameters("", found)
        return found

    def _collect_parameters(self, prefix: str, found: list[tuple[str, Value]]) -> None:
        for key, parameter in self._own_parameters():
            found.append((prefix + key, parameter))
        for key, child in self.named_children():
            child._collect_parameters(f"{prefix}{key}.", found)

    def parameters(self) -> list[Value]:
        """Every parameter (micrograd's ``parameters()``), in ``named_parameters`` order."""
        return [parameter for _, parameter in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, float]]:
        """Every buffer (e.g. batch norm running statistics) with its dotted name."""
        found: list[tuple[str, float]] = []
        self._collect_buffers("", found)
        return found

    def _collect_buffers(self, prefix: str, found: list[tuple[str, float]]) -> None:
        for key, value in self._own_buffers():
            found.append((prefix + key, value))
        for key, child in self.named_children():
            child._collect_buffers(f"{prefix}{key}.", found)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (gradients accumulate until zeroed)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    # --- modes ----------------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Put this module and all inside it in train mode (or eval mode if ``mode`` is False)."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """Put this module and all inside it in eval mode: dropout off, running statistics used."""
        return self.train(False)

    # --- names ----------------------------------------------------------------------------

    def _assign_name(self, name: str) -> None:
        """Give this module its dotted name: relabel its parameters and name its children."""
        self.name = name
        self._scope_name = name.rsplit(".", 1)[-1] if name else None
        prefix = f"{name}." if name else ""
        for key, parameter in self._own_parameters():
            parameter.label = prefix + key
        for key, child in self.named_children():
            child._assign_name(prefix + key)
        self._names_assigned()

    def _names_assigned(self) -> None:
        """Hook: called after ``_assign_name`` (e.g. to precompute output labels)."""

    # --- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value, then every buffer, by dotted name (a copy)."""
        state = {name: parameter.data for name, parameter in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> "Module":
        """Copy values into the parameters and buffers, all or nothing.

        ``state`` must hold exactly the names of ``state_dict()``, each a finite
        int or float (not bool). Otherwise a ``StateError`` names the first
        offending entry and the model is left untouched.
        """
        from .serialization import validated_state

        values = validated_state(self, state)
        self._apply_state(values)
        return self

    def _apply_state(self, values: Mapping[str, float]) -> None:
        """Assign already validated values (names exactly those of ``state_dict``)."""
        for name, parameter in self.named_parameters():
            parameter.data = values[name]
        for module_prefix, module in self._named_modules_with_prefix():
            for key, _ in module._own_buffers():
                module._set_buffer(key, values[module_prefix + key])

    def _named_modules_with_prefix(self) -> Iterator[tuple[str, "Module"]]:
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            yield prefix, module
            for key, child in reversed(module.named_children()):
                stack.append((f"{prefix}{key}.", child))

    def save(self, path: Any) -> None:
        """Write architecture and state to ``path`` as JSON, atomically (see ``nn.serialization``)."""
        from .serialization import save

        save(self, path)

    def load(self, path: Any) -> "Module":
        """Read a file written by ``save`` into this model; refuses any mismatch untouched."""
        from .serialization import load_into

        load_into(self, path)
        return self

    # --- training -------------------------------------------------------------------------

    def fit(self, X: Sequence[Any], y: Sequence[Any], **options: Any) -> "History":
        """Train on (X, y); see ``nn.training.fit`` for the options. Returns the History."""
        from .training import fit

        return fit(self, X, y, **options)

    # --- errors for typos -----------------------------------------------------------------

    def __getattr__(self, attribute: str) -> Any:
        """Only reached when normal lookup fails: raise, suggesting the nearest name."""
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        known = set(dir(type(self)))
        known.update(object.__getattribute__(self, "__dict__"))
        close = difflib.get_close_matches(attribute, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AttributeError(f"{type(self).__name__} has no attribute {attribute!r}{hint}")
