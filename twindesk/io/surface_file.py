"""Surface model files (VTP, legacy VTK, STL, PLY, OBJ) and their coordinate frame.

Surface models made elsewhere rarely say their frame: tools that read NIfTI images work in
RAS, DICOM tools in LPS, and some write metres. :func:`to_lps_mm` is the one place where a
surface's points are brought into twindesk's frame (LPS millimetres): ``frame="ras"``
negates x and y (a half turn about z: triangles keep facing outward), ``units`` scales to
millimetres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twindesk.errors import InputError

SURFACE_SUFFIXES = (".vtp", ".vtk", ".stl", ".ply", ".obj")
FRAMES = ("lps", "ras")
UNITS_TO_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0}


def read_surface(path: Path):
    """A triangle surface (vtkPolyData) from a file; :class:`InputError` when it cannot
    be read or holds no triangles."""
    from vtkmodules.vtkCommonDataModel import vtkPolyData
    from vtkmodules.vtkFiltersCore import vtkTriangleFilter
    from vtkmodules.vtkIOGeometry import vtkOBJReader, vtkSTLReader
    from vtkmodules.vtkIOLegacy import vtkPolyDataReader
    from vtkmodules.vtkIOPLY import vtkPLYReader
    from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", "check the path of the surface file")
    suffix = path.suffix.lower()
    readers = {".vtp": vtkXMLPolyDataReader, ".vtk": vtkPolyDataReader,
               ".stl": vtkSTLReader, ".ply": vtkPLYReader, ".obj": vtkOBJReader}
    if suffix not in readers:
        raise InputError(f"{path}: unknown surface format '{suffix}'",
                         f"use one of {', '.join(SURFACE_SUFFIXES)}")
    reader = readers[suffix]()
    reader.SetFileName(str(path))
    reader.Update()
    tri = vtkTriangleFilter()
    tri.SetInputData(reader.GetOutput())
    tri.PassLinesOff()
    tri.PassVertsOff()
    tri.Update()
    out = vtkPolyData()
    out.DeepCopy(tri.GetOutput())
    if out.GetNumberOfCells() == 0:
        raise InputError(f"{path}: no triangles could be read",
                         "check that the file is a surface model (polygons)")
    return out


def to_lps_mm(poly, frame: str = "lps", units: str = "mm"):
    """A copy of ``poly`` with points in LPS millimetres (see the module docstring)."""
    from vtkmodules.util import numpy_support as ns
    from vtkmodules.vtkCommonDataModel import vtkPolyData

    frame, units = frame.lower(), units.lower()
    if frame not in FRAMES:
        raise InputError(f"--frame: unknown frame '{frame}'", "use lps or ras")
    if units not in UNITS_TO_MM:
        raise InputError(f"--units: unknown unit '{units}'", "use mm, cm or m")
    out = vtkPolyData()
    out.DeepCopy(poly)
    pts = ns.vtk_to_numpy(out.GetPoints().GetData()).astype(float) * UNITS_TO_MM[units]
    if frame == "ras":
        pts[:, :2] *= -1.0
    if not np.all(np.isfinite(pts)):
        raise InputError("the surface has non-finite point coordinates", "repair the file")
    # RAS -> LPS negates two axes: a half turn about z, so triangles keep their facing
    out.GetPoints().SetData(ns.numpy_to_vtk(pts, deep=True))
    return out


def write_vtp(poly, path: Path) -> None:
    """Write a surface as compressed binary VTP."""
    from vtkmodules.vtkIOXML import vtkXMLPolyDataWriter

    w = vtkXMLPolyDataWriter()
    w.SetFileName(str(path))
    w.SetInputData(poly)
    w.SetDataModeToBinary()
    w.SetCompressorTypeToZLib()
    if not w.Write():
        raise InputError(f"{path}: could not write", "check the folder is writable")
