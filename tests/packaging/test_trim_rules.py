"""The bundle's trim rules stay true to the code: nothing in twindesk imports all of VTK,
and every Qt module twindesk imports is kept."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import trim  # noqa: E402


def _imports() -> set[str]:
    found = set()
    for py in (ROOT / "twindesk").rglob("*.py"):
        for m in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", py.read_text("utf-8"),
                             re.M):
            found.add(m.group(1))
    return found


def test_no_module_imports_all_of_vtk():
    # 'import vtk' loads every VTK module (554 MB); the bundle leaves it out
    imports = _imports()
    assert "vtk" not in imports and "vtkmodules.all" not in imports


def test_every_imported_qt_module_is_kept():
    qt = {m for m in _imports() if m.startswith("PySide6.")}
    assert qt and not qt & set(trim.EXCLUDED_MODULES), qt & set(trim.EXCLUDED_MODULES)


def test_excluded_files_match_relative_bundle_paths():
    assert trim.excluded("PySide6/Qt/translations/qtbase_de.qm")
    assert trim.excluded("vtkmodules/libviskores_cont.so")
    assert not trim.excluded("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert not trim.excluded("matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf")  # the report font
    assert not trim.excluded("resources/devices/materials.toml")


def test_geometry_vtk_names_are_all_provided():
    # geometry code spells VTK classes 'vtk.vtkX' on twindesk.geometry.vtk_classes; a class
    # missing there would only fail when that code path runs (in the bundle too)
    from twindesk.geometry import vtk_classes

    used = set()
    for py in (ROOT / "twindesk").rglob("*.py"):
        text = py.read_text("utf-8")
        if "vtk_classes as vtk" in text:
            used.update(re.findall(r"\bvtk\.(\w+)", text))
    missing = {n for n in used if not hasattr(vtk_classes, n)}
    assert used and not missing, missing


def _calls() -> set[str]:
    """Method names twindesk calls (``.name(``), wherever they come from."""
    found = set()
    for py in (ROOT / "twindesk").rglob("*.py"):
        found.update(re.findall(r"\.([A-Za-z_]\w*)\(", py.read_text("utf-8")))
    return found


def test_pyvista_filters_twindesk_calls_keep_their_vtk_modules():
    # a pyvista filter loads its VTK module only when called (the pulsatile pictures'
    # streamlines need vtkFiltersFlowPaths): no filter twindesk calls may use a VTK class
    # from a module the bundle leaves out. Conservative: a method of the same name on
    # another object counts too.
    import importlib
    import inspect

    import pyvista as pv

    left_out = {}
    for module in trim.PYVISTA_VTK_NOT_USED:
        try:
            mod = importlib.import_module(f"vtkmodules.{module}")
        except ImportError:
            continue
        left_out.update({n: module for n in dir(mod) if n.startswith("vtk")})
    assert left_out
    # names twindesk calls on other objects only: str.partition, numpy.fft.rfft
    not_pyvista = {"partition", "rfft"}
    hits = {}
    for cls in (pv.DataSet, pv.PolyData, pv.UnstructuredGrid, pv.ImageData, pv.StructuredGrid,
                pv.MultiBlock, pv.Plotter):
        for name in _calls() - not_pyvista:
            fn = getattr(cls, name, None)
            if not callable(fn):
                continue
            try:
                src = inspect.getsource(fn)
            except (TypeError, OSError):
                continue
            for vtk_name in set(re.findall(r"\b(vtk\w+)", src)) & set(left_out):
                hits[f"{cls.__name__}.{name}"] = f"{vtk_name} ({left_out[vtk_name]})"
    assert not hits, hits


def test_matplotlib_qt_canvas_keeps_qtsvg():
    # matplotlib's Qt canvas (the twin panel's live plot) imports PySide6.QtSvg with
    # QtCore/QtGui/QtWidgets: leaving QtSvg out breaks the main window in the bundle
    uses_canvas = any("backend_qtagg" in py.read_text("utf-8")
                      for py in (ROOT / "twindesk").rglob("*.py"))
    if uses_canvas:
        assert "PySide6.QtSvg" not in trim.EXCLUDED_MODULES
        assert '"QtAgg"' in (ROOT / "packaging" / "twindesk.spec").read_text("utf-8")
