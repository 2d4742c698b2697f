"""A small imported case and clinical files for the twin tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def twin_case(tmp_path):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.model.case import Case

    img = sitk.GetImageFromArray(np.zeros((4, 5, 6), np.int16))
    img.SetSpacing((1.0, 1.0, 2.0))
    path = tmp_path / "p.twin"
    case = Case.create(path)
    case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
    case.doc["image"] = {**geometry_of(img), "modality": "CT"}
    case.save("import", {})
    case.close()
    return path


VITALS_CSV = """time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min,height_cm,weight_kg
2024-03-01T08:30:00Z,142,78,68,4.9,172,81
2024-03-08T08:30:00Z,150,82,72,5.1,,
"""

ECHO_LONG_CSV = """time,quantity,value,unit
2024-06-01T10:00:00Z,mean_gradient,9.5,mm[Hg]
2024-06-01T10:00:00Z,peak_velocity,2.1,m/s
"""

VCF = """##fileformat=VCFv4.2
##fileDate=20240110
##reference=GRCh38
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
15\t48410000\trs1\tG\tA\t.\tPASS\tCLNSIG=Pathogenic;GENEINFO=FBN1:2200
"""


@pytest.fixture
def files(tmp_path):
    """Clinical files with misleading extensions (recognised by content)."""
    out = {}
    for name, text in (("vitals.txt", VITALS_CSV), ("echo.dat", ECHO_LONG_CSV),
                       ("genome.txt", VCF)):
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        out[name.split(".")[0]] = p
    return out
