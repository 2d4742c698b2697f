"""The FDA benchmark nozzle ("Computational Round Robin #1"), sudden-expansion orientation.

We model the **sudden-expansion orientation**: flow along +z through the 20° (included
angle) conical collector, the 4 mm throat, then the sudden expansion to the 12 mm pipe at
z = 0. Geometry and fluid are the published benchmark specification (Stewart S.F.C. et al.,
*Assessment of CFD performance in simulations of an idealized medical device: results of FDA's
first computational interlaboratory study*, Cardiovasc Eng Technol 2012;3:139–160,
doi:10.1007/s13239-012-0087-5, Fig. 1 and Table 1); the app ships these numbers and needs no
data file. Measured PIV data (Hariharan P., Malinauskas R.A., *Round Robin 1 Data Sets,
Version 2.0*, U.S. FDA, doi:10.17917/C78G69; public domain; results derived from them say so)
are read from the developers' shared data folder when present.

Coordinates follow the data: z in the flow direction, z = 0 at the step. Lengths in mm here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry.tube_mesh import TetMesh, graded_axis, ring_disk, stacked_mesh

#: Benchmark geometry (mm) and fluid (SI), Stewart et al. 2012.
PIPE_RADIUS_MM = 6.0
THROAT_RADIUS_MM = 2.0
THROAT_LENGTH_MM = 40.0
CONE_HALF_ANGLE_DEG = 10.0
CONE_LENGTH_MM = (PIPE_RADIUS_MM - THROAT_RADIUS_MM) / np.tan(np.radians(CONE_HALF_ANGLE_DEG))
DENSITY_KG_M3 = 1056.0
VISCOSITY_PA_S = 0.0035
#: Throat Reynolds numbers of the benchmark's flow table.
BENCHMARK_RE = (500, 2000, 3500, 5000, 6500)
#: At and above this throat Re the benchmark flow is transitional downstream of the expansion.
TRANSITIONAL_RE = 2000

Z_CONE_START = -THROAT_LENGTH_MM - CONE_LENGTH_MM  # -62.685 mm
Z_THROAT_START = -THROAT_LENGTH_MM


def flow_rate_m3_s(re_throat: float) -> float:
    """Q = Re π μ D_t / (4 ρ) (m³/s) for a throat Reynolds number."""
    return re_throat * np.pi * VISCOSITY_PA_S * (2 * THROAT_RADIUS_MM * 1e-3) / (4 * DENSITY_KG_M3)


def wall_radius_mm(z_mm: np.ndarray) -> np.ndarray:
    """Wall radius (mm) of the sudden-expansion orientation at axial positions z (mm)."""
    z = np.asarray(z_mm, dtype=float)
    cone = THROAT_RADIUS_MM + (PIPE_RADIUS_MM - THROAT_RADIUS_MM) * (Z_THROAT_START - z) / CONE_LENGTH_MM
    return np.where(z <= Z_CONE_START, PIPE_RADIUS_MM,
                    np.where(z < Z_THROAT_START, cone,
                             np.where(z <= 0.0, THROAT_RADIUS_MM, PIPE_RADIUS_MM)))


@dataclass(frozen=True)
class NozzleMeshParams:
    """Mesh of the nozzle: ``n_core`` rings across the throat radius (also used, stretched,
    across the inlet pipe and cone), ``n_annulus`` rings between r = 2 and 6 mm downstream of
    the step; axial sizes (mm) in the throat / at the step and far downstream."""

    n_core: int = 6
    n_annulus: int = 6
    z_inlet_mm: float = -90.0
    z_outlet_mm: float = 120.0
    dz_pipe_mm: float = 3.0
    dz_throat_mm: float = 1.0
    dz_jet_mm: float = 0.8
    dz_outlet_mm: float = 4.0
    #: Scale all radii so each polygonal cross-section (``6 n_core`` straight sides: the
    #: tetrahedra are affine) has the area of the circle it approximates. Without it the
    #: lumen is too small by 1 − (n/2π)·sin(2π/n) (1.1 % at n = 24, 2.0 % at n = 18) and
    #: every velocity too high by as much, since the flow rate is prescribed.
    equal_area: bool = True

    def scaled(self, factor: float) -> NozzleMeshParams:
        """Refined (factor > 1) or coarsened copy: rings × factor, axial sizes ÷ factor."""
        return NozzleMeshParams(max(2, round(self.n_core * factor)),
                                max(1, round(self.n_annulus * factor)), self.z_inlet_mm,
                                self.z_outlet_mm, self.dz_pipe_mm / factor,
                                self.dz_throat_mm / factor, self.dz_jet_mm / factor,
                                self.dz_outlet_mm / factor, self.equal_area)


def polygon_area_radius_factor(n_sides: int) -> float:
    """Factor on the circumradius of a regular ``n_sides``-gon that gives it the area of the
    circle: sqrt(2π / (n sin(2π/n)))."""
    return float(np.sqrt(2 * np.pi / (n_sides * np.sin(2 * np.pi / n_sides))))


def nozzle_mesh(p: NozzleMeshParams) -> TetMesh:
    """Structured tetrahedral mesh of the sudden-expansion nozzle (points in mm, z axis)."""
    if not p.z_inlet_mm < Z_CONE_START or not p.z_outlet_mm > 0:
        raise InputError("nozzle mesh: the inlet must lie upstream of the cone and the outlet "
                         "downstream of the step", "check z_inlet_mm / z_outlet_mm")
    disk = ring_disk(p.n_core, p.n_annulus)
    z_mid = min(40.0, 0.5 * p.z_outlet_mm)  # jet core resolved finely, then coarsening
    z = graded_axis([p.z_inlet_mm, Z_CONE_START, Z_THROAT_START, 0.0, z_mid, p.z_outlet_mm],
                    [p.dz_pipe_mm, p.dz_throat_mm * 1.5, p.dz_throat_mm, p.dz_jet_mm,
                     p.dz_jet_mm * 2.5, p.dz_outlet_mm])
    k = np.arange(disk.n_rings + 1)
    core = np.minimum(k, p.n_core) / p.n_core
    ann = np.clip(k - p.n_core, 0, None) / max(p.n_annulus, 1)
    a = np.where(z <= 0, wall_radius_mm(np.minimum(z, 0)), THROAT_RADIUS_MM)
    radii = a[:, None] * core[None, :] + (PIPE_RADIUS_MM - THROAT_RADIUS_MM) * ann[None, :]
    if p.equal_area:
        radii = radii * polygon_area_radius_factor(6 * p.n_core)
    slab = np.where(z[:-1] >= 0.0, disk.n_rings, p.n_core)
    return stacked_mesh(disk, radii, z, slab, lambda ax, xy, layer: np.c_[xy, ax])


# ---------------------------------------------------------------- measured data
@dataclass(frozen=True)
class Dataset:
    code: str
    centreline: np.ndarray  # (n, 2): z (m), axial velocity (m/s)
    wall_pressure: np.ndarray | None  # (n, 2): z (m), pressure (Pa, dataset gauge offset)
    #: Radial profiles of axial velocity: z (m) → (n, 2) signed r (m), velocity (m/s).
    axial_profiles: dict = None


def parse_dataset(path: Path) -> Dataset:
    """Read one FDA PIV text file (header ``key value`` lines, then blocks: title, count,
    ``x value`` lines)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    blocks: dict[str, np.ndarray] = {}
    code = path.stem.rsplit("_", 1)[-1]
    i = 0
    while i < len(lines):
        title = lines[i].strip()
        if title.startswith("dataset-code"):
            code = title.split()[-1]
        if title.startswith("plot-") and i + 1 < len(lines) and lines[i + 1].strip().isdigit():
            n = int(lines[i + 1])
            rows = [lines[i + 2 + j].split()[:2] for j in range(n)]
            try:
                blocks[title] = np.array(rows, dtype=float)
            except ValueError:
                raise InputError(f"{path}: block '{title}' has non-numeric values",
                                 "restore the file from the FDA archive") from None
            i += 2 + n
            continue
        i += 1
    if "plot-z-distribution-axial-velocity" not in blocks:
        raise InputError(f"{path}: no centreline velocity block", "restore the file")
    profiles = {}
    for title, arr in blocks.items():
        if title.startswith("plot-profile-axial-velocity-at-z"):
            try:
                profiles[round(float(title.split()[1]), 6)] = arr
            except (IndexError, ValueError):
                continue
    return Dataset(code, blocks["plot-z-distribution-axial-velocity"],
                   blocks.get("plot-wall-distribution-pressure"), profiles)


def load_measured(folder: Path | None) -> list[Dataset]:
    """All sudden-expansion Re 500 datasets under ``folder`` (``…/fda_nozzle``); [] if absent."""
    if folder is None:
        return []
    sub = Path(folder) / "re500" / "sudden_expansion"
    return [parse_dataset(f) for f in sorted(sub.glob("*.txt"))] if sub.is_dir() else []


def station_table(datasets: list[Dataset]) -> list[dict]:
    """Per station z: measured mean/min/max over the datasets that report it (m/s)."""
    values: dict[float, list[float]] = {}
    for ds in datasets:
        for z, v in ds.centreline:
            values.setdefault(round(float(z) * 1000, 3), []).append(float(v))
    return [{"z_mm": z, "measured_mean_m_s": float(np.mean(v)), "measured_min_m_s": min(v),
             "measured_max_m_s": max(v), "n_datasets": len(v)} for z, v in sorted(values.items())]


#: Stations of the sudden-expansion data (mm), used when the data folder is absent.
STATIONS_MM = (-88.0, -64.0, -48.0, -42.0, -20.0, -8.0, 0.0, 8.0, 16.0, 24.0, 32.0, 40.0,
               48.0, 60.0, 80.0)


#: PIV stations in the 12 mm inlet pipe, upstream of the cone (mm).
INLET_STATIONS_MM = (-88.0, -64.0)


def measured_inlet_flow(datasets: list[Dataset]) -> dict:
    """Volumetric flow (m³/s) delivered in the experiments, from the measured axial-velocity
    profiles in the inlet pipe (stations :data:`INLET_STATIONS_MM`).

    Each profile half (r ≥ 0 and r ≤ 0; the files give a signed radius across the laser
    sheet) is integrated as an axisymmetric profile, Q = ∫₀ᴿ 2π r u dr (trapezoidal rule,
    R = 6 mm, zeros outside the fluid); the halves, stations and datasets are averaged. Also
    returned: the profile shape factor u_centre / u_mean (2 for the developed parabola), per
    dataset and overall, so a reader can see the measured inlet is developed laminar flow.
    """
    R = PIPE_RADIUS_MM * 1e-3
    per_ds = []
    for ds in datasets:
        qs, shape = [], []
        for z_mm in INLET_STATIONS_MM:
            prof = (ds.axial_profiles or {}).get(round(z_mm / 1000, 6))
            if prof is None:
                continue
            r, u = prof[:, 0], prof[:, 1]
            for side in (r >= 0, r <= 0):
                rr, uu = np.abs(r[side]), u[side]
                keep = rr <= R
                rr, uu = rr[keep], uu[keep]
                if len(rr) < 10:
                    continue
                o = np.argsort(rr)
                rr, uu = rr[o], uu[o]
                q = float(np.trapezoid(2 * np.pi * rr * uu, rr))
                qs.append(q)
                shape.append(float(uu[0] / (q / (np.pi * R**2))))
        if qs:
            per_ds.append({"code": ds.code, "flow_m3_s": float(np.mean(qs)),
                           "shape_factor": float(np.mean(shape)), "n_halves": len(qs)})
    if not per_ds:
        return {}
    q = float(np.mean([d["flow_m3_s"] for d in per_ds]))
    return {"flow_m3_s": q, "stations_mm": list(INLET_STATIONS_MM),
            "shape_factor": float(np.mean([d["shape_factor"] for d in per_ds])),
            "datasets": per_ds}
