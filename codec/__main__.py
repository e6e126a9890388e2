"""`python -m codec ...`: see `codec.cli`."""

import sys

from .cli import main

sys.exit(main())
