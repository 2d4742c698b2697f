"""GUI responsiveness benchmark (not a timed test).

1. Longest event-loop stall while a long job runs in the window's job manager (goal ≤ 100 ms),
   against the stall of the idle loop in the same run.
2. Slice-scroll render time per frame in the axial view (goal ≤ 33 ms), against the raw
   library path in the same run (numpy slice → 8-bit LUT → QImage → QPainter.drawImage at the
   same size), and the full-window frame including the 3D view's plane update and render.

Uses the real CTA from the shared data folder when present, otherwise a synthetic volume of
the same size. Needs an X display (run under ``xvfb-run`` or a desktop)::

    xvfb-run -a -s "-screen 0 1920x1200x24" python benchmarks/bench_gui.py [--job segment|load]

Prints one JSON line with medians over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_case(tmp: Path) -> tuple[Path, str]:
    """A case from the real CTA (or a synthetic stand-in of the same size)."""
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, read_volume, write_case_volume
    from twindesk.model.case import Case
    from twindesk.paths import shared_data_dir

    data = shared_data_dir()
    src = data / "ct_chest_cta" / "example_ct.nii.gz" if data else None
    if src is not None and src.is_file():
        image, label = read_volume(src), "real CTA 233x167x191"
    else:
        rng = np.random.default_rng(0)
        arr = rng.normal(40, 30, (191, 167, 233)).astype(np.int16)
        image, label = sitk.GetImageFromArray(arr), "synthetic 233x167x191"
        image.SetSpacing((1.5, 1.5, 1.5))
    path = tmp / "bench.twin"
    with Case.create(path) as case:
        case.put_artifact("volume", lambda p: write_case_volume(image, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(image), "modality": "CT"}
        case.save("import", {"source": label})
    return path, label


class StallMeter:
    """Records the gaps between 1 ms timer ticks of the Qt event loop."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.gaps: list[float] = []

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.gaps.append(now - self.last)
        self.last = now

    def start(self):
        self.last, self.gaps = None, []
        self.timer.start()

    def stop(self) -> dict:
        """Longest gap, 99th percentile gap, and the share of time spent in gaps > 100 ms."""
        self.timer.stop()
        g = np.asarray(self.gaps or [0.0])
        return {"max_ms": float(1000 * g.max()), "p99_ms": 1000 * float(np.percentile(g, 99)),
                "over_100ms_share": float(g[g > 0.1].sum() / max(g.sum(), 1e-9))}


def pump_until(app, done, timeout_s=600.0):
    t0 = time.monotonic()
    while not done():
        app.processEvents()
        time.sleep(0.0005)
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError


def job_for(kind: str, window):
    """(title, fn, params, child) of the job to run while measuring stalls."""
    if kind in ("segment", "segment-thread"):
        from twindesk.ui.panels.segmentation import segmentation_job_spec

        return segmentation_job_spec(window, "aorta", child=kind == "segment")
    from twindesk.ui.case_control import _load_job

    return ("load", _load_job, window.session.case, False)


def load_average() -> float:
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def bench_stall(app, window, kind: str) -> dict:
    meter = StallMeter()
    meter.start()
    t0 = time.monotonic()
    pump_until(app, lambda: time.monotonic() - t0 > 1.0)
    idle = meter.stop()
    title, fn, params, child = job_for(kind, window)
    meter.start()
    t0 = time.perf_counter()
    window.jobs.start(title, fn, params, lambda _r: None, child=child)
    pump_until(app, lambda: not window.jobs.busy)
    job_s = time.perf_counter() - t0
    busy = meter.stop()
    return {"idle_max_stall_ms": idle["max_ms"], "idle_p99_stall_ms": idle["p99_ms"],
            "job_max_stall_ms": busy["max_ms"], "job_p99_stall_ms": busy["p99_ms"],
            "job_time_share_in_stalls_over_100ms": busy["over_100ms_share"],
            "job_s": job_s, "load_average": load_average()}


def bench_cancel(app, window, kind: str) -> dict:
    """Seconds from Cancel to the job having ended (after its first progress report)."""
    title, fn, params, child = job_for(kind, window)
    seen = []
    job = window.jobs.start(title, fn, params, lambda _r: None, child=child)
    job.signals.progress.connect(lambda f, m: seen.append(f))
    pump_until(app, lambda: seen and seen[-1] > 0.1 or job.done)
    t0 = time.perf_counter()
    window.jobs.cancel()
    pump_until(app, lambda: job.done)
    return {"cancel_latency_s": time.perf_counter() - t0, "cancel_outcome_ok":
            job.outcome == "cancelled"}


def bench_scroll(app, window, frames: int = 60) -> dict:
    """Per-frame times of scrolling the axial view in the standard layout.

    ``scroll_2d_ms``: wheel step → all 2D views repainted and the window composited (the 3D
    view's coalescing timer held back). ``scroll_window_with_3d_ms``: the same plus the 3D
    view's plane update and render. ``raw_qimage_ms``: numpy slice → LUT → QImage →
    QPainter.drawImage into an offscreen image of the view's size (no window, no overlays).
    """
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter

    from twindesk.imaging.window import window_to_uint8

    view = window.slice_views["axial"]
    state = window.state
    vol = state.volume
    direction = [1 if (n // 20) % 2 == 0 else -1 for n in range(frames)]
    timer = window.view3d._render_timer
    timer.blockSignals(True)
    two_d, two_d_cpu = [], []
    for n in range(frames):
        t0, c0 = time.perf_counter(), time.process_time()
        view.scroll(direction[n])
        app.processEvents()
        two_d.append(time.perf_counter() - t0)
        two_d_cpu.append(time.process_time() - c0)
    timer.blockSignals(False)
    full, full_cpu = [], []
    for n in range(frames):
        t0, c0 = time.perf_counter(), time.process_time()
        view.scroll(direction[n])
        app.processEvents()
        window.view3d.render_now()
        app.processEvents()
        full.append(time.perf_counter() - t0)
        full_cpu.append(time.process_time() - c0)
    canvas = QImage(view.width(), view.height(), QImage.Format.Format_RGB32)
    rect = QRectF(*view.mapping().image_rect())
    raw = []
    k0 = vol.shape[0] // 2
    for n in range(frames):
        t0 = time.perf_counter()
        sl = np.ascontiguousarray(vol[k0 + (n % 20)])
        g = window_to_uint8(sl, state.window_width_hu, state.window_level_hu)
        img = QImage(g.data, g.shape[1], g.shape[0], g.shape[1], QImage.Format.Format_Grayscale8)
        p = QPainter(canvas)
        p.fillRect(canvas.rect(), Qt.GlobalColor.black)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(rect, img)
        p.end()
        raw.append(time.perf_counter() - t0)
    med = statistics.median
    return {"scroll_2d_ms": 1000 * med(two_d), "scroll_2d_cpu_ms": 1000 * med(two_d_cpu),
            "scroll_2d_p95_ms": 1000 * float(np.percentile(two_d, 95)),
            "scroll_window_with_3d_ms": 1000 * med(full),
            "scroll_window_with_3d_cpu_ms": 1000 * med(full_cpu), "raw_qimage_ms": 1000 * med(raw),
            "view_px": [view.width(), view.height()]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", choices=("segment", "segment-thread", "load"), default="segment",
                    help="segment: in a child process (as the window runs it); "
                         "segment-thread: in a worker thread, for comparison")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from twindesk.app import application
    from twindesk.ui.display import ensure_display
    from twindesk.ui.main_window import MainWindow
    from twindesk.ui.settings import Settings

    ensure_display(allow_virtual=True)
    app = application()
    results = {"stall": [], "scroll": [], "cancel": []}
    with tempfile.TemporaryDirectory() as tmp:
        case, label = make_case(Path(tmp))
        window = MainWindow(Settings(Path(tmp) / "gui.ini"))
        window.resize(1600, 1000)
        window.show()
        window.open_case(case)
        pump_until(app, lambda: not window.jobs.busy)
        for _ in range(args.repeats):
            results["stall"].append(bench_stall(app, window, args.job))
            results["scroll"].append(bench_scroll(app, window))
            if args.job != "load":
                results["cancel"].append(bench_cancel(app, window, args.job))
        window.close_case(ask=False)
        window.shutdown()
        window.close()
    out = {"benchmark": "gui", "data": label, "job": args.job, "repeats": args.repeats}
    for group in results.values():
        for key in (group[0] if group else {}):
            values = [r[key] for r in group]
            if isinstance(values[0], (list, bool)):
                out[key] = values[0] if isinstance(values[0], list) else all(values)
            else:
                out[key] = round(statistics.median(values), 3)
    out["scroll_ratio_vs_raw"] = round(out["scroll_2d_ms"] / out["raw_qimage_ms"], 2)
    out["goal_stall_ok"] = bool(out["job_max_stall_ms"] <= 100)
    out["goal_scroll_ok"] = bool(out["scroll_2d_ms"] <= 33)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
