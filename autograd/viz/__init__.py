"""tracegrad's views: pictures and narrations of a computation graph.

The layer above the engine core (it imports ``autograd``'s root modules, never
``nn``); ``autograd`` exposes its public names lazily (``autograd.draw``,
``autograd.Stepper``, ...), so ``import autograd`` loads none of this.

- ``snapshot``: ``Snapshot``, one walk of a graph (order, ids, names,
  consumers, backward steps) shared by every view below
- ``draw``: ``draw(root)``, a ``graphviz.Digraph`` of the graph
- ``steps``: ``backward_steps``, ``BackwardStep``, ``Contribution``
- ``explain``: ``explain(loss, wrt)`` and ``chain_rule``, the chain rule path by path
- ``timeline`` and ``frames``: when each gradient changes; one SVG restyled per step
- ``stepper``: ``Stepper``, the Jupyter widget
- ``html``: ``html_page`` and ``export_html``, the stepper as one HTML page
- ``display``: how a ``Value`` shows itself in Jupyter
- ``text`` and ``palette``: how numbers and names are written; every colour
- ``numeric``: central-difference checks of drawn gradients
- ``examples``: small graphs for tests, benchmarks and docs
- ``optional``: graphviz and ipywidgets, imported when used

The modules are named for what they hold; this package re-exports nothing,
so a module and the function it is named after (``viz.draw.draw``) never
shadow each other.
"""
