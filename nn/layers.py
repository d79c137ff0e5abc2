"""Neurons, layers and MLPs: y = f(w1*x1 + ... + wn*xn + b), stacked.

A ``Neuron`` is the documents' single neuron: a weighted sum plus a bias,
then an activation (one graph node each: ``relu``, ``leaky_relu``, ``tanh``,
``sigmoid``; ``linear`` adds none). A ``Layer`` is a list of neurons that see
the same inputs; an ``MLP`` stacks layers, micrograd's signature:
``MLP(2, [16, 16, 1])`` has ReLU hidden layers and a linear output.

Names are 1-based: in an MLP the first layer after the input is ``L1``, its
neurons ``L1.N1``, ``L1.N2``, ..., and a neuron's parameters ``L1.N1.w1``,
``L1.N1.w2``, ..., ``L1.N1.b``. The nodes a neuron builds are tagged with the
scope ``("L1", "N1")``; its weighted sum is labelled ``z``, the activation of
hidden neuron ``Lk.Nj`` is ``hj`` (the neuron article's h; ``Lk.hj`` when
the model has several hidden layers) and the model's output ``ŷ``: the
names of the table ``nn.naming`` chose (``nn.names``). In a batch every node
built for sample k carries row k.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping, Protocol, Sequence

from autograd import Value
from autograd.validation import integer

from .functional import activation as activation_named, check_ordered, in_row
from .module import Config, Module, StateError, build, config_size, describe, implied_entries, positive_size
from .names import current as current_naming


class UniformSource(Protocol):
    """Where initial weights come from: ``random.Random`` or the ``random`` module itself."""

    def uniform(self, a: float, b: float) -> float: ...


def _chosen_activation(activation: str | None, nonlin: bool | None) -> str:
    """The activation named, or micrograd's ``nonlin`` (True: relu, False: linear); relu if neither."""
    if nonlin is None:
        return "relu" if activation is None else activation
    if type(nonlin) is not bool:
        raise TypeError(f"nonlin must be a bool (micrograd's: True for relu, False for linear), "
                        f"got {type(nonlin).__name__} ({nonlin!r})")
    if activation is not None:
        raise ValueError(f"give activation or micrograd's nonlin, not both: got activation={activation!r} "
                         f"and nonlin={nonlin!r}")
    return "relu" if nonlin else "linear"


def _rng(seed: int | None) -> UniformSource:
    """A private generator for ``seed``; the global ``random`` module if None (micrograd's way)."""
    if seed is None:
        return random
    return random.Random(integer(seed, "seed"))


class Neuron(Module):
    """One neuron: ``activation(w1*x1 + ... + w_nin*x_nin + b)``.

    Weights start uniform in [-1, 1] (micrograd's choice) drawn from
    ``random.Random(seed)``, or from the global ``random`` module when
    ``seed`` is None; the bias starts at 0. ``weights`` and ``bias`` set
    them explicitly instead. The activation is relu unless named;
    micrograd's ``Neuron(nin, nonlin=False)`` (linear) and ``nonlin=True``
    (relu) work too.
    """

    _scope_kind = "neuron"

    def __init__(
        self,
        nin: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        name: str = "",
        seed: int | None = None,
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
        rng: UniformSource | None = None,
    ) -> None:
        self.nin = integer(nin, "nin", minimum=1)
        activation = _chosen_activation(activation, nonlin)
        self._activate: Callable[[Value], Value] = activation_named(activation)
        self.activation = activation
        if weights is None:
            source = rng if rng is not None else _rng(seed)
            weights = [source.uniform(-1.0, 1.0) for _ in range(nin)]
        else:
            check_ordered(weights, "weights")
            weights = list(weights)
        if len(weights) != nin:
            raise ValueError(f"Neuron with nin={nin} needs {nin} weights, got {len(weights)}")
        self.w = [Value(weight) for weight in weights]
        self.b = Value(bias)
        #: Which neuron of its layer this is (1-based): its hidden activation is h{index}.
        self._hidden_index = 1
        self._assign_name(name)

    _activation_layer = True

    def _own_parameters(self) -> list[tuple[str, Value]]:
        named = [(f"w{i}", weight) for i, weight in enumerate(self.w, start=1)]
        named.append(("b", self.b))
        return named

    def config(self) -> Config:
        return self._config(nin=self.nin, activation=self.activation)

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        return config_size(config, "nin", where) + 1

    def _forward(self, inputs: list[Value]) -> list[Value]:
        return [self._output(inputs)]

    def _output(self, inputs: list[Value]) -> Value:
        """The neuron's output node for one sample (inputs already checked)."""
        return self._outputs([inputs], rows=False)[0]

    def _outputs(self, batch: list[list[Value]], rows: bool = True) -> list[Value]:
        """The neuron's output node for each sample of a batch (row k for sample k), in one scope.

        The weighted sum is labelled ``z`` and the activation ``h{index}`` (a
        linear neuron's output is its ``z``; the model relabels its own output
        ``ŷ``), from the current naming table; the products and partial sums
        between them are left to be shown by their formulas (``w1·x1``).
        """
        naming = current_naming()
        weighted_sum_name = naming.weighted_sum
        hidden_name = naming.hidden_name(self._hidden_index, self._hidden_qualifier)
        # Locals, not attributes, in the loop: it builds most of a training step's graph.
        weights, bias, activate = self.w, self.b, self._activate
        outputs = []
        with self._scope():
            for k, inputs in enumerate(batch, start=1):
                with in_row(k if rows else None):
                    weighted_sum = bias
                    for weight, x in zip(weights, inputs):
                        weighted_sum = weighted_sum + weight * x
                    weighted_sum.label = weighted_sum_name
                    out = activate(weighted_sum)
                    if out is not weighted_sum:
                        out.label = hidden_name
                outputs.append(out)
        return outputs

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        return [[out] for out in self._outputs(batch)]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs; calling it returns a Value if nout == 1.

    ``seed`` draws every neuron's weights from one ``random.Random(seed)``
    (the global ``random`` module if None). The activation is relu unless
    named, or given as micrograd's ``nonlin`` (``Layer(nin, nout, nonlin=False)``).
    """

    _activation_layer = True
    _scope_kind = "layer"

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        name: str = "",
        seed: int | None = None,
        rng: UniformSource | None = None,
    ) -> None:
        self.nin = integer(nin, "nin", minimum=1)
        self.nout = integer(nout, "nout", minimum=1)
        activation = _chosen_activation(activation, nonlin)
        activation_named(activation)
        self.activation = activation
        source = rng if rng is not None else _rng(seed)
        self.neurons = [Neuron(nin, activation, rng=source) for _ in range(nout)]
        for index, neuron in enumerate(self.neurons, start=1):
            neuron._hidden_index = index
            neuron._activation_layer = False  # the layer, not each neuron, is a layer of activations
        self._assign_name(name)

    def _set_hidden_qualifier(self, qualifier: str) -> None:
        self._hidden_qualifier = qualifier
        for neuron in self.neurons:
            neuron._hidden_qualifier = qualifier

    def named_children(self) -> list[tuple[str, Module]]:
        return [(f"N{j}", neuron) for j, neuron in enumerate(self.neurons, start=1)]

    def config(self) -> Config:
        return self._config(nin=self.nin, nout=self.nout, activation=self.activation)

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        return (config_size(config, "nin", where) + 1) * config_size(config, "nout", where)

    def _forward(self, inputs: list[Value]) -> list[Value]:
        with self._scope():
            return [neuron._output(inputs) for neuron in self.neurons]

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        # Neuron by neuron over the whole batch: one scope per neuron, not per sample.
        with self._scope():
            columns = [neuron._outputs(batch) for neuron in self.neurons]
        return [list(row) for row in zip(*columns)]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron, micrograd's ``MLP(nin, nouts)``.

    ``nouts`` lists each layer's size; hidden layers use ``activation`` and
    the last one ``output_activation``. Layers are named ``L1`` (the first
    after the input) to ``Ln``. ``model(x)`` takes ``nin`` numbers or Values
    and returns a Value if the last layer has one neuron, else a list.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: int | None = None,
    ) -> None:
        self.nin = integer(nin, "nin", minimum=1)
        check_ordered(nouts, "nouts")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"nouts must be a list of layer sizes, got {type(nouts).__name__} ({nouts!r})")
        if not nouts:
            raise ValueError("nouts must be a non-empty list of layer sizes, got []")
        self.nouts = [integer(n, f"layer size nouts[{i}]", minimum=1) for i, n in enumerate(nouts)]
        activation_named(activation)
        activation_named(output_activation, "output_activation")
        self.activation = activation
        self.output_activation = output_activation
        source = _rng(seed)
        sizes = [nin] + self.nouts
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng=source)
            for i in range(len(self.nouts))
        ]
        self._assign_name("")

    def named_children(self) -> list[tuple[str, Module]]:
        return [(f"L{i}", layer) for i, layer in enumerate(self.layers, start=1)]

    def config(self) -> Config:
        return self._config(
            nin=self.nin,
            nouts=list(self.nouts),
            activation=self.activation,
            output_activation=self.output_activation,
        )

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        nin = config_size(config, "nin", where)
        nouts = config.get("nouts")
        if not isinstance(nouts, list) or not nouts:
            raise StateError(f"{where}nouts must be a non-empty list of layer sizes, got {describe(nouts)}")
        sizes = [nin] + [positive_size(n, f"{where}nouts[{i}]") for i, n in enumerate(nouts)]
        return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))

    def _forward(self, inputs: list[Value]) -> list[Value]:
        for layer in self.layers:
            inputs = layer._forward(inputs)
        return inputs

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        for layer in self.layers:
            batch = layer._forward_batch(batch)
        return batch

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


class Activation(Module):
    """An activation applied to every input on its own (for use inside ``Sequential``)."""

    _activation_layer = True
    _scope_kind = "layer"

    def __init__(self, activation: str = "relu") -> None:
        self._activate = activation_named(activation)
        self.activation = activation

    def config(self) -> Config:
        return self._config(activation=self.activation)

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        return 0

    def _forward(self, inputs: list[Value]) -> list[Value]:
        """Each input through the activation; the k-th result is labelled ``h{k}`` (the naming table's)."""
        with self._scope():
            outputs = [self._activate(x) for x in inputs]
        naming = current_naming()
        for k, (x, out) in enumerate(zip(inputs, outputs), start=1):
            if out is not x:
                out.label = naming.hidden_name(k, self._hidden_qualifier)
        return outputs

    def __repr__(self) -> str:
        return f"Activation({self.activation!r})"


class Sequential(Module):
    """Modules applied one after the other, named ``L1``, ``L2``, ... in order.

    For example a hidden layer with batch norm and dropout::

        Sequential(Layer(2, 16, "linear"), BatchNorm(16), Activation("relu"),
                   Dropout(0.2), Layer(16, 1, "linear"))

    A model holding a ``BatchNorm`` must be fed whole mini-batches in train
    mode (``forward_batch``; ``fit`` always does).
    """

    def __init__(self, *modules: Module) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module")
        for position, module in enumerate(modules, start=1):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential item {position} is not a Module: {type(module).__name__}")
        if len({id(module) for module in modules}) != len(modules):
            raise ValueError("Sequential got the same module twice; build one per position")
        self.layers = list(modules)
        self.nin = modules[0].nin
        self._assign_name("")

    def named_children(self) -> list[tuple[str, Module]]:
        return [(f"L{i}", module) for i, module in enumerate(self.layers, start=1)]

    def config(self) -> Config:
        return self._config(modules=[module.config() for module in self.layers])

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Sequential":
        return cls(*(build(part) for part in config.get("modules", ())))

    @classmethod
    def state_entries(cls, config: Mapping[str, Any], where: str = "") -> int:
        modules = config.get("modules")
        if not isinstance(modules, list):
            raise StateError(f"{where}Sequential modules must be a list, got {describe(modules)}")
        return sum(implied_entries(part, f"{where}modules[{i}].") for i, part in enumerate(modules))

    def _forward(self, inputs: list[Value]) -> list[Value]:
        with self._scope():
            for module in self.layers:
                _check_width(module, inputs)
                inputs = module._forward(inputs)
        return inputs

    def _forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        with self._scope():
            for module in self.layers:
                if batch:
                    _check_width(module, batch[0])
                batch = module._forward_batch(batch)
        return batch

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(module) for module in self.layers) + ")"


def _check_width(module: Module, inputs: list[Value]) -> None:
    if module.nin is not None and len(inputs) != module.nin:
        raise ValueError(
            f"{module.name or type(module).__name__} ({type(module).__name__}) expects "
            f"{module.nin} input(s), got {len(inputs)} from the module before it"
        )
