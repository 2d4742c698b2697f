"""From a parsed header to image planes (:class:`Frame`): one per single-frame file, one per
frame of a multi-frame file.

Enhanced multi-frame objects (PS3.3 C.7.6.16) keep each frame's position, orientation,
spacing, rescale and cardiac timing in the per-frame functional groups, falling back to the
shared groups, then to the top level. Classic images keep them at the top level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from twindesk.io.dicom.header import Elements, Header

#: (functional group sequence, attribute) pairs looked up per frame.
_GROUP_OF = {
    "ImagePositionPatient": "PlanePositionSequence",
    "ImageOrientationPatient": "PlaneOrientationSequence",
    "PixelSpacing": "PixelMeasuresSequence",
    "SliceThickness": "PixelMeasuresSequence",
    "RescaleSlope": "PixelValueTransformationSequence",
    "RescaleIntercept": "PixelValueTransformationSequence",
    "TemporalPositionIndex": "FrameContentSequence",
    "FrameAcquisitionNumber": "FrameContentSequence",
    "NominalPercentageOfCardiacPhase": "CardiacSynchronizationSequence",
    "NominalCardiacTriggerDelayTime": "CardiacSynchronizationSequence",
}


@dataclass(frozen=True)
class Frame:
    """One image plane of a file.

    Attributes
    ----------
    position_lps_mm
        ImagePositionPatient: centre of the first transmitted pixel, LPS mm.
    orientation
        ImageOrientationPatient: row direction cosines then column direction cosines.
    grid
        (Columns, Rows): the matrix size.
    pixel_spacing_mm
        (between columns, between rows), i.e. (x, y) spacing, mm.
    percent, trigger_ms, temporal_index
        Cardiac phase (% of R-R), trigger delay (ms after R) and temporal position, if given.
    acquisition
        AcquisitionNumber (FrameAcquisitionNumber in enhanced files): repeated scans of the
        same range without cardiac timing are told apart by it.
    """

    path: Path
    index: int
    grid: tuple[int, int]
    sop_uid: str
    instance: int | None
    position_lps_mm: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    pixel_spacing_mm: tuple[float, float] | None
    thickness_mm: float | None
    slope: float
    intercept: float
    percent: float | None
    trigger_ms: float | None
    temporal_index: int | None
    acquisition: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Identity of the plane: the same instance and frame read twice is one plane."""
        return (self.sop_uid or str(self.path), self.index)


def frames_of(header: Header) -> list[Frame]:
    """The image planes in ``header``'s file (empty when it holds no usable geometry)."""
    data = header.data
    n = data.integer("NumberOfFrames") or 1
    per_frame = data.items("PerFrameFunctionalGroupsSequence")
    shared = data.items("SharedFunctionalGroupsSequence")
    shared_group = shared[0] if shared else None
    if per_frame and len(per_frame) != n:
        raise ValueError(f"NumberOfFrames is {n} but PerFrameFunctionalGroupsSequence has "
                         f"{len(per_frame)} items")
    frames = []
    legacy_step = _legacy_step(data) if n > 1 and not per_frame else None
    grid = (data.integer("Columns") or 0, data.integer("Rows") or 0)
    for k in range(n):
        groups = [g for g in ((per_frame[k] if per_frame else None), shared_group) if g]
        position = _vector(_lookup(data, groups, "ImagePositionPatient"), 3)
        if legacy_step is not None and position is not None:
            position = tuple(p + k * s for p, s in zip(position, legacy_step, strict=True))
        trigger = _lookup(data, groups, "NominalCardiacTriggerDelayTime")
        if not trigger:
            trigger = _lookup(data, groups, "TriggerTime")
        temporal = (_lookup(data, groups, "TemporalPositionIndex")
                    or _lookup(data, groups, "TemporalPositionIdentifier"))
        slope = _lookup(data, groups, "RescaleSlope")
        intercept = _lookup(data, groups, "RescaleIntercept")
        thickness = _lookup(data, groups, "SliceThickness")
        percent = _lookup(data, groups, "NominalPercentageOfCardiacPhase")
        acquisition = (_lookup(data, groups, "FrameAcquisitionNumber")
                       or _lookup(data, groups, "AcquisitionNumber"))
        frames.append(Frame(
            path=header.path, index=k, grid=grid, sop_uid=data.string("SOPInstanceUID"),
            instance=data.integer_or_none("InstanceNumber"),
            position_lps_mm=position,
            orientation=_vector(_lookup(data, groups, "ImageOrientationPatient"), 6),
            pixel_spacing_mm=_xy_spacing(_lookup(data, groups, "PixelSpacing")),
            thickness_mm=thickness[0] if thickness else None,
            slope=slope[0] if slope else 1.0, intercept=intercept[0] if intercept else 0.0,
            percent=percent[0] if percent else None,
            trigger_ms=trigger[0] if trigger else None,
            temporal_index=int(temporal[0]) if temporal else None,
            acquisition=int(acquisition[0]) if acquisition else None))
    return frames


def median_thickness(frames: list[Frame]) -> float | None:
    """Median SliceThickness of ``frames``, mm (``None`` when no frame gives it)."""
    values = sorted(f.thickness_mm for f in frames if f.thickness_mm)
    return values[len(values) // 2] if values else None


def _lookup(top: Elements, groups: list[Elements], kw: str) -> list[float]:
    """``kw``'s numbers from the first functional group that has it, else the top level."""
    seq = _GROUP_OF.get(kw)
    if seq:
        for group in groups:
            for item in group.items(seq):
                if item.has(kw):
                    return item.numbers(kw)
    return top.numbers(kw)


def _vector(values: list[float], n: int) -> tuple[float, ...] | None:
    return tuple(values) if len(values) == n and all(map(math.isfinite, values)) else None


def _xy_spacing(values: list[float]) -> tuple[float, float] | None:
    # PixelSpacing is (row spacing, column spacing) = (y, x) (PS3.3 C.7.6.2.1.1)
    if _vector(values, 2) is None or min(values) <= 0:
        return None
    return (values[1], values[0])


def _legacy_step(data: Elements) -> tuple[float, float, float] | None:
    """Per-frame offset of a classic multi-frame file: SpacingBetweenSlices along the normal."""
    spacing = data.number("SpacingBetweenSlices")
    iop = _vector(data.numbers("ImageOrientationPatient"), 6)
    if not spacing or iop is None:
        return None
    from twindesk.io.dicom.geometry import slice_normal

    return tuple(spacing * c for c in slice_normal(iop))
