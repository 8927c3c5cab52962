"""``python -m kmodel`` → the command line."""

import sys

from kmodel.cli import main

sys.exit(main())
