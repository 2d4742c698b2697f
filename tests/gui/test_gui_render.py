"""Small image-regression tests of the MPR and 3D views (fixed size, tolerance, Linux only).

Regenerate the references after an intended visual change with
``TWINDESK_UPDATE_REFERENCE=1 pytest tests/gui/test_render_regression.py`` and look at them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reference renders are made on Linux (Mesa llvmpipe)")

REFERENCE = Path(__file__).parent / "reference"
MAX_MEAN_ABS_DIFF = 3.0        # grey levels, over all channels
MAX_FRACTION_CHANGED = 0.02    # pixels differing by more than CHANGED_LEVEL in any channel
CHANGED_LEVEL = 48


def png_array(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.bytesPerLine() * img.height())
    return arr.reshape(img.height(), img.bytesPerLine())[:, :3 * img.width()] \
        .reshape(img.height(), img.width(), 3).copy()


def compare(out: Path, name: str) -> None:
    ref = REFERENCE / name
    if os.environ.get("TWINDESK_UPDATE_REFERENCE") == "1":
        ref.write_bytes(out.read_bytes())
    assert ref.is_file(), f"missing reference {ref}; see this module's docstring"
    a, b = png_array(out).astype(int), png_array(ref).astype(int)
    assert a.shape == b.shape
    diff = np.abs(a - b)
    mean = diff.mean()
    changed = (diff.max(axis=2) > CHANGED_LEVEL).mean()
    assert mean <= MAX_MEAN_ABS_DIFF and changed <= MAX_FRACTION_CHANGED, \
        f"{name}: mean |diff| {mean:.2f}, {100 * changed:.2f}% pixels changed (see {out})"


@pytest.fixture
def case_with_surface(synthetic_case):
    import pyvista as pv

    from twindesk.model.case import Case

    sphere = pv.Sphere(radius=synthetic_case.sphere_radius_mm,
                       center=synthetic_case.sphere_center_lps, theta_resolution=48,
                       phi_resolution=48)
    with Case.open(synthetic_case.path) as case:
        case.put_artifact("surface:sphere", lambda p: sphere.save(str(p)), ".vtp", "surface")
        case.save("test-surface")
    return synthetic_case


def test_mpr_render_matches_reference(synthetic_case, run_cli, tmp_path, qapp):
    out = tmp_path / "mpr.png"
    r = run_cli("screenshot", synthetic_case.path, "--view", "mpr", "--out", out,
                "--size", "600x220", "--json")
    assert r.code == 0, r.err
    assert (r.json["width"], r.json["height"]) == (600, 220)
    compare(out, "mpr_synthetic.png")


def test_3d_render_matches_reference(case_with_surface, run_cli, tmp_path, qapp):
    out = tmp_path / "3d.png"
    r = run_cli("screenshot", case_with_surface.path, "--view", "3d", "--out", out,
                "--size", "320x240", "--json")
    assert r.code == 0, r.err
    arr = png_array(out)
    assert arr.std() > 10  # not a blank background
    compare(out, "3d_synthetic.png")


def test_screenshot_refuses_bad_arguments(synthetic_case, run_cli, tmp_path):
    r = run_cli("screenshot", synthetic_case.path, "--out", tmp_path / "x.jpg")
    assert r.code == 2 and ".png" in r.err
    r = run_cli("screenshot", tmp_path, "--out", tmp_path / "x.png")
    assert r.code == 2 and "case.json" in r.err
    r = run_cli("screenshot", synthetic_case.path, "--out", tmp_path / "x.png", "--size", "big")
    assert r.code == 2 and "WIDTHxHEIGHT" in r.err


def test_headless_screenshot_starts_and_stops_its_own_xvfb(synthetic_case, tmp_path):
    import shutil
    import subprocess

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "headless.png"
    proc = subprocess.Popen([sys.executable, "-m", "twindesk", "screenshot",
                             str(synthetic_case.path), "--view", "window", "--out", str(out),
                             "--size", "800x500"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    assert "X11 connection broke" not in stderr
    assert png_array(out).shape == (500, 800, 3)
    # nothing of that session is left running (its private Xvfb was stopped)
    if shutil.which("pgrep"):
        left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True)
        assert left.stdout.strip() == ""
