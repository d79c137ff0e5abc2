"""save / load: bit-exact floats, strict JSON, atomic writes, every malformed file refused."""

from __future__ import annotations

import json
import math
import os
import struct

import pytest

import nn
import nn.serialization as serialization
from autograd import Value
from nn import MLP, Activation, BatchNorm, Dropout, Layer, Sequential, StateError, load_model

AWKWARD = [0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3, -2.5e-310, 123456789.12345679, 1e-7]


def bits(x):
    return struct.pack("<d", x)


def awkward_model():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    for name, value in zip(state, AWKWARD * 3):
        state[name] = value
    model.load_state_dict(state)
    return model


def test_to_json_is_exactly_what_save_writes(tmp_path):
    model = Sequential(Layer(2, 3, "linear", seed=0), BatchNorm(3), Dropout(0.2), Layer(3, 1, "tanh", seed=1))
    path = tmp_path / "model.json"
    model.save(path)
    text = serialization.to_json(model)
    assert isinstance(text, str) and path.read_bytes() == text.encode("utf-8") and text.endswith("}\n")
    assert json.loads(text) == serialization.model_document(model)
    model.parameters()[0].data = math.inf
    with pytest.raises(StateError, match="cannot save: entry 'L1.N1.w1' is inf"):
        serialization.to_json(model)


def test_save_then_load_is_bit_exact(tmp_path):
    model = awkward_model()
    path = tmp_path / "model.json"
    model.save(path)
    again = MLP(2, [3, 1], seed=99).load(path)
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert bits(a) == bits(b), name
    assert bits(again.state_dict()["L1.N1.w2"]) == bits(-0.0)


def test_saved_file_is_strict_json_with_architecture(tmp_path):
    path = tmp_path / "m.json"
    awkward_model().save(path)

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    document = json.loads(path.read_text(), parse_constant=refuse)
    assert document["format"] == "tracegrad.nn" and document["version"] == 1
    assert document["model"] == {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu",
                                 "output_activation": "linear"}
    assert list(document["state"])[:2] == ["L1.N1.w1", "L1.N1.w2"]


def test_buffers_round_trip_and_load_model_rebuilds(tmp_path):
    model = Sequential(Layer(2, 3, "linear", seed=0), BatchNorm(3), Dropout(0.2), Layer(3, 2, "tanh", seed=1))
    model.forward_batch([[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]])  # moves the running statistics
    path = tmp_path / "seq.json"
    model.save(path)
    rebuilt = load_model(path)
    assert isinstance(rebuilt, Sequential) and rebuilt.config() == model.config()
    assert rebuilt.state_dict() == model.state_dict()
    assert rebuilt.layers[1].running_var == model.layers[1].running_var
    model.eval(), rebuilt.eval()
    assert [v.data for v in rebuilt([0.3, 0.4])] == [v.data for v in model([0.3, 0.4])]
    mlp = awkward_model()
    mlp.save(path)
    assert isinstance(load_model(path), MLP)


def good_document(model):
    return serialization.model_document(model)


def malformed_cases(model):
    document = good_document(model)
    state = document["state"]

    def with_state(**changes):
        return json.dumps({**document, "state": {**state, **changes}})

    missing = {k: v for k, v in state.items() if k != "L1.N2.b"}
    return [
        ("not json", "{ this is not json", "is not valid JSON"),
        ("a list", "[1, 2]", "expected a JSON object"),
        ("wrong format", json.dumps({**document, "format": "other"}), "not a tracegrad model file"),
        ("wrong version", json.dumps({**document, "version": 7}), "unsupported version 7"),
        ("no state", json.dumps({k: v for k, v in document.items() if k != "state"}), "'state' must be a JSON object"),
        ("no model", json.dumps({k: v for k, v in document.items() if k != "model"}), "'model' must be a JSON object"),
        ("other sizes", json.dumps({**document, "model": {**document["model"], "nouts": [4, 1]}}),
         "different architecture: nouts.0: file has 4, model has 3"),
        ("other activation", json.dumps({**document, "model": {**document["model"], "activation": "tanh"}}),
         "activation: file has 'tanh', model has 'relu'"),
        ("other kind", json.dumps({**document, "model": {"type": "Sequential", "modules": []}}),
         "different architecture"),
        ("missing entry", json.dumps({**document, "state": missing}), "missing entry 'L1.N2.b'"),
        ("extra entry", with_state(**{"L3.N1.w1": 0.5}), "unexpected entry 'L3.N1.w1'"),
        ("string", with_state(**{"L1.N1.w1": "0.5"}), "entry 'L1.N1.w1' is not a number: str '0.5'"),
        ("bool", with_state(**{"L1.N1.b": True}), "entry 'L1.N1.b' is a bool"),
        ("null", with_state(**{"L2.N1.w3": None}), "entry 'L2.N1.w3' is not a number: NoneType"),
        ("list", with_state(**{"L2.N1.w3": [1.0]}), "entry 'L2.N1.w3' is not a number: list"),
        ("NaN", with_state(**{"L1.N3.w1": math.nan}), "entry 'L1.N3.w1' is nan"),
        ("Infinity", with_state(**{"L1.N3.w1": -math.inf}), "entry 'L1.N3.w1' is -inf"),
        ("overflowing number", json.dumps({**document, "state": {**state, "L1.N3.w2": 0.0}}).replace(
            '"L1.N3.w2": 0.0', '"L1.N3.w2": 1e400'), "entry 'L1.N3.w2' is inf"),
        ("huge int", json.dumps({**document, "state": {**state, "L1.N3.w2": 10 ** 400}}),
         "entry 'L1.N3.w2' is too large for a float"),
        # json keeps the last of a repeated key: the file would silently mean something else.
        ("duplicate state key", json.dumps({**document, "state": {**state, "L1.N1.w1": 0.5}})[:-2]
         + ', "L1.N1.w1": 0.25}}', "key 'L1.N1.w1' appears twice in one JSON object"),
        ("duplicate top-level key", json.dumps(document)[:-1] + ', "version": 1}',
         "key 'version' appears twice in one JSON object"),
        ("version true", json.dumps({**document, "version": True}), "unsupported version True"),
        ("version 1.0", json.dumps({**document, "version": 1.0}), "unsupported version 1.0"),
    ]


@pytest.mark.parametrize("case", range(23))
def test_every_malformed_file_is_refused_naming_the_entry_and_model_unchanged(tmp_path, case):
    model = awkward_model()
    name, text, message = malformed_cases(model)[case]
    path = tmp_path / "bad.json"
    path.write_text(text)
    before = {k: bits(v) for k, v in model.state_dict().items()}
    with pytest.raises(StateError) as caught:
        model.load(path)
    assert message in str(caught.value), name
    assert {k: bits(v) for k, v in model.state_dict().items()} == before


def test_case_list_is_complete():
    assert len(malformed_cases(awkward_model())) == 23


def test_ints_in_a_file_are_read_as_floats(tmp_path):
    model = MLP(1, [1], seed=0)
    document = good_document(model)
    document["state"] = {"L1.N1.w1": 2, "L1.N1.b": -1}
    path = tmp_path / "ints.json"
    path.write_text(json.dumps(document))
    model.load(path)
    assert model.state_dict() == {"L1.N1.w1": 2.0, "L1.N1.b": -1.0}


def _old_file(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=1).save(path)
    return path, path.read_bytes()


def test_crash_after_writing_before_the_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path, old = _old_file(tmp_path)
    written = []

    def power_cut(descriptor):
        # The new text is in the temporary file, not yet flushed nor renamed over the old one.
        (temporary,) = [name for name in os.listdir(tmp_path) if name != "model.json"]
        written.append((tmp_path / temporary).read_text())
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization.os, "fsync", power_cut)
    with pytest.raises(KeyboardInterrupt):
        awkward_model().save(path)
    monkeypatch.undo()
    assert written == [serialization.to_json(awkward_model())]
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind
    MLP(2, [3, 1], seed=5).load(path)  # still loads


def test_crash_at_replace_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path, old = _old_file(tmp_path)

    def refuse(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        awkward_model().save(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["model.json"]


def test_crash_while_creating_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def crash(descriptor):
        raise RuntimeError("crash")

    monkeypatch.setattr(serialization.os, "fsync", crash)
    with pytest.raises(RuntimeError):
        awkward_model().save(tmp_path / "new.json")
    assert os.listdir(tmp_path) == []


def test_saving_a_non_finite_model_is_refused_and_the_old_file_kept(tmp_path):
    path, old = _old_file(tmp_path)
    model = MLP(2, [3, 1], seed=0)
    model.parameters()[4].data = math.nan
    with pytest.raises(StateError, match="cannot save: entry 'L1.N2.w2' is nan"):
        model.save(path)
    assert path.read_bytes() == old


def test_overwrite_keeps_the_file_permissions(tmp_path):
    path, _ = _old_file(tmp_path)
    os.chmod(path, 0o640)
    awkward_model().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_missing_file_is_a_plain_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [3, 1]).load(tmp_path / "absent.json")


@pytest.mark.parametrize("how", ["load", "load_model"])
def test_a_file_that_is_not_utf8_is_a_state_error_naming_the_file(tmp_path, how):
    path = tmp_path / "latin1.json"
    text = json.dumps(good_document(MLP(2, [3, 1], seed=0)))
    path.write_bytes(text.encode("utf-8")[:-1] + b', "note": "caf\xe9"}')  # Latin-1, not UTF-8
    with pytest.raises(StateError, match=rf"{path.name} is not UTF-8 text \(byte \d+ is b'\\xe9'\)"):
        if how == "load":
            MLP(2, [3, 1], seed=0).load(path)
        else:
            load_model(path)


def test_a_load_that_names_each_key_once_still_works(tmp_path):
    # the duplicate-key guard must not refuse the same key in different objects
    model = Sequential(Layer(2, 2, "linear", seed=0), Layer(2, 1, "linear", seed=1))
    path = tmp_path / "seq.json"
    model.save(path)
    assert path.read_text().count('"type"') == 3
    assert load_model(path).state_dict() == model.state_dict()


def _document_with(model_config, state):
    return json.dumps({"format": "tracegrad.nn", "version": 1, "model": model_config, "state": state})


def test_load_model_checks_the_size_against_the_state_before_building(tmp_path, monkeypatch):
    small = good_document(MLP(2, [3, 1], seed=0))
    built = []
    real_build = serialization.build

    def recording_build(config):
        built.append(config)
        return real_build(config)

    monkeypatch.setattr(serialization, "build", recording_build)
    path = tmp_path / "huge.json"
    # nouts [10**9] used to be built (10**9 neurons) before the 13 entries were compared.
    path.write_text(_document_with({**small["model"], "nouts": [10 ** 9, 1]}, small["state"]))
    with pytest.raises(StateError, match=r"huge.json: the architecture implies 4000000001 state entries "
                                         r"but the file's state holds 13"):
        load_model(path)
    assert built == []
    path.write_text(_document_with({"type": "Sequential", "modules": [
        {"type": "Layer", "nin": 2, "nout": 10 ** 12, "activation": "relu"}]}, small["state"]))
    with pytest.raises(StateError, match=r"implies 3000000000000 state entries"):
        load_model(path)
    assert built == []


@pytest.mark.parametrize("change, message", [
    ({"nin": True}, "nin must be a positive int, got True"),
    ({"nin": "2"}, "nin must be a positive int, got '2'"),
    ({"nin": 0}, "nin must be a positive int, got 0"),
    ({"nouts": [3, 1.0]}, r"nouts\[1\] must be a positive int, got 1.0"),
    ({"nouts": [-3, 1]}, r"nouts\[0\] must be a positive int, got -3"),
    ({"nouts": []}, "nouts must be a non-empty list"),
    ({"nouts": 3}, "nouts must be a non-empty list"),
    ({"type": "Transformer"}, "unknown module type 'Transformer'"),
    ({"activation": "swish"}, "activation must be one of relu, .*; got 'swish'"),
    ({"type": ["MLP"]}, r"unknown module type \['MLP'\]"),
])
def test_load_model_refuses_a_bad_architecture_naming_the_file(tmp_path, change, message):
    document = good_document(MLP(2, [3, 1], seed=0))
    path = tmp_path / "bad.json"
    path.write_text(_document_with({**document["model"], **change}, document["state"]))
    with pytest.raises(StateError, match=rf"bad.json: .*{message}"):
        load_model(path)


def test_sequential_parts_are_checked_with_their_position(tmp_path):
    path = tmp_path / "seq.json"
    path.write_text(_document_with({"type": "Sequential", "modules": [
        {"type": "Layer", "nin": 2, "nout": 3}, {"type": "BatchNorm", "num_features": False}]}, {}))
    with pytest.raises(StateError, match=r"modules\[1\]\.num_features must be a positive int, got False"):
        load_model(path)


@pytest.mark.parametrize("model", [
    MLP(3, [4, 5, 2]), Layer(3, 2), Layer(1, 1),
    Sequential(Layer(2, 3, "linear"), BatchNorm(3), Activation("tanh"), Dropout(0.2), Layer(3, 2)),
    Sequential(Sequential(Layer(2, 2)), MLP(2, [1])),
], ids=["mlp", "layer", "layer-1-1", "sequential", "nested"])
def test_implied_entries_counts_what_building_makes(model):
    assert serialization.implied_entries(model.config()) == len(model.state_dict())


# --- the registry of module types ---------------------------------------------------------


def test_every_module_type_is_registered_under_its_config_type():
    from nn.module import MODULE_TYPES

    for kind in (MLP, Layer, Activation, Dropout, BatchNorm, Sequential, nn.Neuron):
        assert MODULE_TYPES[kind.__name__] is kind
    for model in (MLP(2, [3, 1]), nn.Neuron(3), Activation("tanh"), Dropout(0.3), BatchNorm(2)):
        assert MODULE_TYPES[model.config()["type"]] is type(model)
        rebuilt = serialization.build(model.config())
        assert type(rebuilt) is type(model) and rebuilt.config() == model.config()


def test_a_learners_own_module_registers_itself_and_round_trips(tmp_path):
    class Scale(nn.Module):
        """y = s x for every input, with one parameter s."""

        def __init__(self, start: float = 1.0) -> None:
            self.s = Value(start)
            self._assign_name("")

        def _own_parameters(self):
            return [("s", self.s)]

        def config(self):
            return self._config()

        def _forward(self, inputs):
            return [self.s * x for x in inputs]

    model = Sequential(Layer(2, 2, "tanh", seed=0), Scale())
    model.layers[1].s.data = 2.5
    path = tmp_path / "scaled.json"
    model.save(path)
    assert json.loads(path.read_text())["model"]["modules"][1] == {"type": "Scale"}
    rebuilt = load_model(path)
    assert type(rebuilt.layers[1]) is Scale and rebuilt.state_dict() == model.state_dict()
    assert serialization.implied_entries(model.config()) == 7  # counted by building it: no sizes to read


def test_a_class_defined_again_replaces_the_earlier_one():
    from nn.module import MODULE_TYPES

    def define():
        class Twice(Activation):
            pass

        return Twice

    first, second = define(), define()
    assert first is not second and MODULE_TYPES["Twice"] is second


def test_fit_save_load_and_to_torch_work_from_a_bare_nn_module_import(tmp_path):
    """No registry to fill first: the methods import what they run, whatever the caller imported."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from nn.module import Module\n"
        "from nn.layers import Neuron\n"
        "model = Neuron(2, activation='linear', seed=0)\n"
        f"model.save({str(tmp_path / 'n.json')!r})\n"
        f"print(type(Neuron(2, activation='linear', seed=1).load({str(tmp_path / 'n.json')!r})).__name__)\n"
        "print(type(model.fit([[1.0, 2.0]], [0.5], epochs=1, verbose=False)).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Neuron", "History"]


# --- issue 12: bounded reads, values validated, load and load_model agree ----------------------


def _refused_in_a_subprocess(path):
    """load_model(path) in a child process, bounded by a timeout: the error text (a hang fails)."""
    import subprocess
    import sys

    code = (
        "import sys, nn\n"
        "try:\n    nn.load_model(sys.argv[1])\n"
        "except nn.StateError as error:\n    print('refused:', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return result.stdout + result.stderr


def test_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path):
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")
    assert "is not a regular file" in _refused_in_a_subprocess(link)


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    assert "is not a regular file" in _refused_in_a_subprocess(fifo)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    size = path.stat().st_size
    assert serialization.MAX_FILE_BYTES == 64 * 2**20  # the documented limit
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(StateError, match=f"holds {size} bytes, more than a model file may \\({size - 1}\\)"):
        load_model(path)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size)
    assert load_model(path).config() == MLP(2, [3, 1]).config()


def _both_refuse(path, model, match):
    before = model.state_dict()
    with pytest.raises(StateError, match=match):
        model.load(path)
    assert model.state_dict() == before
    with pytest.raises(StateError, match=match):
        load_model(path)


def _written(tmp_path, document):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    return path


def test_a_negative_running_variance_is_refused_by_load_and_load_model(tmp_path):
    model = Sequential(Layer(2, 2, seed=0), BatchNorm(2))
    document = good_document(model)
    document["state"]["L2.running_var2"] = -0.5
    _both_refuse(_written(tmp_path, document), model, r"'L2.running_var2' is -0.5: a variance cannot be negative")


def test_a_size_that_is_a_float_is_refused_by_load_and_load_model(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    document = good_document(model)
    document["model"]["nouts"] = [3.0, 1]
    _both_refuse(_written(tmp_path, document), model, r"nouts")


def test_an_extra_top_level_key_is_refused_by_load_and_load_model(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    document = good_document(model)
    document["comment"] = "trained on Tuesday"
    _both_refuse(_written(tmp_path, document), model, r"unexpected top-level key 'comment'")


# --- nesting: measured without recursion, refused past MAX_NESTING, never a RecursionError ---

def nested_document(depth):
    """A valid model file: a Layer inside ``depth - 1`` Sequentials, with its two state entries."""
    model = {"type": "Layer", "nin": 1, "nout": 1, "activation": "linear"}
    for _ in range(depth - 1):
        model = {"type": "Sequential", "modules": [model]}
    prefix = "L1." * (depth - 1)
    return {"format": "tracegrad.nn", "version": 1, "model": model,
            "state": {prefix + "N1.w1": 0.5, prefix + "N1.b": 0.25}}


def nested_model(depth):
    model = Layer(1, 1, "linear", seed=0)
    for _ in range(depth - 1):
        model = Sequential(model)
    return model


def test_the_issues_400_deep_file_is_a_state_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(nested_document(401)))
    assert 15_000 < path.stat().st_size < 40_000  # a small, valid file
    with pytest.raises(StateError, match=r"deep\.json: the model nests modules 401 deep, more than a model file "
                                         r"may \(100\)"):
        load_model(path)  # was: RecursionError
    with pytest.raises(StateError, match="nests modules 401 deep"):
        nested_model(2).load(path)


def test_the_deepest_model_allowed_round_trips_and_one_more_is_refused_by_save_and_load(tmp_path):
    assert serialization.MAX_NESTING == 100
    path = tmp_path / "model.json"
    deepest = nested_model(100)
    deepest.save(path)
    rebuilt = load_model(path)
    assert rebuilt.state_dict() == deepest.state_dict() and rebuilt([2.0]).data == deepest([2.0]).data
    with pytest.raises(StateError, match=r"cannot save: the model nests modules 101 deep, more than a model file "
                                         r"may \(100\)"):
        nested_model(101).save(path)
    path.write_text(json.dumps(nested_document(101)))
    with pytest.raises(StateError, match="nests modules 101 deep"):
        load_model(path)


def test_a_model_too_deep_for_python_to_describe_cannot_be_saved(tmp_path):
    import sys

    path = tmp_path / "model.json"
    model = nested_model(150)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)  # (a 500-deep model reaches the default limit, but takes seconds to build)
    try:
        with pytest.raises(StateError, match="cannot save: the model nests modules too deeply to describe"):
            model.save(path)  # config() recurses past Python's limit
    finally:
        sys.setrecursionlimit(limit)
    assert not path.exists()


def test_a_recursion_error_while_reading_is_a_state_error(tmp_path, monkeypatch):
    # The nesting check comes first; should anything else recurse too deeply, it is still a StateError.
    path = tmp_path / "model.json"
    nested_model(3).save(path)

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(serialization, "build", too_deep)
    with pytest.raises(StateError, match="model.json: the model nests modules too deeply to read"):
        load_model(path)
    monkeypatch.setattr(serialization, "_first_difference", too_deep)
    with pytest.raises(StateError, match="model.json: the model nests modules too deeply to read"):
        nested_model(3).load(path)
