"""Installer's self-test of the desktop program (``twindesk selftest``).

What a person would do on a fresh install, driven from code: start the main window, open
the demo case (generating it on first use), segment the aorta with the Segmentation panel's
job (a spawned child process, as in normal use), save a screenshot of the window, and close.
The user's own demo case is not changed: the segmentation runs on a copy in a temporary
folder. Timings are measured from the start of the process (``/proc``), so the start-up time
includes loading Python, Qt and VTK.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from twindesk.errors import TwindeskError

#: The start-up goal (seconds from process start to the main window on screen).
STARTUP_GOAL_S = 5.0
#: Sanity bound of the overlap with the phantom's own aorta label (catches a mask in the
#: wrong place or orientation; the segmentation's accuracy is tested by the anatomy room).
MIN_DICE = 0.3
AORTA_LABEL = 1


def process_age_s() -> float:
    """Seconds since this process started (Linux ``/proc``; falls back to import time).

    ``/proc/self/stat`` gives the start in clock ticks (10 ms) since boot; the clock since
    boot is ``CLOCK_BOOTTIME``. (Adding the ticks to ``btime`` of ``/proc/stat`` instead and
    comparing with the wall clock overstates the age by up to 1 s: ``btime`` is rounded down
    to whole seconds.)"""
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED_AT


_IMPORTED_AT = time.monotonic()


def _wait(condition, timeout_s: float, what: str) -> None:
    from PySide6.QtWidgets import QApplication

    t0 = time.monotonic()
    while not condition():
        QApplication.processEvents()
        time.sleep(0.005)
        if time.monotonic() - t0 > timeout_s:
            raise TwindeskError(f"self-test: {what} did not happen within {timeout_s:.0f} s",
                                "run 'twindesk doctor' to check graphics and Qt")


def _raise_window_error(window, step: str) -> None:
    if window.errors.history:
        message, hint = window.errors.history[-1]
        raise TwindeskError(f"self-test ({step}): {message}", hint or None)


def dice_with_truth(mask, labels_path: Path) -> float | None:
    """Dice overlap of ``mask`` with the phantom's aorta label (None without the label map)."""
    import numpy as np
    import SimpleITK as sitk

    if not labels_path.is_file():
        return None
    truth = sitk.GetArrayFromImage(sitk.ReadImage(str(labels_path))) == AORTA_LABEL
    mask = np.asarray(mask, bool)
    if truth.shape != mask.shape:
        return None
    return float(2.0 * (mask & truth).sum() / max(int(mask.sum() + truth.sum()), 1))


def show_main_window(window, size: tuple[int, int]) -> float:
    """Show ``window`` and wait until it is on screen; returns the process age then (s)."""
    window.resize(*size)
    window.show()
    _wait(lambda: window.windowHandle() is not None and window.windowHandle().isExposed(),
          60.0, "the main window appearing")
    return process_age_s()


def run_startup(size: tuple[int, int] = (1400, 900)) -> dict:
    """Start-up only: seconds from process start until the main window is on screen.

    ``phases_s`` says where the time went: the process age (s) when this function began
    (interpreter, bootloader and command-line start), after importing the window's modules,
    after creating the Qt application, after building the window (views, 3D, panels) and
    when it was on screen."""
    phases = {"command_started": process_age_s()}
    from twindesk.app import application
    from twindesk.ui.main_window import MainWindow
    from twindesk.ui.settings import Settings

    phases["modules_imported"] = process_age_s()
    application()
    phases["application_created"] = process_age_s()
    with tempfile.TemporaryDirectory(prefix="twindesk-selftest-") as tmp:
        window = MainWindow(Settings(Path(tmp) / "selftest.ini"))
        phases["window_built"] = process_age_s()
        try:
            window_s = show_main_window(window, size)
        finally:
            window.shutdown()
            window.close()
            window.deleteLater()
    phases["window_shown"] = window_s
    return {"ok": True, "window_shown_s": round(window_s, 3), "startup_goal_s": STARTUP_GOAL_S,
            "startup_within_goal": window_s <= STARTUP_GOAL_S,
            "phases_s": {k: round(v, 3) for k, v in phases.items()}}


def run_selftest(out_png: Path, demo_dir: Path | None = None,
                 size: tuple[int, int] = (1400, 900), timeout_s: float = 900.0) -> dict:
    """Run the self-test; returns timings and checks (raises on a failed step)."""
    from twindesk.app import application
    from twindesk.phantom.demo import default_dir
    from twindesk.ui.main_window import MainWindow
    from twindesk.ui.screenshot import grab_widget, wait_for_jobs
    from twindesk.ui.settings import Settings

    application()
    demo_dir = Path(demo_dir) if demo_dir else default_dir()
    with tempfile.TemporaryDirectory(prefix="twindesk-selftest-") as tmp:
        window = MainWindow(Settings(Path(tmp) / "selftest.ini"))
        try:
            window_s = show_main_window(window, size)
            # 1. the demo case, as File > Open demo case does (generated on first use)
            t0 = time.monotonic()
            from twindesk.ui.demo import demo_job

            window.jobs.start("Preparing the demo case", demo_job, demo_dir,
                              lambda p: window.open_case(p, write=False))
            wait_for_jobs(window, timeout_s)
            _raise_window_error(window, "demo case")
            if window.session is None:
                raise TwindeskError("self-test: the demo case did not open")
            demo_case = window.session.path
            demo_s = time.monotonic() - t0
            # 2. segment the aorta on a copy with the panel's child-process job
            window.close_case(ask=False)
            copy = Path(tmp) / "selftest.twin"
            shutil.copytree(demo_case, copy)
            if not window.open_case(copy, write=True):
                _raise_window_error(window, "opening the copy")
            wait_for_jobs(window, timeout_s)
            panel = window.panels["segmentation"]
            panel.structure.setCurrentText("aorta")
            t1 = time.monotonic()
            panel.run_auto()
            wait_for_jobs(window, timeout_s)
            _raise_window_error(window, "segmentation")
            layer = window.state.layers.get("aorta")
            if layer is None or not layer.mask.any():
                raise TwindeskError("self-test: the segmentation stored no aorta mask")
            seg_s = time.monotonic() - t1
            voxels = int(layer.mask.astype(bool).sum())
            sx, sy, sz = window.state.geometry.spacing_mm
            volume_ml = voxels * sx * sy * sz / 1000.0
            dice = dice_with_truth(layer.mask, demo_dir / "labels.mha")
            if dice is not None and dice < MIN_DICE:
                raise TwindeskError(f"self-test: the aorta mask overlaps the phantom's aorta "
                                    f"by Dice {dice:.2f} < {MIN_DICE}",
                                    "the segmentation ran but its result is implausible")
            # 3. a screenshot of the window with the mask shown
            image = grab_widget(window, size)
            if not image.save(str(out_png)):
                raise TwindeskError(f"{out_png}: cannot write the PNG",
                                    "check the folder is writable")
            window.close_case(ask=False)
        finally:
            window.shutdown()
            window.close()
            window.deleteLater()
    return {"ok": True, "window_shown_s": round(window_s, 3),
            "startup_goal_s": STARTUP_GOAL_S, "startup_within_goal": window_s <= STARTUP_GOAL_S,
            "demo_case": str(demo_case), "demo_s": round(demo_s, 2),
            "segmentation": {"structure": "aorta", "seconds": round(seg_s, 2),
                             "voxels": voxels, "volume_ml": round(volume_ml, 1),
                             "dice_with_phantom": None if dice is None else round(dice, 3)},
            "screenshot": str(out_png), "width": image.width(), "height": image.height()}
