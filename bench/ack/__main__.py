"""``python -m bench.ack``: see :mod:`bench.ack`."""

import sys

from bench.ack.cli import main

sys.exit(main())
