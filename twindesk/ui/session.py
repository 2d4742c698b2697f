"""The case open in the window: load, dirty tracking, save, autosave, recovery.

Qt-free (tested without a display); the window owns one :class:`CaseSession` at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import CaseError
from twindesk.imaging.mpr import VolumeGeometry
from twindesk.model import autosave
from twindesk.model.case import Case


@dataclass
class LoadedData:
    """Arrays and meshes of a case, read off the UI thread."""

    volume: np.ndarray
    geometry: VolumeGeometry
    layers: dict[str, np.ndarray] = field(default_factory=dict)
    surfaces: dict[str, Any] = field(default_factory=dict)
    centerlines: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load_mask(case: Case, name: str, geometry: VolumeGeometry) -> np.ndarray:
    """A ``labels:<structure>`` artefact as a uint8 [k, j, i] array on the volume grid."""
    import SimpleITK as sitk

    from twindesk.io.volume import read_volume

    image = read_volume(case.artifact_path(name))
    if tuple(image.GetSize()) != tuple(geometry.size):
        raise CaseError(f"case {case.path}: '{name}' has size {image.GetSize()}, the volume "
                        f"{geometry.size}", "recompute the segmentation on this volume")
    return (sitk.GetArrayFromImage(image) > 0).astype(np.uint8)


def load_case_data(case: Case, progress=None, cancel=None) -> LoadedData:
    """Read the volume, label masks, surfaces and centrelines of an open case."""
    import SimpleITK as sitk

    from twindesk.jobs import ProgressReporter

    rep = ProgressReporter(progress, cancel=cancel)
    if case.artifact("volume") is None:
        raise CaseError(f"case {case.path} has no volume",
                        "import a DICOM series or volume file into it first")
    rep(0.0, "reading volume")
    image = case.image()
    geometry = VolumeGeometry.of_image(image)
    volume = sitk.GetArrayFromImage(image)
    if volume.dtype not in (np.int16, np.uint8, np.float32):
        volume = volume.astype(np.float32 if np.issubdtype(volume.dtype, np.floating)
                               else np.int16)
    data = LoadedData(volume, geometry)
    names = sorted(case.doc["artifacts"])
    for n, name in enumerate(names):
        rep(0.4 + 0.6 * n / max(len(names), 1), f"reading {name}")
        kind, _, structure = name.partition(":")
        try:
            if kind == "labels":
                data.layers[structure] = load_mask(case, name, geometry)
            elif kind == "surface":
                import pyvista as pv

                data.surfaces[structure] = pv.read(case.artifact_path(name))
        except (CaseError, KeyError, ValueError, OSError) as exc:
            data.warnings.append(f"{name}: {exc}")
    data.centerlines, problems = read_centerlines(case)
    data.warnings += problems
    rep(1.0, "done")
    return data


def read_centerlines(case: Case) -> tuple[dict[str, np.ndarray], list[str]]:
    """``centerline:<structure>`` artefacts as (N, 3) LPS mm arrays, and any problems."""
    out, problems = {}, []
    for name in sorted(case.doc["artifacts"]):
        kind, _, structure = name.partition(":")
        if kind != "centerline":
            continue
        try:
            pts = np.asarray(case.read_json(name)["points_lps_mm"], float)
        except (CaseError, KeyError, ValueError, OSError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        if pts.ndim == 2 and pts.shape[1] == 3 and len(pts) >= 2:
            out[structure] = pts
    return out, problems


class CaseSession:
    """An open case plus what the window needs to know about unsaved work."""

    def __init__(self, case: Case):
        self.case = case
        self._committed = autosave.doc_fingerprint(case.doc)
        self._snapshotted = self._committed

    @classmethod
    def open(cls, path: Path, write: bool = True) -> CaseSession:
        return cls(Case.open(Path(path), write=write))

    @property
    def path(self) -> Path:
        return self.case.path

    @property
    def writable(self) -> bool:
        return self.case.writable

    @property
    def dirty(self) -> bool:
        """True when the in-memory document differs from the committed one."""
        return autosave.doc_fingerprint(self.case.doc) != self._committed

    def recovery_offer(self) -> autosave.Snapshot | None:
        """An autosaved state from an earlier (killed) session, if worth offering."""
        committed = json.loads((self.path / "case.json").read_text(encoding="utf-8"))
        return autosave.find_snapshot(self.path, committed)

    def recover(self, snapshot: autosave.Snapshot) -> None:
        autosave.restore_snapshot(self.case, snapshot)
        self._snapshotted = ""

    def discard_recovery(self) -> None:
        autosave.discard_snapshot(self.path)

    def save(self, action: str = "save", params: dict | None = None) -> int:
        """Commit the document; the recovery snapshot is then obsolete."""
        revision = self.case.save(action, params)
        self._committed = self._snapshotted = autosave.doc_fingerprint(self.case.doc)
        autosave.discard_snapshot(self.path)
        return revision

    def autosave(self) -> bool:
        """Write a recovery snapshot when there is unsaved work not yet snapshotted."""
        if not self.writable:
            return False
        fp = autosave.doc_fingerprint(self.case.doc)
        if fp == self._committed or fp == self._snapshotted:
            return False
        autosave.write_snapshot(self.case)
        self._snapshotted = fp
        return True

    def close(self, keep_autosave: bool = False) -> None:
        """Release the case. Unsaved work is dropped unless ``keep_autosave``."""
        if self.writable and not keep_autosave:
            autosave.discard_snapshot(self.path)
        self.case.close()
