"""Fluoroscopy planning: C-arm angles at which the annulus plane is seen edge-on.

Convention (DICOM PS3.3 C.8.7.5, X-Ray Positioner angles, patient supine head first):
the *primary* angle is LAO (+) / RAO (-), a rotation of the image detector about the
patient's cranio-caudal axis from the anterior (AP) position toward the patient's left (LAO)
or right (RAO); the *secondary* angle is CRAN (+) / CAUD (-), a tilt of the detector toward
the patient's head or feet. The unit vector from the patient to the detector in LPS is

    d(a, b) = (sin a cos b, -cos a cos b, sin b)        (a primary, b secondary)

The annulus plane (unit normal ``n``) is seen edge-on when the X-ray beam lies in it, i.e.
``n . d = 0``; for each primary angle this gives one secondary angle, the C-arm projection
curve ``b(a) = atan((n_y cos a - n_x sin a) / n_z)`` (derived here from ``n . d = 0``).

Named views (three-cusp view: Kasel AM, et al. Fluoroscopy-guided aortic root imaging for
TAVR: "follow the right cusp" rule. JACC Cardiovasc Imaging 2013;6:274-275; cusp overlap:
Tang GHL, et al. Alignment of transcatheter aortic-valve neo-commissures (ALIGN TAVR).
JACC Cardiovasc Interv 2020;13:1030-1042):

* three-cusp coplanar view: on the curve, with the right-coronary cusp's hinge projected
  midway between the left and non-coronary hinges: ``d`` along the in-plane direction from
  the left/non midpoint to the right hinge;
* cusp-overlap view: on the curve, with the left and right hinges projected onto each other
  and the non-coronary cusp isolated: ``d`` along the in-plane right-minus-left direction.

LPS is fixed to the patient (DICOM PS3.3 C.7.6.2.1.1), so these angles do not depend on
how the patient lay in the CT; they assume the usual supine position on the cath-lab table.
"""

from __future__ import annotations

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry.annulus import unit

SUPINE_POSITIONS = ("HFS", "FFS")


def detector_direction(primary_deg, secondary_deg) -> np.ndarray:
    """Unit vector(s) from the patient to the detector (LPS) for LAO/CRAN angles (deg)."""
    a, b = np.radians(primary_deg), np.radians(secondary_deg)
    return np.stack(np.broadcast_arrays(np.sin(a) * np.cos(b), -np.cos(a) * np.cos(b),
                                        np.sin(b)), axis=-1)


def angles_of(direction_lps) -> tuple[float, float]:
    """(primary LAO+/RAO-, secondary CRAN+/CAUD-) in degrees of a detector direction. A
    direction pointing posteriorly is flipped (the same projection seen from the front)."""
    d = unit(direction_lps)
    if d[1] > 0:
        d = -d
    return (float(np.degrees(np.arctan2(d[0], -d[1]))),
            float(np.degrees(np.arcsin(np.clip(d[2], -1.0, 1.0)))))


def projection_curve(normal_lps, primary_deg=None) -> dict:
    """The C-arm curve of a plane: CRAN/CAUD angle at which it is edge-on for each LAO/RAO
    angle (default -90..90 deg in 1 deg steps)."""
    n = unit(normal_lps)
    a = np.arange(-90.0, 90.5, 1.0) if primary_deg is None else np.asarray(primary_deg, float)
    ar = np.radians(a)
    if abs(n[2]) < 1e-9:
        raise InputError("the annulus plane is horizontal-on: every view is edge-on at "
                         "CRAN/CAUD 0", "check the hinge points")
    b = np.degrees(np.arctan((n[1] * np.cos(ar) - n[0] * np.sin(ar)) / n[2]))
    return {"primary_deg": [float(v) for v in a], "secondary_deg": [float(v) for v in b],
            "convention": "primary LAO+ / RAO-, secondary CRAN+ / CAUD- (DICOM PS3.3 "
                          "C.8.7.5), supine patient"}


def _in_plane(v, n) -> np.ndarray:
    return unit(np.asarray(v, float) - (np.asarray(v, float) @ n) * n)


def named_views(normal_lps, hinges_lps_mm: dict) -> dict:
    """Three-cusp coplanar and cusp-overlap views from the hinge points."""
    n = unit(normal_lps)
    r, lft, non = (np.asarray(hinges_lps_mm[k], float) for k in ("right", "left", "non"))
    coplanar = _in_plane(r - (lft + non) / 2.0, n)
    overlap = _in_plane(r - lft, n)
    out = {}
    for name, d in (("three_cusp_coplanar", coplanar), ("cusp_overlap", overlap)):
        a, b = angles_of(d)
        out[name] = {"primary_deg": a, "secondary_deg": b, "label": label(a, b),
                     "detector_direction_lps": [float(v) for v in
                                                detector_direction(a, b)]}
    return out


def label(primary_deg: float, secondary_deg: float) -> str:
    """Human label, e.g. ``LAO 12° CAUD 8°``."""
    p = f"{'LAO' if primary_deg >= 0 else 'RAO'} {abs(primary_deg):.0f}°"
    s = f"{'CRAN' if secondary_deg >= 0 else 'CAUD'} {abs(secondary_deg):.0f}°"
    return f"{p} {s}"


def plan(normal_lps, hinges_lps_mm: dict, patient_position: str | None) -> dict:
    """Everything fluoroscopy planning reports (curve, named views, position notes)."""
    pos = (patient_position or "").strip().upper() or None
    notes = []
    if pos is None:
        notes.append("assumed HFS: the DICOM header gives no patient position, head-first "
                     "supine is assumed")
    elif pos not in SUPINE_POSITIONS:
        notes.append(f"the CT was acquired in position {pos} (not supine): the heart may lie "
                     "differently on the cath-lab table; check the angles on fluoroscopy")
    return {"patient_position": pos or "HFS", "patient_position_source":
            "dicom" if pos else "assumed", "curve": projection_curve(normal_lps),
            "views": named_views(normal_lps, hinges_lps_mm), "notes": notes}


def plot_curve(fluoro: dict, path) -> None:
    """PNG of the C-arm curve with the named views (matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    c = fluoro["curve"]
    ax.plot(c["primary_deg"], c["secondary_deg"], "k-", lw=1.5, label="annulus edge-on")
    marks = {"three_cusp_coplanar": ("o", "three-cusp coplanar"),
             "cusp_overlap": ("s", "cusp overlap")}
    for key, v in fluoro["views"].items():
        m, text = marks[key]
        ax.plot(v["primary_deg"], v["secondary_deg"], m, ms=8,
                label=f"{text}: {v['label']}")
    ax.axhline(0, color="0.7", lw=0.7)
    ax.axvline(0, color="0.7", lw=0.7)
    ax.set_xlim(-90, 90)
    ax.set_ylim(-60, 60)
    ax.set_xlabel("RAO (-)  /  LAO (+)  [deg]")
    ax.set_ylabel("CAUD (-)  /  CRAN (+)  [deg]")
    src = fluoro.get("patient_position_source")
    ax.set_title(f"C-arm projection curve ({fluoro.get('patient_position', 'HFS')}"
                 f"{', assumed' if src == 'assumed' else ''})")
    ax.grid(True, lw=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(str(path))
