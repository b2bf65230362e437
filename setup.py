"""The package build: the Join widget's front end is bundled with npm (`npm ci && npm run build`, from its lockfile)
before the Python files are collected, whenever the shipped bundle is not built from the sources beside it.
Everything else about the package is in pyproject.toml."""

from __future__ import annotations

import runpy
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FRONTEND = Path(__file__).resolve().parent / "convoi_nb" / "widgets" / "join_frontend"


class BuildWithFrontEnd(build_py):
    def run(self) -> None:
        stamp = runpy.run_path(str(FRONTEND / "bundle_stamp.py"))
        if stamp["is_stale"](FRONTEND):
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit(
                    "convoi_nb: the Join widget's bundle (join_frontend/dist/join.js) is older than its "
                    "sources and npm is not installed to rebuild it (apt-get install nodejs npm)"
                )
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
            subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)
        super().run()


setup(cmdclass={"build_py": BuildWithFrontEnd})
