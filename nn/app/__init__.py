"""tracegrad's application layer, on top of ``nn`` and ``autograd``.

* ``nn.app.cli``        -- the ``tracegrad`` command line (one module per command);
* ``nn.app.demo``       -- the ice-cream walkthrough that ``tracegrad demo`` runs and
                           the ice-cream notebook reuses;
* ``nn.app.plots``      -- matplotlib figures: loss curves, decision boundaries, fits;
* ``nn.app.expression`` -- the small, safe expression language of ``draw`` and ``trace``.

``import nn`` loads none of these; import the one you need
(``from nn.app import demo, plots``).
"""
