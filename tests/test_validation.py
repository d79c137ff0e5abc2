"""autograd.validation: one rule for bad arguments in every layer.

Wrong type -> TypeError; right type but a bad value -> ValueError; each
message names the argument and shows what was given.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

from autograd.validation import choice, instance, integer, is_real, real


# --- is_real ---

@pytest.mark.parametrize("value", [0, -3, 2.5, math.inf, math.nan, np.float32(1.5), np.int64(2), 10**400])
def test_is_real_for_numbers(value):
    assert is_real(value)


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "1.0", None, 1j, [1.0], object()])
def test_is_real_is_false_for_bools_and_non_numbers(value):
    assert not is_real(value)


# --- real ---

def test_real_returns_a_float():
    assert real(3, "lr") == 3.0 and type(real(3, "lr")) is float
    assert type(real(np.float32(0.5), "lr")) is float
    assert real(-math.inf, "x", finite=False) == -math.inf
    assert math.isnan(real(math.nan, "x", finite=False, nan=True))


@pytest.mark.parametrize("value, kind", [("0.1", "str"), (True, "bool"), (None, "NoneType"), (1j, "complex"),
                                         (np.bool_(False), "bool")])
def test_real_refuses_a_non_number_with_type_error(value, kind):
    with pytest.raises(TypeError, match=f"^lr must be a real number, got {kind} "):
        real(value, "lr")


@pytest.mark.parametrize("value, kwargs, message", [
    (-0.1, {"low": 0.0}, "lr must be a finite number >= 0, got -0.1"),
    (0.0, {"low": 0.0, "low_open": True}, "lr must be a finite number > 0, got 0.0"),
    (1.0, {"low": 0.0, "high": 1.0, "high_open": True}, r"lr must be a finite number in \[0, 1\), got 1.0"),
    (0.0, {"low": 0.0, "high": 1.0, "low_open": True}, r"lr must be a finite number in \(0, 1\], got 0.0"),
    (2.5, {"high": 2.0}, "lr must be a finite number <= 2, got 2.5"),
    (math.inf, {}, "lr must be a finite number, got inf"),
    (math.nan, {}, "lr must be a finite number, got nan"),
    (math.nan, {"finite": False}, "lr must be a number, got nan"),
    (math.nan, {"low": 0.0, "finite": False}, "lr must be a number >= 0, got nan"),
    (-math.inf, {"low": 0.0, "finite": False}, "lr must be a number >= 0, got -inf"),
])
def test_real_refuses_a_bad_value_with_value_error(value, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        real(value, "lr", **kwargs)


def test_real_accepts_values_on_a_closed_bound():
    assert real(0, "lr", low=0.0) == 0.0 and real(1, "p", low=0.0, high=1.0) == 1.0


def test_an_int_too_large_for_a_float_is_a_value_error_shown_short():
    with pytest.raises(ValueError, match=r"^x is too large for a float .*, got 10000000\.\.\.\(401 digits\)$"):
        real(10**400, "x")
    with pytest.raises(ValueError, match=r"got -1000000\.\.\.\(401 digits\)$"):
        real(-(10**400), "x", finite=False)


# --- integer ---

def test_integer_returns_an_int():
    assert integer(3, "epochs") == 3 and type(integer(np.int64(3), "epochs")) is int
    assert integer(1, "epochs", minimum=1, maximum=1) == 1


@pytest.mark.parametrize("value, kind", [(2.0, "float"), (True, "bool"), ("3", "str"), (None, "NoneType")])
def test_integer_refuses_a_non_int_with_type_error(value, kind):
    with pytest.raises(TypeError, match=f"^epochs must be an int, got {kind} "):
        integer(value, "epochs")


@pytest.mark.parametrize("value, kwargs, message", [
    (0, {"minimum": 1}, "epochs must be an int >= 1, got 0"),
    (11, {"maximum": 10}, "epochs must be an int <= 10, got 11"),
    (-1, {"minimum": 0, "maximum": 5}, r"epochs must be an int in \[0, 5\], got -1"),
])
def test_integer_refuses_a_value_out_of_bounds_with_value_error(value, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        integer(value, "epochs", **kwargs)


# --- choice ---

def test_choice_returns_the_choice():
    assert choice("zh", "lang", ("en", "zh")) == "zh"


def test_choice_refuses_a_non_str_with_type_error():
    with pytest.raises(TypeError, match="^lang must be a str, one of en, zh; got int$"):
        choice(1, "lang", ("en", "zh"))


def test_choice_refuses_an_unknown_str_with_value_error():
    with pytest.raises(ValueError, match="^lang must be one of en, zh; got 'fr'$"):
        choice("fr", "lang", ("en", "zh"))


# --- instance ---

def test_instance_returns_the_value():
    path = pathlib.Path("x")
    assert instance(path, "path", pathlib.Path) is path
    assert instance("x", "path", (str, pathlib.Path)) == "x"


def test_instance_refuses_another_type_with_type_error():
    with pytest.raises(TypeError, match="^title must be str, got int$"):
        instance(3, "title", str)
    with pytest.raises(TypeError, match="^path must be str or Path, got NoneType$"):
        instance(None, "path", (str, pathlib.Path))
