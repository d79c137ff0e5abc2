"""Live controls for the notebooks: sliders that redraw one figure in place.

A notebook cell writes a function that takes the settings and returns a
matplotlib figure, then hands it to :func:`live` with one ipywidgets control
per argument::

    from ipywidgets import FloatSlider
    from controls import live

    def descent(lr):
        fig, ax = plt.subplots()
        ...
        return fig

    live(descent, lr=FloatSlider(value=0.1, min=0.01, max=1.2, step=0.01, description="learning rate"))

``live`` shows the controls, then calls the function once with the controls'
starting values and shows its figure. Moving a control calls the function
again and replaces that figure in place (a display update, the same
mechanism as ``interact``, without ``interact``'s hidden output area). Without
a front end (the tests, ``jupyter nbconvert --execute``) only that first call
happens, so every notebook still runs top to bottom, and its figure is an
ordinary output that a static copy of the notebook shows. The notebooks'
kernel runs in this folder, so ``import controls`` finds this file.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["live"]


def _shown(result: Any) -> Any:
    """The figure as a picture, closed so that pyplot does not show it a second time."""
    from matplotlib.figure import Figure

    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)
    return result


def live(function: Callable[..., Any], **controls: Any) -> None:
    """Show ``controls`` and ``function(**their values)``; redraw whenever a control moves.

    Each keyword names an argument of ``function`` and gives its ipywidgets
    control (a slider, a dropdown ...).
    """
    import ipywidgets
    from IPython.display import display

    for name, control in controls.items():
        if not hasattr(control, "observe") or not hasattr(control, "value"):
            raise TypeError(f"control {name!r}: expected an ipywidgets control, got {type(control).__name__}")
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"  # show the whole description
        if hasattr(control, "continuous_update"):
            control.continuous_update = False  # redraw when the slider is let go, not at every pixel

    def settings() -> dict[str, Any]:
        return {name: control.value for name, control in controls.items()}

    display(ipywidgets.VBox(list(controls.values())))
    handle = display(_shown(function(**settings())), display_id=True)

    def redraw(change: Any = None) -> None:
        handle.update(_shown(function(**settings())))

    for control in controls.values():
        control.observe(redraw, names="value")
