"""`python -m convoi_nb.widgets.dashboard`: Voilà with the package's template, which is Voilà's own "lab" template
less its two CDN stylesheets; checked here against the Voilà installed (the browser test checks the page)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path

from convoi_nb.widgets import dashboard
from convoi_nb.widgets.dashboard import DATA, TEMPLATE, voila_arguments, voila_environment

OURS = DATA / "voila" / "templates" / TEMPLATE / "index.html.j2"


def voila_lab_template() -> str:
    for root in jupyter_path():
        path = Path(root) / "voila" / "templates" / "lab" / "index.html.j2"
        if path.exists():
            return path.read_text()
    raise AssertionError("Voilà's lab template is not installed (the voila extra)")


def test_the_template_removes_exactly_the_cdn_links_voila_s_lab_template_has() -> None:
    stock = voila_lab_template()
    cdn_links = re.findall(r"<link [^>]*https://[^>]*>", stock)
    assert len(cdn_links) == 2 and all("fontawesome" in link for link in cdn_links)
    removed = re.findall(r"'(<link [^']*)' \| safe", OURS.read_text())
    assert removed == cdn_links  # a Voilà whose links differ would put them back on the page


def test_voila_finds_the_template_first_and_keeps_the_user_s_paths() -> None:
    env = voila_environment({"JUPYTER_PATH": os.pathsep.join(["/a", "", "/b"]), "HOME": "/h"})
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(DATA), "/a", "/b"] and env["HOME"] == "/h"
    assert voila_environment({})["JUPYTER_PATH"] == str(DATA)
    assert (DATA / "voila" / "templates" / TEMPLATE / "conf.json").exists()
    assert voila_arguments(["nb.ipynb", "--template=gridstack"]) == [
        "--template=convoi",
        "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
        "nb.ipynb",
        "--template=gridstack",
    ]


def test_without_its_template_the_dashboard_still_serves_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dashboard, "DATA", tmp_path)  # an install that left the template out
    assert dashboard.voila_arguments(["nb.ipynb"]) == [
        "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
        "nb.ipynb",
    ]
    assert "template is missing" in capsys.readouterr().err


def test_voila_reads_the_denylist_and_adds_the_user_s_own_to_it() -> None:
    from voila.app import Voila

    app = Voila()
    app.parse_command_line(voila_arguments(["--VoilaConfiguration.extension_denylist=other", "nb.ipynb"]))
    assert app.config.VoilaConfiguration.extension_denylist == ["jupyterlab-jupytext", "other"]
