"""Job adapters the window runs in a child process. This module imports no Qt, so a spawned
child loads only what the job needs (``job(params, progress, cancel)``, picklable params)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class SegmentJobParams:
    """Input of :func:`segment_job`: the case volume file (the child reads it, rather than
    receiving a pickled image through the pipe) and what to segment (seed in LPS mm; the
    current aorta mask keeps chambers from overlapping it)."""

    volume_path: Path
    structure: str
    seed_lps_mm: tuple[float, float, float] | None = None
    aorta_mask: np.ndarray | None = None


def segment_job(params: SegmentJobParams, progress, cancel):
    """Segment one structure (``twindesk.imaging.segment.segment_image``); stores nothing.

    Runs in a child process: scipy/ITK calls hold the GIL or cannot be interrupted for
    seconds, so a thread would stall the window and delay Cancel."""
    from twindesk.imaging.segment import segment_image
    from twindesk.io.volume import read_volume

    image = read_volume(params.volume_path)
    return segment_image(image, params.structure, params.seed_lps_mm, progress, cancel,
                         params.aorta_mask)
