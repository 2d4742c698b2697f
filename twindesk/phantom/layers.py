"""Paint layers: what the rasteriser draws, in order (later layers cover earlier ones)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from twindesk.phantom.params import TissueHU
from twindesk.phantom.shapes import Shape

# Label values shared with segmentation and tests (see HELPERS / cases/README.md).
LABELS = {
    "aorta": 1, "lv": 2, "la": 3, "laa": 4, "coronaries": 5, "arch_branches": 6,
    "leaflets": 7, "calcium": 8, "myocardium": 9, "right_heart": 10, "bone": 11,
}


#: Material codes of :func:`twindesk.phantom.raster.paint`'s material map (0 = air outside
#: the body, i + 1 = MATERIALS[i]).
MATERIALS = tuple(f.name[: -len("_hu")] for f in fields(TissueHU))


@dataclass(frozen=True)
class Layer:
    """One material or label region.

    Parameters
    ----------
    name
        For progress messages and debugging.
    shape
        The region (signed distance, LPS mm).
    material
        Tissue drawn with partial-volume weight: a :class:`~twindesk.phantom.params.TissueHU`
        field without its ``_hu`` suffix (e.g. ``"blood_left"``); ``None`` for a label-only
        layer.
    label
        Label written where the voxel centre is inside (0 = unlabelled tissue); ``None``
        leaves labels alone.
    only_labels
        Restrict the label write to voxels currently holding one of these labels (used to
        split one lumen into named parts, e.g. LVOT below the annulus plane → ``lv``).
    coarse
        Sample at twice the voxel size (background tissue whose exact edge does not matter).
    offset_mm
        Draw ``{shape.sdf <= offset_mm}`` (a wall or cortex around / inside the shape); layers
        sharing one shape object are sampled in one pass.
    """

    name: str
    shape: Shape
    material: str | None
    label: int | None = 0
    only_labels: tuple[int, ...] | None = None
    coarse: bool = False
    offset_mm: float = 0.0
