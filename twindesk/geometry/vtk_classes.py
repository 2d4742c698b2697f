"""The VTK classes the geometry room uses, imported from their own ``vtkmodules``.

``import vtk`` loads every VTK module (vtkmodules.all: hundreds of libraries, ~550 MB on
disk), which slows the first geometry call and forces the desktop bundle to carry all of
VTK. Geometry code says ``from twindesk.geometry import vtk_classes as vtk`` and keeps the
familiar ``vtk.vtkPolyData`` spelling; a class not listed here is an AttributeError, so a
new one is added in this one place (its module: ``vtk.<Class>.__module__`` in a full VTK).
"""

from __future__ import annotations

from vtkmodules.vtkCommonCore import VTK_UNSIGNED_CHAR, vtkIdList, vtkPoints
from vtkmodules.vtkCommonDataModel import (
    VTK_TETRA,
    vtkCellArray,
    vtkImageData,
    vtkPolyData,
    vtkUnstructuredGrid,
)
from vtkmodules.vtkFiltersCore import (
    vtkCleanPolyData,
    vtkClipPolyData,
    vtkContourFilter,
    vtkFeatureEdges,
    vtkFlyingEdges2D,
    vtkFlyingEdges3D,
    vtkImplicitPolyDataDistance,
    vtkMassProperties,
    vtkPolyDataConnectivityFilter,
    vtkPolyDataNormals,
    vtkQuadricDecimation,
    vtkReverseSense,
    vtkStripper,
    vtkTriangleFilter,
    vtkWindowedSincPolyDataFilter,
)
from vtkmodules.vtkFiltersModeling import vtkFillHolesFilter
from vtkmodules.vtkImagingStencil import vtkImageStencil, vtkPolyDataToImageStencil
from vtkmodules.vtkIOGeometry import vtkOBJWriter, vtkSTLWriter
from vtkmodules.vtkIOPLY import vtkPLYWriter
from vtkmodules.vtkIOXML import (
    vtkXMLPolyDataReader,
    vtkXMLPolyDataWriter,
    vtkXMLUnstructuredGridWriter,
)

__all__ = [
    "VTK_TETRA", "VTK_UNSIGNED_CHAR", "vtkContourFilter", "vtkFillHolesFilter",
    "vtkImageStencil", "vtkPolyDataToImageStencil", "vtkCellArray", "vtkCleanPolyData", "vtkClipPolyData", "vtkFeatureEdges",
    "vtkFlyingEdges2D", "vtkFlyingEdges3D", "vtkIdList", "vtkImageData",
    "vtkImplicitPolyDataDistance", "vtkMassProperties", "vtkOBJWriter", "vtkPLYWriter",
    "vtkPoints", "vtkPolyData", "vtkPolyDataConnectivityFilter", "vtkPolyDataNormals",
    "vtkQuadricDecimation", "vtkReverseSense", "vtkSTLWriter", "vtkStripper",
    "vtkTriangleFilter", "vtkUnstructuredGrid", "vtkWindowedSincPolyDataFilter",
    "vtkXMLPolyDataReader", "vtkXMLPolyDataWriter", "vtkXMLUnstructuredGridWriter",
]
