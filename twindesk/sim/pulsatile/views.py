"""Qt-free display logic of the flow panel: what to draw for a scenario's 3D pulsatile result.

The panel (and ``twindesk scenario figure``) only turns these into actors and widgets:

* :func:`load_fields` — the result VTU (LPS mm) with its point fields;
* :func:`surface_field` — the lumen wall coloured by a field (pressure / velocity magnitude
  at peak systole or cycle mean, WSS at peak systole, TAWSS, OSI);
* :func:`plane_field` — the same field on an MPR plane (origin and normal in LPS);
* :func:`plane_samples` — the field sampled on a 2D view's pixel grid (NaN outside the lumen);
* :func:`streamlines` — streamlines of the peak-systolic velocity seeded on the inlet;
* :func:`shared_range` — one colour range for several scenarios (pre/post side by side);
* :func:`waveforms` — the last cycle's pressure and flow waveforms (CSV columns).

Display conversion LPS → RAS stays in the UI, as for every other view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError

#: Field name → (VTU array, unit, label, short label); vectors are shown by magnitude.
FIELDS: dict[str, tuple[str, str, str, str]] = {
    "pressure": ("pressure_mmhg", "mmHg", "Pressure at peak systole", "p peak"),
    "pressure_mean": ("pressure_mean_mmhg", "mmHg", "Pressure, cycle mean", "p mean"),
    "velocity": ("velocity_m_s", "m/s", "Velocity at peak systole", "|u| peak"),
    "velocity_mean": ("velocity_mean_m_s", "m/s", "Velocity, cycle mean", "|u| mean"),
    "wss": ("wss_pa", "Pa", "Wall shear stress at peak systole", "WSS peak"),
    "tawss": ("tawss_pa", "Pa", "Time-averaged wall shear stress", "TAWSS"),
    "osi": ("osi", "", "Oscillatory shear index", "OSI"),
    # a steady solve (``twindesk flow``, :mod:`twindesk.sim.flow.results`) stores the same
    # arrays; its own labels say so (not "peak systole")
    "steady_pressure": ("pressure_mmhg", "mmHg", "Pressure, steady flow", "p"),
    "steady_velocity": ("velocity_m_s", "m/s", "Velocity, steady flow", "|u|"),
    "steady_wss": ("wss_pa", "Pa", "Wall shear stress, steady flow", "WSS"),
}
#: The fields each kind of result holds, in the order a user picks from.
PULSATILE_FIELDS = ("pressure", "pressure_mean", "velocity", "velocity_mean", "wss", "tawss",
                    "osi")
STEADY_FIELDS = ("steady_pressure", "steady_velocity", "steady_wss")


@dataclass(frozen=True)
class FieldView:
    """What the panel needs to colour by one field."""

    name: str
    array: str
    unit: str
    label: str
    short: str

    @property
    def bar_title(self) -> str:
        return f"{self.short} ({self.unit})" if self.unit else self.short


def field_view(name: str) -> FieldView:
    if name not in FIELDS:
        raise InputError(f"field '{name}' unknown", f"choose one of: {', '.join(FIELDS)}")
    return FieldView(name, *FIELDS[name])


def load_fields(case, scenario: str):
    """The pulsatile result grid of ``scenario`` (pyvista UnstructuredGrid, LPS mm)."""
    import pyvista as pv

    rec = (case.doc.get("pulsatile") or {}).get(scenario)
    if not rec:
        raise InputError(f"scenario '{scenario}' has no 3D pulsatile result",
                         f"run 'twindesk scenario run CASE {scenario} --3d' first")
    return pv.read(str(case.artifact_path(rec["artifacts"]["fields"])))


def _scalar(grid, fv: FieldView) -> np.ndarray:
    a = np.asarray(grid.point_data[fv.array])
    return np.linalg.norm(a, axis=1) if a.ndim == 2 else a


def field_values(grid, name: str) -> np.ndarray:
    """The field's value at every point of ``grid`` (vectors by magnitude)."""
    return _scalar(grid, field_view(name))


def surface_field(grid, name: str):
    """The outer surface of the mesh with the field as active point scalars ``"value"``."""
    fv = field_view(name)
    surf = grid.extract_surface(algorithm="dataset_surface")
    surf.point_data["value"] = _scalar(surf, fv)
    return surf


def plane_field(grid, name: str, origin_lps_mm, normal_lps):
    """The field on the cross-section of the lumen by a plane (an MPR plane)."""
    fv = field_view(name)
    cut = grid.slice(normal=tuple(normal_lps), origin=tuple(origin_lps_mm))
    if cut.n_points:
        cut.point_data["value"] = _scalar(cut, fv)
    return cut


def plane_samples(grid, name: str, origin_lps_mm, col_step_lps_mm, row_step_lps_mm,
                  shape: tuple[int, int], max_samples: int = 256) -> np.ndarray:
    """The field on a 2D view's pixel grid: ``values[row, col]`` at ``origin_lps_mm +
    col * col_step_lps_mm + row * row_step_lps_mm`` (LPS mm), NaN outside the lumen.

    Only the pixels inside the grid's bounding box (projected onto the plane) are probed,
    on a grid of at most ``max_samples`` × ``max_samples`` points (every pixel when the box
    is smaller), each pixel taking its nearest probe's value: a view costs one probe of at
    most 65 536 points, whatever its size.
    """
    import pyvista as pv

    fv = field_view(name)
    rows, cols = int(shape[0]), int(shape[1])
    out = np.full((rows, cols), np.nan)
    o = np.asarray(origin_lps_mm, float)
    cu, rv = np.asarray(col_step_lps_mm, float), np.asarray(row_step_lps_mm, float)
    normal = np.cross(cu, rv)
    normal /= np.linalg.norm(normal)
    b = np.asarray(grid.bounds, float).reshape(3, 2)
    corners = np.array(np.meshgrid(*b, indexing="ij")).reshape(3, -1).T - o  # (8, 3)
    depth = corners @ normal
    if rows == 0 or cols == 0 or depth.min() > 0 or depth.max() < 0:
        return out  # the plane misses the lumen's box
    # pixel coordinates of the box corners (the steps are orthogonal for every MPR plane)
    c = corners @ cu / (cu @ cu)
    r = corners @ rv / (rv @ rv)
    c0, c1 = max(int(np.floor(c.min())), 0), min(int(np.ceil(c.max())), cols - 1)
    r0, r1 = max(int(np.floor(r.min())), 0), min(int(np.ceil(r.max())), rows - 1)
    if c1 < c0 or r1 < r0:
        return out
    nc, nr = min(c1 - c0 + 1, max_samples), min(r1 - r0 + 1, max_samples)
    pc, pr = np.linspace(c0, c1, nc), np.linspace(r0, r1, nr)
    gc, gr = np.meshgrid(pc, pr)  # (nr, nc)
    pts = o + gc.reshape(-1, 1) * cu + gr.reshape(-1, 1) * rv
    source = pv.UnstructuredGrid(grid.cells, grid.celltypes, grid.points) \
        if isinstance(grid, pv.UnstructuredGrid) else grid.copy(deep=False)
    source.point_data[fv.array] = grid.point_data[fv.array]  # probe one array, not all
    probed = pv.PolyData(pts).sample(source)
    vals = _scalar(probed, fv).astype(float)
    vals[np.asarray(probed.point_data["vtkValidPointMask"]) == 0] = np.nan
    vals = vals.reshape(nr, nc)
    # each pixel of the box takes its nearest probe (identity when every pixel was probed)
    ic = np.rint((np.arange(c0, c1 + 1) - c0) * (nc - 1) / max(c1 - c0, 1)).astype(int)
    ir = np.rint((np.arange(r0, r1 + 1) - r0) * (nr - 1) / max(r1 - r0, 1)).astype(int)
    out[r0:r1 + 1, c0:c1 + 1] = vals[np.ix_(ir, ic)]
    return out


def streamlines(grid, inlet_center_lps_mm, inlet_normal_lps, inlet_radius_mm: float,
                n_seeds: int = 150, field: str = "velocity"):
    """Streamlines of the (peak-systolic) velocity from seeds on a disk just inside the inlet,
    coloured by speed (point scalars ``"value"``)."""
    import pyvista as pv

    fv = field_view(field)
    n = -np.asarray(inlet_normal_lps, float)  # into the domain
    n /= np.linalg.norm(n)
    centre = np.asarray(inlet_center_lps_mm, float) + 0.05 * inlet_radius_mm * n
    rng = np.random.default_rng(7)
    a = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    r = 0.85 * inlet_radius_mm * np.sqrt(rng.random(n_seeds))
    th = 2 * np.pi * rng.random(n_seeds)
    seeds = pv.PolyData(centre + np.outer(r * np.cos(th), e1) + np.outer(r * np.sin(th), e2))
    g = grid.copy()
    g.set_active_vectors(fv.array)
    lines = g.streamlines_from_source(seeds, vectors=fv.array, integration_direction="forward",
                                      max_length=2000.0, initial_step_length=0.5,
                                      max_steps=4000)
    if lines.n_points:
        lines.point_data["value"] = np.linalg.norm(np.asarray(lines.point_data[fv.array]), axis=1)
    return lines


def view_direction(points_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera direction and up vector (LPS) that show a vessel's own plane: the direction of
    least spread of its points (an arch's binormal), looking from the patient's
    anterior/left side, with superior (+S) up as far as the view allows."""
    p = np.asarray(points_mm, float)
    _, vecs = np.linalg.eigh(np.cov((p - p.mean(axis=0)).T))
    look = vecs[:, 0]
    if look @ np.array([1.0, 1.0, 0.0]) > 0:  # look from anterior-left towards the body
        look = -look
    up = np.array([0.0, 0.0, 1.0]) - look[2] * look
    if np.linalg.norm(up) < 1e-6:  # looking straight down: anterior up instead
        up = np.array([0.0, -1.0, 0.0]) - look[1] * look
    return look, up / np.linalg.norm(up)


def shared_range(values: list[np.ndarray], robust: bool = True) -> tuple[float, float]:
    """One colour range for several scenarios: 2nd–98th percentile of all values (or the
    full range), so equal colours mean equal values side by side."""
    allv = np.concatenate([np.asarray(v, float).ravel() for v in values if np.size(v)])
    if allv.size == 0:
        return 0.0, 1.0
    lo, hi = (np.percentile(allv, [2, 98]) if robust else (allv.min(), allv.max()))
    if hi <= lo:
        hi = lo + 1e-9 + abs(lo) * 1e-6
    return float(lo), float(hi)


def waveforms(case, scenario: str) -> dict[str, np.ndarray]:
    """The last cycle's waveform columns (units in the names; see
    :mod:`twindesk.sim.pulsatile.outputs`)."""
    rec = (case.doc.get("pulsatile") or {}).get(scenario)
    if not rec:
        raise InputError(f"scenario '{scenario}' has no 3D pulsatile result",
                         f"run 'twindesk scenario run CASE {scenario} --3d' first")
    path = case.artifact_path(rec["artifacts"]["waveforms"])
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return {h: data[:, i] for i, h in enumerate(header)}


def inlet_of(case, structure: str = "aorta") -> tuple[np.ndarray, np.ndarray, float]:
    """Centre (LPS mm), outward normal and radius (mm) of the flow mesh's inlet."""
    meta = (case.artifact(f"mesh_boundary:{structure}") or {}).get("meta") or {}
    inlet = next((r for r in meta.get("regions") or [] if r.get("kind") == "inlet"), None)
    if inlet is None:
        raise InputError("the flow mesh has no inlet region", "rebuild the flow mesh")
    return (np.asarray(inlet["center_lps_mm"], float), np.asarray(inlet["normal_lps"], float),
            float(np.sqrt(inlet["area_mm2"] / np.pi)))
