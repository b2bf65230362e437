"""The `review` extra (duckdb, pyarrow, ibis): a missing one is a ConfigurationError that says how to install it."""

from __future__ import annotations

import importlib

from ..errors import ConfigurationError

EXTRA_MODULES = ("pyarrow", "duckdb", "ibis")


def require_extras() -> None:
    """Import the review extra's libraries, or say how to install them.

    Raises:
        ConfigurationError: One of them is not installed.
    """
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise ConfigurationError(
                f'convoi_nb.review needs {name}, which is not installed: pip install "convoi_nb[review]"'
            ) from None
