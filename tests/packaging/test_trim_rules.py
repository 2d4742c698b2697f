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
