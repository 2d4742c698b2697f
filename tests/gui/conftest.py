"""GUI fixtures: a small synthetic case with known geometry, and a main window that is
closed completely (jobs, dialogs, 3D renderer) after each test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

SIZE = (48, 40, 32)            # i (L), j (P), k (S) voxels
SPACING = (1.0, 1.0, 1.5)      # mm
ORIGIN = (-20.0, -15.0, 100.0)  # LPS mm of voxel (0, 0, 0)
VESSEL_HU, SPHERE_HU, TISSUE_HU = 350, 600, 40


@dataclass
class SyntheticCase:
    path: Path
    volume: np.ndarray          # [k, j, i] int16
    vessel_center_ij: tuple[float, float]
    vessel_radius_mm: float
    sphere_center_lps: np.ndarray
    sphere_radius_mm: float

    def index_to_lps(self, i, j, k):
        return np.asarray(ORIGIN) + np.asarray(SPACING) * np.array([i, j, k], float)


def make_volume():
    k, j, i = np.mgrid[0:SIZE[2], 0:SIZE[1], 0:SIZE[0]].astype(float)
    x, y, z = (ORIGIN[0] + SPACING[0] * i, ORIGIN[1] + SPACING[1] * j,
               ORIGIN[2] + SPACING[2] * k)
    vol = np.full(k.shape, -1000, np.int16)
    body = ((x - 4) / 22) ** 2 + ((y - 4.5) / 18) ** 2 <= 1
    vol[body] = TISSUE_HU
    vessel = (x - (-5.0)) ** 2 + (y - 0.0) ** 2 <= 6.0 ** 2
    vol[vessel] = VESSEL_HU
    sphere_c = np.array([12.0, 8.0, 122.0])
    sphere = (x - sphere_c[0]) ** 2 + (y - sphere_c[1]) ** 2 + (z - sphere_c[2]) ** 2 <= 5.0 ** 2
    vol[sphere] = SPHERE_HU
    return vol, sphere_c


def write_case(path: Path, vol: np.ndarray) -> None:
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.model.case import Case

    img = sitk.GetImageFromArray(vol)
    img.SetSpacing(SPACING)
    img.SetOrigin(ORIGIN)
    with Case.create(path) as case:
        case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(img), "modality": "CT"}
        case.doc["patient"] = {"name": "SYNTHETIC^GUI", "id": "GUI-1"}
        case.save("import", {"source": "synthetic"})


def write_case_from_file(src: Path, path: Path) -> Path:
    """A case holding a volume file (NIfTI/MHA), written with the case store."""
    from twindesk.io.volume import geometry_of, read_volume, write_case_volume
    from twindesk.model.case import Case

    img = read_volume(src)
    with Case.create(path) as case:
        case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(img), "modality": "CT"}
        case.save("import", {"source": str(src)})
    return path


@pytest.fixture
def synthetic_case(tmp_path) -> SyntheticCase:
    vol, sphere_c = make_volume()
    path = tmp_path / "synthetic.twin"
    write_case(path, vol)
    # vessel centre x = -5 → i = 15; y = 0 → j = 15
    return SyntheticCase(path, vol, (15.0, 15.0), 6.0, sphere_c, 5.0)


@pytest.fixture
def main_window(qtbot, tmp_path):
    """A main window with throw-away settings; everything is closed afterwards."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from twindesk.ui.main_window import MainWindow
    from twindesk.ui.settings import Settings

    window = MainWindow(Settings(tmp_path / "gui.ini"))
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.jobs.shutdown()
    window.close_case(ask=False)
    window.shutdown()
    window.close()
    window.deleteLater()
    # Delete it now: processEvents() does not run deferred deletions posted outside an event
    # loop, so closed windows (with their VTK render windows) used to be destroyed at some
    # nested event loop of a later test. Full GUI runs crashed (segfault) at random places
    # of later tests, about one run in three.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not leaked, f"windows left open: {[w.objectName() or type(w).__name__ for w in leaked]}"


def wait_idle(qtbot, window, timeout_ms: int = 60000) -> None:
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=timeout_ms)
    qtbot.wait(20)


@pytest.fixture
def opened(main_window, synthetic_case, qtbot):
    """The main window with the synthetic case loaded."""
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    assert main_window.state.has_volume
    return main_window
