"""Triangle surfaces from masks: extraction, smoothing, decimation, checks.

Flying edges (Schroeder et al., "Flying edges: a high-performance scalable isocontouring
algorithm", IEEE LDAV 2015) at the 0.5 level of the mask, windowed-sinc smoothing (Taubin et
al., "Optimal surface smoothing as filter design", ECCV 1996), which removes the voxel
staircase without shrinking, and quadric decimation with volume preservation. Points are in
LPS millimetres; the surface is checked to be closed and manifold and to keep the mask's
volume within :data:`MAX_VOLUME_CHANGE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.blood import bbox_slices
from twindesk.imaging.grid import Grid, sub_grid

MAX_VOLUME_CHANGE = 0.02


@dataclass(frozen=True)
class SurfaceParams:
    """Smoothing of a mask surface and the decimation applied after it."""

    smoothing_iterations: int = 20
    pass_band: float = 0.05
    target_reduction: float = 0.6  # fraction of triangles removed by decimation


PRESETS = {
    # For display: lighter mesh.
    "view": SurfaceParams(smoothing_iterations=20, pass_band=0.05, target_reduction=0.6),
    # For the flow mesh: keep more detail for the tetrahedral mesher.
    "flow": SurfaceParams(smoothing_iterations=20, pass_band=0.05, target_reduction=0.4),
}


def image_data(field: np.ndarray, grid: Grid):
    """A vtkImageData of ``field`` in *index-aligned* millimetres (origin 0, grid spacing);
    :func:`to_lps` maps its points to LPS."""
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    img = vtk.vtkImageData()
    img.SetDimensions(field.shape[2], field.shape[1], field.shape[0])
    img.SetSpacing(*grid.spacing_mm)
    img.SetOrigin(0.0, 0.0, 0.0)
    img.GetPointData().SetScalars(
        ns.numpy_to_vtk(np.ascontiguousarray(field).ravel(), deep=True))
    return img


def to_lps(poly, grid: Grid) -> None:
    """Map points from index-aligned mm to LPS in place (flipping triangles if the grid's
    direction matrix is a reflection, so outward normals stay outward)."""
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    if poly.GetNumberOfPoints() == 0:
        return
    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    d = np.asarray(grid.direction).reshape(3, 3)
    lps = np.asarray(grid.origin_lps_mm) + pts @ d.T
    poly.GetPoints().SetData(ns.numpy_to_vtk(lps, deep=True))
    if np.linalg.det(d) < 0:
        rev = vtk.vtkReverseSense()
        rev.SetInputData(poly)
        rev.Update()
        poly.DeepCopy(rev.GetOutput())


def padded_crop(mask: np.ndarray, grid: Grid, pad: int) -> tuple[np.ndarray, Grid]:
    """The mask's bounding box plus ``pad`` empty voxels on every side (also where the mask
    touches the image border, so the surface closes there), with its grid."""
    sl = bbox_slices(mask, pad=0)
    g = sub_grid(grid, sl)
    lo = np.full(3, -float(pad))
    origin = g.zyx_to_lps(lo)[0]
    sub = np.pad(mask[sl], pad)
    shape = sub.shape
    return sub, Grid(tuple(float(v) for v in origin), g.spacing_mm, g.direction,
                     (int(shape[2]), int(shape[1]), int(shape[0])))


def iso_surface(field: np.ndarray, grid: Grid, level: float = 0.5):
    """Raw flying-edges iso-surface of a field on ``grid`` (vtkPolyData, LPS mm)."""
    from twindesk.geometry import vtk_classes as vtk

    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(image_data(field.astype(np.float32, copy=False), grid))
    fe.SetValue(0, level)
    fe.ComputeNormalsOff()
    fe.ComputeGradientsOff()
    fe.Update()
    out = vtk.vtkPolyData()
    out.DeepCopy(fe.GetOutput())
    to_lps(out, grid)
    return out


def mask_surface(mask: np.ndarray, grid: Grid, params: SurfaceParams = SurfaceParams()):
    """Closed, smoothed surface of a mask (vtkPolyData, LPS mm, outward-facing triangles).

    Flying edges on the mask's padded bounding box (never on the whole volume) and windowed
    sinc smoothing; no decimation (see :func:`decimate` and :func:`vessel_surface`).
    Raises :class:`InputError` for an empty mask.
    """
    from twindesk.geometry import vtk_classes as vtk

    if not mask.any():
        raise InputError("the mask is empty", "segment the structure first")
    sub, g = padded_crop(mask, grid, 2)
    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(image_data(sub.view(np.uint8), g))
    fe.SetValue(0, 0.5)
    fe.ComputeNormalsOff()
    fe.ComputeGradientsOff()
    fe.ComputeScalarsOff()
    sinc = vtk.vtkWindowedSincPolyDataFilter()
    sinc.SetInputConnection(fe.GetOutputPort())
    sinc.SetNumberOfIterations(params.smoothing_iterations)
    sinc.SetPassBand(params.pass_band)
    sinc.NormalizeCoordinatesOn()
    sinc.BoundarySmoothingOff()
    sinc.FeatureEdgeSmoothingOff()
    sinc.NonManifoldSmoothingOn()
    sinc.Update()
    out = vtk.vtkPolyData()
    out.ShallowCopy(sinc.GetOutput())
    to_lps(out, g)
    return out


def decimate(poly, target_reduction: float):
    """Quadric decimation (Garland & Heckbert, SIGGRAPH 1997) keeping the volume; the
    result is oriented outwards. ``target_reduction`` is the fraction of triangles removed."""
    from twindesk.geometry import vtk_classes as vtk

    if target_reduction <= 0:
        return poly
    dec = vtk.vtkQuadricDecimation()
    dec.SetInputData(poly)
    dec.SetTargetReduction(target_reduction)
    dec.VolumePreservationOn()
    dec.AttributeErrorMetricOff()
    dec.Update()
    out = vtk.vtkPolyData()
    out.ShallowCopy(dec.GetOutput())
    return out


def vessel_surface(mask: np.ndarray, grid: Grid, params: SurfaceParams):
    """:func:`mask_surface`, decimated, largest piece only."""
    return keep_largest_piece(decimate(mask_surface(mask, grid, params), params.target_reduction))


def keep_largest_piece(poly):
    """The largest connected piece of a surface (drops specks)."""
    return connected_piece(poly)


def connected_piece(poly, closest_lps_mm=None):
    """One connected piece of a surface, cleaned (a deep copy): the largest, or the one
    nearest ``closest_lps_mm`` when given."""
    from twindesk.geometry import vtk_classes as vtk

    conn = vtk.vtkPolyDataConnectivityFilter()
    conn.SetInputData(poly)
    if closest_lps_mm is None:
        conn.SetExtractionModeToLargestRegion()
    else:
        conn.SetExtractionModeToClosestPointRegion()
        conn.SetClosestPoint(*np.asarray(closest_lps_mm, float))
    clean = vtk.vtkCleanPolyData()
    clean.SetInputConnection(conn.GetOutputPort())
    clean.Update()
    out = vtk.vtkPolyData()
    out.DeepCopy(clean.GetOutput())
    return out


@dataclass(frozen=True)
class SurfaceCheck:
    points: int
    triangles: int
    boundary_edges: int
    non_manifold_edges: int
    pieces: int
    volume_mm3: float
    area_mm2: float

    @property
    def watertight(self) -> bool:
        return self.boundary_edges == 0 and self.non_manifold_edges == 0 and self.pieces == 1


def check(poly) -> SurfaceCheck:
    """Counts that tell whether a surface is closed and manifold, and its volume and area."""
    from twindesk.geometry import vtk_classes as vtk

    fe = vtk.vtkFeatureEdges()
    fe.SetInputData(poly)
    fe.BoundaryEdgesOn()
    fe.NonManifoldEdgesOff()
    fe.FeatureEdgesOff()
    fe.ManifoldEdgesOff()
    fe.Update()
    boundary = fe.GetOutput().GetNumberOfCells()
    fe.BoundaryEdgesOff()
    fe.NonManifoldEdgesOn()
    fe.Update()
    nonmanifold = fe.GetOutput().GetNumberOfCells()
    conn = vtk.vtkPolyDataConnectivityFilter()
    conn.SetInputData(poly)
    conn.SetExtractionModeToAllRegions()
    conn.Update()
    mp = vtk.vtkMassProperties()
    mp.SetInputData(poly)
    mp.Update()
    return SurfaceCheck(poly.GetNumberOfPoints(), poly.GetNumberOfCells(), boundary, nonmanifold,
                        conn.GetNumberOfExtractedRegions(), float(mp.GetVolume()),
                        float(mp.GetSurfaceArea()))


def write_polydata(poly, path) -> None:
    """Write a surface by extension: .vtp, .stl (binary), .obj, .ply."""
    from twindesk.geometry import vtk_classes as vtk

    ext = str(path).lower().rsplit(".", 1)[-1]
    writers = {"vtp": vtk.vtkXMLPolyDataWriter, "stl": vtk.vtkSTLWriter,
               "obj": vtk.vtkOBJWriter, "ply": vtk.vtkPLYWriter}
    if ext not in writers:
        raise InputError(f"{path}: unknown surface format '.{ext}'",
                         "use .stl, .vtp, .obj or .ply")
    tri = vtk.vtkTriangleFilter()
    tri.SetInputData(poly)
    tri.Update()
    w = writers[ext]()
    w.SetFileName(str(path))
    w.SetInputData(tri.GetOutput() if ext != "vtp" else poly)
    if ext == "stl":
        w.SetFileTypeToBinary()
    if ext == "vtp":
        w.SetDataModeToBinary()
        w.SetCompressorTypeToZLib()
    if not w.Write():
        raise InputError(f"{path}: could not write", "check the folder exists and is writable")


def read_polydata(path):
    from twindesk.geometry import vtk_classes as vtk

    r = vtk.vtkXMLPolyDataReader()
    r.SetFileName(str(path))
    r.Update()
    out = vtk.vtkPolyData()
    out.DeepCopy(r.GetOutput())
    return out
