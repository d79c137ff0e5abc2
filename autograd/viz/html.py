"""``export_html(loss, path)``: the stepper (forward, backward, the update) as one self-contained HTML file.

``html_page(loss)`` returns the same page as a string (to serve it or embed
it without a file); ``export_html`` writes it atomically.

The page holds one inline SVG of the whole graph, laid out once, and the
data of every frame (when each node is computed and its gradient changes,
which nodes each step touches, the step's arithmetic and explanation). A few
lines of JavaScript restyle the SVG for the chosen frame, exactly as the
Jupyter ``Stepper`` does: buttons, a slider and the arrow keys move through
forward, then backward, then (``lr=``) the update; with ``follow=b`` two
more buttons (and the keys ``[`` / ``]``) jump between the steps that add
to ``b.grad``. No network, no kernel: the
file opens from disk in any browser, so a teacher can mail it.

Its size grows with the graph, not with graph × steps: a 2,000-node graph
gives a page of a few megabytes.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
from typing import TYPE_CHECKING, Iterable, Optional, Union

from ..files import write_atomically
from ..i18n import Catalogue, language
from ..validation import instance
from ..value import Value
from .dot import render_svg
from .draw import DrawOptions, build_scene
from .frames import Frames
from .palette import BACKGROUND, CONTROL_BORDER, FRAME_BORDER, INK, MUTED, PANEL, legend_html
from .snapshot import Snapshot
from .stepper import frame_title, refuse_options_set_by_the_stepper
from .text import CJK_FONT_STACK, grad_of
from .timeline import Timeline

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext

if TYPE_CHECKING:
    from typing_extensions import Unpack

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

PAGE_CSS = """
body {{ font-family: {font};
  margin: 16px 20px; color: {INK}; background: {BACKGROUND}; }}
h1 {{ font-size: 20px; margin: 0 0 4px 0; }}
p.hint {{ margin: 0 0 10px 0; color: {MUTED}; font-size: 13px; }}
.controls {{ display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin: 6px 0; }}
.controls button {{ font-size: 14px; padding: 4px 12px; border: 1px solid {CONTROL_BORDER}; border-radius: 6px;
  background: {PANEL}; cursor: pointer; }}
.controls button:disabled {{ opacity: 0.4; cursor: default; }}
#tg-slider {{ flex: 1 1 320px; max-width: 640px; }}
#tg-counter {{ font-weight: 600; min-width: 200px; }}
#tg-figure {{ overflow: auto; max-height: 68vh; border: 1px solid {FRAME_BORDER}; border-radius: 8px; }}
#tg-figure svg {{ display: block; }}
#tg-figure svg text {{ font-family: {CJK_FONT_STACK}; }}
#tg-arithmetic {{ font-family: {mono};
  font-size: 13px; line-height: 1.4; background: {PANEL}; border-radius: 8px; padding: 10px 12px;
  white-space: pre-wrap; margin: 10px 0; }}
"""


def page_css(lang: str) -> str:
    """The page's style sheet, with the fonts of ``lang``."""
    return PAGE_CSS.format(font=FONTS[lang], mono=MONO_FONTS[lang], CJK_FONT_STACK=CJK_FONT_STACK, INK=INK,
                           BACKGROUND=BACKGROUND, MUTED=MUTED, CONTROL_BORDER=CONTROL_BORDER, PANEL=PANEL,
                           FRAME_BORDER=FRAME_BORDER)

PAGE_SCRIPT = """
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("tg-data").textContent);
  const count = data.texts.length;
  const figure = document.getElementById("tg-figure");
  const svg = figure.querySelector("svg");
  const slider = document.getElementById("tg-slider");
  const counter = document.getElementById("tg-counter");
  const arithmetic = document.getElementById("tg-arithmetic");
  const prev = document.getElementById("tg-prev");
  const next = document.getElementById("tg-next");
  const names = data.names;
  const prevFollowed = document.getElementById("tg-prev-followed");
  const nextFollowed = document.getElementById("tg-next-followed");
  function jump(direction) {
    const candidates = data.follow.filter(f => direction > 0 ? f > index : f < index);
    if (candidates.length) show(direction > 0 ? candidates[0] : candidates[candidates.length - 1]);
  }
  const stateClasses = ["tg-pending", "tg-partial", "tg-done", "tg-current", "tg-receiving", "tg-active"];
  const base = {};
  const element = {};
  for (const id of Object.keys(data.elements).concat(Object.keys(data.edges))) {
    const node = document.getElementById(id);
    if (!node) continue;
    element[id] = node;
    base[id] = (node.getAttribute("class") || "").split(/\\s+/)
      .filter(c => c && stateClasses.indexOf(c) < 0).join(" ");
  }
  const gradTexts = svg.querySelectorAll("text.tg-grad");
  let index = 0;
  let scale = 1;
  const width0 = parseFloat(svg.getAttribute("width"));
  const height0 = parseFloat(svg.getAttribute("height"));

  const dataTexts = svg.querySelectorAll("text.tg-data");
  const start = data.backwardStart;
  const isUpdate = i => data.hasUpdate && i === count - 1;
  function state(first, last, i) {
    return last <= i ? "tg-done" : first <= i ? "tg-partial" : "tg-pending";
  }
  function backwardIndex(i) {
    return i < start ? -2 : Math.min(i - start, data.backwardCount - 1);
  }
  const words = data.words;
  const fill = (template, value) => template.replace("{value}", value);
  function gradAt(changes, b) {
    // "?" before any step adds to it, "(partial)" while uses remain, else final.
    let text = "?";
    for (const change of changes) {
      if (change[0] <= b) text = change[1]; else break;
    }
    if (text !== "?" && changes.length && changes[changes.length - 1][0] > b) text = fill(words.partial, text);
    return text;
  }
  function dataAt(slot, i) {
    if (isUpdate(i)) return slot[2];
    return slot[0] <= i ? slot[1] : "?";
  }
  function show(i) {
    index = Math.max(0, Math.min(count - 1, i));
    const classes = {};
    const b = backwardIndex(index);
    if (index < start) {
      for (const id in data.computed) classes[id] = data.computed[id] <= index ? "tg-done" : "tg-pending";
      for (const id in data.edgesComputed) classes[id] = state(data.edgesComputed[id][0], data.edgesComputed[id][1], index);
    } else {
      for (const id in data.elements) classes[id] = state(data.elements[id][0], data.elements[id][1], b);
      for (const id in data.edges) classes[id] = state(data.edges[id][0], data.edges[id][1], b);
    }
    if (index < data.current.length) {
      for (const id of data.receiving[index]) classes[id] += " tg-receiving";
      for (const id of data.current[index]) classes[id] += " tg-current";
      for (const id of data.active[index]) classes[id] += " tg-active";
    }
    for (const id in element) element[id].setAttribute("class", base[id] + " " + (classes[id] || ""));
    for (let k = 0; k < gradTexts.length; k++) gradTexts[k].textContent = fill(words.grad, gradAt(data.grads[k], b));
    for (let k = 0; k < dataTexts.length; k++) dataTexts[k].textContent = fill(words.data, dataAt(data.data[k], index));
    slider.value = String(index + 1);
    counter.textContent = names[index];
    arithmetic.textContent = data.texts[index];
    prev.disabled = index === 0;
    next.disabled = index >= count - 1;
    if (prevFollowed) {
      prevFollowed.disabled = !data.follow.some(f => f < index);
      nextFollowed.disabled = !data.follow.some(f => f > index);
    }
    const focus = index < data.current.length && data.current[index].length ? element[data.current[index][0]] : null;
    if (focus) reveal(focus);
  }
  function reveal(node) {
    const box = node.getBoundingClientRect();
    const view = figure.getBoundingClientRect();
    if (box.left < view.left || box.right > view.right || box.top < view.top || box.bottom > view.bottom) {
      figure.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
      figure.scrollTop += box.top - view.top - (view.height - box.height) / 2;
    }
  }
  function zoom(factor) {
    scale = Math.max(0.1, Math.min(4, scale * factor));
    svg.setAttribute("width", (width0 * scale) + "pt");
    svg.setAttribute("height", (height0 * scale) + "pt");
    show(index);
  }
  if (prevFollowed) {
    prevFollowed.addEventListener("click", () => jump(-1));
    nextFollowed.addEventListener("click", () => jump(1));
  }
  prev.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  slider.addEventListener("input", () => show(parseInt(slider.value, 10) - 1));
  document.getElementById("tg-zoom-in").addEventListener("click", () => zoom(1.25));
  document.getElementById("tg-zoom-out").addEventListener("click", () => zoom(0.8));
  document.getElementById("tg-zoom-fit").addEventListener("click", () => {
    const fit = Math.min(1, (figure.clientWidth - 4) / (width0 * 4 / 3));
    scale = 1; zoom(fit);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement) return;  // a focused slider steps by itself
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { show(index + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { show(index - 1); event.preventDefault(); }
    else if (event.key === "Home") { show(0); event.preventDefault(); }
    else if (event.key === "End") { show(count - 1); event.preventDefault(); }
    else if (event.key === "]" && prevFollowed) { jump(1); event.preventDefault(); }
    else if (event.key === "[" && prevFollowed) { jump(-1); event.preventDefault(); }
  });
  window.tracegrad = { show: show, jump: jump, get index() { return index; }, count: count };
  show(0);
})();
"""


def html_page(
    loss: Union[Value, Snapshot], *, title: Optional[str] = None, follow: Value | None = None,
    lr: float | None = None, parameters: Iterable[Value] | None = None, lang: str | None = None,
    **draw_options: Unpack[DrawOptions]
) -> str:
    """The stepper of ``loss`` (forward, backward, the update) as the text of one self-contained HTML page.

    The page needs nothing but a browser: the SVG is inline, the script and
    data are in the page. ``follow=b`` adds buttons jumping between the
    steps that add to ``b.grad`` (running sum shown, ending at the total);
    ``lr=0.1`` adds a last frame with every parameter's ``p ← p − lr·grad``
    and the loss after the update (``parameters`` default to the labelled
    leaves that are not constants and belong to no batch row). Keyword
    arguments go to ``draw`` (``collapse``, ``hide_constants``,
    ``rankdir``...). ``loss`` may be a ``Snapshot`` of the loss's graph; the
    graph is walked once for the whole page. ``lang`` (``"en"``, ``"zh"``;
    None: the current language) is the language of every word on the page.
    """
    with language(lang):
        return _html_page(loss, title, follow, lr, parameters, draw_options)


def _html_page(loss: Union[Value, Snapshot], title: Optional[str], follow: Value | None, lr: float | None,
               parameters: Iterable[Value] | None, draw_options: DrawOptions) -> str:
    snapshot = Snapshot.of(loss, "loss")
    if title is not None:
        instance(title, "title", str)
    refuse_options_set_by_the_stepper(draw_options, "export_html")
    timeline = Timeline(snapshot, follow=follow, lr=lr, parameters=parameters)
    scene = build_scene(snapshot, grads=timeline.final_grads, **draw_options)
    frames = Frames(timeline, scene, render_svg(scene.graph))
    default_title = _("Forward and backward through {loss}, step by step").format(loss=snapshot.names(snapshot.root))
    return _page(frames, title or default_title)


def export_html(
    loss: Union[Value, Snapshot], path: Union[str, "os.PathLike[str]"], *, title: Optional[str] = None,
    follow: Value | None = None, lr: float | None = None, parameters: Iterable[Value] | None = None,
    lang: str | None = None, **draw_options: Unpack[DrawOptions],
) -> pathlib.Path:
    """Write ``html_page(loss, ...)`` to ``path`` atomically and return the path written.

    Nothing is written when the page cannot be made (a bad option, no ``dot``):
    an existing file at ``path`` stays as it was.
    """
    page = html_page(loss, title=title, follow=follow, lr=lr, parameters=parameters, lang=lang, **draw_options)
    return write_atomically(pathlib.Path(path), page)


def _page(frames: Frames, title: str) -> str:
    """The HTML text of the stepper page."""
    timeline = frames.timeline
    data = frames.page_data()
    data["names"] = [frame_title(timeline, index) for index in range(max(len(timeline), 1))]
    # JSON with < > & written as \u escapes can hold any label inside <script>:
    # no "</script>", no "<!--" can end or derail the element.
    payload = (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    count = max(len(timeline), 1)
    lang = timeline.lang
    legend = legend_html()
    follow_buttons = follow_hint = ""
    if timeline.follow is not None:
        name = timeline.snapshot.names(timeline.follow)
        values = {"name": name, "grad": grad_of(name), "count": len(timeline.follow_frames)}
        previous = html.escape(_("previous step adding to {grad}").format(**values))
        following = html.escape(_("next step adding to {grad}").format(**values))
        follow_buttons = (
            f'\n<button id="tg-prev-followed" type="button" title="{previous} ([)">'
            f'◀ {html.escape(name)}</button>\n<button id="tg-next-followed" type="button" '
            f'title="{following} (])">{html.escape(name)} ▶</button>'
        )
        follow_hint = html.escape(ngettext(
            "; the buttons ◀ {name} and {name} ▶ (or the keys [ and ]) jump between the {count} step that "
            "adds to {grad}",
            "; the buttons ◀ {name} and {name} ▶ (or the keys [ and ]) jump between the {count} steps that "
            "add to {grad}", values["count"]).format(**values))
    hint = _("Forward computes each node from its inputs and records its local derivatives; backward then "
             "visits the nodes from the loss down, multiplying each node's gradient by each local derivative and "
             "adding the product to that input's gradient ({unknown}: not computed yet). Step with the buttons, "
             "the slider or the arrow keys (← →){follow_hint}.")
    hint = html.escape(hint).replace("{unknown}", "<b>?</b>").replace("{follow_hint}", follow_hint)
    # Each control's words, outside the f-string below so that Babel extracts them.
    words = {key: html.escape(text) for key, text in (
        ("previous", _("previous step")), ("next", _("next step")), ("prev_button", _("◀ Prev")),
        ("next_button", _("Next ▶")), ("step", _("step")), ("zoom_out", _("zoom out")), ("zoom_in", _("zoom in")),
        ("fit_title", _("fit the width")), ("fit", _("fit")))}
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANG[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tracegrad">
<title>{html.escape(title)}</title>
<style>{page_css(lang)}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="hint">{hint}</p>
<div class="controls">
<button id="tg-prev" type="button" title="{words["previous"]} (←)">{words["prev_button"]}</button>
<button id="tg-next" type="button" title="{words["next"]} (→)">{words["next_button"]}</button>{follow_buttons}
<input id="tg-slider" type="range" min="1" max="{count}" value="1" aria-label="{words["step"]}">
<span id="tg-counter"></span>
<button id="tg-zoom-out" type="button" title="{words["zoom_out"]}">−</button>
<button id="tg-zoom-in" type="button" title="{words["zoom_in"]}">+</button>
<button id="tg-zoom-fit" type="button" title="{words["fit_title"]}">{words["fit"]}</button>
</div>
{legend}
<div id="tg-figure">
{frames.svg(0)}
</div>
<pre id="tg-arithmetic">{html.escape(timeline.text(0))}</pre>
<script type="application/json" id="tg-data">{payload}</script>
<script>{PAGE_SCRIPT}</script>
</body>
</html>
"""
