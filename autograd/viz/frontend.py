"""The stepper's one front end: ``front/stepper.js`` and ``front/stepper.css``, and how a page embeds them.

The same two files serve the self-contained page (``html_page``), the
Jupyter widget (``Stepper``, through anywidget) and the static fallback a
saved notebook or a built site shows (``Stepper``'s ``text/html``). Python
hands the script a document (``autograd.viz.document``); the script draws
every frame from it.
"""

from __future__ import annotations

import html
import uuid
import pathlib
from functools import lru_cache
from typing import Any

from .document import document_json
from .palette import (
    BACKGROUND, BAD_COLOR, CONTROL_BORDER, FILL, FRAME_BORDER, HIGHLIGHT, INK, MUTED, OK_COLOR, PANEL, RECEIVING,
)
from .text import CJK_FONT_STACK

FRONT = pathlib.Path(__file__).with_name("front")

# The page's text: Latin first in English; in Chinese a family with CJK glyphs first, so
# Chinese text never falls back to boxes (tofu). The drawing's text uses the CJK family dot measured.
FONTS = {
    "en": '"Noto Sans", "Noto Sans CJK SC", "Segoe UI", Helvetica, Arial, sans-serif',
    "zh": CJK_FONT_STACK,
}
MONO_FONTS = {
    "en": '"Noto Sans Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace',
    "zh": '"Noto Sans Mono CJK SC", "Noto Sans Mono", "DejaVu Sans Mono", Menlo, Consolas, ' + CJK_FONT_STACK,
}
HTML_LANG = {"en": "en", "zh": "zh-CN"}


@lru_cache(maxsize=None)
def script() -> str:
    """The front end's JavaScript module (an ES module whose default export is anywidget's ``render``)."""
    return (FRONT / "stepper.js").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _sheet() -> str:
    return (FRONT / "stepper.css").read_text(encoding="utf-8")


def style(lang: str) -> str:
    """The front end's style sheet, after the palette's colours and ``lang``'s fonts as custom properties."""
    colours = {
        "ink": INK, "muted": MUTED, "background": BACKGROUND, "panel": PANEL, "control-border": CONTROL_BORDER,
        "frame-border": FRAME_BORDER, "highlight": HIGHLIGHT, "highlight-fill": FILL["highlight"],
        "receiving": RECEIVING, "ok": OK_COLOR, "bad": BAD_COLOR,
        "font": FONTS[lang], "mono-font": MONO_FONTS[lang], "cjk-font": CJK_FONT_STACK,
    }
    variables = "; ".join(f"--tg-{name}: {value}" for name, value in colours.items())
    return f".tg-stepper {{ {variables}; }}\n{_sheet()}"


def _script_text(text: str) -> str:
    """Text safe inside ``<script>``: no ``</script`` or ``<!--`` can end or derail the element."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def embed(document: dict[str, Any], *, title: str = "", page: bool = False) -> str:
    """One stepper as an HTML fragment: its element, its style, its document and the module that mounts it.

    Several fragments can share a page (a saved notebook shows one per
    stepper): each mounts into its own element.
    """
    # A page holds one stepper, so the same graph always gives the same page; fragments (a notebook's
    # outputs) need ids no other output on the page has.
    element_id = "tg-stepper" if page else f"tg-stepper-{uuid.uuid4().hex[:12]}"
    options = document_json({"title": title, "page": page})
    return (
        f'<div id="{element_id}" class="tg-stepper" lang="{HTML_LANG[document["lang"]]}"></div>\n'
        f"<style>{_script_text(style(document['lang']))}</style>\n"
        f'<script type="application/json" id="{element_id}-data">{document_json(document)}</script>\n'
        f'<script type="module">{_script_text(script())}\n'
        f'mount(document.getElementById("{element_id}"), '
        f'JSON.parse(document.getElementById("{element_id}-data").textContent), {options});\n</script>'
    )


def page(document: dict[str, Any], title: str) -> str:
    """A whole HTML page holding one stepper that fills the window."""
    lang = document["lang"]
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANG[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tracegrad">
<title>{html.escape(title)}</title>
<style>html, body {{ margin: 0; padding: 0; }} body {{ background: {BACKGROUND}; }}</style>
</head>
<body class="tg-page-body">
{embed(document, title=title, page=True)}
</body>
</html>
"""
