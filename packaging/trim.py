"""What goes into the twindesk bundle, and what is left out (used by ``twindesk.spec``).

The rules are data so that the build report and the tests can name them. Each exclusion says
why it is safe; the smoke test (``packaging/smoke_test.py``) runs the built program through
the window, a segmentation, a screenshot, a report and a cohort to show nothing needed went.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

#: Python modules never imported by twindesk at run time.
EXCLUDED_MODULES = [
    # pyvista's ``if TYPE_CHECKING: from vtk import *`` would pull all of VTK (554 MB);
    # pyvista imports vtkmodules lazily by name instead (listed in hidden_imports below).
    "vtk", "vtkmodules.all", "vtkmodules.web", "vtkmodules.gtk", "vtkmodules.tk",
    "vtkmodules.wx", "vtkmodules.test", "vtkmodules.generate_pyi",
    "vtkmodules.vtkAcceleratorsVTKmCore", "vtkmodules.vtkAcceleratorsVTKmDataModel",
    "vtkmodules.vtkAcceleratorsVTKmFilters",
    # other GUI toolkits and notebook front ends
    "tkinter", "_tkinter", "PyQt5", "PyQt6", "PySide2", "IPython", "ipywidgets", "jupyter",
    "notebook", "trame", "trame_vtk", "trame_vuetify",
    # data-frame stacks: the cohort table is written with the csv module (and pyarrow, when
    # an installer adds it, from source installs only)
    "pandas", "pyarrow", "polars", "numba", "llvmlite",
    # Qt add-ons we do not use (QML, web, SQL, designer, multimedia, tests)
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtNetwork", "PySide6.QtSql", "PySide6.QtDesigner", "PySide6.QtUiTools",
    "PySide6.QtTest", "PySide6.QtDBus", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtHelp", "PySide6.QtConcurrent", "PySide6.QtXml", "PySide6.QtStateMachine",
    "PySide6.QtSvgWidgets", "PySide6.QtPrintSupport",
    # (PySide6.QtSvg stays: matplotlib's Qt canvas, embedded in the twin panel's live tab,
    # imports it with QtCore/QtGui/QtWidgets)
    # QOpenGLContext and QSurfaceFormat (what pyvistaqt needs) live in QtGui; the QtOpenGL
    # bindings (8.7 MB) are optional in qtpy
    "PySide6.QtOpenGL",
    # Pillow's AVIF and Tk plugins (libavif alone is 5 MB); PNG/JPEG/TIFF stay
    "PIL._avif", "PIL.AvifImagePlugin", "PIL._imagingtk", "PIL.ImageTk",
    # developer tools
    # DICOM pixel codecs from the test extra (pixel data is decoded by SimpleITK/GDCM)
    "pylibjpeg", "openjpeg", "jpeg_ls", "_CharLS", "libjpeg", "rle",
    "pytest", "_pytest", "sphinx", "docutils", "setuptools", "pip", "pydoc_data",
    "matplotlib.tests", "numpy.tests", "scipy.tests", "skimage", "sklearn", "torch",
]

#: Bundle paths (relative to the bundle's ``_internal``) left out after analysis.
EXCLUDED_FILES = [
    # Qt translations of Qt's own dialogs: the interface is English
    "PySide6/Qt/translations/*",
    # platform plugins for embedded screens (EGLFS, framebuffer, VNC, Vulkan display, evdev
    # input): a workstation runs X11 (xcb) or Wayland; the GTK theme needs GTK on the system
    # and drags cairo/pango/gio into the bundle
    "PySide6/Qt/plugins/egldeviceintegrations/*", "PySide6/Qt/plugins/generic/*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so", "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so", "PySide6/Qt/lib/libQt6EglFS*",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    # ... and the GTK theme's own dependencies, which the analysis collected before this list
    # could drop the plugin (the xcb platform plugin needs none of them)
    "libcairo*", "libpango*", "libgdk_pixbuf*", "libatk-*", "libpixman*", "libfribidi*",
    "libthai*", "libdatrie*", "libgraphite2*", "libharfbuzz.so*",
    # image formats the window never reads (it writes PNG, built into QtGui)
    "PySide6/Qt/plugins/imageformats/libqicns.so", "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so", "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    # QML, Quick, designer, SQL and network plugins; a Wayland compositor (we are a client)
    "PySide6/Qt/plugins/qmltooling/*", "PySide6/Qt/plugins/designer/*",
    "PySide6/Qt/plugins/sqldrivers/*", "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/tls/*", "PySide6/Qt/plugins/wayland-graphics-integration-server/*",
    "PySide6/Qt/qml/*", "PySide6/Qt/lib/libQt6Quick*", "PySide6/Qt/lib/libQt6Qml*",
    "PySide6/Qt/lib/libQt6WaylandCompositor*", "PySide6/Qt/lib/libQt6Designer*",
    "PySide6/Qt/lib/libQt6LabsStyleKit*", "PySide6/Qt/lib/libQt6Pdf*",
    # VTK-m / Viskores accelerators (no GPU compute path in twindesk)
    "vtkmodules/libviskores*", "vtkmodules/libvtkAcceleratorsVTKm*",
    # headers, type stubs and static libraries
    "*.pyi", "*/include/*", "*.a",
    # matplotlib's sample data and the Type 1 metrics of its PostScript backend (plots are
    # rendered with Agg and DejaVu TrueType fonts)
    "matplotlib/mpl-data/sample_data/*", "matplotlib/mpl-data/fonts/afm/*",
    "matplotlib/mpl-data/fonts/pdfcorefonts/*",
]

#: VTK modules that pyvista can load lazily but twindesk never reaches: readers of
#: simulation formats (Exodus, CGNS, Fluent, EnSight, SEG-Y, MINC, Xdmf), chemistry, HDF.
#: (vtkFiltersFlowPaths stays: the pulsatile-flow pictures draw streamlines with it.)
PYVISTA_VTK_NOT_USED = {
    "vtkIOCGNSReader", "vtkIOChemistry", "vtkIOEnSight", "vtkIOExodus", "vtkIOFLUENTCFF",
    "vtkIOHDF", "vtkIOMINC", "vtkIOParallelExodus", "vtkIOSegY", "vtkIOXdmf2",
    "vtkDomainsChemistry", "vtkIOInfovis", "vtkIOExportGL2PS", "vtkIOImport",
    "vtkIOParallel", "vtkFiltersParallelDIY2", "vtkIOExport",
    "vtkIOParallelXML", "vtkImagingFourier",
}

#: VTK modules pyvista imports by computed name for their side effects (factory registration)
#: or through its special loaders: invisible to PyInstaller's import analysis.
VTK_SIDE_EFFECT_MODULES = [
    "vtkRenderingContextOpenGL2", "vtkRenderingFreeType", "vtkRenderingMatplotlib",
    "vtkPythonContext2D", "vtkRenderingOpenGL2", "vtkRenderingVolumeOpenGL2",
    "vtkRenderingUI", "vtkInteractionStyle",
]


def pyvista_vtk_modules() -> list[str]:
    """The ``vtkmodules.*`` pyvista may import by name, less the unused ones."""
    import pyvista._vtk as pv_vtk

    names = set()
    for table in ("_CORE_MODULES", "_PLOTTING_MODULES", "_OPENGL_MODULES"):
        names.update(getattr(pv_vtk, table, {}))
    names = (names - PYVISTA_VTK_NOT_USED) | set(VTK_SIDE_EFFECT_MODULES)
    return sorted(f"vtkmodules.{n}" for n in names)


def hidden_imports() -> list[str]:
    """Modules imported by name at run time (command discovery, pyvista, Qt's GL widget)."""
    from PyInstaller.utils.hooks import collect_submodules

    import importlib.util

    twindesk = collect_submodules("twindesk", filter=lambda name: ".tests" not in name)
    # libraries the workstation check (twindesk doctor) names, when installed
    optional = [m for m in ("skfem",) if importlib.util.find_spec(m) is not None]
    return [*twindesk, *pyvista_vtk_modules(), *optional, "vtkmodules.util.numpy_support",
            "PySide6.QtOpenGLWidgets", "qtpy.QtOpenGLWidgets"]


def datas(root: Path) -> list[tuple[str, str]]:
    """Read-only data: ``resources/`` (devices, presets) and the JSON Schemas."""
    return [(str(root / "resources"), "resources"),
            (str(root / "twindesk" / "schemas" / "*.json"), "twindesk/schemas")]


def excluded(dest: str) -> bool:
    dest = dest.replace("\\", "/")
    return any(fnmatch.fnmatch(dest, pattern) for pattern in EXCLUDED_FILES)


def keep(toc):
    """``toc`` (PyInstaller's list of (dest, src, kind)) without the excluded files."""
    return [entry for entry in toc if not excluded(entry[0])]


#: PyInstaller's own ``strip`` option strips every binary, and breaks some of the libraries
#: that auditwheel vendored with patchelf ("ELF load command address/offset not
#: page-aligned" when loaded). So the spec strips nothing, and ``build.py`` strips the symbol
#: tables itself: every ELF file that still has one (VTK's alone carry ~90 MB), keeping the
#: stripped copy only when the dynamic loader accepts it. The dynamic symbols stay.
STRIP = False
