"""``python -m minigen ...``: the same command as ``minigen`` (see :mod:`minigen.cli`)."""

import sys

from minigen.cli import main

sys.exit(main())
