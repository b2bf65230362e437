"""A missing duckdb or pyarrow is a ConfigurationError saying how to install the review extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_review_extra_says_how_to_install_it() -> None:
    code = (
        "import sys\nsys.modules['duckdb'] = None\n"
        "try:\n    from convoi_nb.review import Review\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120).stdout
    assert (
        out.strip()
        == 'ConfigurationError convoi_nb.review needs duckdb, which is not installed: pip install "convoi_nb[review]"'
    )
