"""Live hinge editing for the measurement panel (Qt-free logic).

:class:`RootEditor` holds the hinge points, the user's ostia and septum point and the last
full measurement; after each hinge move it measures again what depends on the annulus plane
(:func:`twindesk.geometry.aortic_root.measure_root` with ``full=False``: annulus, LVOT,
coronary heights, plane) and the fluoroscopy plan, in well under a second.
:class:`ViewPlane` describes the double-oblique views (the annulus plane and long-axis planes
through a hinge) as pixel grids in LPS mm, so that the panel only paints and converts mouse
positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twindesk.geometry import fluoro
from twindesk.geometry.annulus import CUSPS, RootFrame, hinge_plane

#: The lumen crop is rebuilt when the hinges move farther than this from its centre (mm).
RECROP_MM = 15.0
CROP_HALF_MM = 70.0


@dataclass(frozen=True)
class ViewPlane:
    """A square pixel grid in a plane: pixel ``[row, col]`` lies at ``origin + (col - c) *
    step * col_dir + (row - c) * step * row_dir`` (``c`` the centre index); ``normal`` is
    ``col_dir x row_dir``."""

    origin_lps_mm: np.ndarray
    col_dir: np.ndarray
    row_dir: np.ndarray
    half_mm: float
    step_mm: float

    @property
    def n(self) -> int:
        return int(round(2 * self.half_mm / self.step_mm)) + 1

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.col_dir, self.row_dir)

    def points(self) -> np.ndarray:
        t = (np.arange(self.n) - (self.n - 1) / 2) * self.step_mm
        return (self.origin_lps_mm + t[None, :, None] * self.col_dir
                + t[:, None, None] * self.row_dir)

    def sample(self, volume: np.ndarray, grid) -> np.ndarray:
        """Values of a volume ``[k, j, i]`` on ``grid`` (linear; -1000 outside)."""
        from twindesk.imaging.grid import sample

        pts = self.points()
        return sample(volume, grid.lps_to_zyx(pts.reshape(-1, 3)).reshape(pts.shape),
                      order=1, cval=-1000.0)

    def to_plane(self, points_lps_mm) -> np.ndarray:
        """``(col_mm, row_mm, depth_mm)`` of LPS points relative to the centre."""
        q = np.atleast_2d(np.asarray(points_lps_mm, float)) - self.origin_lps_mm
        return np.stack([q @ self.col_dir, q @ self.row_dir, q @ self.normal], axis=1)

    def to_lps(self, col_mm: float, row_mm: float) -> np.ndarray:
        return self.origin_lps_mm + col_mm * self.col_dir + row_mm * self.row_dir


def annulus_view(frame: RootFrame, height_mm: float = 0.0, half_mm: float = 25.0,
                 step_mm: float = 0.25) -> ViewPlane:
    """The plane parallel to the annulus at ``height_mm``: columns toward the patient's
    anterior, rows toward the left (the root frame's axes)."""
    return ViewPlane(frame.center_lps_mm + height_mm * frame.normal_lps, frame.anterior,
                     frame.left, half_mm, step_mm)


def long_axis_view(frame: RootFrame, angle_deg: float, half_mm: float = 25.0,
                   step_mm: float = 0.25, lift_mm: float = 10.0) -> ViewPlane:
    """The plane through the root axis toward ``angle_deg`` (root frame): columns from the
    axis toward that direction, rows up the axis (the centre ``lift_mm`` above the
    annulus, so that the LVOT and the sinuses both show)."""
    return ViewPlane(frame.center_lps_mm + lift_mm * frame.normal_lps,
                     frame.direction(angle_deg), frame.normal_lps, half_mm, step_mm)


class RootEditor:
    """Hinge points being edited, and their live measurement.

    Parameters
    ----------
    image
        The case CT (SimpleITK).
    hinges_lps_mm
        ``right``, ``left``, ``non`` → LPS points.
    ostia
        ``left`` / ``right`` → lower-edge LPS point or detection record (kept fixed while
        the hinges move; their heights follow the plane).
    patient_position
        DICOM PatientPosition of the case (None: head-first supine assumed).
    """

    def __init__(self, image, hinges_lps_mm: dict, ostia: dict | None = None,
                 septum_lps_mm=None, patient_position: str | None = None):
        self.image = image
        self.hinges = {k: np.asarray(hinges_lps_mm[k], float) for k in CUSPS}
        self.ostia = dict(ostia or {})
        self.septum = None if septum_lps_mm is None else np.asarray(septum_lps_mm, float)
        self.patient_position = patient_position
        self.edited = False
        self._lv = None
        self._lv_center = None
        self.live: dict[str, Any] | None = None

    @property
    def frame(self) -> RootFrame:
        """The current annulus plane (centred on the last live contour when known)."""
        if self.live is not None:
            p = self.live["plane"]
            return RootFrame(np.asarray(p["center_lps_mm"]), np.asarray(p["normal_lps"]))
        return hinge_plane(self.hinges)

    def _lumen(self):
        from twindesk.geometry.lumen import LumenVolume

        c = np.mean(list(self.hinges.values()), axis=0)
        if self._lv is None or np.linalg.norm(c - self._lv_center) > RECROP_MM:
            self._lv = LumenVolume(self.image, c, CROP_HALF_MM, smooth_mm=0.0)
            self._lv_center = c
        return self._lv

    def move_hinge(self, cusp: str, lps_mm) -> dict[str, Any]:
        """Move one hinge and measure again; returns :meth:`measure`'s record. A move the
        annulus cannot follow (contour lost) raises and leaves the hinge where it was."""
        old = self.hinges[cusp]
        self.hinges[cusp] = np.asarray(lps_mm, float)
        try:
            out = self.measure()
        except Exception:
            self.hinges[cusp] = old
            raise
        self.edited = True
        return out

    def measure(self) -> dict[str, Any]:
        """Annulus, LVOT, coronary heights and plane for the current hinges, with the
        C-arm plan (``fluoroscopy``)."""
        from twindesk.geometry.aortic_root import measure_root

        res = measure_root(self._lumen(), self.hinges, self.ostia, self.septum, full=False)
        frame = RootFrame(np.asarray(res["plane"]["center_lps_mm"]),
                          np.asarray(res["plane"]["normal_lps"]))
        res["fluoroscopy"] = fluoro.plan(frame.normal_lps, self.hinges, self.patient_position)
        res["hinges_lps_mm"] = {k: [float(x) for x in v] for k, v in self.hinges.items()}
        self.live = res
        return res

    def hinge_angle_deg(self, cusp: str) -> float:
        return float(self.frame.angle_deg(self.hinges[cusp])[0])
