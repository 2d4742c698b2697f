"""build.prune_orphans deletes the libraries nothing in the bundle links to, and only those."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import build  # noqa: E402

LIBZ = Path("/lib/x86_64-linux-gnu/libz.so.1")
LIBPNG = Path("/lib/x86_64-linux-gnu/libpng16.so.16")   # links libz.so.1

pytestmark = pytest.mark.skipif(
    shutil.which("readelf") is None or not (LIBZ.exists() and LIBPNG.exists()),
    reason="needs binutils' readelf and the system's libz/libpng (Debian x86-64)")


def test_orphans_go_linked_and_named_libraries_stay(tmp_path):
    internal = tmp_path / "_internal"
    (internal / "PIL").mkdir(parents=True)
    # an extension module (loaded by path) that links libz.so.1
    shutil.copy(LIBPNG, internal / "PIL" / "_imaging.cpython-311-x86_64-linux-gnu.so")
    shutil.copy(LIBZ, internal / "libz.so.1")                  # linked: stays
    shutil.copy(LIBPNG, internal / "libgio-2.0.so.0")          # linked by nothing: goes
    shutil.copy(LIBZ, internal / "libpython3.11.so.1.0")       # opened by name: stays
    shutil.copy(LIBZ, internal / "libXext.so.6")               # system X libraries: stays
    report = build.prune_orphans(internal)
    assert report["files"] == ["libgio-2.0.so.0"]
    assert report["saved_mb"] == round(LIBPNG.resolve().stat().st_size / 1e6, 1)
    assert sorted(p.name for p in internal.iterdir()) == [
        "PIL", "libXext.so.6", "libpython3.11.so.1.0", "libz.so.1"]


def test_a_chain_of_orphans_goes_in_rounds(tmp_path):
    internal = tmp_path / "_internal"
    internal.mkdir()
    shutil.copy(LIBPNG, internal / "libpng16.so.16")   # nothing links it ...
    shutil.copy(LIBZ, internal / "libz.so.1")          # ... and only it links libz
    report = build.prune_orphans(internal)
    assert report["files"] == ["libpng16.so.16", "libz.so.1"]
    assert not any(internal.iterdir())
