"""A non-editable install (``pip install .``) ships ``resources/`` and finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import twindesk, twindesk.paths as paths
from twindesk.model.devices.library import load_library
lib = load_library(include_user=False)
print(json.dumps({"twindesk": twindesk.__file__, "resources": str(paths.resources_dir()),
                  "families": list(lib.ids()), "errors": len(lib.errors)}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(out), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (found,) = out.glob("twindesk-*.whl")
    return found


@pytest.mark.slow
def test_wheel_ships_every_resource_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT / "resources").as_posix()
               for p in (ROOT / "resources").rglob("*") if p.is_file()
               and "__pycache__" not in p.parts}
    assert shipped, "resources/ is empty"
    missing = {f for f in shipped if f"twindesk_resources/{f}" not in names}
    assert not missing
    schemas = {p.name for p in (ROOT / "twindesk" / "schemas").glob("*.json")}
    assert {f"twindesk/schemas/{s}" for s in schemas} <= names


@pytest.mark.slow
def test_installed_wheel_finds_its_resources(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    # run from an empty folder so neither the checkout nor the editable install is used
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    info = json.loads(run.stdout)
    assert Path(info["twindesk"]).is_relative_to(target)
    assert Path(info["resources"]) == target / "twindesk_resources"
    shipped = {p.stem for p in (ROOT / "resources" / "devices").glob("*.toml")} - {"materials"}
    assert len(info["families"]) >= len(shipped) and info["errors"] == 0
