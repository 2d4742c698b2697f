"""Frozen parameter records of the frame mechanics.

Field names equal the keys of the device library's TOML files (``resources/devices/*.toml``
and ``materials.toml``) so a library entry maps onto these records one to one; fields
that the library does not (yet) carry have defaults and say so. Units are in the names:
millimetres, newtons, megapascals (N/mm²), degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np

from twindesk.errors import InputError

DeviceKind = Literal["balloon-expandable", "self-expanding", "laao"]


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if value is None or not np.isfinite(value) or value <= 0:
            raise InputError(f"{owner}: {name} must be a positive number, got {value!r}",
                             hint=f"fix {name} in the device or material definition")


@dataclass(frozen=True)
class FrameSpec:
    """Generic diamond-cell frame pattern (per device family).

    Parameters
    ----------
    rows_of_cells
        Number of rows of closed diamond cells along the frame height.
    cells_per_row
        Diamond cells around the circumference.
    strut_width_mm
        In-plane (circumferential) strut width; governs the cell-opening bending stiffness.
    strut_thickness_mm
        Radial strut thickness (wall thickness of the cut tube).
    crimped_diameter_mm
        Outer diameter in the delivery system (self-expanding: capsule; balloon-expandable:
        the frame as crimped on the balloon, taken as its stress-free cut diameter).
    """

    rows_of_cells: int
    cells_per_row: int
    strut_width_mm: float
    strut_thickness_mm: float
    crimped_diameter_mm: float

    def __post_init__(self) -> None:
        if int(self.rows_of_cells) < 1 or int(self.cells_per_row) < 3:
            raise InputError(
                f"frame: needs rows_of_cells >= 1 and cells_per_row >= 3, got "
                f"{self.rows_of_cells} and {self.cells_per_row}",
                hint="fix rows_of_cells / cells_per_row in the device file")
        _positive("frame", strut_width_mm=self.strut_width_mm,
                  strut_thickness_mm=self.strut_thickness_mm,
                  crimped_diameter_mm=self.crimped_diameter_mm)


@dataclass(frozen=True)
class FrameSize:
    """One size of a TAVR family.

    ``inflow/waist/outflow_diameter_mm`` describe the heat-set profile of self-expanding
    frames (all three or none); balloon-expandable frames are cylinders of
    ``nominal_diameter_mm``. ``radial_force`` lists ``(diameter_mm, cof_n, rrf_n)``: chronic
    outward force and radial resistive force in newtons (total radial force on a
    cylindrical crimping head, as bench testers report it) from a cited bench study.
    ``waist_position_fraction`` (not a library key yet) is the height fraction of the waist
    measured from the inflow edge; its default 0.45 is a generic value.
    """

    size_mm: float
    nominal_diameter_mm: float
    frame_height_mm: float
    inflow_diameter_mm: float | None = None
    waist_diameter_mm: float | None = None
    outflow_diameter_mm: float | None = None
    radial_force: tuple[tuple[float, float, float], ...] = ()
    waist_position_fraction: float = 0.45

    def __post_init__(self) -> None:
        _positive(f"size {self.size_mm}", size_mm=self.size_mm,
                  nominal_diameter_mm=self.nominal_diameter_mm,
                  frame_height_mm=self.frame_height_mm)
        profile = (self.inflow_diameter_mm, self.waist_diameter_mm, self.outflow_diameter_mm)
        if any(p is not None for p in profile) and not all(p is not None for p in profile):
            raise InputError(f"size {self.size_mm}: give all of inflow_diameter_mm, "
                             "waist_diameter_mm, outflow_diameter_mm or none",
                             hint="complete the profile in the device file")
        if not 0.05 < self.waist_position_fraction < 0.95:
            raise InputError(f"size {self.size_mm}: waist_position_fraction must lie in "
                             f"(0.05, 0.95), got {self.waist_position_fraction}")
        object.__setattr__(self, "radial_force",
                           tuple(tuple(float(v) for v in row) for row in self.radial_force))
        for row in self.radial_force:
            if len(row) != 3:
                raise InputError(f"size {self.size_mm}: radial_force rows must be "
                                 "[diameter_mm, cof_n, rrf_n]")

    @property
    def has_profile(self) -> bool:
        return self.inflow_diameter_mm is not None


@dataclass(frozen=True)
class OccluderSize:
    """One size of an LAA occluder family (self-expanding nitinol plug/cage).

    ``diameter_mm`` is the nominal (unconstrained) body diameter and ``depth_mm`` the body
    length along the device axis; ``compression_*_pct`` and ``ostium_*_mm`` are the
    manufacturer's recommended ranges (used by sizing and for flags).
    """

    diameter_mm: float
    depth_mm: float
    compression_min_pct: float = 8.0
    compression_max_pct: float = 30.0
    ostium_min_mm: float | None = None
    ostium_max_mm: float | None = None

    def __post_init__(self) -> None:
        _positive(f"occluder {self.diameter_mm}", diameter_mm=self.diameter_mm,
                  depth_mm=self.depth_mm)

    @property
    def size_mm(self) -> float:
        return self.diameter_mm


@dataclass(frozen=True)
class ElasticPlastic:
    """Elastic-plastic metal (cobalt–chromium, stainless steel) with linear isotropic
    hardening: yield stress ``yield_stress_mpa + hardening_modulus_mpa * alpha`` where alpha
    is the accumulated plastic strain (so the post-yield tangent is E*H/(E+H))."""

    youngs_modulus_mpa: float
    poisson_ratio: float
    yield_stress_mpa: float
    hardening_modulus_mpa: float
    model: str = "elastic-plastic"

    def __post_init__(self) -> None:
        _positive("material", youngs_modulus_mpa=self.youngs_modulus_mpa,
                  yield_stress_mpa=self.yield_stress_mpa)
        if self.hardening_modulus_mpa < 0:
            raise InputError("material: hardening_modulus_mpa must be >= 0")

    @property
    def elastic_modulus_mpa(self) -> float:
        return self.youngs_modulus_mpa

    def scaled(self, factor: float) -> ElasticPlastic:
        """All stresses and moduli times ``factor`` (same strains, forces times factor)."""
        return replace(self, youngs_modulus_mpa=self.youngs_modulus_mpa * factor,
                       yield_stress_mpa=self.yield_stress_mpa * factor,
                       hardening_modulus_mpa=self.hardening_modulus_mpa * factor)


@dataclass(frozen=True)
class Superelastic:
    """Superelastic nitinol: austenite/martensite moduli, loading (A→M) plateau from
    ``loading_start_mpa`` to ``loading_end_mpa``, unloading (M→A) plateau from
    ``unloading_start_mpa`` down to ``unloading_end_mpa``, uniaxial
    ``transformation_strain`` (dimensionless, e.g. 0.05)."""

    austenite_modulus_mpa: float
    martensite_modulus_mpa: float
    poisson_ratio: float
    loading_start_mpa: float
    loading_end_mpa: float
    unloading_start_mpa: float
    unloading_end_mpa: float
    transformation_strain: float
    model: str = "superelastic"

    def __post_init__(self) -> None:
        _positive("material", austenite_modulus_mpa=self.austenite_modulus_mpa,
                  martensite_modulus_mpa=self.martensite_modulus_mpa,
                  loading_start_mpa=self.loading_start_mpa,
                  unloading_end_mpa=self.unloading_end_mpa,
                  transformation_strain=self.transformation_strain)
        if not (self.unloading_end_mpa <= self.unloading_start_mpa
                < self.loading_start_mpa <= self.loading_end_mpa):
            raise InputError(
                "material: superelastic plateaus must satisfy unloading_end <= "
                "unloading_start < loading_start <= loading_end",
                hint="check the plateau stresses in materials.toml")

    @property
    def elastic_modulus_mpa(self) -> float:
        return self.austenite_modulus_mpa

    def scaled(self, factor: float) -> Superelastic:
        """All stresses and moduli times ``factor`` (same strains, forces times factor)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)
                                if f.name.endswith("_mpa")})


Material = ElasticPlastic | Superelastic


def material_from_dict(data: dict) -> Material:
    """Build a material record from a ``materials.toml`` table (keys as in the file)."""
    model = data.get("model")
    cls = {"elastic-plastic": ElasticPlastic, "superelastic": Superelastic}.get(model)
    if cls is None:
        raise InputError(f"material: unknown model {model!r}",
                         hint="use 'elastic-plastic' or 'superelastic'")
    names = {f.name for f in fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise InputError(f"material: {exc}", hint="add the missing key to materials.toml") \
            from exc


def record_from_dict(cls, data: dict, where: str = ""):
    """Build ``FrameSpec``/``FrameSize``/``OccluderSize`` from a device-library table:
    keys equal to the field names are taken, others (``source``, ranges …) ignored."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if "radial_force" in values:
        values["radial_force"] = tuple(tuple(row) for row in values["radial_force"])
    try:
        return cls(**values)
    except TypeError as exc:
        raise InputError(f"{where or cls.__name__}: {exc}",
                         hint="add the missing key to the device file") from exc


@dataclass(frozen=True)
class Device:
    """A frame to simulate: kind, pattern, one size and its material."""

    kind: DeviceKind
    frame: FrameSpec
    size: FrameSize | OccluderSize
    material: Material

    def __post_init__(self) -> None:
        if self.kind not in ("balloon-expandable", "self-expanding", "laao"):
            raise InputError(f"device kind {self.kind!r} is unknown")
        if self.kind == "balloon-expandable" and not isinstance(self.material, ElasticPlastic):
            raise InputError("a balloon-expandable frame needs an elastic-plastic material")
        if self.kind != "balloon-expandable" and not isinstance(self.material, Superelastic):
            raise InputError(f"a {self.kind} frame needs a superelastic material")
        if (self.kind == "laao") != isinstance(self.size, OccluderSize):
            raise InputError("LAAO devices take an OccluderSize, TAVR devices a FrameSize")

    def with_material(self, material: Material) -> Device:
        return replace(self, material=material)


@dataclass(frozen=True)
class TissueModel:
    """Elastic foundation of the lumen wall.

    ``foundation_stiffness_n_per_mm3`` is the wall pressure per millimetre of outward wall
    displacement (a Winkler foundation). The default 0.03 N/mm³ is the thin-walled-tube
    (Laplace) estimate k = E·h/R² with E = 2 MPa, h = 2 mm and R = 11.5 mm, the order of the
    linear-elastic aortic-root properties used in TAVI finite-element studies (e.g.
    Tzamtzis et al., Med Eng Phys 2013;35:125; Bosi et al., J Biomech 2018;71:236); it is
    uncertain by a factor of about two, which is why every result carries the
    ``uncertainty`` interval. ``rigid_stiffness_n_per_mm3`` is the penalty used for rigid
    walls (bench cylinders, crimper, capsule, balloon).
    """

    foundation_stiffness_n_per_mm3: float = 0.03
    rigid_stiffness_n_per_mm3: float = 200.0

    def __post_init__(self) -> None:
        _positive("tissue", foundation_stiffness_n_per_mm3=self.foundation_stiffness_n_per_mm3,
                  rigid_stiffness_n_per_mm3=self.rigid_stiffness_n_per_mm3)


def foundation_stiffness_from_wall(youngs_modulus_mpa: float, wall_thickness_mm: float,
                                   radius_mm: float) -> float:
    """Laplace thin-walled-tube estimate of a wall's radial foundation stiffness (N/mm³):
    a uniform radial displacement u of a tube of radius R and wall h gives hoop strain u/R
    and a pressure p = E·h·u/R²."""
    _positive("tissue", youngs_modulus_mpa=youngs_modulus_mpa,
              wall_thickness_mm=wall_thickness_mm, radius_mm=radius_mm)
    return youngs_modulus_mpa * wall_thickness_mm / radius_mm ** 2


@dataclass(frozen=True)
class Placement:
    """Where the frame goes, in patient LPS millimetres.

    Parameters
    ----------
    axis_point_lps_mm
        Centre of the annulus (TAVR) or of the landing/ostium plane (LAAO).
    axis_direction_lps
        Device axis, pointing from the inflow (LVOT / appendage tip) toward the outflow
        (aorta / left atrium). The annulus plane is the plane through ``axis_point_lps_mm``
        perpendicular to it.
    depth_mm
        Implant depth: distance from the annulus plane to the frame's inflow edge on the
        non-coronary side, positive into the LVOT (for LAAO: distance from the landing plane
        to the device's distal edge, positive into the appendage).
    rotation_deg
        Frame rotation about the axis (right-handed about ``axis_direction_lps``).
        Rotation 0 puts the frame's reference feature—the outflow crown with index 0, where
        a commissure post sits on the generic frame—at the azimuth of
        ``commissure_direction_lps``.
    commissure_direction_lps
        Direction from the axis toward the left–right commissure (projected onto the
        annulus plane). Default: any direction perpendicular to the axis.
    noncoronary_direction_lps
        Direction toward the non-coronary cusp nadir, where depth is measured. Default: the
        opposite of the left–right commissure (the non-coronary sinus faces it).
    """

    axis_point_lps_mm: tuple[float, float, float]
    axis_direction_lps: tuple[float, float, float]
    depth_mm: float = 4.0
    rotation_deg: float = 0.0
    commissure_direction_lps: tuple[float, float, float] | None = None
    noncoronary_direction_lps: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("axis_point_lps_mm", "axis_direction_lps"):
            value = np.asarray(getattr(self, name), float)
            if value.shape != (3,) or not np.all(np.isfinite(value)):
                raise InputError(f"placement: {name} must be three finite numbers")
        if np.linalg.norm(self.axis_direction_lps) < 1e-9:
            raise InputError("placement: axis_direction_lps is zero")

    def basis(self) -> np.ndarray:
        """3×3 matrix whose columns are the placement's x (commissure), y, z (axis) in LPS."""
        z = np.asarray(self.axis_direction_lps, float)
        z = z / np.linalg.norm(z)
        ref = (np.asarray(self.commissure_direction_lps, float)
               if self.commissure_direction_lps is not None else None)
        if ref is None or np.linalg.norm(ref - ref.dot(z) * z) < 1e-6:
            ref = np.eye(3)[np.argmin(np.abs(z))]
        x = ref - ref.dot(z) * z
        x /= np.linalg.norm(x)
        return np.column_stack([x, np.cross(z, x), z])

    def noncoronary_azimuth_rad(self) -> float:
        """Azimuth of the non-coronary side in the placement basis (0 = commissure)."""
        if self.noncoronary_direction_lps is None:
            return float(np.pi)
        v = self.basis().T @ np.asarray(self.noncoronary_direction_lps, float)
        return float(np.arctan2(v[1], v[0]))


@dataclass(frozen=True)
class SolverOptions:
    """Numerical settings of the full model (defaults tuned for ≤ 60 s per size)."""

    elements_per_strut: int = 4
    fibres_width: int = 6
    fibres_thickness: int = 2
    crimp_steps: int = 16
    release_steps: int = 16
    max_newton_iterations: int = 30
    residual_tolerance_n: float = 1e-5
    catheter_stiffness_n_per_mm: float = 1.0
    contact_smoothing_mm: float = 0.01
