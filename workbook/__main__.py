"""`python -m workbook` runs the `planner` command line."""

import sys

from workbook.cli import main

sys.exit(main())
