"""``export_html(loss, path)``: the stepper (forward, backward, the update) as one self-contained HTML file.

``html_page(loss)`` returns the same page as a string (to serve it or embed
it without a file); ``export_html`` writes it atomically.

The page holds the stepper's document (``autograd.viz.document``: the graph
laid out once, every frame's state and words) and the one front end
(``front/stepper.js``), which the Jupyter ``Stepper`` runs too: buttons, a
slider and the keys ← → Home End move through forward, then backward, then
(``lr=``) the update; with ``follow=b`` two more buttons (and ``[`` ``]``)
jump between the steps that add to ``b.grad``. A camera keeps the current
node readable; ``S`` shows slides, ``Q`` a quiz; printing gives a handout
(``#print-fill`` in the address: the fill-in variant, ``#print-key``: the
quiz's answers). No network, no kernel: the file opens from disk in any
browser, so a teacher can mail it.

Its size grows with the graph, not with graph × steps: a 2,000-node graph
gives a page of a few megabytes.
"""

from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from .files import write_atomically
from ..i18n import Catalogue, language
from ..validation import instance
from ..value import Value
from . import frontend
from .document import (
    WHOLE_GRAPH_BUDGET, local_document, refuse_options_set_by_the_stepper, shipped_frames, timeline_document,
)
from .draw import DrawOptions
from .network import NetworkPicture
from .snapshot import Snapshot
from .timeline import Timeline
from .update import chosen_params

_ = Catalogue("views").gettext

if TYPE_CHECKING:
    from typing_extensions import Unpack


def html_page(
    loss: Union[Value, Snapshot], *, title: Optional[str] = None, follow: Value | None = None,
    lr: float | None = None, params: Iterable[Value] | None = None, lang: str | None = None,
    network: NetworkPicture | None = None, parameters: Iterable[Value] | None = None,
    **draw_options: Unpack[DrawOptions]
) -> str:
    """The stepper of ``loss`` (forward, backward, the update) as the text of one self-contained HTML page.

    The page needs nothing but a browser: the SVG is inline, the script and
    data are in the page. ``follow=b`` adds buttons jumping between the
    steps that add to ``b.grad`` (running sum shown, ending at the total);
    ``lr=0.1`` adds a last frame with ``p ← p − lr·grad`` for exactly the
    leaves in ``params`` and the loss after the update (``params`` default to
    the labelled leaves that are not constants and belong to no batch row;
    data never moves; ``parameters=`` is the deprecated old name). Keyword
    arguments go to ``draw`` (``collapse``, ``hide_constants``,
    ``rankdir``...). ``loss`` may be a ``Snapshot`` of the loss's graph; the
    graph is walked once for the whole page. ``lang`` (``"en"``, ``"zh"``;
    None: the current language) is the language of every word on the page.
    ``network`` (``nn.network_picture(model, loss, inputs=...)``) adds the
    article's picture of the network, its neurons lit as the steps reach them.
    """
    with language(lang):
        return _html_page(loss, title, follow, lr, chosen_params(params, parameters, "html_page"), network,
                          draw_options)


def _html_page(loss: Union[Value, Snapshot], title: Optional[str], follow: Value | None, lr: float | None,
               params: Iterable[Value] | None, network: NetworkPicture | None, draw_options: DrawOptions) -> str:
    snapshot = Snapshot.of(loss, "loss")
    if title is not None:
        instance(title, "title", str)
    refuse_options_set_by_the_stepper(draw_options, "export_html")
    timeline = Timeline(snapshot, follow=follow, lr=lr, params=params)
    if len(snapshot.order) > WHOLE_GRAPH_BUDGET:  # too big to lay out whole: each step carries its neighbourhood
        document = local_document(timeline, draw_options, shipped_frames(timeline), network)
    else:
        document = timeline_document(timeline, draw_options, network)
    default_title = _("Forward and backward through {loss}, step by step").format(loss=snapshot.names(snapshot.root))
    return frontend.page(document, title or default_title)



def export_html(
    loss: Union[Value, Snapshot], path: Union[str, "os.PathLike[str]"], *, title: Optional[str] = None,
    follow: Value | None = None, lr: float | None = None, params: Iterable[Value] | None = None,
    lang: str | None = None, network: NetworkPicture | None = None, parameters: Iterable[Value] | None = None,
    **draw_options: Unpack[DrawOptions],
) -> pathlib.Path:
    """Write ``html_page(loss, ...)`` to ``path`` atomically and return the path written.

    Nothing is written when the page cannot be made (a bad option, no ``dot``):
    an existing file at ``path`` stays as it was.
    """
    page = html_page(loss, title=title, follow=follow, lr=lr, params=chosen_params(params, parameters, "export_html"),
                     lang=lang, network=network, **draw_options)
    return write_atomically(pathlib.Path(path), page)
