"""The language of every message a student reads: English by default, or Chinese.

Messages go through gettext catalogues, one per layer (``views``, ``nn``,
``app``): ``autograd/locale/<lang>/LC_MESSAGES/<layer>.po``, compiled to
``.mo`` beside it; Babel extracts and compiles them (``bash
scripts/translations.sh``). A module marks its messages with the layer's
functions::

    from autograd.i18n import Catalogue
    _ = Catalogue("views").gettext
    _("the initial gradient")

The language is chosen, first match wins, by

1. ``lang=`` given to a function (``explain(..., lang="zh")``) or
   ``with autograd.i18n.language("zh"):`` around a block;
2. the environment: ``TRACEGRAD_LANG``, then the locale (``LC_ALL``,
   ``LC_MESSAGES``, ``LANG``; ``zh_CN.UTF-8`` means Chinese);
3. English.

Numbers, formulas and user labels are never translated: messages carry them
as ``{placeholders}``.

An unknown ``TRACEGRAD_LANG`` (``fr``) is a ValueError naming it, wherever
the language is read from the environment; a ``lang=`` given wins over it. A
missing ``.mo`` catalogue (a broken install) is no error: its messages stay
English, and one ``CatalogueMissingWarning`` per language names the files.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import os
import pathlib
import threading
import warnings
from collections.abc import Iterator

#: The languages tracegrad speaks, by code.
LANGUAGES = {"en": "English", "zh": "中文"}
#: One catalogue per layer that talks to a student.
DOMAINS = ("views", "nn", "app")
LOCALE_DIR = pathlib.Path(__file__).resolve().parent / "locale"

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("tracegrad_language", default=None)


def normalise(lang: object, what: str = "lang") -> str:
    """A language code as tracegrad knows it: ``zh``, ``zh_CN``, ``zh-Hans`` -> ``zh``; ``en_GB`` -> ``en``."""
    if not isinstance(lang, str):
        raise TypeError(f"{what} must be a str such as 'en' or 'zh', got {type(lang).__name__}")
    code = lang.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"{what} must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return code


def _from_environment() -> str:
    explicit = os.environ.get("TRACEGRAD_LANG")
    if explicit:
        return normalise(explicit, "TRACEGRAD_LANG")
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            code = value.replace("-", "_").split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def current() -> str:
    """The language messages are written in right now."""
    return _chosen.get() or _from_environment()


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Write messages in ``lang`` inside the block (None: leave the choice as it is)."""
    if lang is None:
        yield current()
        return
    token = _chosen.set(normalise(lang))
    try:
        yield _chosen.get() or "en"
    finally:
        _chosen.reset(token)


class CatalogueMissingWarning(RuntimeWarning):
    """A language's compiled catalogue is not installed: its messages are shown in English."""


_warned_languages: set[str] = set()
_warned_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def _translations(domain: str, lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(domain, localedir=str(LOCALE_DIR), languages=[lang])
    except FileNotFoundError:
        # A student's command must not stop half-way for want of a translation: English, said once.
        _warn_missing(lang)
        return _gettext.NullTranslations()


def _warn_missing(lang: str) -> None:
    """One warning per language, naming every catalogue of it that is missing (not one per layer)."""
    with _warned_lock:
        if lang in _warned_languages:
            return
        _warned_languages.add(lang)
    missing = [str(LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo") for domain in DOMAINS
               if not (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo").is_file()]
    warnings.warn(
        f"tracegrad's {lang!r} message catalogue is missing ({', '.join(missing)}): "
        f"those messages are shown in English; reinstall tracegrad, or in a source tree "
        f"run: bash scripts/translations.sh compile",
        CatalogueMissingWarning, stacklevel=4)


def reload_catalogues() -> None:
    """Forget the catalogues read so far (and the warnings given), so that they are read again."""
    _translations.cache_clear()
    with _warned_lock:
        _warned_languages.clear()


class Catalogue:
    """The messages of one layer (``views``, ``nn`` or ``app``), in the current language."""

    def __init__(self, domain: str) -> None:
        if domain not in DOMAINS:
            raise ValueError(f"domain must be one of {', '.join(DOMAINS)}; got {domain!r}")
        self.domain = domain

    def gettext(self, message: str) -> str:
        """``message`` in the current language (as it is, where no translation exists)."""
        return _translations(self.domain, current()).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural form of a message for ``count``, in the current language."""
        return _translations(self.domain, current()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it yet (translate where it is shown)."""
    return message
