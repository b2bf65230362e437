__version__ = "0.1.0"
"""The installed convoi_nb's version."""
