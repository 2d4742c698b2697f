"""The one-folder bundle: built and smoke-tested only when TWINDESK_BUILD_BUNDLE=1 (a build
takes minutes and ~900 MB; the normal suite stays under 20 minutes without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZE_LIMIT_MB = 950.0  # measured 911 MB; see packaging/trim.py for what is left out and why

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("TWINDESK_BUILD_BUNDLE") != "1",
    reason="set TWINDESK_BUILD_BUNDLE=1 to build the bundle and run its smoke test")]


def test_build_and_smoke_test_the_bundle(tmp_path):
    pytest.importorskip("PyInstaller", reason="install the package extra: pip install -e .[package]")
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist",
                            str(dist), "--work", str(tmp_path / "work")],
                           capture_output=True, text=True)
    report = json.loads(build.stdout.strip().splitlines()[-1])
    assert report["size_mb"] <= SIZE_LIMIT_MB, report
    smoke = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_test.py"),
                            "--bundle", str(dist / "twindesk"), "--out", str(tmp_path / "smoke")],
                           capture_output=True, text=True)
    result = json.loads(smoke.stdout.strip().splitlines()[-1])
    assert smoke.returncode == 0, json.dumps(result["steps"], indent=1)[-6000:]
    assert result["install_folder_unchanged"] and result["user_files"] > 0
    assert result["selftest"]["segmentation"]["voxels"] > 0
    assert (tmp_path / "smoke" / "smoke-window.png").stat().st_size > 10_000
