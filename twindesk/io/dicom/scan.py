"""Find the DICOM image series under a folder (recursively), reading headers only.

A bad file never stops the scan: it is listed in ``skipped`` with its reason. A file whose
header is readable but whose pixel data is truncated stays attached to its series as a
damaged member, so the series can name it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from twindesk.errors import InputError
from twindesk.io.dicom import tags as T
from twindesk.io.dicom.frames import Frame, frames_of
from twindesk.io.dicom.header import FileProblem, Header, read_header
from twindesk.io.dicom.text import clean_text
from twindesk.io.volume import has_volume_suffix
from twindesk.jobs import ProgressReporter

_NO_PIXELS = {
    T.DICOMDIR_CLASS: "a DICOMDIR index (not an image); its images are scanned as files",
    "1.2.840.10008.5.1.4.1.1.88.11": "a structured report (no pixel data)",
    "1.2.840.10008.5.1.4.1.1.88.22": "a structured report (no pixel data)",
    "1.2.840.10008.5.1.4.1.1.88.33": "a structured report (no pixel data)",
    "1.2.840.10008.5.1.4.1.1.11.1": "a presentation state (no pixel data)",
    "1.2.840.10008.5.1.4.1.1.66": "raw data (no pixel data)",
}


@dataclass
class FileRecord:
    """A DICOM image file found by the scan.

    ``problem`` is set when the file belongs to a series but its pixels cannot be used
    (truncated, damaged); its frames then only say where the gap is.
    """

    path: Path
    name: str
    header: Header
    frames: list[Frame]
    series_key: str
    problem: str | None = None


@dataclass
class ScanResult:
    root: Path
    files: list[FileRecord] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def series(self) -> dict[str, list[FileRecord]]:
        """Files grouped by series key, in scan order."""
        groups: dict[str, list[FileRecord]] = {}
        for rec in self.files:
            groups.setdefault(rec.series_key, []).append(rec)
        return groups


def list_files(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every regular file under ``root`` (or ``root`` itself), sorted, symlinked folders not
    followed (no loops); and the folders that could not be listed, with the reason."""
    root = Path(root)
    if root.is_file():
        return [root], []
    if not root.is_dir():
        raise InputError(f"{root}: no such file or folder", "check the path")
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or root), exc.strerror or str(exc)))

    for folder, dirs, names in os.walk(root, onerror=failed):
        dirs.sort()
        found.extend(Path(folder) / n for n in sorted(names))
    return [p for p in found if p.is_file()], unreadable


def scan(root: Path, progress=None, cancel=None) -> ScanResult:
    """Read the header of every file under ``root``.

    Parameters
    ----------
    root
        A folder (searched recursively), one file, or a DICOMDIR (its folder is searched).
    progress, cancel
        Job progress callback and :class:`~twindesk.jobs.CancelToken` (checked per file).
    """
    root = Path(root)
    if root.is_file() and root.name.upper() == "DICOMDIR":  # a CD/DVD's index: scan its media
        root = root.parent
    report = ProgressReporter(progress, cancel=cancel)
    paths, unreadable = list_files(root)
    result = ScanResult(root)
    base = root if root.is_dir() else root.parent
    for folder, why in unreadable:
        result.skipped.append({"file": clean_text(folder.relative_to(base).as_posix() + "/"),
                               "reason": f"folder cannot be read ({why})"})
    for i, path in enumerate(paths):
        if i % 16 == 0:
            report(i / max(len(paths), 1), "reading DICOM headers")
        name = clean_text(path.relative_to(base).as_posix(), max_len=160)
        try:
            header = read_header(path)
        except FileProblem as exc:
            reason = exc.reason
            if exc.kind == "not_dicom" and has_volume_suffix(path):
                reason = ("a volume file, not DICOM (import it on its own: "
                          "twindesk import FILE CASE)")
            result.skipped.append({"file": name, "reason": reason})
            continue
        record = _record(path, name, header, result)
        if record is not None:
            result.files.append(record)
    report(1.0, f"{len(result.files)} image files")
    return result


def _record(path: Path, name: str, header: Header, result: ScanResult) -> FileRecord | None:
    data = header.data
    sop_class = data.string("SOPClassUID") or data.string("MediaStorageSOPClassUID")
    if header.pixel is None:
        reason = _NO_PIXELS.get(sop_class,
                                f"DICOM without pixel data (SOP class {sop_class or '?'})")
        if data.has("Rows") and sop_class not in _NO_PIXELS:
            reason = ("the header describes an image but the file ends before its pixel data "
                      "(truncated file?)")
        result.skipped.append({"file": name, "reason": reason})
        return None
    key = series_key(header, path)
    problem = header.pixel.problem or _pixel_size_problem(header)
    frames: list[Frame] = []
    try:  # also for a damaged file: its position names the gap it leaves
        frames = frames_of(header)
    except ValueError as exc:
        problem = problem or f"unusable geometry ({exc})"
    if problem:
        result.skipped.append({"file": name, "reason": f"{problem} (series {clean_text(key)})"})
    return FileRecord(path, name, header, frames, key, problem)


def transfer_syntax_names(records: list[FileRecord]) -> list[str]:
    """The transfer syntaxes of ``records`` by name (UID when unnamed), sorted."""
    return sorted({T.TRANSFER_SYNTAX_NAMES.get(r.header.transfer_syntax, r.header.transfer_syntax)
                   for r in records})


def series_key(header: Header, path: Path) -> str:
    """SeriesInstanceUID, or for files without one a stable stand-in ``x…`` derived from the
    study, series number, frame of reference, matrix size and folder."""
    data = header.data
    uid = data.string("SeriesInstanceUID")
    if uid:
        return uid
    parts = [data.string(k) for k in ("StudyInstanceUID", "SeriesNumber", "Modality",
                                      "FrameOfReferenceUID", "Rows", "Columns")]
    parts.append(str(path.parent))
    return "x" + hashlib.sha1("|".join(parts).encode("utf-8", "replace")).hexdigest()[:16]


def _pixel_size_problem(header: Header) -> str | None:
    """Uncompressed pixel data shorter than Rows x Columns x frames needs."""
    pixel, data = header.pixel, header.data
    if pixel is None or pixel.encapsulated:
        return None
    try:
        rows, cols = data.integer("Rows") or 0, data.integer("Columns") or 0
        frames = data.integer("NumberOfFrames") or 1
        samples = data.integer("SamplesPerPixel") or 1
        bits = data.integer("BitsAllocated") or 16
    except ValueError as exc:
        return f"unreadable image size ({exc})"
    if rows <= 0 or cols <= 0:
        return "no image size (Rows / Columns missing)"
    needed = (rows * cols * frames * samples * bits + 7) // 8
    if pixel.length < needed:
        return (f"pixel data is incomplete: {pixel.length} bytes where Rows x Columns x "
                f"frames needs {needed}")
    return None
