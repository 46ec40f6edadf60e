"""``python -m xiaoneng.clock`` — see :mod:`xiaoneng.clock.cli`."""

import sys

from .cli import main

sys.exit(main())
