"""The ``tracegrad`` command line."""

from __future__ import annotations

import sys

from autograd import Value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tracegrad`` console script."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["demo"]:
        print("usage: tracegrad demo", file=sys.stderr)
        return 2
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.backward()
    print(f"y = tanh(x*w + b) = {y.data:.6f}")
    for leaf in (x, w, b):
        print(f"dy/d{leaf.label} = {leaf.grad:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
