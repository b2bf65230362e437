"""Blinded listening sessions: a rater hears each variant's calls in a seeded random order, labelled only "Call 3 of
12", rates them, and the ratings join the experiment's results (same store), unblinded only after the last one.
"""

from .session import ListeningSession, Step

__all__ = ["ListeningSession", "Step"]
