"""Test support: comparing floats that may be nan or infinite.

Other test modules import these names; keep them stable.
"""

from __future__ import annotations

import math


def floats_match(ours: float, reference: float, rel: float = 1e-12, abs_: float = 0.0) -> bool:
    """Equal within ``rel``/``abs_``, where nan matches nan and an infinity only itself."""
    if math.isnan(reference) or math.isnan(ours):
        return math.isnan(reference) and math.isnan(ours)
    if math.isinf(reference) or math.isinf(ours):
        return ours == reference
    return math.isclose(ours, reference, rel_tol=rel, abs_tol=abs_)


def assert_floats_match(ours: float, reference: float, what: str = "value",
                        rel: float = 1e-12, abs_: float = 0.0) -> None:
    """``floats_match`` as an assertion whose message shows both numbers."""
    assert floats_match(ours, reference, rel, abs_), (
        f"{what}: ours {ours!r}, reference {reference!r} (rel {rel:g}, abs {abs_:g})"
    )


# --- the stepper: its document in a page, and the Chromium that drives the pages ---

import json as _json
import os as _os
import re as _re
import shutil as _shutil

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def find_chromium() -> str:
    """The Chromium to drive: ``$TRACEGRAD_CHROMIUM``, else the first of CHROMIUM_NAMES on the PATH.

    Fails (never skips) when there is none: CI runs every test.
    """
    import pytest

    chosen = _os.environ.get("TRACEGRAD_CHROMIUM")
    if chosen:
        if not (_os.path.isfile(chosen) and _os.access(chosen, _os.X_OK)):
            pytest.fail(f"TRACEGRAD_CHROMIUM={chosen!r} is not an executable file")
        return chosen
    for name in CHROMIUM_NAMES:
        found = _shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"no Chromium found: none of {', '.join(CHROMIUM_NAMES)} is on the PATH and TRACEGRAD_CHROMIUM "
        "is not set. Install it (scripts/setup.sh does) or set TRACEGRAD_CHROMIUM to its path; "
        "`pytest -m 'not browser'` runs the other tests."
    )


_DOCUMENT_SCRIPT = _re.compile(
    r'<script type="application/json" id="(tg-stepper(?:-[0-9a-f]+)?)-data">(.*?)</script>', flags=_re.S)


def page_documents(text: str) -> list[dict]:
    """Every stepper document an HTML page (or fragment) carries, in page order."""
    return [_json.loads(found.group(2)) for found in _DOCUMENT_SCRIPT.finditer(text)]


def page_document(text: str) -> dict:
    """The one stepper document of an HTML page (fails unless there is exactly one)."""
    documents = page_documents(text)
    assert len(documents) == 1, f"expected one stepper document in the page, found {len(documents)}"
    return documents[0]


def shown_number(x: float) -> str:
    """A number as the stepper writes it (4 significant digits, no signed zero), written here again."""
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


def value_at(changes: list, frame: int):
    """The value in force at ``frame`` in ``[[frame, value], ...]`` change points, by a plain scan (None before)."""
    found = None
    for at, value in changes:
        if at <= frame:
            found = value
        else:
            break
    return found


def platform_fonts(page, selector: str) -> dict[str, int]:
    """The fonts Chromium really drew a node's text with, and how many glyphs each (DevTools' CSS domain)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    document = session.send("DOM.getDocument", {"depth": -1, "pierce": True})
    node = session.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector})
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF: pypdf when installed, else its /Type /Page objects."""
    try:
        import pypdf
    except ImportError:
        return len(_re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    import io

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
