"""Blinded listening sessions: a rater rates each variant's calls in a secret random order.

Each call is labelled only "Call 3 of 12"; the ratings join the experiment's results (same store) and the variants
are revealed only after the last one.
"""

from .session import ListeningSession, Step

__all__ = ["ListeningSession", "Step"]
