"""ipywidgets 8 front ends; one widget per module. Widgets call the client, never the sandbox."""

from .call_card import CallCard
from .call_launcher import CallLauncher
from .call_picker import CallPicker
from .experiment_panel import ExperimentPanel
from .join_button import JoinButton
from .listening_session import ListeningSessionPanel
from .metadata_editor import MetadataEditor
from .overrides_form import OverridesForm
from .variant_builder import VariantBuilder

__all__ = [
    "CallCard",
    "CallLauncher",
    "CallPicker",
    "ExperimentPanel",
    "JoinButton",
    "ListeningSessionPanel",
    "MetadataEditor",
    "OverridesForm",
    "VariantBuilder",
]
