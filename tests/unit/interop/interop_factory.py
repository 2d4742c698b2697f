"""Small cases for the interoperability and report tests: a DICOM series carrying known
identifying values, imported (optionally de-identified), with four segmentation masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from twindesk.io.dicom.write import write_series

#: Identifying values written into the source series; none may leave a de-identified export.
PHI = {"PatientName": "Doe^Johnathan", "PatientID": "PID-83921",
       "PatientBirthDate": "19480312", "InstitutionName": "St Elsewhere Hospital",
       "ReferringPhysicianName": "House^Gregory", "AccessionNumber": "ACC778899",
       "StudyDescription": "CTA Doe TAVR planning", "OperatorsName": "Tech^Tina"}
STUDY_DATE = "20240229"
SHAPE_ZYX = (12, 20, 24)
SPACING_MM = (0.9, 0.8, 1.5)
ORIGIN_LPS_MM = (-10.0, 20.0, 300.0)

#: Boxes (z, y, x slices) of each structure's mask; bloodpool covers the other three.
BOXES = {"aorta": (slice(6, 11), slice(4, 9), slice(5, 10)),
         "lv": (slice(1, 6), slice(10, 17), slice(8, 18)),
         "la": (slice(2, 7), slice(3, 9), slice(14, 21)),
         "bloodpool": (slice(1, 11), slice(3, 17), slice(5, 21))}


def voxels(name: str) -> int:
    return int(np.prod([s.stop - s.start for s in BOXES[name]]))


def write_phi_series(folder: Path) -> list[Path]:
    z, y, x = np.indices(SHAPE_ZYX)
    image = sitk.GetImageFromArray(((z * 37 + y * 11 + x * 5) % 900 - 200).astype(np.int16))
    image.SetSpacing(SPACING_MM)
    image.SetOrigin(ORIGIN_LPS_MM)
    extra = {k: v for k, v in PHI.items() if k not in ("PatientName", "PatientID")}
    return write_series(image, folder, patient_name=PHI["PatientName"],
                        patient_id=PHI["PatientID"], study_date=STUDY_DATE,
                        series_description="Doe cardiac 75%", extra=extra)


def add_labels(case, names=tuple(BOXES)) -> None:
    grid = case.image()
    for name in names:
        mask = np.zeros(SHAPE_ZYX, np.uint8)
        mask[BOXES[name]] = 1
        img = sitk.GetImageFromArray(mask)
        img.CopyInformation(grid)
        case.put_artifact(f"labels:{name}", lambda p, im=img: sitk.WriteImage(im, str(p)),
                          ".mha", "labels")


def make_case(tmp_path: Path, *, deidentify: bool = False, labels: bool = True,
              name: str = "c.twin") -> Path:
    from twindesk.model.ingest import import_source

    src = tmp_path / "Doe_Johnathan_PID-83921"
    if not src.exists():
        write_phi_series(src)
    path = tmp_path / name
    with import_source(src, path, deidentify=deidentify) as case:
        if labels:
            add_labels(case)
            case.save("segment", {"structures": list(BOXES)})
    return path
