// tracegrad's stepper: the one front end of the page, the Jupyter widget and static pages.
//
// Python computes everything a frame shows (autograd/viz/document.py): the
// drawing laid out once by Graphviz, and for every frame its texts, which
// elements are current, read or receiving gradient, and from which frame on
// each element, edge and number looks the way it does. This module only
// looks those up and puts them on screen: a camera that keeps the current
// node (and the followed parameter) readable, slides, a quiz, and printed
// handouts. `mount(element, document, options)` builds one stepper; the
// default export is anywidget's `render`.

const MIN_SCALE = 1.25; // screen px per drawing unit: 11-unit text at 13.75 px, 9-unit names at 11 px
const MAX_SCALE = 1.6; // a small graph is not blown up past this
const SLIDE_MIN_SCALE = 1.7;
const ABSOLUTE_MIN_SCALE = 1.15; // 9-unit names at 10.4 px: the least a camera ever shows
const PIN_SCALE = 1.3; // the pinned followed parameter: its 11-unit text at 14 px
const PADDING = 28; // drawing units around the step's neighbourhood
// The first words of stepper.css: how a printing frame finds the stepper's style among a notebook's.
const SHEET_MARK = "tracegrad's stepper: the page, the Jupyter widget and static pages share this sheet.";
const PRINT_WIDTH = 560; // drawing units across a printed page: 11-unit text at about 10 pt
const PRINT_HEIGHT = 450; // with the width, the A4 sheet's graph box (186 x 150 mm)
const QUIZ_TOLERANCE = 0.005; // relative: a hand answer from 4-digit numbers passes
const SVG_NS = "http://www.w3.org/2000/svg";
const STATE_CLASSES = ["tg-pending", "tg-partial", "tg-done"];
const FLAG_CLASSES = ["tg-current", "tg-reading", "tg-receiving", "tg-active", "tg-updated"];

/** The value in force at `frame` in a list of [frame, value] change points (sorted by frame). */
export function lookup(changes, frame) {
  let low = 0, high = changes.length - 1, found = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (changes[middle][0] <= frame) { found = changes[middle][1]; low = middle + 1; } else high = middle - 1;
  }
  return found;
}

/** An element built from a tag, attributes and children (text children become text nodes: never HTML). */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function reducedMotion() {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** A number typed by a student: "−0.5", "-0,5", "1e-3". NaN when it is none. */
export function parseAnswer(text) {
  const cleaned = String(text).trim().replace(/[−–]/g, "-").replace(/,/g, ".").replace(/\s+/g, "");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned)) return NaN;
  return Number(cleaned);
}

/** Whether `given` answers `answer` within the quiz's tolerance. */
export function answerIsRight(given, answer) {
  if (!Number.isFinite(given)) return false;
  if (answer === 0) return Math.abs(given) <= 1e-9;
  return Math.abs(given - answer) <= QUIZ_TOLERANCE * Math.abs(answer);
}

// A computed number: a decimal, a negative or an exponent. Counts and rows ("2 of 10", "[row 8]") and the
// digits inside names (L2.N1.b) are not computed, so they stay.
const COMPUTED = /(?<![\p{L}\p{N}_.])[-−]?\d+\.\d+(?:e[-+]?\d+)?(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_.])[-−]\d+(?![\p{L}\p{N}_.\]])|(?<![\p{L}\p{N}_.])\d+e[-+]?\d+/gu;

/** The fill-in variant of a sentence: every computed number blanked. */
function blankNumbers(text, blank) {
  return text.replace(COMPUTED, blank);
}

/** The fill-in variant of the arithmetic: every result after "= " blanked, the op's rule in [ ] kept. */
function blankResults(text, blank) {
  return text.split("\n").map((line) => {
    const rule = line.indexOf("   [");
    const [work, kept] = rule < 0 ? [line, ""] : [line.slice(0, rule), line.slice(rule)];
    return work.replace(/= \(?[-−]?[\d.]+(?:e[-+]?\d+)?\)?/g, "= " + blank).replace(COMPUTED, blank) + kept;
  }).join("\n");
}

/** The drawing's text in the document's states, for any copy of the SVG. */
class Painter {
  constructor(svg, doc) {
    this.svg = svg;
    this.doc = doc;
    this.elements = new Map();
    this.edges = new Map();
    for (const title of svg.querySelectorAll("title")) title.remove();
    for (const element of doc.elements) {
      const group = svg.querySelector(`g[id="${element.id}"]`);
      if (!group) continue;
      group.setAttribute("data-node", element.id);
      group.setAttribute("data-name", element.name);
      const texts = group.querySelectorAll("text");
      const slots = [];
      for (const text of element.texts) {
        const target = texts[texts.length - text.fromEnd];
        if (target) slots.push({ target, text });
      }
      this.elements.set(element.id, { group, element, slots, state: null });
    }
    for (const edge of doc.edges) {
      const group = svg.querySelector(`g[id="${edge.id}"]`);
      if (group) this.edges.set(edge.id, { group, edge, state: null });
    }
  }

  /** Paints frame `index`; `hidden` maps node ids to the role ("data" or "grad") shown as `blank`. */
  paint(index, hidden, blank) {
    // Only what changes is touched: a step restyles a handful of nodes, not the whole drawing.
    const frame = this.doc.frames[index];
    for (const entry of this.elements.values()) {
      const state = "tg-" + lookup(entry.element.states, index);
      if (entry.state !== state) {
        if (entry.state) entry.group.classList.remove(entry.state);
        entry.group.classList.add(state);
        entry.state = state;
      }
      for (const slot of entry.slots) {
        let text = lookup(slot.text.changes, index);
        if (hidden && hidden.get(slot.text.node) === slot.text.role) text = fill(this.doc.textWords[slot.text.role], { value: blank });
        if (slot.shown !== text) { slot.target.textContent = text; slot.shown = text; }
      }
    }
    for (const entry of this.edges.values()) {
      const state = "tg-" + lookup(entry.edge.states, index);
      if (entry.state !== state) {
        if (entry.state) entry.group.classList.remove(entry.state);
        entry.group.classList.add(state);
        entry.state = state;
      }
    }
    for (const [group, name] of this.flagged || []) group.classList.remove(name);
    this.flagged = [];
    const flag = (ids, name) => {
      for (const id of ids || []) {
        const entry = this.elements.get(id) || this.edges.get(id);
        if (entry) { entry.group.classList.add(name); this.flagged.push([entry.group, name]); }
      }
    };
    flag(frame.reading, "tg-reading");
    flag(frame.receiving, "tg-receiving");
    flag(frame.updated, "tg-updated");
    flag(frame.edges, "tg-active");
    flag(frame.current, "tg-current");
    if (this.currentGroup) this.currentGroup.removeAttribute("data-current");
    const node = this.elements.get(frame.current[0]);
    this.currentGroup = node ? node.group : null;
    if (node) node.group.setAttribute("data-current", "");
    const follow = this.doc.follow;
    if (follow && follow.element && this.elements.has(follow.element)) {
      this.elements.get(follow.element).group.setAttribute("data-followed", "");
    }
  }

  /** The union of the elements' boxes, in the SVG's viewBox units (null when none is drawn). */
  box(ids) {
    this.measure();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const id of ids) {
      const b = this.boxes.get(id);
      if (!b) continue;
      x0 = Math.min(x0, b.x0); y0 = Math.min(y0, b.y0); x1 = Math.max(x1, b.x1); y1 = Math.max(y1, b.y1);
    }
    return x0 === Infinity ? null : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  /** Every element's box, measured once: the layout never moves, and each getBBox after a restyle or a
   * camera move would make the browser lay the whole drawing out again. */
  measure() {
    if (this.boxes) return;
    this.boxes = new Map();
    const graph = this.svg.querySelector("g.graph") || this.svg;
    const consolidated = graph.transform && graph.transform.baseVal.consolidate ? graph.transform.baseVal.consolidate() : null;
    const matrix = consolidated ? consolidated.matrix : null;
    for (const [id, entry] of this.elements) {
      const b = entry.group.getBBox();
      const corners = [[b.x, b.y], [b.x + b.width, b.y + b.height]].map(([x, y]) => (matrix
        ? [matrix.a * x + matrix.c * y + matrix.e, matrix.b * x + matrix.d * y + matrix.f] : [x, y]));
      this.boxes.set(id, {
        x0: Math.min(corners[0][0], corners[1][0]), y0: Math.min(corners[0][1], corners[1][1]),
        x1: Math.max(corners[0][0], corners[1][0]), y1: Math.max(corners[0][1], corners[1][1]),
      });
    }
  }
}

/** The article's picture of the network: circles in layers, each showing its values for one row. */
class NetworkView {
  constructor(doc, onpick) {
    this.doc = doc;
    this.network = doc.network;
    this.row = this.network.rows.length ? this.network.rows[0] : 0;
    this.values = new Map(); // node id -> its data text's change points
    this.learn(doc.elements);
    const [before, after] = doc.textWords.data.split("{value}");
    this.strip = (text) => (text && text.startsWith(before) && text.endsWith(after)
      ? text.slice(before.length, text.length - after.length) : text);
    this.select = h("select", { "aria-label": doc.words.row, onchange: () => { this.row = Number(this.select.value); this.pinnedRow = true; this.update(this.index); } },
      ...this.network.rows.map((row) => h("option", { value: row }, fill(doc.words.row_n, { row }))));
    this.svg = document.createElementNS(SVG_NS, "svg");
    this.svg.setAttribute("class", "tg-network-svg");
    this.element = h("div", { class: "tg-network" }, h("div", { class: "tg-network-head" }, h("b", {}, doc.words.network),
      this.network.rows.length > 1 ? this.select : null), this.svg);
    this.circles = [];
    this.onpick = onpick;
    this.draw();
  }

  draw() {
    const columns = this.network.columns.filter((column) => column.length);
    const tallest = Math.max(...columns.map((column) => column.length));
    const width = 320, radius = 20, gap = 66, top = 14;
    const height = top + tallest * gap + 4;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const x = (c) => 52 + (c * (width - 104)) / Math.max(columns.length - 1, 1);
    const y = (c, i) => top + radius + (i + (tallest - columns[c].length) / 2) * gap;
    const make = (tag, attributes) => {
      const element = document.createElementNS(SVG_NS, tag);
      for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
      return element;
    };
    for (let c = 0; c + 1 < columns.length; c++) {
      columns[c].forEach((_, i) => columns[c + 1].forEach((__, j) => this.svg.append(make("line", {
        x1: x(c) + radius, y1: y(c, i), x2: x(c + 1) - radius, y2: y(c + 1, j), class: "tg-network-edge" }))));
    }
    columns.forEach((column, c) => column.forEach((neuron, i) => {
      const group = make("g", { class: "tg-neuron", "data-neuron": neuron.name });
      group.append(make("circle", { cx: x(c), cy: y(c, i), r: radius }));
      const name = make("text", { x: x(c), y: y(c, i) + 4, "text-anchor": "middle", class: "tg-neuron-name" });
      name.textContent = neuron.name;
      if (neuron.name.length > 6) { // a long input name is squeezed into its circle, never cut
        name.setAttribute("textLength", String(2 * radius - 6));
        name.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
      const values = make("text", { x: x(c), y: y(c, i) + radius + 13, "text-anchor": "middle", class: "tg-neuron-values" });
      group.append(name, values);
      const title = make("title", {});
      title.textContent = neuron.name;
      group.append(title);
      group.addEventListener("click", () => this.onpick(this.nodesOf(neuron)));
      this.svg.append(group);
      this.circles.push({ neuron, group, values, column: c, index: i });
    }));
    this.columnsShown = columns;
  }

  /** Takes the values a (new) drawing shows: a local view brings the numbers of its nodes. */
  learn(elements) {
    for (const element of elements) {
      for (const text of element.texts) if (text.role === "data" && !this.values.has(text.node)) this.values.set(text.node, text.changes);
    }
  }

  nodesOf(neuron) {
    return (neuron.rows[String(this.row)] || []).map(([, node]) => node);
  }

  update(index) {
    this.index = index;
    const frame = this.doc.frames[index];
    const owner = this.network.owner[frame.node];
    if (owner && owner[2] && !this.pinnedRow && owner[2] !== this.row) {
      this.row = owner[2];
      this.select.value = String(this.row);
    }
    for (const circle of this.circles) {
      const entries = circle.neuron.rows[String(this.row)] || [];
      circle.values.textContent = entries.map(([label, node]) => {
        const value = this.strip(lookup(this.values.get(node) || [], index)) ?? "?";
        return label === circle.neuron.name ? value : `${label} ${value}`;
      }).join("  ");
      const here = owner && this.network.columns[owner[0]][owner[1]] === circle.neuron && (!owner[2] || owner[2] === this.row);
      circle.group.classList.toggle("tg-neuron-current", !!here);
    }
  }
}

/** What a frame's camera must show (the current node; the followed parameter when it receives or is
 * updated) and what it shows when there is room (what the step reads or passes gradient to). */
function focusIds(doc, index) {
  const frame = doc.frames[index];
  const must = frame.current.slice(0, 1); // the value node itself; its op when there is room

  if (doc.follow && doc.follow.element && (frame.followHere || frame.kind === "update")) must.push(doc.follow.element);
  if (frame.kind === "update" && !doc.follow) must.push(...(frame.updated || []));
  const nice = [...must, ...frame.current, ...(frame.reading || []), ...(frame.receiving || []), ...(frame.updated || [])];
  return { must, nice };
}

/** Mounts a stepper over `doc` in `root`; returns its controller. */
export function mount(root, doc, options = {}) {
  const words = doc.words;
  const count = doc.count;
  const page = !!options.page;
  root.classList.add("tg-stepper");
  root.classList.toggle("tg-on-page", page);
  root.setAttribute("lang", doc.lang === "zh" ? "zh-CN" : "en");
  if (!page) root.setAttribute("tabindex", "0");
  root.replaceChildren();

  let index = 0;
  let slides = false;
  let quiz = false;
  let overview = false;
  let zoom = 1;
  const revealed = new Set();

  // --- the controls ---
  const button = (text, title, onclick, extra = {}) => h("button", { type: "button", title, onclick, ...extra }, text);
  const prevButton = button(words.prev, words.previous_step + " (←)", () => show(index - 1), { class: "tg-nav" });
  const nextButton = button(words.next, words.next_step + " (→)", () => show(index + 1), { class: "tg-nav" });
  const slider = h("input", { type: "range", min: 1, max: count, value: 1, "aria-label": words.step,
    oninput: () => show(parseInt(slider.value, 10) - 1) });
  const counter = h("span", { class: "tg-counter" });
  let prevFollowed = null, nextFollowed = null;
  const follow = doc.follow;
  if (follow) {
    prevFollowed = button("◀ " + follow.name, fill(words.following, { name: follow.name }) + " ([)", () => jump(-1),
      { class: "tg-nav tg-follow-nav" });
    nextFollowed = button(follow.name + " ▶", fill(words.following, { name: follow.name }) + " (])", () => jump(1),
      { class: "tg-nav tg-follow-nav" });
  }
  const slidesButton = button(words.slides, words.slides_title, () => setSlides(!slides), { class: "tg-mode" });
  const quizButton = button(words.quiz, words.quiz_title, () => setQuiz(!quiz), { class: "tg-mode" });
  const zoomOut = button("−", words.zoom_out, () => { zoom = Math.max(0.5, zoom / 1.25); overview = false; aim(); });
  const zoomIn = button("+", words.zoom_in, () => { zoom = Math.min(4, zoom * 1.25); overview = false; aim(); });
  const wholeButton = button(words.whole, words.whole_title, () => { overview = !overview; aim(); });
  const printMenu = h("span", { class: "tg-print-buttons" },
    button(words.print, words.print, () => printHandout("handout")),
    button(words.print_fill, words.print_fill, () => printHandout("fill")),
    button(words.print_key, words.print_key, () => printHandout("key")));
  const bar = h("div", { class: "tg-bar" },
    options.title ? h("div", { class: "tg-title", title: options.title }, options.title) : null,
    h("div", { class: "tg-controls" }, prevButton, nextButton, prevFollowed, nextFollowed, slider, counter,
      h("span", { class: "tg-zoom" }, zoomOut, zoomIn, wholeButton), slidesButton, quizButton));

  // --- the drawing ---
  // One drawing of the whole graph; or, for a graph too big to lay out whole (doc.local), one small
  // drawing per frame (doc.views, shipped in the page or asked of the kernel).
  const view = h("div", { class: "tg-view" });
  let svg = null, painter = null, whole = null, drawn = null, camera = null;
  function useDrawing(text, elements, edges) {
    view.innerHTML = text;
    svg = view.querySelector("svg");
    const full = svg.viewBox.baseVal;
    whole = { x: full.x, y: full.y, width: full.width, height: full.height };
    camera = { ...whole };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    painter = new Painter(svg, { ...doc, elements, edges });
    if (network) network.learn(elements);
  }
  // The followed parameter, pinned above the explanation at a readable size: its running gradient stays in sight
  // even when the step at hand is far from it in the drawing.
  const pin = doc.follow && doc.follow.element ? h("div", { class: "tg-pin" }) : null;
  function repin() {
    if (!pin) return;
    const entry = painter && painter.elements.get(doc.follow.element);
    if (!entry) { pin.replaceChildren(pinned); return; } // not in this frame's drawing: the running sum alone
    const box = painter.box([doc.follow.element]);
    const copy = document.createElementNS(SVG_NS, "svg");
    const pad = 4;
    // dot sized the box for the widest grad it will show ("(partial)" included): the copy needs no spare room.
    copy.setAttribute("viewBox", `${box.x - pad} ${box.y - pad} ${box.width + 2 * pad} ${box.height + 2 * pad}`);
    copy.setAttribute("width", String(Math.round((box.width + 2 * pad) * PIN_SCALE)));
    copy.setAttribute("height", String(Math.round((box.height + 2 * pad) * PIN_SCALE)));
    const graph = svg.querySelector("g.graph");
    const holder = document.createElementNS(SVG_NS, "g");
    if (graph && graph.getAttribute("transform")) holder.setAttribute("transform", graph.getAttribute("transform"));
    holder.append(entry.group.cloneNode(true));
    copy.append(holder);
    pin.replaceChildren(pinned, copy);
  }

  // --- the explanation ---
  const headline = h("div", { class: "tg-headline" });
  const sentence = h("p", { class: "tg-sentence" });
  const followLine = h("p", { class: "tg-follow-line" });
  const pinned = h("div", { class: "tg-pin-caption" });
  const arithmetic = h("pre", { class: "tg-arithmetic" });
  const quizBox = h("div", { class: "tg-quiz-box" });
  const table = h("table", { class: "tg-follow-table" });
  const explanation = h("div", { class: "tg-explanation", "data-explanation": "" }, headline, sentence, followLine);
  let override = null; // elements a click on the network asked to see, until the next step
  const network = doc.network && doc.network.columns.length ? new NetworkView(doc, (nodes) => {
    const wanted = new Set(nodes);
    override = doc.elements.filter((element) => element.kind !== "op" && wanted.has(element.node)).map((element) => element.id);
    overview = false;
    aim();
  }) : null;
  if (!doc.local) useDrawing(doc.svg, doc.elements, doc.edges);
  const side = h("div", { class: "tg-side" }, pin, explanation, quizBox, network ? network.element : null, table, arithmetic,
    h("div", { class: "tg-legend" }, ...(doc.legend || []).map(([look, text]) => h("span", { class: "tg-look-" + look }, text))),
    h("p", { class: "tg-keys" }, words.keys), printMenu);
  const main = h("div", { class: "tg-main" }, view, side);
  const handout = h("div", { class: "tg-handout", "aria-hidden": "true" });
  root.append(bar, main, handout);

  if (follow) {
    const head = h("tr", {}, h("th", {}, words.contribution), h("th", {}, words.row), h("th", {}, words.added),
      h("th", {}, words.running_sum));
    table.append(h("caption", {}, fill(words.following, { name: follow.name })), head);
    follow.frames.forEach((frame, k) => {
      const row = h("tr", { "data-frame": frame, onclick: () => show(frame) },
        h("td", {}, `${k + 1}/${follow.frames.length}`), h("td", {}, follow.rows[k] || "–"),
        h("td", { class: "tg-num" }, follow.added[k]), h("td", { class: "tg-num" }, follow.sums[k]));
      table.append(row);
    });
  }

  // --- the camera ---
  let animation = 0;
  // The view's size, read when it changes (ResizeObserver), never between two steps: reading it after a
  // restyle would make the browser lay the whole drawing out again at every step.
  let size = null;
  function viewSize() {
    if (!size || !size.width) size = { width: view.clientWidth || 600, height: view.clientHeight || 400 };
    return size;
  }
  function setViewBox(box) {
    camera = box;
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
  }
  function target() {
    const size = viewSize();
    const fitScale = Math.min(size.width / whole.width, size.height / whole.height);
    const minimum = (slides ? SLIDE_MIN_SCALE : MIN_SCALE);
    let scale, center;
    const fits = fitScale >= minimum;
    if (overview || (fits && zoom === 1)) {
      scale = overview ? fitScale : Math.min(fitScale, slides ? 2.4 : MAX_SCALE);
      center = { x: whole.x + whole.width / 2, y: whole.y + whole.height / 2 };
    } else {
      const { must, nice } = override && override.length ? { must: override, nice: override } : focusIds(doc, index);
      const pad = (box) => box && { x: box.x - PADDING, y: box.y - PADDING, width: box.width + 2 * PADDING,
        height: box.height + 2 * PADDING };
      const fitOf = (box) => Math.min(size.width / box.width, size.height / box.height);
      let mustBox = pad(painter.box(must)) || whole;
      if (fitOf(mustBox) < ABSOLUTE_MIN_SCALE && must.length > 1) mustBox = pad(painter.box(must.slice(0, 1))) || whole;
      const niceBox = pad(painter.box(nice)) || mustBox;
      // Readable first: never below the minimum, unless the must-see nodes only fit a little smaller
      // (never below ABSOLUTE_MIN_SCALE: 10 px text).
      const floor = Math.max(ABSOLUTE_MIN_SCALE, Math.min(minimum, fitOf(mustBox)));
      scale = Math.max(Math.min(fitOf(niceBox), MAX_SCALE), Math.min(minimum, fits ? fitScale : minimum), floor);
      scale = Math.min(scale, Math.max(fitOf(mustBox), floor)) * zoom;
      const chosen = fitOf(niceBox) >= scale ? niceBox : mustBox;
      center = { x: chosen.x + chosen.width / 2, y: chosen.y + chosen.height / 2 };
      if (fitOf(mustBox) < scale) {
        const current = painter.box(doc.frames[index].current.slice(0, 1));
        if (current) center = { x: current.x + current.width / 2, y: current.y + current.height / 2 };
      }
    }
    const width = size.width / scale, height = size.height / scale;
    let x = center.x - width / 2, y = center.y - height / 2;
    // Never show more empty space than needed past the drawing's edges.
    if (width < whole.width) x = Math.min(Math.max(x, whole.x), whole.x + whole.width - width);
    else x = whole.x + (whole.width - width) / 2;
    if (height < whole.height) y = Math.min(Math.max(y, whole.y), whole.y + whole.height - height);
    else y = whole.y + (whole.height - height) / 2;
    return ensureVisible({ x, y, width, height }, size);
  }
  function ensureVisible(box, size) {
    // The current node and (when it receives) the followed parameter must be on screen.
    const must = painter.box(focusIds(doc, index).must);
    if (!must || overview) return box;
    const shift = (start, length, lo, hi) => {
      if (lo < start) return lo - PADDING / 2 - start;
      if (hi > start + length) return Math.min(hi + PADDING / 2 - start - length, lo - start);
      return 0;
    };
    box.x += shift(box.x, box.width, must.x, must.x + must.width);
    box.y += shift(box.y, box.height, must.y, must.y + must.height);
    return box;
  }
  function aim() {
    if (!painter) return;
    const goal = target();
    cancelAnimationFrame(animation);
    if (reducedMotion() || options.instant) { setViewBox(goal); return; }
    const from = { ...camera };
    const started = performance.now();
    const step = (now) => {
      // A frame's timestamp can precede performance.now() read in the same frame: t < 0 would overshoot
      // backwards (a negative viewBox height, a console error).
      const t = Math.min(1, Math.max(0, (now - started) / 280));
      const ease = t * (2 - t);
      setViewBox({
        x: from.x + (goal.x - from.x) * ease, y: from.y + (goal.y - from.y) * ease,
        width: from.width + (goal.width - from.width) * ease, height: from.height + (goal.height - from.height) * ease,
      });
      if (t < 1) animation = requestAnimationFrame(step);
    };
    animation = requestAnimationFrame(step);
  }

  // Drag to pan; the next step re-centres.
  let drag = null;
  view.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, box: { ...camera } };
    view.setPointerCapture(event.pointerId);
  });
  view.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const size = viewSize();
    const unit = camera.width / size.width;
    setViewBox({ ...drag.box, x: drag.box.x - (event.clientX - drag.x) * unit,
      y: drag.box.y - (event.clientY - drag.y) * unit });
  });
  view.addEventListener("pointerup", () => { drag = null; });

  // --- stepping ---
  function quizOpen(i) {
    const frame = doc.frames[i];
    return quiz && frame && frame.kind === "backward" && frame.quiz && !revealed.has(i);
  }
  function waitFor(i) {
    // A frame of a too-big graph whose drawing is not here yet: ask the kernel, or say it is not in the page.
    for (const element of [headline, followLine, arithmetic]) element.textContent = "";
    quizBox.replaceChildren();
    counter.textContent = `${i + 1} / ${count}`;
    sentence.textContent = options.request ? words.loading : words.not_shipped;
    if (!options.request) return;
    options.request(i).then(({ frame, view: drawing, error }) => {
      if (!frame || !drawing) { if (index === i) sentence.textContent = error || words.not_shipped; return; }
      doc.frames[i] = frame;
      doc.views[String(i)] = drawing;
      if (index === i) show(i);
    });
  }
  function show(i, keepCamera) {
    index = Math.max(0, Math.min(count - 1, i | 0));
    slider.value = String(index + 1);
    prevButton.disabled = index === 0;
    nextButton.disabled = index >= count - 1;
    if (doc.local) {
      const drawing = doc.views[String(index)];
      if (!drawing || !doc.frames[index]) { waitFor(index); return; }
      if (drawn !== index) { useDrawing(drawing.svg, drawing.elements, drawing.edges); drawn = index; }
    }
    const frame = doc.frames[index];
    const open = quizOpen(index);
    painter.paint(index, open ? new Map([[frame.quiz.node, "grad"]]) : null, "?");
    counter.textContent = frame.title;
    headline.textContent = frame.headline;
    sentence.textContent = open ? "" : frame.sentence;
    arithmetic.textContent = open ? "" : frame.arithmetic;
    followLine.textContent = open ? "" : frame.follow || "";
    if (follow) {
      prevFollowed.disabled = !follow.frames.some((f) => f < index);
      nextFollowed.disabled = !follow.frames.some((f) => f > index);
      let done = 0;
      for (const row of table.querySelectorAll("tr[data-frame]")) {
        const frameOfRow = Number(row.getAttribute("data-frame"));
        const shownYet = frameOfRow < index || (frameOfRow === index && !open);
        row.classList.toggle("tg-future", !shownYet);
        row.classList.toggle("tg-here", frameOfRow === index);
        if (shownYet) done += 1;
      }
      pinned.replaceChildren(h("b", {}, fill(words.following, { name: follow.name })), " ",
        `${words.running_sum} `
          + fill(words.sum_of_count, { sum: done ? follow.sums[done - 1] : "?", done, count: follow.frames.length }));
    }
    renderQuiz(open);
    repin();
    if (network) network.update(index);
    if (!keepCamera) { overview = false; override = null; aim(); }
    if (options.onshow) options.onshow(index);
  }
  function jump(direction) {
    if (!follow) return;
    const candidates = follow.frames.filter((f) => (direction > 0 ? f > index : f < index));
    if (candidates.length) show(direction > 0 ? candidates[0] : candidates[candidates.length - 1]);
  }
  function renderQuiz(open) {
    quizBox.replaceChildren();
    if (!open) return;
    const question = doc.frames[index].quiz;
    const input = h("input", { type: "text", inputmode: "decimal", "aria-label": words.your_answer,
      placeholder: words.your_answer, class: "tg-answer" });
    const verdict = h("p", { class: "tg-verdict", "aria-live": "polite" });
    const check = () => {
      const given = parseAnswer(input.value);
      if (answerIsRight(given, question.answer)) {
        revealed.add(index);
        show(index, true);
        quizBox.append(h("p", { class: "tg-verdict tg-right" }, fill(words.right, { answer: question.shown })));
      } else {
        verdict.textContent = fill(words.wrong, { given: input.value.trim() || "?" });
        verdict.className = "tg-verdict tg-wrong";
      }
    };
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") check(); event.stopPropagation(); });
    quizBox.append(h("p", { class: "tg-prompt" }, fill(words.quiz_prompt, { name: question.name })), input,
      button(words.check, words.check, check), button(words.reveal, words.reveal, () => { revealed.add(index); show(index, true); }),
      verdict);
  }
  function setSlides(on) {
    slides = on;
    root.classList.toggle("tg-slides", on);
    slidesButton.setAttribute("aria-pressed", String(on));
    aim();
  }
  function setQuiz(on) {
    quiz = on;
    root.classList.toggle("tg-quiz", on);
    quizButton.setAttribute("aria-pressed", String(on));
    show(index, true);
  }

  // --- handouts ---
  function handoutFrames() {
    const frames = [];
    const start = doc.backwardStart;
    if (start > 0) frames.push(start - 1); // the forward values, all computed
    if (follow && follow.frames.length) frames.push(...follow.frames);
    else for (let i = start; i < count && frames.length < 24; i++) if (doc.frames[i].kind === "backward") frames.push(i);
    if (doc.frames[count - 1].kind === "update") frames.push(count - 1);
    return frames;
  }
  function prepareHandout(variant = "handout", frames = null) {
    const chosen = frames || handoutFrames();
    handout.replaceChildren();
    handout.setAttribute("data-variant", variant);
    const blank = words.blank;
    if (variant === "key") {
      const rows = [];
      doc.frames.forEach((frame, i) => {
        if (frame.kind === "backward" && frame.quiz) rows.push(h("tr", {}, h("td", {}, frame.title),
          h("td", {}, fill(words.quiz_prompt, { name: frame.quiz.name })), h("td", { class: "tg-num" }, frame.quiz.shown)));
      });
      handout.append(h("section", { class: "tg-sheet tg-key" }, h("h2", {}, (options.title || "") + " — " + words.answer_key),
        h("table", {}, h("tr", {}, h("th", {}, words.step), h("th", {}, words.question), h("th", {}, words.answer)), ...rows)));
      return chosen.length;
    }
    for (const i of chosen) {
      const frame = doc.frames[i];
      if (!frame) continue; // a frame of a too-big graph that this page does not carry
      const local = doc.local ? doc.views[String(i)] : null;
      if (doc.local && !local) continue;
      let copy;
      if (local) {
        const holder = document.createElement("div");
        holder.innerHTML = local.svg;
        copy = holder.querySelector("svg");
      } else copy = svg.cloneNode(true);
      const copyPainter = new Painter(copy, local ? { ...doc, elements: local.elements, edges: local.edges } : doc);
      const fillIn = variant === "fill";
      // The fill-in sheet blanks what the step computes: the gradients it passes on, or the updated values.
      const role = frame.kind === "update" ? "data" : "grad";
      const blanked = frame.kind === "update" ? frame.updated : frame.receiving;
      const hidden = fillIn ? new Map((blanked || []).map((id) => (copyPainter.elements.get(id) || {}).element)
        .filter(Boolean).map((element) => [element.node, role])) : null;
      copyPainter.paint(i, hidden, blank);
      if (!local) { // a neighbourhood is printed whole; the whole graph is cropped to the step
        const focus = painter.box(focusIds(doc, i).nice) || whole;
        const width = Math.min(whole.width, Math.max(PRINT_WIDTH, focus.width + 2 * PADDING));
        const height = Math.min(whole.height, Math.max(PRINT_HEIGHT, focus.height + 2 * PADDING));
        let x = focus.x + focus.width / 2 - width / 2, y = focus.y + focus.height / 2 - height / 2;
        x = Math.min(Math.max(x, whole.x), whole.x + whole.width - width);
        y = Math.min(Math.max(y, whole.y), whole.y + whole.height - height);
        copy.setAttribute("viewBox", `${x} ${y} ${width} ${height}`);
      }
      copy.removeAttribute("width");
      copy.removeAttribute("height");
      copy.setAttribute("class", "tg-sheet-graph");
      const text = fillIn ? blankNumbers(frame.sentence, blank) : frame.sentence;
      const sums = frame.follow ? (fillIn ? blankNumbers(frame.follow, blank) : frame.follow) : "";
      handout.append(h("section", { class: "tg-sheet", "data-frame": i },
        h("h2", {}, options.title || ""), h("h3", {}, frame.title), copy,
        h("p", { class: "tg-sheet-sentence" }, text),
        sums ? h("p", { class: "tg-sheet-follow" }, sums) : null,
        h("pre", { class: "tg-sheet-arithmetic" }, fillIn ? blankResults(frame.arithmetic, blank) : frame.arithmetic)));
    }
    return chosen.length;
  }
  function printHandout(variant) {
    prepareHandout(variant);
    if (page || !printApart()) {
      preparedByButton = true;
      window.print();
    }
  }
  /* Inside a notebook or a course page, window.print() would print every cell around the stepper: the
   * sheets are printed from a hidden frame holding only them and the stepper's style. False when the
   * style cannot be found (the caller prints the whole page instead). */
  function printApart() {
    const sheet = [...document.querySelectorAll("style")].map((style) => style.textContent)
      .filter((text) => text.includes(SHEET_MARK)).join("\n");
    if (!sheet) return false;
    const old = root.querySelector("iframe.tg-print-frame");
    if (old) old.remove();
    const frame = h("iframe", { class: "tg-print-frame", "aria-hidden": "true", tabindex: "-1", title: words.print });
    root.append(frame);
    const sheets = frame.contentDocument;
    sheets.open();
    sheets.write("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title></title></head><body></body></html>");
    sheets.close();
    sheets.documentElement.lang = root.getAttribute("lang");
    sheets.title = options.title || "";
    sheets.head.append(Object.assign(sheets.createElement("style"), { textContent: sheet }));
    const holder = sheets.createElement("div");
    holder.className = "tg-stepper";
    holder.setAttribute("lang", root.getAttribute("lang"));
    // This stepper's fonts (its language), whichever stepper's style came last on the page.
    const computed = getComputedStyle(root);
    for (const name of ["--tg-font", "--tg-mono-font"]) holder.style.setProperty(name, computed.getPropertyValue(name));
    holder.append(sheets.importNode(handout, true));
    sheets.body.className = "tg-page-body";
    sheets.body.append(holder);
    frame.contentWindow.focus();
    frame.contentWindow.print();
    return true;
  }
  let preparedByButton = false;
  const beforePrint = () => { if (!preparedByButton) prepareHandout(handout.getAttribute("data-variant") || "handout"); };
  const afterPrint = () => { preparedByButton = false; };
  if (page) {
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);
  }

  // --- keys ---
  function onKey(event) {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== "range") return;
    if (target instanceof HTMLInputElement && (event.key === "ArrowLeft" || event.key === "ArrowRight")) return;
    const actions = {
      ArrowRight: () => show(index + 1), ArrowDown: () => show(index + 1), ArrowLeft: () => show(index - 1),
      ArrowUp: () => show(index - 1), Home: () => show(0), End: () => show(count - 1),
      "]": () => jump(1), "[": () => jump(-1), s: () => setSlides(!slides), S: () => setSlides(!slides),
      q: () => setQuiz(!quiz), Q: () => setQuiz(!quiz),
    };
    const action = actions[event.key];
    if (action && !event.ctrlKey && !event.metaKey && !event.altKey) { action(); event.preventDefault(); }
  }
  (page ? document : root).addEventListener("keydown", onKey);
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(() => { size = null; aim(); }) : null;
  if (resize) resize.observe(view);

  const hash = page ? decodeURIComponent(location.hash.slice(1)) : "";
  const hashWords = new Set(hash.split(/[&,;]/));
  const controller = {
    show, jump, prepareHandout, setSlides, setQuiz, document: doc,
    get index() { return index; }, get count() { return count; }, get camera() { return { ...camera }; },
    get slides() { return slides; }, get quiz() { return quiz; },
    reveal: () => { revealed.add(index); show(index, true); },
    destroy() {
      (page ? document : root).removeEventListener("keydown", onKey);
      if (page) { window.removeEventListener("beforeprint", beforePrint); window.removeEventListener("afterprint", afterPrint); }
      if (resize) resize.disconnect();
      cancelAnimationFrame(animation);
    },
  };
  root.tracegrad = controller;
  if (page) window.tracegrad = controller;
  if (hashWords.has("slides")) setSlides(true);
  if (hashWords.has("quiz")) quiz = true, root.classList.add("tg-quiz");
  for (const variant of ["handout", "fill", "key"]) {
    if (hashWords.has("print-" + variant)) { prepareHandout(variant); preparedByButton = true; }
  }
  const startAt = parseInt((hash.match(/(?:^|[&,;])frame=(\d+)/) || [])[1] || "1", 10) - 1;
  show(options.index !== undefined ? options.index : startAt);
  return controller;
}

/** anywidget's entry point: the widget's document, its index synced from Python only. */
function render({ model, el }) {
  const doc = JSON.parse(model.get("document_text"));
  const waiting = new Map();
  const answer = (message) => {
    if (!message || message.type !== "frame" || !waiting.has(message.index)) return;
    waiting.get(message.index)(JSON.parse(message.payload));
    waiting.delete(message.index);
  };
  model.on("msg:custom", answer);
  // A too-big graph's frames are laid out one by one by the kernel, when first shown.
  const request = doc.local ? (i) => new Promise((resolve) => {
    waiting.set(i, resolve);
    model.send({ type: "frame", index: i });
  }) : undefined;
  const stepper = mount(el, doc, { index: model.get("frame"), title: model.get("title") || "", request });
  const follow = () => stepper.show(model.get("frame"));
  model.on("change:frame", follow);
  return () => { model.off("change:frame", follow); model.off("msg:custom", answer); stepper.destroy(); };
}

export default { render };
