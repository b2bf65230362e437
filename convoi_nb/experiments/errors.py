"""The experiment's own error."""

from ..errors import ConvoiError


class ExperimentError(ConvoiError):
    """The experiment cannot run as defined (a variant changed under an old name, a store from another server…)."""
