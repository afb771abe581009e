"""``python -m pyjit explain|run|reasons|demo``: see pyjit/report/cli.py."""
import sys

from .report.cli import main

if __name__ == "__main__":
    sys.exit(main())
