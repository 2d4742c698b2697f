"""Turn the files of one series into a volume plan: which planes, in which order, on which
grid, and what was wrong.

Slice order and spacing come from ImagePositionPatient projected on the slice normal
(row x column of ImageOrientationPatient), never from file names, InstanceNumber or
SliceThickness. A plan is *regular* when the planes are equally spaced and their origins
line up along the normal; otherwise (gantry tilt, uneven spacing, a missing or dropped
slice) the planes are resampled onto an orthogonal regular grid
(:mod:`twindesk.io.dicom.resample`) and a warning names the problem and where it is.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from twindesk.io.dicom.frames import Frame, median_thickness
from twindesk.io.dicom.geometry import Vec, dot, is_valid_orientation, median, slice_axes, sub
from twindesk.io.dicom.phases import Phase, choose_phase, rr_interval_ms, split_phases
from twindesk.io.dicom.scan import FileRecord
from twindesk.io.dicom.text import clean_text

MAX_PLACES = 3  # places named in one warning before "and N more"


@dataclass
class VolumePlan:
    """Planes of one phase sorted along the normal, and the regular grid they map to.

    ``distances_mm`` are the planes' positions along ``axes[2]``; ``offsets_mm`` their
    in-plane origin offsets (along row, column) from the first plane. The grid has origin
    ``origin_lps_mm``, directions ``axes`` (columns of the direction matrix), spacing
    ``spacing_mm`` and ``size``; its first voxel sits ``grid_offset_mm`` (along row, column)
    from the first plane's origin: zero, except when sliding planes (tilt) widen the grid so
    that no acquired voxel falls outside it.
    """

    frames: list[Frame]
    names: list[str]
    axes: tuple[Vec, Vec, Vec]
    distances_mm: list[float]
    offsets_mm: list[tuple[float, float]]
    spacing_mm: tuple[float, float, float]
    size: tuple[int, int, int]
    origin_lps_mm: Vec
    regular: bool
    tilt_deg: float
    warnings: list[str] = field(default_factory=list)
    grid_offset_mm: tuple[float, float] = (0.0, 0.0)

    @property
    def direction(self) -> tuple[float, ...]:
        """Row-major 3x3 direction matrix whose columns are the grid axes (ITK order)."""
        r, c, n = self.axes
        return (r[0], c[0], n[0], r[1], c[1], n[1], r[2], c[2], n[2])


@dataclass
class SeriesPlan:
    """A series: its files, phases and (when it is a volume) the per-phase plans."""

    key: str
    records: list[FileRecord]
    phases: list[Phase]
    gated: bool
    warnings: list[str]
    reason: str | None = None  # why it cannot be imported as a volume
    geometry_frames: list[Frame] = field(default_factory=list)
    names: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def is_volume(self) -> bool:
        return self.reason is None

    @property
    def representative(self) -> FileRecord:
        usable = [r for r in self.records if not r.problem]
        return (usable or self.records)[0]

    def volume(self, percent: float | None = None, exclude=frozenset()) -> tuple[VolumePlan, Phase]:
        """The plan of the phase nearest ``percent`` (default 35 % R-R), leaving out the
        frames whose keys are in ``exclude`` (files that failed to decode)."""
        phase, phase_warnings = choose_phase(self.phases, percent, clean_text(self.key))
        frames = [f for f in phase.frames if f.key not in exclude]
        plan = plan_volume(frames, self.names)
        plan.warnings[:0] = self.warnings + phase_warnings
        plan.warnings += _clinical_warnings(self.gated, frames, plan.spacing_mm[2])
        return plan, phase


def plan_series(key: str, records: list[FileRecord]) -> SeriesPlan:
    """Analyse one series (no pixel is read)."""
    warnings: list[str] = []
    names: dict[tuple[str, int], str] = {}
    for rec in records:
        for f in rec.frames:
            names[f.key] = rec.name if len(rec.frames) == 1 else f"{rec.name} frame {f.index + 1}"
    for rec in records:
        if rec.problem:
            warnings.append(f"{rec.name}: {rec.problem}; left out of the volume")
    frames = _unique_frames([f for r in records if not r.problem for f in r.frames],
                            names, warnings)
    data = (([r for r in records if not r.problem] or records)[0]).header.data
    gated = _is_gated(data, frames)
    plan = SeriesPlan(key, records, [], gated, warnings, names=names)
    if not data.string("SeriesInstanceUID"):
        warnings.append(f"the files have no SeriesInstanceUID; grouped as series {key} by "
                        "study, series number, image size and folder")
    if (data.integer_or_none("SamplesPerPixel") or 1) != 1:
        plan.reason = "colour images (not a CT or MR volume)"
        return plan
    frames = _main_geometry(frames, names, warnings)
    if len(frames) < 2:
        plan.reason = ("a single image, not a volume" if frames else
                       "no usable ImagePositionPatient / ImageOrientationPatient / PixelSpacing")
        return plan
    if "LOCALIZER" in data.strings("ImageType"):
        plan.reason = "a localizer (scout) image series"
    axes = slice_axes(frames[0].orientation)
    distance = {f.key: dot(f.position_lps_mm, axes[2]) for f in frames}
    rr = rr_interval_ms(data.number_or_none("NominalInterval"),
                        data.number_or_none("CardiacRRIntervalSpecified"),
                        data.number_or_none("HeartRate"))
    plan.phases = split_phases(frames, distance, rr, _same_position_tol(distance))
    plan.geometry_frames = frames
    return plan


def plan_volume(frames: list[Frame], names: dict[tuple[str, int], str]) -> VolumePlan:
    """Sort ``frames`` (one phase, one geometry) along the normal and check the spacing."""
    from twindesk.errors import DicomError

    axes = slice_axes(frames[0].orientation)
    row, col, normal = axes
    ordered = sorted(frames, key=lambda f: (dot(f.position_lps_mm, normal), f.instance or 0))
    warnings: list[str] = []
    ordered = _drop_same_position(ordered, normal, names, warnings)
    if len(ordered) < 2:
        raise DicomError(f"{names.get(frames[0].key, '?')}: fewer than two distinct slice "
                         "positions remain, so there is no volume to import",
                         "check that the series is complete")
    d = [dot(f.position_lps_mm, normal) for f in ordered]
    p0 = ordered[0].position_lps_mm
    offsets = []
    for f, di in zip(ordered, d, strict=True):
        o = sub(sub(f.position_lps_mm, p0), tuple((di - d[0]) * c for c in normal))
        offsets.append((dot(o, row), dot(o, col)))
    sx, sy = ordered[0].pixel_spacing_mm
    steps = [b - a for a, b in zip(d, d[1:], strict=False)]
    dz = regular_step(steps)
    uneven = _spacing_warnings(ordered, d, steps, dz, names, warnings)
    tilt = _tilt_warnings(offsets, d, min(sx, sy), warnings)
    regular = not uneven and tilt is None
    if regular:  # the end-to-end mean is the most accurate spacing of an even stack
        dz = (d[-1] - d[0]) / (len(d) - 1)
    n_out = len(ordered) if regular else int(round((d[-1] - d[0]) / dz)) + 1
    _instance_order_warning(ordered, warnings)
    (cols, rows), start, extra = ordered[0].grid, (0.0, 0.0), (0, 0)
    if tilt is not None:
        start, extra = _widened(offsets, (sx, sy))
    origin = tuple(p + start[0] * r + start[1] * c for p, r, c in zip(p0, row, col, strict=True))
    return VolumePlan(ordered, [names.get(f.key, "?") for f in ordered], axes, d, offsets,
                      (sx, sy, dz), (cols + extra[0], rows + extra[1], n_out), origin,
                      regular, tilt or 0.0, warnings, start)


def _widened(offsets, spacing) -> tuple[tuple[float, float], tuple[int, int]]:
    """Grid start (mm from the first plane's origin, on its pixel lattice) and the extra
    columns / rows that hold every plane's pixels."""
    start, extra = [], []
    for axis in (0, 1):
        values = [o[axis] for o in offsets]
        first = math.floor(min(values) / spacing[axis] + 1e-6)
        last = math.ceil(max(values) / spacing[axis] - 1e-6)
        start.append(first * spacing[axis])
        extra.append(last - first)
    return (start[0], start[1]), (extra[0], extra[1])


# ------------------------------------------------------------------------- internals
def _unique_frames(frames: list[Frame], names, warnings: list[str]) -> list[Frame]:
    """The same instance and frame found twice (a copied file) is one plane."""
    seen: dict[tuple[str, int], Frame] = {}
    dups = []
    for f in frames:
        if f.key in seen and seen[f.key].path != f.path:
            dups.append(f"{_name(f, names)} = {_name(seen[f.key], names)}")
        else:
            seen.setdefault(f.key, f)
    if dups:
        warnings.append(f"{len(dups)} duplicate instance(s) (same SOPInstanceUID) ignored: "
                        + _places(dups))
    return list(seen.values())


def _main_geometry(frames: list[Frame], names, warnings: list[str]) -> list[Frame]:
    """Keep the largest group of planes sharing orientation, matrix size and pixel spacing."""
    usable = [f for f in frames if f.position_lps_mm and f.orientation and f.pixel_spacing_mm
              and is_valid_orientation(f.orientation)]
    if len(usable) < len(frames):
        kept = {f.key for f in usable}
        bad = [_name(f, names) for f in frames if f.key not in kept]
        warnings.append(f"{len(bad)} image(s) without a valid position, orientation or pixel "
                        f"spacing left out: {_places(bad)}")
    groups: dict[tuple, list[Frame]] = {}
    for f in usable:
        key = (f.grid, tuple(round(v, 3) for v in f.orientation),
               tuple(round(v, 4) for v in f.pixel_spacing_mm))
        groups.setdefault(key, []).append(f)
    if not groups:
        return []
    main = max(groups.values(), key=len)
    others = [_name(f, names) for g in groups.values() if g is not main for f in g]
    if others:
        warnings.append(f"{len(others)} image(s) with another orientation, matrix size or "
                        f"pixel spacing (e.g. a localizer) left out: {_places(others)}")
    return main


def regular_step(steps: list[float]) -> float:
    """The stack's nominal spacing: the step most other steps agree with (within 1 %; ties:
    the smaller, since a missing slice makes a step longer), averaged over those that agree.
    O(n log n): steps are sorted and the agreeing ones counted by bisection."""
    ordered = sorted(steps)

    def agreeing(s: float) -> tuple[int, int]:
        tol = max(2e-3, 0.01 * s)
        return bisect_left(ordered, s - tol), bisect_right(ordered, s + tol)

    lo, hi = max((agreeing(s) for s in ordered), key=lambda span: span[1] - span[0])
    return median(ordered[lo:hi])


def _same_position_tol(distance: dict) -> float:
    values = sorted(distance.values())
    steps = [b - a for a, b in zip(values, values[1:], strict=False) if b - a > 1e-4]
    return min(0.01, 0.05 * median(steps)) if steps else 0.01


def _drop_same_position(ordered: list[Frame], normal, names, warnings) -> list[Frame]:
    """Two planes at one position (in one phase): keep the first, name the others."""
    d = [dot(f.position_lps_mm, normal) for f in ordered]
    tol = _same_position_tol(dict(enumerate(d)))
    kept, kept_d, dropped = [ordered[0]], d[0], []
    for f, di in zip(ordered[1:], d[1:], strict=True):
        if di - kept_d <= tol:
            dropped.append(f"{_name(f, names)} (same position as {_name(kept[-1], names)}, "
                           f"{di:.2f} mm)")
        else:
            kept.append(f)
            kept_d = di
    if dropped:
        warnings.append(f"{len(dropped)} slice(s) at an already occupied position left out "
                        f"(the first of each position was kept): {_places(dropped)}")
    return kept


def _spacing_warnings(ordered, d, steps, dz, names, warnings) -> bool:
    tol = max(2e-3, 0.01 * dz)
    missing, uneven = [], []
    for i, step in enumerate(steps):
        if abs(step - dz) <= tol:
            continue
        where = (f"between {_name(ordered[i], names)} ({d[i]:.2f} mm) and "
                 f"{_name(ordered[i + 1], names)} ({d[i + 1]:.2f} mm)")
        ratio = step / dz
        if ratio > 1.5 and abs(ratio - round(ratio)) < 0.1:
            missing.append(f"{int(round(ratio)) - 1} {where}")
        else:
            uneven.append(f"{step:.3g} mm {where}")
    if missing:
        warnings.append(f"missing slice(s) along the stack (regular spacing {dz:.4g} mm): "
                        f"{_places(missing)}; the gaps were filled by linear interpolation")
    if uneven:
        warnings.append(f"uneven slice spacing (regular spacing {dz:.4g} mm; irregular steps: "
                        f"{_places(uneven)}); resampled to a regular {dz:.4g} mm grid")
    return bool(missing or uneven)


def _tilt_warnings(offsets, d, pixel_mm: float, warnings: list[str]) -> float | None:
    """Slice origins sliding in-plane along the stack: gantry tilt (linear) or misalignment."""
    shift = max(math.hypot(*o) for o in offsets)
    if shift <= max(1e-3, 0.01 * pixel_mm):
        return None
    length = d[-1] - d[0]
    last = offsets[-1]
    angle = math.degrees(math.atan2(math.hypot(*last), length))
    linear = all(math.hypot(o[0] - last[0] * (di - d[0]) / length,
                            o[1] - last[1] * (di - d[0]) / length) <= 0.05 * pixel_mm + 1e-3
                 for o, di in zip(offsets, d, strict=True))
    if linear:
        warnings.append(f"gantry tilt of {angle:.2f} degrees (slice origins shift "
                        f"{math.hypot(*last):.1f} mm in-plane over the stack): resampled onto "
                        "an orthogonal grid, widened to keep every acquired voxel")
    else:
        warnings.append(f"slice origins are not aligned along the slice normal (up to "
                        f"{shift:.2f} mm in-plane): resampled onto an orthogonal grid, "
                        "widened to keep every acquired voxel")
    return angle


def _instance_order_warning(ordered: list[Frame], warnings: list[str]) -> None:
    numbers = [f.instance for f in ordered]
    if None in numbers or len(set(numbers)) < len(numbers):
        return
    if numbers != sorted(numbers) and numbers != sorted(numbers, reverse=True):
        warnings.append("InstanceNumber does not follow the slice positions; the slices were "
                        "ordered by ImagePositionPatient")


def _clinical_warnings(gated: bool, frames: list[Frame], spacing_mm: float) -> list[str]:
    """Acquisition limits that make aortic annulus measurements less reliable (SCCT TAVI
    consensus, Blanke et al. 2019: ECG-gated, slice thickness at most 1 mm)."""
    warnings = []
    if not gated:
        warnings.append("the scan is not ECG-gated (no cardiac phase or trigger time in the "
                        "files): heart motion blurs the aortic root, so annulus measurements "
                        "will be less reliable")
    thickness = median_thickness(frames) or spacing_mm
    if max(thickness, spacing_mm) > 1.0 + 1e-6:
        warnings.append(f"slices are {thickness:.3g} mm thick, {spacing_mm:.3g} mm apart (more "
                        "than 1 mm): annulus measurements will be less reliable")
    return warnings


def _is_gated(data, frames: list[Frame]) -> bool:
    technique = data.string("CardiacSynchronizationTechnique").upper()
    if technique and technique != "NONE":
        return True
    return any(f.percent is not None or f.trigger_ms is not None for f in frames)


def _name(frame: Frame, names) -> str:
    return names.get(frame.key, "?")


def _places(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_PLACES])
    return shown + (f"; and {len(items) - MAX_PLACES} more" if len(items) > MAX_PLACES else "")

