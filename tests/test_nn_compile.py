"""fit(compile=True): one program per batch size, the same History and parameters, bit for bit."""

from __future__ import annotations

import struct

import pytest

import nn
from autograd import compiler
from nn import MLP, SGD, Adam, BatchNorm, Dropout, Layer, Sequential, data


def bits(values):
    return [struct.pack("<d", v) for v in values]


def train(compile, batch_size, loss="hinge", l1=0.0, l2=0.0, optimizer=SGD, **options):
    X, y = data.make_moons(30, seed=2) if loss == "hinge" else data.icecream(scaled=True)
    model = MLP(2, [6, 5, 1], seed=3)
    opt = optimizer(model, lr=0.05) if optimizer is Adam else optimizer(model, lr=0.05, momentum=0.9)
    history = model.fit(X, y, loss=loss, optimizer=opt, epochs=4, batch_size=batch_size, verbose=False,
                        l1=l1, l2=l2, compile=compile, **options)
    return history, model


@pytest.mark.parametrize("batch_size", [None, 8, 1], ids=["full batch", "mini-batch", "SGD"])
@pytest.mark.parametrize("loss, l1, l2, optimizer", [
    ("hinge", 0.0, 0.0, SGD), ("hinge", 0.0, 1e-3, SGD), ("mse", 1e-3, 0.0, Adam), ("mse", 0.0, 1e-2, SGD),
])
def test_compiled_fit_gives_the_eager_history_bit_for_bit(batch_size, loss, l1, l2, optimizer):
    eager, eager_model = train(False, batch_size, loss, l1, l2, optimizer)
    compiled, compiled_model = train(True, batch_size, loss, l1, l2, optimizer)
    assert bits(compiled.loss) == bits(eager.loss) and bits(compiled.accuracy) == bits(eager.accuracy)
    assert compiled.steps == eager.steps
    assert bits(compiled_model.state_dict().values()) == bits(eager_model.state_dict().values())
    assert compiled.loss and (loss != "hinge" or compiled.accuracy)


def test_one_program_per_batch_size(monkeypatch):
    made = []
    original = compiler.compile

    def counting(*args, **kwargs):
        made.append(len(kwargs["inputs"]))
        return original(*args, **kwargs)

    monkeypatch.setattr("nn.training.compile_graph", counting)
    train(True, 8)  # 30 samples: batches of 8, 8, 8 and 6, four epochs
    assert made == [8 * 2 + 8, 6 * 2 + 6]


def test_validation_data_and_callbacks_work_compiled():
    X, y = data.make_moons(20, seed=0)
    Xv, yv = data.make_moons(10, seed=1)
    runs = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=0)
        runs.append(model.fit(X, y, loss="hinge", epochs=3, verbose=False, validation_data=(Xv, yv),
                              compile=compile).as_dict())
    assert runs[0] == runs[1]


@pytest.mark.parametrize("loss", ["bce", "bce_with_logits", "cross_entropy"])
def test_losses_whose_graph_depends_on_the_data_are_refused(loss):
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"compile=True\) runs the losses mse, hinge: .* use compile=False"):
        model.fit([[0.0, 1.0]], [1], loss=loss, epochs=1, verbose=False, compile=True)


@pytest.mark.parametrize("module, name", [(Dropout(0.5), "Dropout L2"), (BatchNorm(3), "BatchNorm L2")])
def test_dropout_and_batchnorm_are_refused_with_a_clear_error(module, name):
    model = Sequential(Layer(2, 3, seed=0), module, Layer(3, 1, "linear", seed=1))
    with pytest.raises(ValueError, match=f"cannot run {name}: its graph changes at every step"):
        model.fit([[0.0, 1.0], [1.0, 0.0]], [1.0, 0.0], epochs=1, verbose=False, compile=True)


def test_dropout_of_zero_compiles():
    X, y = data.icecream(scaled=True)
    runs = []
    for compile in (False, True):
        model = Sequential(Layer(2, 3, seed=0), Dropout(0.0), Layer(3, 1, "linear", seed=1))
        runs.append(bits(model.fit(X, y, epochs=3, verbose=False, compile=compile).loss))
    assert runs[0] == runs[1]


def test_compile_must_be_a_bool_and_samples_are_checked_up_front():
    model = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match="compile"):
        model.fit([[0.0, 1.0]], [1.0], epochs=1, verbose=False, compile="yes")
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \(sample 1\), got 3"):
        model.fit([[0.0, 1.0], [1.0, 2.0, 3.0]], [1.0, 0.0], epochs=1, verbose=False, compile=True)


def test_optimisers_by_name():
    assert nn.OPTIMIZERS == {"sgd": SGD, "adam": Adam}
