"""Validated device definitions as frozen dataclasses.

Field names equal the TOML keys of ``resources/devices/*.toml`` (a shared contract: the
mechanics room builds its own parameters from these names). Units are in the names: ``_mm``
millimetres, ``_mm2`` square millimetres, ``_cm2`` square centimetres, ``_pct`` percent,
``_n`` newtons, ``_mpa`` megapascals, ``_deg`` degrees.

Every number carries its provenance: each table of a device file has a ``source`` (one or more
ids of the file's ``[[sources]]``) and may override it per key with ``source_by_key``. The
dataclasses keep that mapping in ``sources`` (key → tuple of source ids), so any value can be
traced with :meth:`DeviceFamily.source_of`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from twindesk.errors import InputError

Kind = Literal["balloon-expandable", "self-expanding", "laao"]
KINDS: tuple[str, ...] = ("balloon-expandable", "self-expanding", "laao")
TAVR_KINDS: tuple[str, ...] = ("balloon-expandable", "self-expanding")

#: Source kinds a ``[[sources]]`` entry may declare.
SOURCE_KINDS: tuple[str, ...] = (
    "ifu", "sizing-chart", "peer-reviewed", "guideline", "standard", "datasheet",
    "derived", "engineering-estimate",
)
#: How a value was checked when it was entered (honest provenance, shown to users).
VERIFICATIONS: tuple[str, ...] = (
    "excerpt-confirmed",   # the number was read in a public excerpt of the cited document
    "secondary",           # read in a public secondary source reproducing the document
    "recalled",            # entered from the cited document without re-reading it here
    "computed",            # computed from other cited values by a stated formula
    "estimate",            # an engineering estimate; the note says how it was made
)

SourceMap = tuple[tuple[str, tuple[str, ...]], ...]


def _lookup(sources: SourceMap, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    for k, ids in sources:
        if k == key:
            return ids
    return default


@dataclass(frozen=True)
class Source:
    """One citable origin of numbers (``[[sources]]`` entry of a device file)."""

    id: str
    kind: str
    citation: str
    verification: str
    url: str | None = None
    doi: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FrameGeometry:
    """The stent frame, idealised as ``rows_of_cells`` rings of ``cells_per_row`` diamond
    cells. ``frame_geometry`` is ``"generic"`` when the real pattern is not public."""

    frame_geometry: str
    rows_of_cells: int
    cells_per_row: int
    strut_width_mm: float
    strut_thickness_mm: float
    crimped_diameter_mm: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class RadialForcePoint:
    """Radial force at one constraining diameter: chronic outward force (unloading, while
    the frame expands) and radial resistive force (loading, while it is compressed), both
    the total force over the frame as measured by an iris-type radial-force tester, N."""

    diameter_mm: float
    cof_n: float
    rrf_n: float


@dataclass(frozen=True)
class ValveSize:
    """One size of a transcatheter aortic valve.

    ``annulus_*`` ranges are the recommended native annulus ranges (closed intervals).
    Self-expanding fields are ``None`` for balloon-expandable valves.
    """

    size_mm: float
    nominal_diameter_mm: float
    frame_height_mm: float
    annulus_area_min_mm2: float
    annulus_area_max_mm2: float
    annulus_perimeter_min_mm: float
    annulus_perimeter_max_mm: float
    eoa_cm2: float
    eoa_sd_cm2: float | None = None
    inflow_diameter_mm: float | None = None
    waist_diameter_mm: float | None = None
    outflow_diameter_mm: float | None = None
    sinus_diameter_min_mm: float | None = None
    sinus_height_min_mm: float | None = None
    stj_diameter_min_mm: float | None = None
    ascending_aorta_diameter_max_mm: float | None = None
    radial_force: tuple[RadialForcePoint, ...] = ()
    source: tuple[str, ...] = ()
    sources: SourceMap = ()

    @property
    def nominal_perimeter_mm(self) -> float:
        """Circumference of the nominal (labelled) diameter, mm."""
        return math.pi * self.nominal_diameter_mm

    @property
    def nominal_area_mm2(self) -> float:
        """Area of the circle of nominal diameter, mm²."""
        return math.pi * self.nominal_diameter_mm ** 2 / 4.0


@dataclass(frozen=True)
class OccluderSize:
    """One size of a left atrial appendage occluder.

    ``compression_*_pct`` is ``(diameter_mm - implanted diameter) / diameter_mm * 100``;
    ``ostium_*_mm`` is the recommended range of the maximum ostium (landing-zone) diameter.
    """

    size_mm: float
    diameter_mm: float
    depth_mm: float
    compression_min_pct: float
    compression_max_pct: float
    ostium_min_mm: float
    ostium_max_mm: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class Placement:
    """Default and recommended implant depth (convention in :class:`Orientation`)."""

    default_depth_mm: float
    recommended_depth_min_mm: float
    recommended_depth_max_mm: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class Orientation:
    """How rotation 0 and implant depth are defined for this family (text, shown in the GUI
    and printed by ``twindesk devices --show``)."""

    rotation_zero_feature: str
    rotation_zero_definition: str
    rotation_positive_direction: str
    implant_depth_definition: str


@dataclass(frozen=True)
class Recoil:
    """Expected elastic recoil of a balloon-expandable frame after balloon deflation:
    ``(balloon diameter - final diameter) / balloon diameter * 100``."""

    recoil_min_pct: float
    recoil_max_pct: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class AnatomyLimits:
    """Family-wide anatomical cautions (e.g. coronary height)."""

    coronary_height_min_mm: float | None = None
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class ElasticPlasticMaterial:
    """Bilinear elastic-plastic metal with linear isotropic hardening, MPa.

    ``hardening_modulus_mpa`` is the plastic modulus H: the flow stress is
    ``yield_stress_mpa + H * accumulated plastic strain`` (so the post-yield slope against
    total strain is E·H/(E+H)), as :class:`twindesk.sim.mechanics.params.ElasticPlastic`
    reads it.
    """

    id: str
    name: str
    model: str
    youngs_modulus_mpa: float
    poisson_ratio: float
    yield_stress_mpa: float
    hardening_modulus_mpa: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


@dataclass(frozen=True)
class SuperelasticMaterial:
    """Superelastic nitinol (Auricchio-Taylor-type parameters), MPa; strain dimensionless."""

    id: str
    name: str
    model: str
    austenite_modulus_mpa: float
    martensite_modulus_mpa: float
    poisson_ratio: float
    loading_start_mpa: float
    loading_end_mpa: float
    unloading_start_mpa: float
    unloading_end_mpa: float
    transformation_strain: float
    source: tuple[str, ...] = ()
    sources: SourceMap = ()


Material = ElasticPlasticMaterial | SuperelasticMaterial


@dataclass(frozen=True)
class DeviceFamily:
    """A validated device family: one TOML file."""

    id: str
    name: str
    kind: str
    description: str
    material: str
    sizing_basis: str
    frame: FrameGeometry
    orientation: Orientation
    placement: Placement
    sizes: tuple[ValveSize, ...] | tuple[OccluderSize, ...]
    sources_table: tuple[Source, ...]
    source: tuple[str, ...]
    file: str
    origin: str = "shipped"
    recoil: Recoil | None = None
    anatomy: AnatomyLimits = field(default_factory=AnatomyLimits)

    @property
    def sizes_mm(self) -> tuple[float, ...]:
        return tuple(s.size_mm for s in self.sizes)

    @property
    def is_tavr(self) -> bool:
        return self.kind in TAVR_KINDS

    def size(self, size_mm: float) -> ValveSize | OccluderSize:
        """The size labelled ``size_mm``; :class:`InputError` naming the valid sizes if absent."""
        for s in self.sizes:
            if abs(s.size_mm - size_mm) < 1e-6:
                return s
        sizes = ", ".join(f"{v:g}" for v in self.sizes_mm)
        raise InputError(f"--size: device '{self.id}' has no {size_mm:g} mm size",
                         f"choose one of: {sizes} mm")

    def source_entry(self, source_id: str) -> Source:
        for s in self.sources_table:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def source_of(self, table, key: str) -> tuple[Source, ...]:
        """The sources of ``key`` in ``table`` (a size, the frame, …) of this family."""
        ids = _lookup(table.sources, key, table.source)
        return tuple(self.source_entry(i) for i in ids)

    def primary_source(self) -> Source:
        """The family-level source (first id of the top-level ``source``)."""
        return self.source_entry(self.source[0])
