"""The demo's stepper page in headless Chromium: a classroom can see every step, print it and quiz on it.

The page is the demo's (``tracegrad demo``): the ice-cream loss over its
ten rows at b = 0, following the output bias, ending with its update. At
1024×768, 1280×800 and 1920×1080, in English and Chinese, with reduced
motion: at every frame the current node is inside the view with its text at
least 10 px high on screen, the followed bias too when it receives or is
updated, and the explanation is on screen without scrolling. Then the keys,
the printed handouts (A4 PDF), the quiz, the network (nothing leaves the
page) and two steppers on one page.
"""

from __future__ import annotations

import json
import re

import pytest

from autograd import html_page
from autograd.viz import frontend
from graphs import neuron, scoped_mlp
from autograd.viz.stepper import Stepper
from support import page_document, pdf_pages, shown_number

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1280, 800), (1920, 1080)]
MIN_TEXT_PX = 10

# For every frame: where the current node, the followed parameter and the explanation are, and how big their text.
MEASURE_EVERY_FRAME = """() => {
  const c = window.tracegrad, vw = innerWidth, vh = innerHeight;
  const inside = (r, box) => r.width > 0 && r.height > 0 && r.left >= box.left - 0.5 && r.top >= box.top - 0.5
    && r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
  const screen = { left: 0, top: 0, right: vw, bottom: vh };
  const textPx = (g) => Math.min(...[...g.querySelectorAll('text')]
    .map(t => t.getScreenCTM().a * parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize)));
  const frames = [];
  for (let i = 0; i < c.count; i++) {
    c.show(i);
    const view = document.querySelector('.tg-view').getBoundingClientRect();
    const current = [...document.querySelectorAll('.tg-view svg [data-current]')].map(g => ({
      id: g.getAttribute('data-node'), inView: inside(g.getBoundingClientRect(), view),
      onScreen: inside(g.getBoundingClientRect(), screen), px: textPx(g) }));
    const followed = [...document.querySelectorAll('.tg-stepper [data-followed]')].map(g => ({
      onScreen: inside(g.getBoundingClientRect(), screen), px: textPx(g),
      data: [...g.querySelectorAll('text')].map(t => t.textContent) }));
    const explanation = document.querySelector('[data-explanation]');
    frames.push({ index: c.index, current, followed, scrollY: window.scrollY,
      explanation: inside(explanation.getBoundingClientRect(), screen), explained: explanation.innerText.trim() });
  }
  return frames;
}"""




@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory):
    """The demo's page (as tracegrad demo writes it) in each language, with its document and the numbers."""
    from nn.app.demo import BIAS_LR, OUTPUT_BIAS, icecream_model, mse, parameter

    folder = tmp_path_factory.mktemp("demo-pages")
    pages = {}
    for lang in ("en", "zh"):
        model = icecream_model(**{OUTPUT_BIAS: 0.0})
        loss = mse(model)
        loss.backward()
        bias = parameter(model, OUTPUT_BIAS)
        text = html_page(loss, follow=bias, lr=BIAS_LR, params=[bias], lang=lang,
                         title="The ice-cream loss over its ten rows at b = 0")
        path = folder / f"icecream_{lang}.html"
        path.write_text(text, encoding="utf-8")
        pages[lang] = {"path": path, "doc": page_document(text), "bias": bias, "lr": BIAS_LR}
    return pages


def open_page(browser, url: str, width: int = 1280, height: int = 800, media: str | None = None):
    """A fresh page with reduced motion, every request outside file: refused and recorded."""
    context = browser.new_context(viewport={"width": width, "height": height}, reduced_motion="reduce")
    page = context.new_page()
    leaks: list[str] = []
    errors: list[str] = []

    def guard(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            leaks.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("request", lambda request: None if request.url.startswith(("file:", "data:", "about:"))
            else leaks.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    if media:
        page.emulate_media(media=media)
    page.goto(url)
    page.wait_for_function("() => window.tracegrad && window.tracegrad.count > 0")
    return context, page, leaks, errors


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_frame_is_readable_without_scrolling(browser, demo_pages, tmp_path_factory, lang, width, height):
    demo = demo_pages[lang]
    doc = demo["doc"]
    context, page, leaks, errors = open_page(browser, demo["path"].as_uri(), width, height)
    try:
        frames = page.evaluate(MEASURE_EVERY_FRAME)
        assert len(frames) == doc["count"] == 361
        follow_frames = set(doc["follow"]["frames"])
        update = doc["count"] - 1
        assert doc["frames"][update]["kind"] == "update"
        problems = []
        for frame in frames:
            index = frame["index"]
            expected = doc["frames"][index]["current"][:1]
            if [c["id"] for c in frame["current"]] != expected:
                problems.append((index, "data-current is not the frame's node", frame["current"], expected))
            for current in frame["current"]:
                if not (current["inView"] and current["onScreen"]) or current["px"] < MIN_TEXT_PX:
                    problems.append((index, "current", current))
            if index in follow_frames or index == update:
                if not any(f["onScreen"] and f["px"] >= MIN_TEXT_PX for f in frame["followed"]):
                    problems.append((index, "followed", frame["followed"]))
            if not frame["explanation"] or not frame["explained"]:
                problems.append((index, "explanation off screen or empty"))
            if frame["scrollY"] != 0:
                problems.append((index, "scrolled", frame["scrollY"]))
        assert problems == [], f"{len(problems)} problems, first: {problems[:5]}"
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
        # The update frame shows the updated bias: its number changes to b − lr·grad.
        new_bias = f"{shown_number(0.0 - demo['lr'] * demo['bias'].grad)}"
        before = frames[update - 1]["followed"][0]["data"]
        after = frames[update]["followed"][0]["data"]
        assert any(text.endswith(" 0") for text in before), before
        assert any(text.endswith(" " + new_bias) for text in after), (after, new_bias)
        drawn = page.eval_on_selector(".tg-view svg [data-followed]",
                                      "g => [...g.querySelectorAll('text')].map(t => t.textContent)")
        assert any(text.endswith(" " + new_bias) for text in drawn)
        # One picture per size and language for a person to look at: a followed step.
        page.evaluate(f"window.tracegrad.show({doc['follow']['frames'][4]})")
        folder = tmp_path_factory.getbasetemp() / "stepper-screenshots"
        folder.mkdir(exist_ok=True)
        shot = folder / f"demo_{lang}_{width}x{height}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 40_000
        assert leaks == [] and errors == []
    finally:
        context.close()


def test_the_keys_move_the_controller(browser, demo_pages):
    doc = demo_pages["en"]["doc"]
    follow = doc["follow"]["frames"]
    context, page, leaks, errors = open_page(browser, demo_pages["en"]["path"].as_uri())
    try:
        state = lambda: page.evaluate("({index: tracegrad.index, slides: tracegrad.slides, quiz: tracegrad.quiz})")
        counter = lambda: page.inner_text(".tg-counter")
        assert state() == {"index": 0, "slides": False, "quiz": False}
        assert counter() == doc["frames"][0]["title"]
        page.keyboard.press("ArrowRight")
        assert state()["index"] == 1 and counter() == doc["frames"][1]["title"]
        assert page.inner_text(".tg-headline") == doc["frames"][1]["headline"]
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")  # at the first frame: stays
        assert state()["index"] == 0
        page.keyboard.press("End")
        assert state()["index"] == doc["count"] - 1 and counter() == doc["frames"][-1]["title"]
        page.keyboard.press("ArrowRight")  # at the last frame: stays
        assert state()["index"] == doc["count"] - 1
        page.keyboard.press("Home")
        assert state()["index"] == 0
        visited = []
        for _ in follow:
            page.keyboard.press("]")
            visited.append(state()["index"])
        assert visited == follow
        page.keyboard.press("]")  # no later followed step
        assert state()["index"] == follow[-1]
        page.keyboard.press("[")
        assert state()["index"] == follow[-2]
        page.keyboard.press("s")
        assert state()["slides"] is True and page.eval_on_selector(".tg-stepper", "e => e.classList.contains('tg-slides')")
        page.keyboard.press("S")
        assert state()["slides"] is False
        page.keyboard.press("Q")
        assert state()["quiz"] is True
        page.keyboard.press("q")
        assert state()["quiz"] is False
        assert state()["index"] == follow[-2]  # the modes do not move
        assert leaks == [] and errors == []
    finally:
        context.close()


def test_the_address_opens_a_frame_and_slides(browser, demo_pages):
    doc = demo_pages["en"]["doc"]
    frame = doc["follow"]["frames"][2]
    url = demo_pages["en"]["path"].as_uri() + f"#slides&frame={frame + 1}"
    context, page, leaks, errors = open_page(browser, url, 1024, 768)
    try:
        assert page.evaluate("tracegrad.index") == frame and page.evaluate("tracegrad.slides") is True
        assert page.inner_text(".tg-counter") == doc["frames"][frame]["title"]
        assert leaks == [] and errors == []
    finally:
        context.close()


SHEETS = """() => [...document.querySelectorAll('.tg-handout section.tg-sheet')].map(s => {
  const graph = s.querySelector('svg.tg-sheet-graph');
  const box = graph ? graph.getBoundingClientRect() : null;
  const sentence = s.querySelector('.tg-sheet-sentence');
  const arithmetic = s.querySelector('.tg-sheet-arithmetic');
  return { frame: Number(s.getAttribute('data-frame')), visible: getComputedStyle(s).display !== 'none',
    graph: box ? [box.width, box.height] : null, texts: graph ? graph.querySelectorAll('text').length : 0,
    sentence: sentence ? sentence.innerText.trim() : '', arithmetic: arithmetic ? arithmetic.innerText : '',
    title: (s.querySelector('h3') || {}).innerText || '' };
})"""


def test_printing_gives_a_handout_of_a4_sheets_each_with_its_graph_and_sentence(browser, demo_pages, tmp_path):
    doc = demo_pages["en"]["doc"]
    context, page, leaks, errors = open_page(browser, demo_pages["en"]["path"].as_uri() + "#print-handout",
                                             media="print")
    try:
        expected = [doc["backwardStart"] - 1, *doc["follow"]["frames"], doc["count"] - 1]
        sheets = page.evaluate(SHEETS)
        assert [sheet["frame"] for sheet in sheets] == expected and len(sheets) >= 12
        for sheet in sheets:
            frame = doc["frames"][sheet["frame"]]
            assert sheet["visible"] and sheet["title"] == frame["title"]
            assert sheet["graph"] and sheet["graph"][0] > 200 and sheet["graph"][1] > 100 and sheet["texts"] > 3
            assert sheet["sentence"], f"sheet of frame {sheet['frame']} ({frame['title']}) has no sentence"
        # Under print, the live stepper is not shown: only the sheets.
        assert page.eval_on_selector(".tg-main", "e => getComputedStyle(e).display") == "none"
        pdf = page.pdf(format="A4")
        (tmp_path / "handout.pdf").write_bytes(pdf)
        print(f"handout: {tmp_path / 'handout.pdf'}")
        assert pdf.startswith(b"%PDF") and pdf_pages(pdf) >= len(sheets) >= 12
        assert leaks == [] and errors == []
    finally:
        context.close()


def test_the_fill_in_handout_blanks_the_results_and_keeps_the_names(browser, demo_pages, tmp_path):
    doc = demo_pages["en"]["doc"]
    context, page, leaks, errors = open_page(browser, demo_pages["en"]["path"].as_uri() + "#print-fill",
                                             media="print")
    try:
        sheets = page.evaluate(SHEETS)
        assert len(sheets) >= 12
        blanks = 0
        for sheet in sheets:
            for line in sheet["arithmetic"].splitlines():
                work = line.split("   [")[0]  # the op's rule in [ ] is a formula, kept: no answer in it
                if "= " in work:
                    after = work[work.rindex("= ") + 2:]
                    counted = re.sub(r"\(partial: \d+ more uses? to come\)", "", after)  # a count, not an answer
                    assert after.startswith("______") and not re.search(r"\d", counted), line
                    blanks += 1
            frame = doc["frames"][sheet["frame"]]
            # The sentence keeps its words and names (L2.N1.b is a name, not a number to fill in).
            for name in ("L2.N1.b",):
                if name in frame["sentence"]:
                    assert name in sheet["sentence"], sheet["sentence"]
            if re.search(r"\d", frame["sentence"].replace("L2.N1.b", "")):
                assert "______" in sheet["sentence"]
        assert blanks >= 12
        # The drawing hides what the step computes: the receiving nodes' grads.
        hidden = page.evaluate("""() => [...document.querySelectorAll('.tg-handout section.tg-sheet')].slice(1, -1)
            .map(s => [...s.querySelectorAll('[data-followed] text')].map(t => t.textContent))""")
        assert hidden and all(any(text.endswith("______") for text in texts) for texts in hidden), hidden
        pdf = page.pdf(format="A4")
        (tmp_path / "fill-in.pdf").write_bytes(pdf)
        assert pdf_pages(pdf) >= 12
        assert leaks == [] and errors == []
    finally:
        context.close()


def test_the_answer_key_lists_every_quiz_answer(browser, demo_pages):
    doc = demo_pages["en"]["doc"]
    context, page, leaks, errors = open_page(browser, demo_pages["en"]["path"].as_uri() + "#print-key",
                                             media="print")
    try:
        rows = page.evaluate("""() => [...document.querySelectorAll('.tg-handout .tg-key tr')].slice(1)
            .map(r => [...r.querySelectorAll('td')].map(d => d.innerText))""")
        quizzes = [(frame["title"], frame["quiz"]) for frame in doc["frames"] if frame.get("quiz")]
        assert len(quizzes) == 180
        prompt = doc["words"]["quiz_prompt"]
        assert rows == [[title, prompt.replace("{name}", quiz["name"]), quiz["shown"]] for title, quiz in quizzes]
        assert pdf_pages(page.pdf(format="A4")) >= 2
    finally:
        context.close()


def test_the_quiz_hides_the_numbers_until_a_right_answer(browser, demo_pages):
    doc = demo_pages["en"]["doc"]
    frame = doc["follow"]["frames"][3]
    quiz = doc["frames"][frame]["quiz"]
    assert quiz["node"] == doc["follow"]["node"]  # following the bias, the quiz asks for its contribution
    context, page, leaks, errors = open_page(browser, demo_pages["en"]["path"].as_uri())
    try:
        page.evaluate(f"tracegrad.show({frame})")
        page.keyboard.press("q")
        followed_grad = "() => [...document.querySelectorAll('.tg-view svg [data-followed] text')].pop().textContent"
        assert page.inner_text(".tg-sentence") == "" and page.inner_text(".tg-arithmetic") == ""
        assert page.evaluate(followed_grad) == "grad ?"
        assert quiz["shown"] not in page.inner_text(".tg-explanation")
        answer = page.locator("input.tg-answer")
        answer.fill(str(quiz["answer"] * 1.5 + 1))
        answer.press("Enter")
        assert page.inner_text(".tg-sentence") == "" and page.evaluate(followed_grad) == "grad ?"
        assert page.locator(".tg-verdict.tg-wrong").count() == 1
        answer = page.locator("input.tg-answer")
        answer.fill(repr(quiz["answer"] * 1.001))  # within 0.1%: a hand answer from the shown numbers
        answer.press("Enter")
        assert page.inner_text(".tg-sentence") == doc["frames"][frame]["sentence"]
        assert page.inner_text(".tg-arithmetic") == doc["frames"][frame]["arithmetic"]
        assert page.evaluate(followed_grad) != "grad ?"
        # The next question is hidden again until answered or revealed.
        page.keyboard.press("]")
        assert page.inner_text(".tg-sentence") == ""
        page.get_by_role("button", name=doc["words"]["reveal"]).click()
        assert page.inner_text(".tg-sentence") == doc["frames"][doc["follow"]["frames"][4]]["sentence"]
        assert leaks == [] and errors == []
    finally:
        context.close()


def test_two_steppers_on_one_page_step_independently(browser, tmp_path):
    first = Stepper(neuron(), view="graph")
    second = Stepper(scoped_mlp((2, 2, 1)), view="graph", lang="zh")
    body = frontend.embed(first.document, title="one") + "\n<p>between</p>\n" + frontend.embed(
        second.document, title="two")
    path = tmp_path / "two.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>",
                    encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        roots = page.locator(".tg-stepper")
        page.wait_for_function("() => [...document.querySelectorAll('.tg-stepper')].every(r => r.tracegrad)")
        assert roots.count() == 2
        indexes = lambda: page.evaluate("() => [...document.querySelectorAll('.tg-stepper')].map(r => r.tracegrad.index)")
        assert indexes() == [0, 0]
        roots.nth(0).focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert indexes() == [2, 0]
        roots.nth(1).focus()
        page.keyboard.press("End")
        assert indexes() == [2, len(second) - 1]
        roots.nth(0).locator("button.tg-nav").nth(0).click()  # the first stepper's ◀
        assert indexes() == [1, len(second) - 1]
        counters = page.eval_on_selector_all(".tg-counter", "cs => cs.map(c => c.textContent)")
        assert counters == [first.frame_title(1), second.frame_title(len(second) - 1)]
        assert errors == []
    finally:
        context.close()


def test_hostile_labels_stay_text(browser, tmp_path):
    from autograd import Value

    x = Value(1.0, label="</script><script>alert(1)</script>")
    y = x * 2.0
    y.label = "<!-- ]]> & </pre>"
    path = tmp_path / "hostile.html"
    path.write_text(html_page(y), encoding="utf-8")
    context, page, leaks, errors = open_page(browser, path.as_uri())
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        assert page.inner_text(".tg-counter") == "Forward 1 of 1: <!-- ]]> & </pre>"
        page.keyboard.press("End")
        assert page.inner_text(".tg-counter") == "Backward 1 of 1: <!-- ]]> & </pre>"
        assert "</script><script>alert(1)</script>" in page.inner_text(".tg-arithmetic")
        names = page.eval_on_selector_all("[data-name]", "gs => gs.map(g => g.getAttribute('data-name'))")
        assert "</script><script>alert(1)</script>" in names
        assert dialogs == [] and errors == [] and leaks == []
    finally:
        context.close()


# For every frame: each drawn value whose text runs past its box (svg units), as [frame, node, text].
TEXT_OUTSIDE_ITS_BOX = """() => {
  const c = window.tracegrad, spills = [];
  const boxes = [...document.querySelectorAll('.tg-view svg g.node.value')].map(g => {
    const shape = g.querySelector('path, polygon');
    return { g, shape, texts: [...g.querySelectorAll('text')] };
  });
  for (let i = 0; i < c.count; i++) {
    c.show(i);
    for (const { g, shape, texts } of boxes) {
      const edge = shape.getBBox();
      for (const t of texts) {
        const b = t.getBBox();
        if (b.x < edge.x - 0.5 || b.x + b.width > edge.x + edge.width + 0.5)
          spills.push([i, g.getAttribute('data-name'), t.textContent]);
      }
    }
  }
  return spills;
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_number_runs_past_its_box_in_any_frame(browser, demo_pages, lang):
    # dot sizes a grad cell for the widest text its frames show ("grad -0.1808 (partial)", "梯度 -0.1808（部分和）").
    demo = demo_pages[lang]
    context, page, leaks, errors = open_page(browser, demo["path"].as_uri())
    try:
        partial = page.evaluate("""() => { const c = window.tracegrad; c.show(c.document.follow.frames[2]);
          return document.querySelector('.tg-view svg [data-followed]').textContent; }""")
        assert ("(partial)" if lang == "en" else "部分和") in partial
        spills = page.evaluate(TEXT_OUTSIDE_ITS_BOX)
        assert spills == [], f"{len(spills)} texts past their box, first: {spills[:5]}"
        assert errors == [] and leaks == []
    finally:
        context.close()
