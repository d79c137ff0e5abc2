"""Passing the current language on to the views that take a ``lang=`` argument."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from autograd.i18n import current


def with_language(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, passing ``lang=`` the current language when it takes one.

    The views (``draw``, ``html_page``, ``explain``) write their own words in
    the current language anyway; a page also declares its language, so it is
    given ``lang`` explicitly wherever the function accepts it.
    """
    try:
        takes_lang = "lang" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        takes_lang = False
    if takes_lang:
        kwargs.setdefault("lang", current())
    return function(*args, **kwargs)
