"""The articles' networks, with the weights the articles give them.

* ``icecream_network`` — the ice-cream article's 2 -> 2 ReLU -> 1 ReLU network
  of 9 parameters, for the table of ``nn.data.icecream``;
* ``tower_network`` — the universal-approximation article's five sigmoid
  neurons that compute ``nn.data.tower``.
"""

from __future__ import annotations

from typing import Sequence

from .layers import MLP

#: The 9 parameters of the ice-cream network after training (the ice-cream article's
#: "optimal values"): hidden neuron L1.N1 grows with temperature, L1.N2 wakes up at the weekend.
ICECREAM_PARAMETERS: dict[str, float] = {
    "L1.N1.w1": 0.1,
    "L1.N1.w2": -0.02,
    "L1.N1.b": -1.5,
    "L1.N2.w1": 0.01,
    "L1.N2.w2": 0.5,
    "L1.N2.b": -2.8,
    "L2.N1.w1": 0.6,
    "L2.N1.w2": 0.8,
    "L2.N1.b": 0.3,
}

#: Training ``icecream_network(output_bias=0.0)`` on the table with the MSE loss
#: (full-batch gradient descent, lr 0.002, 500 epochs) brings the MSE below this
#: (to about 0.00074).
ICECREAM_MSE_TARGET = 0.001


def icecream_network(output_bias: float | None = None) -> MLP:
    """The ice-cream article's network: MLP(2, [2, 1]), ReLU everywhere, set to ``ICECREAM_PARAMETERS``.

    ``output_bias`` replaces the output neuron's bias ``L2.N1.b`` (the article
    starts its search from 0.0); None keeps the trained 0.3.
    """
    model = MLP(2, [2, 1], activation="relu", output_activation="relu", seed=0)
    state = dict(ICECREAM_PARAMETERS)
    if output_bias is not None:
        state["L2.N1.b"] = output_bias
    model.load_state_dict(state)
    return model


def tower_network(
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> MLP:
    """The universal-approximation article's tower as five sigmoid neurons: MLP(2, [4, 1]).

    L1.N1..N4 are the four walls (weights k on x or y, biases -k * edge);
    L2.N1 adds them with weights +s, -s, +s, -s and bias -1.1 s. It computes
    ``nn.data.tower`` exactly (up to rounding).
    """
    k, s = float(steepness), float(sharpness)
    model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    walls = [(k, 0.0, x_range[0]), (k, 0.0, x_range[1]), (0.0, k, y_range[0]), (0.0, k, y_range[1])]
    state: dict[str, float] = {}
    for j, (wx, wy, edge) in enumerate(walls, start=1):
        state[f"L1.N{j}.w1"] = wx
        state[f"L1.N{j}.w2"] = wy
        state[f"L1.N{j}.b"] = -k * edge
    for j, sign in enumerate((1.0, -1.0, 1.0, -1.0), start=1):
        state[f"L2.N1.w{j}"] = sign * s
    state["L2.N1.b"] = -1.1 * s
    model.load_state_dict(state)
    return model
