"""Device sizing from annulus or LAA-ostium measurements (Qt-free).

Conventions
-----------
* A size *fits* when the family's sizing measurement (``sizing_basis``: annulus ``area``,
  annulus ``perimeter``, or LAA ``ostium_max`` diameter) lies in the size's recommended range,
  bounds included (closed intervals, as the manufacturers' charts read "from .. to ..").
* Oversizing, per the CT sizing literature (Yang et al., JACC Cardiovasc Interv
  2015;8:462-471, "nominal area oversizing"; Blanke et al., SCCT expert consensus, JACC
  Cardiovasc Imaging 2019;12:1-24)::

      oversizing_perimeter_pct = (pi * d_nominal / annulus_perimeter - 1) * 100
      oversizing_area_pct      = (pi * d_nominal**2 / 4 / annulus_area - 1) * 100

  with ``d_nominal`` the device's labelled (nominal) diameter in mm.
* Occluder compression, per the WATCHMAN FLX sizing convention (family file sources)::

      compression_pct = (d_device - d_ostium) / d_device * 100

  reported at the maximum ostium diameter (the sizing measurement, smallest compression)
  and at the mean diameter.
* The anatomy is flagged when it lies outside every size (``below-range`` /
  ``above-range``), in the overlap zone of two or more sizes (``overlap``; this includes a
  value exactly on a bound shared by two sizes), or in a gap between two sizes (``gap``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from twindesk.errors import InputError
from twindesk.model.devices.schema import DeviceFamily, OccluderSize, ValveSize

#: Relative tolerance for "on the boundary" (floating-point noise only).
_REL_EPS = 1e-9

BASIS_LABEL = {"area": "annulus area", "perimeter": "annulus perimeter",
               "ostium_max": "maximum ostium diameter"}
BASIS_UNIT = {"area": "mm²", "perimeter": "mm", "ostium_max": "mm"}


def _check_positive(name: str, value: float | None, required: bool = True) -> None:
    if value is None:
        if required:
            raise InputError(f"{name}: missing")
        return
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{name}: must be a positive number, got {value!r}",
                         "check the measurement (millimetres, square millimetres)")


@dataclass(frozen=True)
class AnnulusMeasurements:
    """Aortic annulus and root measurements, mm / mm².

    ``sinus_diameters_mm`` are the commissure-to-opposite-cusp diameters (usually three);
    their mean is compared with a family's minimum sinus diameter.
    """

    perimeter_mm: float
    area_mm2: float
    sinus_diameters_mm: tuple[float, ...] = ()
    sinus_height_mm: float | None = None
    stj_diameter_mm: float | None = None
    ascending_aorta_diameter_mm: float | None = None
    coronary_height_left_mm: float | None = None
    coronary_height_right_mm: float | None = None

    def __post_init__(self) -> None:
        _check_positive("perimeter_mm", self.perimeter_mm)
        _check_positive("area_mm2", self.area_mm2)
        for i, d in enumerate(self.sinus_diameters_mm):
            _check_positive(f"sinus_diameters_mm[{i}]", d)
        for name in ("sinus_height_mm", "stj_diameter_mm", "ascending_aorta_diameter_mm",
                     "coronary_height_left_mm", "coronary_height_right_mm"):
            _check_positive(name, getattr(self, name), required=False)
        # A perimeter shorter than the circle of the same area is geometrically impossible.
        if self.perimeter_mm < 2.0 * math.sqrt(math.pi * self.area_mm2) * (1 - 1e-6):
            raise InputError(f"perimeter_mm {self.perimeter_mm:g} is shorter than a circle of "
                             f"area {self.area_mm2:g} mm² (isoperimetric inequality)",
                             "check that perimeter (mm) and area (mm²) are of the same contour")

    @property
    def sinus_mean_diameter_mm(self) -> float | None:
        d = self.sinus_diameters_mm
        return sum(d) / len(d) if d else None


@dataclass(frozen=True)
class OstiumMeasurements:
    """LAA ostium (landing-zone) diameters and appendage depth, mm."""

    max_diameter_mm: float
    mean_diameter_mm: float
    min_diameter_mm: float | None = None
    depth_mm: float | None = None

    def __post_init__(self) -> None:
        _check_positive("max_diameter_mm", self.max_diameter_mm)
        _check_positive("mean_diameter_mm", self.mean_diameter_mm)
        _check_positive("min_diameter_mm", self.min_diameter_mm, required=False)
        _check_positive("depth_mm", self.depth_mm, required=False)
        lo = self.min_diameter_mm if self.min_diameter_mm is not None else 0.0
        if not lo <= self.mean_diameter_mm <= self.max_diameter_mm:
            raise InputError("ostium diameters must satisfy min <= mean <= max, got "
                             f"{self.min_diameter_mm}, {self.mean_diameter_mm}, "
                             f"{self.max_diameter_mm} mm")


@dataclass(frozen=True)
class SizeFit:
    """One size of a family against the measurements."""

    size_mm: float
    fits: bool
    warnings: tuple[str, ...] = ()
    fits_area: bool | None = None
    fits_perimeter: bool | None = None
    oversizing_perimeter_pct: float | None = None
    oversizing_area_pct: float | None = None
    compression_pct: float | None = None
    compression_at_mean_pct: float | None = None


@dataclass(frozen=True)
class FamilySizing:
    """Sizing of one family: every size, the fitting ones, and flags."""

    device_id: str
    name: str
    kind: str
    sizing_basis: str
    measured_value: float
    status: str  # fits | overlap | gap | below-range | above-range
    fitting_sizes_mm: tuple[float, ...]
    sizes: tuple[SizeFit, ...]
    flags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return asdict(self)


def _within(value: float, lo: float, hi: float) -> bool:
    eps = _REL_EPS * max(1.0, abs(value))
    return lo - eps <= value <= hi + eps


def classify(value: float, ranges: list[tuple[float, float, float]]) -> tuple[str, list, str]:
    """Where ``value`` falls among size ranges ``[(size_mm, lo, hi), ...]`` (ascending).

    Returns ``(status, fitting_sizes_mm, message)``; ``status`` is ``fits``, ``overlap``,
    ``gap``, ``below-range`` or ``above-range``.
    """
    fitting = [s for s, lo, hi in ranges if _within(value, lo, hi)]
    if len(fitting) == 1:
        return "fits", fitting, ""
    if len(fitting) > 1:
        sizes = " and ".join(f"{s:g}" for s in fitting)
        return "overlap", fitting, f"in the overlap zone of sizes {sizes} mm"
    if value < ranges[0][1]:
        return "below-range", [], f"below the smallest size's range ({ranges[0][1]:g})"
    if value > ranges[-1][2]:
        return "above-range", [], f"above the largest size's range ({ranges[-1][2]:g})"
    below = max((r for r in ranges if r[2] < value), key=lambda r: r[2])
    above = min((r for r in ranges if r[1] > value), key=lambda r: r[1])
    return "gap", [], (f"in the gap between sizes {below[0]:g} mm (up to {below[2]:g}) and "
                       f"{above[0]:g} mm (from {above[1]:g})")


def _basis_value(family: DeviceFamily, m: AnnulusMeasurements | OstiumMeasurements) -> float:
    if family.sizing_basis == "area":
        return m.area_mm2
    if family.sizing_basis == "perimeter":
        return m.perimeter_mm
    return m.max_diameter_mm


def _range(family: DeviceFamily, s: ValveSize | OccluderSize) -> tuple[float, float, float]:
    if family.sizing_basis == "area":
        return s.size_mm, s.annulus_area_min_mm2, s.annulus_area_max_mm2
    if family.sizing_basis == "perimeter":
        return s.size_mm, s.annulus_perimeter_min_mm, s.annulus_perimeter_max_mm
    return s.size_mm, s.ostium_min_mm, s.ostium_max_mm


def _root_warnings(s: ValveSize, m: AnnulusMeasurements) -> list[str]:
    out = []
    mean = m.sinus_mean_diameter_mm
    if s.sinus_diameter_min_mm is not None and mean is not None and \
            mean < s.sinus_diameter_min_mm:
        out.append(f"sinus of Valsalva mean diameter {mean:.1f} mm is below the "
                   f"{s.sinus_diameter_min_mm:g} mm required for the {s.size_mm:g} mm size")
    if s.sinus_height_min_mm is not None and m.sinus_height_mm is not None and \
            m.sinus_height_mm < s.sinus_height_min_mm:
        out.append(f"sinus height {m.sinus_height_mm:.1f} mm is below the "
                   f"{s.sinus_height_min_mm:g} mm required for the {s.size_mm:g} mm size")
    if s.stj_diameter_min_mm is not None and m.stj_diameter_mm is not None and \
            m.stj_diameter_mm < s.stj_diameter_min_mm:
        out.append(f"STJ diameter {m.stj_diameter_mm:.1f} mm is below the "
                   f"{s.stj_diameter_min_mm:g} mm required for the {s.size_mm:g} mm size")
    if s.ascending_aorta_diameter_max_mm is not None and \
            m.ascending_aorta_diameter_mm is not None and \
            m.ascending_aorta_diameter_mm > s.ascending_aorta_diameter_max_mm:
        out.append(f"ascending aorta diameter {m.ascending_aorta_diameter_mm:.1f} mm exceeds "
                   f"the {s.ascending_aorta_diameter_max_mm:g} mm allowed for the "
                   f"{s.size_mm:g} mm size")
    return out


def _valve_fit(family: DeviceFamily, s: ValveSize, m: AnnulusMeasurements,
               fits: bool) -> SizeFit:
    fits_area = _within(m.area_mm2, s.annulus_area_min_mm2, s.annulus_area_max_mm2)
    fits_perimeter = _within(m.perimeter_mm, s.annulus_perimeter_min_mm,
                             s.annulus_perimeter_max_mm)
    warnings = _root_warnings(s, m) if fits else []
    other_ok = fits_perimeter if family.sizing_basis == "area" else fits_area
    if fits and not other_ok:
        other = "perimeter" if family.sizing_basis == "area" else "area"
        warnings.append(f"annulus {other} lies outside the {other} range of the "
                        f"{s.size_mm:g} mm size (derived for a circular annulus; an "
                        "eccentric annulus has a larger perimeter for its area)")
    return SizeFit(
        size_mm=s.size_mm, fits=fits, warnings=tuple(warnings), fits_area=fits_area,
        fits_perimeter=fits_perimeter,
        oversizing_perimeter_pct=(s.nominal_perimeter_mm / m.perimeter_mm - 1.0) * 100.0,
        oversizing_area_pct=(s.nominal_area_mm2 / m.area_mm2 - 1.0) * 100.0)


def _occluder_fit(s: OccluderSize, m: OstiumMeasurements, fits: bool) -> SizeFit:
    warnings = []
    if fits and m.depth_mm is not None and m.depth_mm < s.depth_mm:
        warnings.append(f"appendage depth {m.depth_mm:.1f} mm is shorter than the "
                        f"{s.depth_mm:g} mm device length")
    return SizeFit(
        size_mm=s.size_mm, fits=fits, warnings=tuple(warnings),
        compression_pct=(s.diameter_mm - m.max_diameter_mm) / s.diameter_mm * 100.0,
        compression_at_mean_pct=(s.diameter_mm - m.mean_diameter_mm) / s.diameter_mm * 100.0)


def fit_family(family: DeviceFamily,
               m: AnnulusMeasurements | OstiumMeasurements) -> FamilySizing:
    """Size one family. TAVR families take :class:`AnnulusMeasurements`, occluders
    :class:`OstiumMeasurements`."""
    tavr = family.is_tavr
    if tavr != isinstance(m, AnnulusMeasurements):
        need = "annulus" if tavr else "LAA ostium"
        raise InputError(f"device '{family.id}' ({family.kind}) is sized from {need} "
                         "measurements")
    value = _basis_value(family, m)
    status, fitting, where = classify(value, [_range(family, s) for s in family.sizes])
    fits = set(fitting)
    sizes = tuple(_valve_fit(family, s, m, s.size_mm in fits) if tavr
                  else _occluder_fit(s, m, s.size_mm in fits) for s in family.sizes)
    flags = []
    if where:
        flags.append(f"{BASIS_LABEL[family.sizing_basis]} {value:.1f} "
                     f"{BASIS_UNIT[family.sizing_basis]} is {where}")
    warnings = []
    limit = family.anatomy.coronary_height_min_mm
    if tavr and limit is not None:
        for side, h in (("left", m.coronary_height_left_mm),
                        ("right", m.coronary_height_right_mm)):
            if h is not None and h < limit:
                warnings.append(f"{side} coronary height {h:.1f} mm is below {limit:g} mm: "
                                "risk of coronary obstruction")
    return FamilySizing(
        device_id=family.id, name=family.name, kind=family.kind,
        sizing_basis=family.sizing_basis, measured_value=value, status=status,
        fitting_sizes_mm=tuple(fitting), sizes=sizes, flags=tuple(flags),
        warnings=tuple(warnings))


def size_annulus(families, annulus: AnnulusMeasurements) -> tuple[FamilySizing, ...]:
    """Every TAVR family of ``families`` (an iterable or a DeviceLibrary) sized for
    ``annulus``."""
    fams = getattr(families, "families", families)
    return tuple(fit_family(f, annulus) for f in fams if f.is_tavr)


def size_ostium(families, ostium: OstiumMeasurements) -> tuple[FamilySizing, ...]:
    """Every LAA occluder family sized for ``ostium``."""
    fams = getattr(families, "families", families)
    return tuple(fit_family(f, ostium) for f in fams if f.kind == "laao")
