"""nn.app.notebook: the one module both editions of the notebooks import (language, check, live)."""

from __future__ import annotations

import math
import warnings

import matplotlib
import pytest

from autograd.viz.text import CJK_FONT_STACK, CJK_FONTS
from nn.app import notebook


@pytest.fixture(autouse=True)
def english_afterwards():
    saved = matplotlib.rcParams.copy()
    yield
    notebook.setup("en")
    matplotlib.rcParams.update(saved)


@pytest.mark.widgets
def test_moving_a_control_calls_the_function_again_with_the_new_value(monkeypatch):
    import IPython.display
    import ipywidgets

    shown, updated = [], []

    class Handle:
        def update(self, what):
            updated.append(what)

    def display(what, display_id=False):
        shown.append(what)
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    calls = []
    slider = ipywidgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, description="learning rate")
    choice = ipywidgets.Dropdown(options=["L1", "L2"], value="L2")
    notebook.live(lambda lr, penalty: calls.append((lr, penalty)) or f"figure {len(calls)}", lr=slider, penalty=choice)
    assert calls == [(0.1, "L2")] and shown[-1] == "figure 1" and updated == []
    assert slider.continuous_update is False  # redraw when let go, not at every pixel
    slider.value = 0.5
    choice.value = "L1"
    assert calls == [(0.1, "L2"), (0.5, "L2"), (0.5, "L1")]
    assert updated == ["figure 2", "figure 3"]


@pytest.mark.widgets
def test_live_refuses_something_that_is_not_a_control():
    with pytest.raises(TypeError, match="control 'lr': expected an ipywidgets control, got float"):
        notebook.live(lambda lr: None, lr=0.1)


# --- the check --------------------------------------------------------------


def test_check_waits_for_an_answer(capsys):
    notebook.check(..., 1.0, hint="h", success="s", what="tuple")
    assert capsys.readouterr().out == "Not answered yet: replace ... with your tuple, then run this cell again.\n"


def test_check_accepts_a_close_number_and_says_so(capsys):
    notebook.check(0.1 + 0.2, 0.3, hint="h", success="three tenths.")
    assert capsys.readouterr().out == "Correct! three tenths.\n"


def test_a_wrong_answer_is_a_message_with_what_was_asked_and_the_hint_not_an_error(capsys):
    notebook.check(0.31, 0.3, asked="the sum of the two numbers.", hint="Add the two.", success="s")
    assert capsys.readouterr().out == (
        "Not quite: you answered 0.31. Asked for: the sum of the two numbers. Hint: Add the two.\n")
    assert not hasattr(notebook, "WrongAnswer")


def test_in_a_notebook_the_message_is_a_coloured_box_with_its_plain_text(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(notebook, "_show", lambda kind, text: shown.append(notebook._Box(kind, text)))
    notebook.check(0.5, 0.3, asked="a <b> & c", hint="h", success="s")
    notebook.check(0.3, 0.3, hint="h", success="done")
    wrong, right = shown
    assert "#c62828" in wrong._repr_html_() and "a &lt;b&gt; &amp; c" in wrong._repr_html_()
    assert repr(wrong).startswith("Not quite: you answered 0.5.") and "#2e7d32" in right._repr_html_()
    assert IPython.display is not None


def test_hand_arithmetic_to_four_figures_is_right_and_a_count_must_be_exact(capsys):
    # notebook 10: 0.04 x 0.7864 for 0.04 x (1 - tanh(0.5)**2); notebook 02: 9.54e-7 for 0.25**10.
    for hand, exact in ((0.04 * 0.7864, 0.04 * (1 - math.tanh(0.5) ** 2)), (9.54e-7, 0.25 ** 10)):
        notebook.check(hand, exact, hint="h", success="s")
        assert capsys.readouterr().out.startswith("Correct!")
    for wrong, exact in ((0.0320, 0.04 * (1 - math.tanh(0.5) ** 2)), (9.6e-7, 0.25 ** 10), (390, 391)):
        notebook.check(wrong, exact, hint="h", success="s")
        assert capsys.readouterr().out.startswith("Not quite")
    notebook.check(1.0 + 1e-7, 1.0, hint="h", success="s", rel_tol=1e-9)
    assert capsys.readouterr().out.startswith("Not quite")


def test_check_compares_tuples_and_lists_element_by_element(capsys):
    notebook.check(([3, 7.0], (2.5,)), [[3.0, 7.0], [2.5]], hint="h", success="s")
    assert "Correct!" in capsys.readouterr().out
    for wrong in ([[3.0, 7.0]], [[3.0, 7.0], [2.5], [0.0]], [[3.0, 6.0], [2.5]], "37", 3.0, [[3.0, 7.0], 2.5]):
        notebook.check(wrong, [[3.0, 7.0], [2.5]], hint="h", success="s")
        assert capsys.readouterr().out.startswith("Not quite"), wrong
    assert notebook.matches([[1, 7.0], (2.5,)], [[1.0, 7.0], [2.5]])
    assert not notebook.matches(True, 1)


def test_check_asks_a_predicate_and_treats_an_unusable_answer_as_wrong(capsys):
    notebook.check((1.0, 2.0), lambda corners: corners[0] < corners[1], hint="h", success="in order.")
    assert capsys.readouterr().out == "Correct! in order.\n"
    notebook.check((2.0, 1.0), lambda corners: corners[0] < corners[1], hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: you answered (2, 1).")
    notebook.check("a", lambda corners: corners[0] < corners[1], hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: 'a' cannot be used as a number.")
    notebook.check(3, lambda corners: corners[0] < corners[1], what="tuple", hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: 3 cannot be used as a tuple.")


def test_check_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="lang must be one of en, zh; got 'fr'"):
        notebook.check(1.0, 1.0, hint="h", success="s", lang="fr")


# --- the Chinese edition -------------------------------------------------------------------


def test_the_chinese_check_speaks_chinese_and_compares_like_the_english_one(capsys):
    notebook.setup("zh")
    notebook.check(..., 1.0, hint="h", success="s", what="元组")
    assert capsys.readouterr().out == "还没有作答：把 ... 换成你的元组，然后再运行这个单元格。\n"
    notebook.check(..., 1.0, hint="h", success="s")
    assert capsys.readouterr().out == "还没有作答：把 ... 换成你的数字，然后再运行这个单元格。\n"
    notebook.check(([3, 7.0], (2.5,)), [[3.0, 7.0], [2.5]], hint="h", success="三十七。")
    assert capsys.readouterr().out == "正确！三十七。\n"
    notebook.check(0.31, 0.3, asked="两个数之和", hint="两个相加。", success="s")
    assert capsys.readouterr().out == "还差一点：你的答案是 0.31。要求的是：两个数之和。提示：两个相加。\n"
    notebook.check(3, lambda corners: corners[0] < corners[1], what="元组", hint="h", success="s")
    assert capsys.readouterr().out.startswith("还差一点：3 不能当作元组来用。")
    notebook.check(0.25, 0.25, hint="h", success="0.25.", lang="en")  # a lang= given wins
    assert capsys.readouterr().out == "Correct! 0.25.\n"


def test_an_unknown_notebook_language_is_refused_by_name():
    with pytest.raises(ValueError, match="'fr'"):
        notebook.setup("fr")


def test_chinese_plots_draw_with_the_first_installed_font_of_the_one_list(tmp_path):
    font = notebook.setup("zh")
    assert font in CJK_FONTS and "CJK" in font  # scripts/setup.sh installs Noto Sans CJK
    assert matplotlib.rcParams["font.sans-serif"][:2] == [font, "DejaVu Sans"]
    # The pages' CSS stack is the same list, in the same order.
    assert CJK_FONT_STACK == ", ".join(f'"{name}"' for name in CJK_FONTS) + ", sans-serif"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing" warning fails
        fig, ax = plt.subplots()
        ax.set_title("损失函数与学习率 −0.5")
        ax.set_xlabel("输出偏置 b")
        ax.plot([0, 1], [1, 0], label="梯度下降")
        ax.legend()
        fig.savefig(tmp_path / "zh.png")
        plt.close(fig)
