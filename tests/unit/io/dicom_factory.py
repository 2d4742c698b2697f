"""Small DICOM test inputs, generated with pydicom into a test's tmp_path.

Volumes are tiny (32 x 32 x 20 by default) with distinct, position-coded voxel values so a
wrong slice order or a wrong row/column flip shows up as a value mismatch.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from twindesk.io.dicom.write import write_series

ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"


def volume(shape=(20, 32, 32), spacing=(0.7, 0.8, 1.25), origin=(-10.0, 20.0, 300.0),
           direction=None, seed=0) -> sitk.Image:
    """An int16 HU volume (z, y, x shape) whose voxels encode their index plus noise."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape)
    values = (z * 97 + y * 13 + x * 3) % 2500 - 1000 + rng.integers(0, 7, size=shape)
    image = sitk.GetImageFromArray(values.astype(np.int16))
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    if direction is not None:
        image.SetDirection(direction)
    return image


def rotation(axis: int, degrees: float) -> tuple[float, ...]:
    """Row-major 3x3 rotation about an LPS axis."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    m = np.eye(3)
    i, j = [k for k in range(3) if k != axis]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return tuple(float(v) for v in m.ravel())


def write_ct(image, folder: Path, **kw) -> list[Path]:
    return write_series(image, folder, **kw)


def arrays(image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def compress(paths, syntax: str) -> None:
    """Re-encode files in place with a pydicom encoder (RLE Lossless, JPEG-LS Lossless...)."""
    import pydicom

    for p in paths:
        ds = pydicom.dcmread(p)
        ds.compress(syntax, encoding_plugin="" if syntax != "1.2.840.10008.1.2.5" else "pydicom")
        ds.save_as(p, enforce_file_format=True)


def truncate(path: Path, keep_fraction: float = 0.6) -> None:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep_fraction)])


def set_tags(paths, **values) -> None:
    """Set (or, with value ``None``, delete) data elements by keyword in existing files."""
    import pydicom

    for p in paths:
        ds = pydicom.dcmread(p)
        for key, value in values.items():
            if value is None:
                if key in ds:
                    delattr(ds, key)
            else:
                setattr(ds, key, value)
        ds.save_as(p, enforce_file_format=True)


def write_enhanced_ct(image, path: Path, *, percents=None, temporal=None,
                      patient_name="Enhanced^Test", series_description="enhanced",
                      intercept=-1024.0) -> Path:
    """One Enhanced CT Image Storage file holding every slice of ``image`` as a frame.

    ``percents`` / ``temporal``: per-frame NominalPercentageOfCardiacPhase /
    TemporalPositionIndex (for multiphase stacks, pass a concatenation of volumes as one
    image and the per-frame phase values). Stored values are HU - intercept.
    """
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    arr = sitk.GetArrayFromImage(image).astype(np.int32) - int(intercept)
    assert arr.min() >= 0 and arr.max() < 65536
    arr = arr.astype(np.uint16)
    direction = np.asarray(image.GetDirection()).reshape(3, 3)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ENHANCED_CT
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = ENHANCED_CT
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.PatientName, ds.PatientID = patient_name, "ENH-1"
    ds.StudyDate = ds.ContentDate = _dt.date(2024, 3, 5).strftime("%Y%m%d")
    ds.ContentTime = "101010"
    ds.Modality, ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = \
        "CT", series_description, 7, 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.NumberOfFrames = arr.shape[0]
    ds.Rows, ds.Columns = arr.shape[1], arr.shape[2]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [image.GetSpacing()[1], image.GetSpacing()[0]]
    pm.SliceThickness = image.GetSpacing()[2]
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = [float(v) for v in (*direction[:, 0], *direction[:, 1])]
    shared.PlaneOrientationSequence = Sequence([po])
    pv = Dataset()
    pv.RescaleIntercept, pv.RescaleSlope, pv.RescaleType = intercept, 1.0, "HU"
    shared.PixelValueTransformationSequence = Sequence([pv])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    for k in range(arr.shape[0]):
        fg = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [float(v) for v in
                                   image.TransformIndexToPhysicalPoint((0, 0, k))]
        fg.PlanePositionSequence = Sequence([pp])
        fc = Dataset()
        fc.InStackPositionNumber = k + 1
        if temporal is not None:
            fc.TemporalPositionIndex = int(temporal[k])
        fg.FrameContentSequence = Sequence([fc])
        if percents is not None:
            cs = Dataset()
            cs.NominalPercentageOfCardiacPhase = float(percents[k])
            fg.CardiacSynchronizationSequence = Sequence([cs])
        per.append(fg)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = arr.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return Path(path)


def linear_hu(points: np.ndarray) -> np.ndarray:
    """The analytic test field: HU = 2x + 3y + 5z - 500 at LPS points (..., 3), mm. Linear, so
    any correct linear interpolation reproduces it exactly (up to integer rounding)."""
    return 2.0 * points[..., 0] + 3.0 * points[..., 1] + 5.0 * points[..., 2] - 500.0


def write_planes(folder: Path, positions, row=(1.0, 0.0, 0.0), col=(0.0, 1.0, 0.0),
                 pixel_mm=(0.8, 0.8), grid=(24, 20), field=linear_hu, **kw) -> list[Path]:
    """A series whose slice k has origin ``positions[k]`` (LPS mm) and orientation (row, col),
    with voxel values ``field`` sampled at each pixel's true position (rounded to int)."""
    row, col = np.asarray(row, float), np.asarray(col, float)
    normal = np.cross(row, col)
    positions = np.asarray(positions, float)
    i, j = np.meshgrid(np.arange(grid[0]), np.arange(grid[1]))  # (rows, cols) arrays
    planes = []
    for p in positions:
        pts = p + i[..., None] * pixel_mm[0] * row + j[..., None] * pixel_mm[1] * col
        planes.append(np.rint(field(pts)))
    image = sitk.GetImageFromArray(np.stack(planes).astype(np.int16))
    image.SetSpacing((pixel_mm[0], pixel_mm[1], 1.0))
    image.SetOrigin(tuple(positions[0]))
    image.SetDirection(tuple(np.column_stack([row, col, normal]).ravel()))
    per_slice = dict(kw.pop("per_slice", {}) or {})
    per_slice["ImagePositionPatient"] = [[float(v) for v in p] for p in positions]
    return write_series(image, folder, per_slice=per_slice, **kw)


def physical_points(image) -> np.ndarray:
    """LPS mm of every voxel centre of a SimpleITK image, shaped (z, y, x, 3)."""
    size = image.GetSize()
    direction = np.asarray(image.GetDirection()).reshape(3, 3)
    spacing = np.asarray(image.GetSpacing())
    k, j, i = np.meshgrid(*(np.arange(n) for n in size[::-1]), indexing="ij")
    idx = np.stack([i, j, k], axis=-1).astype(float)
    return np.asarray(image.GetOrigin()) + (idx * spacing) @ direction.T


def read_with_sitk(folder: Path):
    """The reference: a bare SimpleITK series read, in GDCM's own order."""
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()
