"""python -m cisflow: the same as the cisflow command."""

import sys

from cisflow.cli import main

sys.exit(main())
