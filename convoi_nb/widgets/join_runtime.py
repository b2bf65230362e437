"""One copy of the Join front end per notebook: a runtime widget holds the bundle, the widgets refer to it.

`join_frontend/dist/join.js` (livekit-client included, ~560 kB) is the `_esm` of one `JoinRuntime` per kernel. Each
`JoinButton` and `SecretField` carries only `LOADER`, a few lines that find the runtime through anywidget's widget
composition (`anywidget.WidgetTrait`, `host.getWidget`, anywidget ≥ 0.11) and render with what it exports. A
notebook that saves its widget state therefore holds the bundle once, however many cards it shows.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets

BUNDLE = Path(__file__).parent / "join_frontend" / "dist" / "join.js"

# The front end's style, loaded once with the runtime.
CSS = """
.convoi-join-controls { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.convoi-join-level { display: inline-block; width: 80px; height: 8px; background: #e5e7eb; border-radius: 4px; }
.convoi-join-level-bar { display: block; height: 100%; width: 0; background: #16a34a; border-radius: 4px; }
.convoi-join-state[data-state="connected"] { color: #15803d; }
.convoi-join-state[data-state="disconnected"] { color: #b91c1c; }
.convoi-join-note, .convoi-join-participants { font-size: 12px; color: #555; }
"""

# The whole front end of each widget: render with the runtime's exports (`join` or `secret`).
LOADER = """export default {
  async render({ model, el, host }) {
    if (!host || !host.getWidget) {
      el.textContent = "this front end's anywidget is older than 0.11: it cannot load convoi_nb's Join front end";
      return;
    }
    const runtime = await host.getWidget(model.get("_runtime"));
    return runtime.exports[model.get("_front_end")]({ model, el });
  },
};
"""


class JoinRuntime(anywidget.AnyWidget):
    """The Join front end's bundle, once per kernel; never displayed. Use `shared_runtime()` to get it."""

    _esm = BUNDLE
    _css = CSS
    shared = True  # used by every Join button and secret field: closing one of them leaves it open


_runtime: JoinRuntime | None = None
_runtime_lock = threading.Lock()


def shared_runtime() -> JoinRuntime:
    """The kernel's runtime widget, made on first use (and again if it was closed).

    Returns:
        The open `JoinRuntime` every new Join button and secret field refers to.
    """
    global _runtime
    with _runtime_lock:
        if _runtime is None or _runtime.comm is None:
            _runtime = JoinRuntime()
        return _runtime


class RuntimeWidget(anywidget.AnyWidget):
    """A widget whose front end is one of the runtime's exports (named by `_front_end`)."""

    _esm = LOADER
    _runtime = anywidget.WidgetTrait().tag(sync=True)
    _front_end = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_runtime=shared_runtime(), **kwargs)
