"""Write a SimpleITK volume as a CT DICOM series (one file per slice) with pydicom.

Used by the demo phantom and by tests that need real DICOM files. Slices follow the image's
third axis; ImagePositionPatient / ImageOrientationPatient carry the exact LPS geometry.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def new_uid() -> str:
    from pydicom.uid import generate_uid

    return generate_uid()


def write_series(image, folder: Path, *, patient_name: str = "Demo^Phantom",
                 patient_id: str = "TWIN-DEMO", study_uid: str | None = None,
                 series_uid: str | None = None, series_description: str = "",
                 series_number: int = 1, study_date: str | None = None,
                 extra: Mapping[str, Any] | None = None,
                 per_slice: Mapping[str, list[Any]] | None = None,
                 filename: str = "IM{index:05d}.dcm") -> list[Path]:
    """Write ``image`` (integer HU values) as a CT series into ``folder``.

    Parameters
    ----------
    image
        SimpleITK image; its direction's first two columns become ImageOrientationPatient.
    extra
        Further data elements set on every slice by keyword (e.g. ``{"TriggerTime": 350.0}``).
    per_slice
        Keyword → list of values, one per slice (e.g. per-slice ``InstanceNumber``).

    Returns
    -------
    list of Path
        The written files in slice order.
    """
    import SimpleITK as sitk
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    voxels = sitk.GetArrayFromImage(image)  # (z, y, x)
    if voxels.ndim != 3:
        raise ValueError("write_series needs a 3D image")
    voxels = np.clip(np.rint(voxels), -32768, 32767).astype(np.int16)
    direction = np.asarray(image.GetDirection(), float).reshape(3, 3)
    spacing = image.GetSpacing()
    study_uid = study_uid or new_uid()
    series_uid = series_uid or new_uid()
    frame_uid = new_uid()
    date = study_date or _dt.date.today().strftime("%Y%m%d")
    orientation = [float(v) for v in (*direction[:, 0], *direction[:, 1])]
    paths = []
    for k in range(voxels.shape[0]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
        sop_uid = new_uid()
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / filename.format(index=k + 1)
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = sop_uid
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.PatientName = patient_name
        ds.PatientID = patient_id
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.StudyDate = date
        ds.SeriesDate = date
        ds.StudyTime = "120000"
        ds.StudyID = "1"
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""
        ds.Modality = "CT"
        ds.Manufacturer = "twindesk phantom"
        ds.SeriesDescription = series_description
        ds.SeriesNumber = series_number
        ds.InstanceNumber = k + 1
        ds.PatientPosition = "HFS"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        position = image.TransformIndexToPhysicalPoint((0, 0, k))
        ds.ImagePositionPatient = [float(v) for v in position]
        ds.ImageOrientationPatient = orientation
        ds.PixelSpacing = [float(spacing[1]), float(spacing[0])]
        ds.SliceThickness = float(spacing[2])
        ds.Rows, ds.Columns = int(voxels.shape[1]), int(voxels.shape[2])
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = 0
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        ds.KVP = 100
        for key, value in (extra or {}).items():
            setattr(ds, key, value)
        for key, values in (per_slice or {}).items():
            setattr(ds, key, values[k])
        ds.PixelData = voxels[k].tobytes()
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
