"""`python -m evals ...`: see `evals.cli`."""

import sys

from .cli import main

sys.exit(main())
