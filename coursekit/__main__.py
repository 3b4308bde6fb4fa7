"""`python -m coursekit ...` is the `coursekit` command."""
import sys

from .cli import main

sys.exit(main())
