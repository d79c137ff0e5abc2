"""``python -m nn.app.cli ARGS``: the ``tracegrad`` command line."""

import sys

from . import main

sys.exit(main())
