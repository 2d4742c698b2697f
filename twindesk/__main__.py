"""``python -m twindesk`` is the same as the ``twindesk`` console script."""

import sys

from twindesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
