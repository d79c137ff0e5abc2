"""``Module``: what every network part shares — parameters, names, modes, state.

A module owns some parameters (Values) and buffers (plain floats such as
batch norm's running statistics) and may contain child modules. Everything
else is derived from those three lists, through one walk of the tree
(``named_modules``):

* ``named_parameters()`` yields dotted names (``L1.N1.w1``, ``L1.N1.b``), the
  same names the parameters carry as labels;
* ``state_dict()`` / ``load_state_dict()`` copy their numbers out and in,
  the latter validated all or nothing (``StateError`` names the entry);
* ``save(path)`` / ``load(path)`` write and read them as JSON (``nn.serialization``),
  ``fit(X, y)`` trains (``nn.training``).

Names are 1-based like the articles' w1, w2: layer ``L1`` is the first
layer after the input, ``N1`` its first neuron. A module with a name tags the
nodes it builds with ``autograd.scope`` (the last part of its name), so a
drawing can group them by layer and neuron.

Every subclass registers itself by its class name (``MODULE_TYPES``), and
``config()`` names that type: ``build(config)`` makes an empty model of any
registered type without a list of types to switch over, so a learner's own
module can be saved and rebuilt like nn's.

This module sits at the bottom of ``nn``: it imports no other part of nn but
``functional`` and ``names`` at import. ``fit``, ``save``, ``load`` and ``to_torch`` run code of
the modules above it (``nn.training``, ``nn.serialization``, ``nn.torch_bridge``), imported
inside those methods when they are called.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import numbers
import os
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Mapping, NoReturn, Sequence, TypeVar, Union, cast,
)

from autograd import Value, no_grad, scope
from autograd.validation import instance, is_real

from .functional import in_row, is_list_like
from .names import current as current_naming, is_hidden_label, known

if TYPE_CHECKING:
    import torch

#: One sample: numbers or Values (a single number for a one-input model).
Sample = Union[Value, float, Sequence[Union[Value, float]]]
#: One sample's output: a Value for a one-output model, else a list of Values.
Output = Union[Value, list[Value]]
#: One sample's target: a number (or a Value holding it), or a list of them (one per
#: output, or a class's one-hot / probability vector); a class index is an int.
Target = Union[float, Value, Sequence[Union[float, Value]]]
#: JSON-ready data, as ``config()`` describes an architecture (``json.dumps`` writes it as it is).
JSONValue = Union[None, bool, int, float, str, Sequence["JSONValue"], Mapping[str, "JSONValue"]]
#: What ``config()`` returns: ``{"type": <class name>, <setting>: <JSON value>, ...}``.
Config = dict[str, JSONValue]
#: A file path, as ``open`` accepts it.
Path = Union[str, os.PathLike[str]]



class StateError(ValueError):
    """A state (dict or file) that does not fit the model; the message names the entry."""


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch (accuracy lists stay empty for regression).

    Defined here, beside ``Module.fit`` that returns it; ``nn.training`` fills it.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    #: How many optimiser steps each epoch took.
    steps: list[int] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self.loss)

    def __len__(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        """The non-empty series, by name (JSON-ready)."""
        series = {
            "loss": self.loss,
            "accuracy": self.accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
        }
        return {name: list(values) for name, values in series.items() if values}


#: Every Module subclass by class name (the ``"type"`` of its ``config()``).
MODULE_TYPES: dict[str, type["Module"]] = {}

_NO_SCOPE = contextlib.nullcontext()


def _named_prediction(outputs: list[Value]) -> Output:
    """A model's outputs, labelled with the naming table's output (``ŷ``; ``r̂`` for the ice-cream article).

    An output a user labelled keeps its label (nn's own labels, ``z`` or a
    hidden ``h1``, are replaced). One output comes back as a Value, several as a list.
    """
    output = current_naming().output
    for out in outputs:
        if not out.is_leaf and (out.label == "" or out.label in known("weighted_sum") or is_hidden_label(out.label)):
            out.label = output
    return outputs[0] if len(outputs) == 1 else outputs


class Module:
    """Base of every network part; subclasses list their parameters, buffers and children."""

    #: Train mode (dropout active, batch norm uses batch statistics) or eval mode.
    training: bool = True
    #: The dotted name of this module inside its model ("" for the model itself).
    name: str = ""
    #: The number of inputs a sample must have, or None if any length is accepted.
    nin: int | None = None
    #: The fewest samples a batch may hold in train mode (batch norm needs 2).
    min_batch_size: int = 1
    #: Whether the graph this module builds depends only on the batch's size, so that
    #: ``fit(compile=True)`` can record it once (not so for dropout's masks, batch statistics).
    compilable: bool = True
    #: The name of the scope the nodes of this module are tagged with (None: no scope).
    _scope_name: str | None = None
    #: What the drawings call this module's scope when they fold by kind (``collapse="neurons"``).
    _scope_kind: str = ""
    #: Whether this module's outputs are a layer of activations (a Layer, an Activation, a lone Neuron):
    #: its k-th output is labelled h{k} while hidden, the model's output when it is the last such layer.
    _activation_layer: bool = False
    #: The layer name that qualifies this module's hidden labels (``L1`` in ``L1.h1``): set when the
    #: model has more than one hidden layer, so that every hidden activation's label is unique.
    _hidden_qualifier: str = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Register the subclass by name, so ``build`` can make it from a config.

        A later class of the same name replaces the earlier one (re-running a
        notebook cell that defines a module must work).
        """
        super().__init_subclass__(**kwargs)
        MODULE_TYPES[cls.__name__] = cls

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

    def _buffer_problem(self, key: str, value: float) -> str | None:
        """Why ``value`` cannot be buffer ``key`` (a finite number already), or None if it can."""
        return None

    def named_children(self) -> list[tuple[str, "Module"]]:
        """The direct sub-modules, with their short names (``L1``, ``N1``)."""
        return []

    def config(self) -> Config:
        """The architecture as JSON-ready data: enough to build an identical empty model."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def _config(self, **settings: JSONValue) -> Config:
        """``{"type": <class name>, **settings}``: what ``config`` returns."""
        return {"type": type(self).__name__, **settings}

    # A config given to the class methods below may come from a file, not yet checked:
    # its values can be anything (``Any``) until each type reads its own settings.
    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Module":
        """An empty module of this type from its ``config()`` (the settings as keywords)."""
        return cls(**{key: value for key, value in config.items() if key != "type"})

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        """How many state entries a module of ``config`` has (parameters and buffers).

        This default builds the module and counts; a type with sizes in its
        config overrides it to count without building (and to check the sizes,
        so a file cannot ask for a model of a billion neurons).
        """
        try:
            return len(build(config).state_dict())
        except StateError as error:
            raise StateError(f"{where}{error}") from None

    def _forward(self, inputs: list[Value]) -> list[Value]:
        """One sample through the module: a list of Values in, a list of Values out."""
        raise NotImplementedError(f"{type(self).__name__} does not define a forward pass")

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """A mini-batch of samples through the module (batch norm needs them together).

        The nodes built for sample k carry row k (``functional.in_row``).
        """
        outputs = []
        for k, sample in enumerate(batch, start=1):
            with in_row(k):
                outputs.append(self._forward(sample))
        return outputs

    def _scope(self) -> ContextManager[object]:
        """Context manager tagging the nodes built inside with this module's scope (if named)."""
        return _NO_SCOPE if self._scope_name is None else scope(self._scope_name, self._scope_kind)

    # --- calling --------------------------------------------------------------------------

    def __call__(self, x: Sample, input_names: Sequence[str] | None = None) -> Output:
        """The output for one sample: a Value if there is one output, else a list of Values.

        Numbers become leaves labelled ``x1``, ``x2``, ... or by ``input_names``
        (a data set's ``feature_names``); the output is labelled ``ŷ`` (names
        from the table ``nn.naming`` chose).
        """
        outputs = self._forward(self._inputs(x, names=input_names))
        return _named_prediction(outputs)

    def forward_batch(self, samples: Sequence[Sample], input_names: Sequence[str] | None = None) -> list[Output]:
        """The outputs for a list of samples (a Value or a list of Values each).

        Every node built for sample k (inputs, weighted sums, activations) is
        tagged with row k (1-based, ``Value.row``). Layers build the batch
        neuron by neuron (one scope per neuron rather than per sample); the
        graph is the same as calling the model on each sample.
        """
        if not is_list_like(samples):
            raise TypeError(f"forward_batch expects a list of samples, got {type(samples).__name__}")
        batch = [self._inputs(x, index, input_names) for index, x in enumerate(samples)]
        outputs = self._forward_batch(batch)
        return [_named_prediction(out) for out in outputs]

    def predict(self, samples: Sequence[Sample]) -> list[float | list[float]]:
        """Plain-float outputs for a list of samples, in eval mode and without a graph.

        Each output is a float (one output) or a list of floats; the modules'
        train/eval modes are restored afterwards.
        """
        with self.eval_mode(), no_grad():
            outputs = self.forward_batch(samples)
        return [out.data if isinstance(out, Value) else [v.data for v in out] for out in outputs]

    def _inputs(self, x: object, index: int | None = None, names: Sequence[str] | None = None) -> list[Value]:
        """One sample as a list of Values, checked against ``nin``.

        Numbers become leaves labelled ``x1``, ``x2``, ... (or ``names``; the
        naming table's input names when it names as many), in row ``index + 1``
        when the sample is part of a batch.
        """
        where = "" if index is None else f" (sample {index})"
        if isinstance(x, Value) or is_real(x):
            items: Sequence[object] = [x]
        elif is_list_like(x):
            items = cast(Sequence[object], x)
        else:
            raise TypeError(
                f"{type(self).__name__} expects a list of numbers or Values{where}, "
                f"got {type(x).__name__}"
            )
        expected = self.nin
        if expected is not None and len(items) != expected:
            raise ValueError(
                f"{type(self).__name__} expects {expected} input(s){where}, got {len(items)}"
            )
        if names is not None and (not is_list_like(names) or len(names) != len(items)):
            raise ValueError(f"input_names must name each of the {len(items)} inputs, got {names!r}")
        values = []
        naming = current_naming()
        with in_row(None if index is None else index + 1):
            for position, item in enumerate(items, start=1):
                if type(item) is Value or isinstance(item, Value):
                    values.append(item)
                elif isinstance(item, numbers.Real) and not isinstance(item, bool):
                    label = names[position - 1] if names is not None else naming.input_name(position, len(items))
                    values.append(Value(float(item), label=label))
                else:
                    raise TypeError(
                        f"input x{position}{where} must be a number or a Value, "
                        f"got {type(item).__name__} ({item!r})"
                    )
        return values

    # --- walking the tree -----------------------------------------------------------------

    def named_modules(self) -> Iterator[tuple[str, "Module"]]:
        """This module (named "") and every module inside it with its dotted name, parents first."""
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            prefix = f"{name}." if name else ""
            stack.extend((prefix + key, child) for key, child in reversed(module.named_children()))

    def modules(self) -> Iterator["Module"]:
        """This module and every module inside it, parents before children."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name relative to this module (``L1.N1.w1``)."""
        return [
            (f"{name}.{key}" if name else key, parameter)
            for name, module in self.named_modules()
            for key, parameter in module._own_parameters()
        ]

    def parameters(self) -> list[Value]:
        """Every parameter (micrograd's ``parameters()``), in ``named_parameters`` order."""
        return [parameter for module in self.modules() for _, parameter in module._own_parameters()]

    def named_buffers(self) -> list[tuple[str, float]]:
        """Every buffer (e.g. batch norm running statistics) with its dotted name."""
        return [
            (f"{name}.{key}" if name else key, value)
            for name, module in self.named_modules()
            for key, value in module._own_buffers()
        ]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (gradients accumulate until zeroed)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    # --- modes ----------------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Put this module and all inside it in train mode (or eval mode if ``mode`` is False)."""
        instance(mode, "mode", bool)
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """Put this module and all inside it in eval mode: dropout off, running statistics used."""
        return self.train(False)

    @contextlib.contextmanager
    def eval_mode(self) -> Iterator["Module"]:
        """Context manager: eval mode inside; afterwards every module's own mode is restored."""
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            yield self
        finally:
            for module, mode in modes:
                module.training = mode

    # --- names ----------------------------------------------------------------------------

    def _assign_name(self, name: str) -> None:
        """Give this module its dotted name: name every module inside and relabel its parameters."""
        for relative, module in self.named_modules():
            full = f"{name}.{relative}" if name and relative else name or relative
            module.name = full
            module._scope_name = full.rsplit(".", 1)[-1] if full else None
            prefix = f"{full}." if full else ""
            for key, parameter in module._own_parameters():
                parameter.label = prefix + key
            module._names_assigned()
        self._qualify_hidden_layers()

    def _qualify_hidden_layers(self) -> None:
        """Qualify hidden labels by layer (``L1.h1``, ``L2.h1``) when there is more than one hidden layer.

        The layers of activations are this module's ``_activation_layer``
        modules in order; the last is the output. A linear layer builds no
        activation node, so it does not count as a hidden layer.
        """
        layers = [module for module in self.modules() if module._activation_layer]
        hidden = [module for module in layers[:-1] if getattr(module, "activation", "") != "linear"]
        for module in layers:
            module._set_hidden_qualifier(module.name if len(hidden) > 1 else "")

    def _set_hidden_qualifier(self, qualifier: str) -> None:
        """Hook: qualify this layer's hidden labels by ``qualifier`` ("" : none)."""
        self._hidden_qualifier = qualifier

    def _names_assigned(self) -> None:
        """Hook: called after ``_assign_name`` (e.g. to precompute output labels)."""

    # --- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value, then every buffer, by dotted name (a copy)."""
        state = {name: parameter.data for name, parameter in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, object]) -> "Module":
        """Copy values into the parameters and buffers, all or nothing.

        ``state`` must hold exactly the names of ``state_dict()``, each a finite
        int or float (not bool). Otherwise a ``StateError`` names the first
        offending entry and the model is left untouched.
        """
        self._apply_state(validated_state(self, state))
        return self

    def _apply_state(self, values: Mapping[str, float]) -> None:
        """Assign already validated values (names exactly those of ``state_dict``)."""
        for name, module in self.named_modules():
            prefix = f"{name}." if name else ""
            for key, parameter in module._own_parameters():
                parameter.data = values[prefix + key]
            for key, _ in module._own_buffers():
                module._set_buffer(key, values[prefix + key])

    # The methods below run code of the modules above this one, imported when called (the
    # layers contract lists these upward edges): never missing, whatever the caller imported.

    def save(self, path: Path) -> None:
        """Write architecture and state to ``path`` as JSON, atomically (see ``nn.serialization``)."""
        from .serialization import save

        save(self, path)

    def load(self, path: Path) -> "Module":
        """Read a file written by ``save`` into this model; refuses any mismatch untouched."""
        from .serialization import load_into

        load_into(self, path)
        return self

    # --- training -------------------------------------------------------------------------

    def fit(self, X: Sequence[Sample], y: Sequence[Target], **options: object) -> History:
        """Train on (X, y); see ``nn.training.fit`` for the options. Returns the History."""
        from .training import fit

        return fit(self, X, y, **options)  # type: ignore[arg-type]

    def to_torch(self) -> "torch.nn.Module":
        """The equivalent ``torch.nn.Module`` in float64 (see ``nn.torch_bridge``; needs torch)."""
        from .torch_bridge import to_torch

        return to_torch(self)

    # --- errors for typos -----------------------------------------------------------------

    def __getattr__(self, attribute: str) -> NoReturn:
        """Only reached when normal lookup fails: raise, suggesting the nearest name."""
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        known = set(dir(type(self)))
        known.update(object.__getattribute__(self, "__dict__"))
        close = difflib.get_close_matches(attribute, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AttributeError(f"{type(self).__name__} has no attribute {attribute!r}{hint}")


# --- validating a state -------------------------------------------------------------------


def describe(value: object) -> str:
    """``repr(value)``, cut to 40 characters for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _entry_number(name: str, value: object) -> float | str:
    """Entry ``name`` as a float, or the text of why ``value`` cannot be it."""
    if isinstance(value, bool):
        return f"entry {name!r} is a bool ({value!r}), not a number"
    if not isinstance(value, numbers.Real):
        return f"entry {name!r} is not a number: {type(value).__name__} {describe(value)}"
    try:
        number = float(value)
    except OverflowError:
        return f"entry {name!r} is too large for a float: {describe(value)}"
    if not math.isfinite(number):
        return f"entry {name!r} is {number!r}; parameters must be finite numbers"
    return number


def validated_state(model: Module, state: Mapping[str, object]) -> dict[str, float]:
    """``state`` as floats, if it holds exactly the model's entries, each a finite number.

    Raises ``StateError`` naming the first offending entry (in the state's own
    order, then the model's missing entries) and how many problems there are.
    """
    if not isinstance(state, Mapping):
        raise StateError(f"a state must be a mapping of names to numbers, got {type(state).__name__}")
    expected = list(model.state_dict())
    known = set(expected)
    buffers = {
        (f"{prefix}.{key}" if prefix else key): (module, key)
        for prefix, module in model.named_modules()
        for key, _ in module._own_buffers()
    }
    problems: list[str] = []
    values: dict[str, float] = {}
    for name, value in state.items():
        if name not in known:
            problems.append(f"unexpected entry {name!r}: the model has no such parameter or buffer")
            continue
        number = _entry_number(name, value)
        if isinstance(number, str):
            problems.append(number)
            continue
        owner = buffers.get(name)
        problem = owner[0]._buffer_problem(owner[1], number) if owner is not None else None
        if problem is not None:
            problems.append(f"entry {name!r} is {number!r}: {problem}")
        else:
            values[name] = number
    for name in expected:
        if name not in state:
            problems.append(f"missing entry {name!r}")
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise StateError(problems[0] + more)
    return values


# --- building from a config, through the registry -----------------------------------------


def _module_type(config: object, where: str = "") -> type[Module]:
    """The registered type a config names (``StateError`` if none)."""
    if not isinstance(config, Mapping) or "type" not in config:
        raise StateError(f"{where}an architecture must be an object with a 'type', got {describe(config)}")
    kind = config["type"]
    if not isinstance(kind, str) or kind not in MODULE_TYPES:
        raise StateError(f"{where}unknown module type {kind!r}")
    return MODULE_TYPES[kind]


def build(config: Mapping[str, Any]) -> Module:
    """A fresh model of the architecture ``config`` (as ``Module.config()`` describes it)."""
    kind = _module_type(config)
    try:
        return kind.from_config(config)
    except StateError:
        raise
    except (TypeError, ValueError) as error:
        raise StateError(f"bad {kind.__name__} architecture {dict(config)!r}: {error}") from None


def implied_entries(config: object, where: str = "") -> int:
    """How many state entries the architecture ``config`` has; sizes are checked, nothing large is built."""
    kind = _module_type(config, where)
    return kind.state_entries(cast(Mapping[str, Any], config), where)


def positive_size(value: object, what: str) -> int:
    """A size read from a config: a positive int (not a bool), else ``StateError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StateError(f"{what} must be a positive int, got {describe(value)}")
    return value


def config_size(config: Mapping[str, Any], key: str, where: str = "") -> int:
    """Setting ``key`` of an architecture: a positive int (``StateError`` naming it otherwise)."""
    if key not in config:
        raise StateError(f"{where}{config['type']} architecture has no {key!r}")
    return positive_size(config[key], f"{where}{key}")
