"""DICOM Segmentation export (``twindesk export CASE OUT --what seg[:S1,S2]``).

One binary segment per ``labels:<structure>`` mask of the case, on the case volume's grid,
written with highdicom as a Segmentation Storage object (PS3.3 A.51) that references the
source CT series through the headers kept at import (:mod:`.header_store`): Referenced Series
Sequence, and per-frame Source Image Sequence where a frame lies on a source plane.

Segment codes follow PS3.16 CID 7150 (Segmentation Property Categories) and CID 7151
(Segmentation Property Types) with SNOMED CT concepts (coding scheme ``SCT``):

============ ============================== ===================================
structure    category                       type (anatomic region)
============ ============================== ===================================
aorta        91723000 Anatomical Structure  15825003 Aorta
lv           91723000 Anatomical Structure  87878005 Left ventricle
la           91723000 Anatomical Structure  82471001 Left atrium
bloodpool    91720002 Body Substance        87612001 Blood (region 80891009 Heart)
============ ============================== ===================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk import __version__
from twindesk.errors import CaseError, InputError

LABEL_PREFIX = "labels:"
SERIES_NUMBER = 901  # far from scanner series numbers, so viewers list it after them


@dataclass(frozen=True)
class SegmentCode:
    """The coded meaning of one structure (SNOMED CT concept IDs, see module docstring)."""

    label: str
    category: tuple[str, str]
    type: tuple[str, str]
    region: tuple[str, str] | None
    rgb: tuple[int, int, int]


_ANATOMY = ("91723000", "Anatomical Structure")
SEGMENT_CODES: dict[str, SegmentCode] = {
    "aorta": SegmentCode("Aorta", _ANATOMY, ("15825003", "Aorta"), None, (220, 60, 50)),
    "lv": SegmentCode("Left ventricle", _ANATOMY, ("87878005", "Left ventricle"), None,
                      (60, 120, 220)),
    "la": SegmentCode("Left atrium", _ANATOMY, ("82471001", "Left atrium"), None,
                      (60, 180, 90)),
    "bloodpool": SegmentCode("Left heart blood pool", ("91720002", "Body Substance"),
                             ("87612001", "Blood"), ("80891009", "Heart"), (230, 170, 40)),
}


def _code(pair: tuple[str, str]):
    from highdicom.sr import CodedConcept

    return CodedConcept(value=pair[0], scheme_designator="SCT", meaning=pair[1])


def _structures(case, arg: str | None) -> list[str]:
    available = sorted(k[len(LABEL_PREFIX):] for k in case.doc["artifacts"]
                       if k.startswith(LABEL_PREFIX))
    wanted = [s.strip() for s in arg.split(",") if s.strip()] if arg else \
        [s for s in available if s in SEGMENT_CODES]
    for name in wanted:
        if name not in SEGMENT_CODES:
            raise InputError(f"--what seg:{name}: no DICOM code for structure '{name}'",
                             f"choose from {', '.join(SEGMENT_CODES)}")
        if name not in available:
            raise CaseError(f"case {case.path} has no segmentation of '{name}'",
                            "segment it first (twindesk segment)")
    if not wanted:
        raise CaseError(f"case {case.path} has no segmentation to export "
                        f"(structures with a DICOM code: {', '.join(SEGMENT_CODES)})",
                        "segment the aorta, LV, LA or blood pool first")
    return wanted


def _mask(case, name: str) -> np.ndarray:
    """The ``labels:<name>`` mask as (slices, rows, columns) uint8, checked against the grid."""
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, read_volume

    image = read_volume(case.artifact_path(LABEL_PREFIX + name))
    grid = case.doc.get("image") or {}
    geometry = geometry_of(image)
    for key in ("size", "spacing_mm", "origin_lps_mm", "direction"):
        if not np.allclose(geometry[key], grid.get(key, []), atol=1e-4):
            raise CaseError(f"case {case.path}: labels:{name} is not on the volume's grid "
                            f"({key} differs)", "redo the segmentation of " + name)
    return (sitk.GetArrayViewFromImage(image) > 0).astype(np.uint8)


def _geometry(grid: dict[str, Any]):
    """Plane positions, orientation and pixel measures of the case grid (LPS mm)."""
    from highdicom import (CoordinateSystemNames, PixelMeasuresSequence,
                           PlaneOrientationSequence, PlanePositionSequence)

    d = np.asarray(grid["direction"], float).reshape(3, 3)
    sx, sy, sz = (float(v) for v in grid["spacing_mm"])
    origin = np.asarray(grid["origin_lps_mm"], float)
    patient = CoordinateSystemNames.PATIENT
    positions = [PlanePositionSequence(patient, list(origin + d[:, 2] * sz * k))
                 for k in range(int(grid["size"][2]))]
    orientation = PlaneOrientationSequence(patient, [*d[:, 0], *d[:, 1]])
    measures = PixelMeasuresSequence(pixel_spacing=(sy, sx), slice_thickness=sz,
                                     spacing_between_slices=sz)
    return positions, orientation, measures


def _family_name_only(ds) -> None:
    """Write a one-component PatientName as ``FAMILY^`` (the same name, PS3.5 6.2.1), so
    highdicom does not warn that it may be mis-encoded (e.g. the ``ANONYMOUS`` pseudonym)."""
    name = str(ds.get("PatientName", "") or "")
    if name and "^" not in name and "=" not in name:
        ds.PatientName = name + "^"


def build_segmentation(case, structures: list[str]):
    """The highdicom ``Segmentation`` of ``structures`` (segment numbers in that order)."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    from twindesk.io.dicom.header_store import source_datasets

    sources, _ = source_datasets(case)
    for ds in sources:
        _family_name_only(ds)
    grid = case.doc["image"]
    masks = np.stack([_mask(case, s) for s in structures], axis=-1)
    algorithm = hd.AlgorithmIdentificationSequence(
        name="twindesk", version=__version__, family=codes.cid7162.MorphologicalOperations)
    descriptions = []
    for number, name in enumerate(structures, start=1):
        code = SEGMENT_CODES[name]
        descriptions.append(hd.seg.SegmentDescription(
            number, code.label, _code(code.category), _code(code.type),
            hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC, algorithm_identification=algorithm,
            anatomic_regions=[_code(code.region)] if code.region else None,
            display_color=hd.color.CIELabColor.from_rgb(*code.rgb)))
    positions, orientation, measures = _geometry(grid)
    return hd.seg.Segmentation(
        source_images=sources, pixel_array=masks,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=hd.UID(),
        series_number=SERIES_NUMBER, sop_instance_uid=hd.UID(), instance_number=1,
        manufacturer="twindesk", manufacturer_model_name="twindesk",
        software_versions=__version__, device_serial_number="unspecified",
        content_description="Segmentation of the cardiac twin",
        content_label="TWINDESK", series_description="twindesk segmentation",
        plane_positions=positions, plane_orientation=orientation, pixel_measures=measures,
        omit_empty_frames=True), masks


def export_case_seg(case, out: Path, arg: str | None = None) -> dict[str, Any]:
    """``twindesk export CASE OUT --what seg[:aorta,lv]``: a DICOM SEG file at ``out``."""
    from twindesk.io.atomic import atomic_move_into

    structures = _structures(case, arg)
    seg, masks = build_segmentation(case, structures)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        seg.save_as(tmp, enforce_file_format=True)
        atomic_move_into(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"format": "dicom-seg", "sop_instance_uid": str(seg.SOPInstanceUID),
            "referenced_series_uid": str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID),
            "n_frames": int(seg.NumberOfFrames),
            "segments": [{"number": i + 1, "structure": s, "label": SEGMENT_CODES[s].label,
                          "snomed_ct": SEGMENT_CODES[s].type[0],
                          "voxels": int(masks[..., i].sum())}
                         for i, s in enumerate(structures)]}
