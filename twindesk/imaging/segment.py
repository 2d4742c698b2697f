"""The segmentation job: segment one structure of a case and store it (undoable).

``run(SegmentParams, progress, cancel)`` opens the case, segments, and commits
``labels:<structure>`` as one command of the case's edit history. Cancelling before the
commit leaves the case untouched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.imaging import labels
from twindesk.jobs import CancelToken, ProgressReporter


@dataclass(frozen=True)
class SegmentParams:
    """What to segment: ``structure`` of the case at ``case_path``; an optional seed point
    (LPS mm) inside it (for ``lv`` / ``la`` / ``bloodpool`` a point in that chamber)."""

    case_path: Path
    structure: str
    seed_lps_mm: tuple[float, float, float] | None = None


@dataclass
class Segmentation:
    """A mask on the image grid and how it was found."""

    mask: np.ndarray
    seed_lps_mm: tuple[float, float, float]
    seed_source: str
    meta: dict[str, Any]


def segment_image(image, structure: str, seed_lps_mm=None, progress=None,
                  cancel: CancelToken | None = None, aorta_mask: np.ndarray | None = None
                  ) -> Segmentation:
    """Segment ``structure`` in a SimpleITK CT image (no case needed).

    ``aorta_mask`` (the case's current, possibly hand-edited aorta) keeps the chambers from
    overlapping it.
    """
    from twindesk.imaging import aorta as ao

    labels.check_structure(structure)
    rep = ProgressReporter(progress, cancel=cancel)
    if structure == "aorta":
        model = ao.segment_aorta(image, ao.AortaParams(seed_lps_mm=seed_lps_mm), rep.sub(0, 0.9),
                                 cancel)
        rep(0.92, "writing the mask on the image grid")
        mask = ao.native_mask(model, image)
        return Segmentation(mask, model.seed_lps_mm, model.seed_source, aorta_meta(model))
    from twindesk.imaging import heart

    model = ao.segment_aorta(image, ao.AortaParams(), rep.sub(0, 0.5), cancel)
    chambers = heart.segment_chambers(image, model, structure, seed_lps_mm, rep.sub(0.5, 1.0),
                                      cancel, aorta_mask)
    return Segmentation(chambers.mask, chambers.seed_lps_mm, chambers.seed_source,
                        {"root_cut": aorta_meta(model).get("root_cut")})


def aorta_meta(model) -> dict[str, Any]:
    """What later steps need from an aorta segmentation, as JSON (LPS mm)."""
    meta: dict[str, Any] = {"levels_hu": model.levels.as_dict(),
                            "distal_end": model.distal_stop,
                            "branch_stubs": model.branch_stubs}
    if model.cut is not None:
        meta["root_cut"] = {"center_lps_mm": _floats(model.cut.center_lps_mm),
                            "normal_lps": _floats(model.cut.normal_lps),
                            "radius_mm": round(float(model.cut.radius_mm), 2)}
    return meta


def _floats(v) -> list[float]:
    return [round(float(x), 3) for x in v]


def run(params: SegmentParams, progress=None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Segment and store; returns the ``twindesk segment`` result object."""
    from twindesk.model.case import Case

    labels.check_structure(params.structure)
    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    with Case.open(params.case_path, require_write=True) as case:
        image = case.image()
        aorta_mask = labels.load(case, "aorta") if (params.structure != "aorta"
                                                     and labels.has(case, "aorta")) else None
        seg = segment_image(image, params.structure, params.seed_lps_mm, rep.sub(0.0, 0.95),
                            cancel, aorta_mask)
        if cancel is not None:
            cancel.check()
        seconds = time.perf_counter() - t0
        meta = {**seg.meta, "seed_lps_mm": _floats(seg.seed_lps_mm),
                "seed_source": seg.seed_source, "method": "classical (no trained model)"}
        stats = labels.store(case, params.structure, seg.mask,
                             f"segment {params.structure}", meta)
        case.save("segment", {"structure": params.structure,
                              "seed_lps_mm": params.seed_lps_mm, "voxels": stats["voxels"]})
    rep(1.0, "done")
    return {"structure": params.structure, "voxels": stats["voxels"],
            "volume_ml": round(stats["volume_ml"], 3), "bbox_lps_mm": stats["bbox_lps_mm"],
            "seed_lps_mm": _floats(seg.seed_lps_mm), "seed_source": seg.seed_source,
            "seconds": round(seconds, 2)}
