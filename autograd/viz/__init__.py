"""tracegrad's views: pictures and narrations of a computation graph.

The layer above the engine core (it imports ``autograd``'s root modules, never
``nn``); ``autograd`` exposes its public names lazily (``autograd.draw``,
``autograd.Stepper``, ...), so ``import autograd`` loads none of this.

- ``snapshot``: ``Snapshot``, one walk of a graph (order, ids, names,
  consumers, backward steps) shared by every view below
- ``draw``: ``draw(root)``, a ``graphviz.Digraph`` of the graph
- ``labels``: what the drawing writes in each box, op node, collapsed scope and edge
- ``steps``: ``forward_steps``, ``ForwardStep``, ``backward_steps``, ``BackwardStep``, ``Contribution``
- ``narrate``: the one-sentence explanation of each forward and backward step
- ``update``: ``Update``, the gradient-descent step ``p ← p − lr·grad`` and the loss after it
- ``explain``: ``explain(loss, wrt)`` and ``chain_rule``, the chain rule path by path
- ``timeline``: the frames (forward, backward, the update), when each value is
  computed and each gradient changes
- ``document``: the stepper's whole state as one JSON document (every frame's
  texts, states and numbers over one layout); ``front/stepper.js`` and
  ``front/stepper.css`` are the one front end that draws it, ``frontend`` embeds them
- ``network``: ``NetworkPicture``, the article's picture of a network beside the graph
- ``stepper``: ``Stepper``, the Jupyter widget (anywidget; ``follow=``, ``lr=``, ``params=``)
- ``html``: ``html_page`` and ``export_html``, the stepper as one HTML page
- ``inline``: how a drawing shows itself in a notebook, readable (scrolls, never shrinks)
- ``display``: how a ``Value`` shows itself in Jupyter, within a size and time budget
- ``dot``: ``render_svg``, Graphviz's ``dot`` with a time limit; ``DotFailed``
- ``text`` and ``palette``: how numbers and names are written (``w1·x1``,
  ``z [row 3]``, never ``mul#17``); every colour
- ``numeric``: central-difference checks of drawn gradients
- ``optional``: graphviz and ipywidgets, imported when used
- ``files``: ``write_atomically``, every page and save written all or nothing (the
  engine core writes no file, so it holds no signal handler)

Every word the views write goes through the ``views`` message catalogue
(``autograd.i18n``): ``lang="zh"`` on ``draw``, ``explain``, ``backward_steps``,
``forward_steps``, ``Stepper`` and ``html_page``/``export_html`` writes Chinese,
None the current language (the locale's, English by default); numbers,
formulas, op rules and user labels stay as they are.

The modules are named for what they hold; this package re-exports nothing,
so a module and the function it is named after (``viz.draw.draw``) never
shadow each other.
"""
