#!/usr/bin/env python3
"""Entry point of hangar's CI scripts: see hangar_ci/cli.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hangar_ci.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
