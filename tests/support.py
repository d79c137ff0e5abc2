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
