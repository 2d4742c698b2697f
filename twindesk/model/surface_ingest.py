"""Create a case from a surface model (no image): ``twindesk import-surface``.

The surface is converted to LPS millimetres once (:func:`twindesk.io.surface_file.
to_lps_mm`) and stored as the artefact ``surface:<structure>``; the case has no ``volume``
and no ``image`` block. The ``source`` block records the file, the frame and units it was
read in, its size and how many open boundaries (cut vessels, valve openings) it has. Like
:func:`twindesk.model.ingest.import_source`, an import either completes or leaves no case.
"""

from __future__ import annotations

from pathlib import Path

from twindesk import __version__
from twindesk.errors import InputError
from twindesk.jobs import ProgressReporter
from twindesk.model.case import Case

SURFACE_STRUCTURES = ("la", "aorta", "lv", "bloodpool")


def import_surface(src: Path, case_path: Path, *, structure: str = "la", frame: str = "lps",
                   units: str = "mm", progress=None, cancel=None) -> Case:
    """Import the surface file ``src`` into a new case at ``case_path`` (returned open and
    writable; the caller closes it).

    Parameters
    ----------
    structure
        What the surface is (``la``: left atrium with its appendage, the input of
        ``twindesk laa``).
    frame, units
        The file's coordinate frame (``lps`` or ``ras``) and length unit (``mm``, ``cm``,
        ``m``); surface files do not record them.
    """
    from twindesk.io.surface_file import read_surface, to_lps_mm, write_vtp
    from twindesk.model.ingest import _remove_case

    src, case_path = Path(src), Path(case_path)
    if structure not in SURFACE_STRUCTURES:
        raise InputError(f"--structure: unknown structure '{structure}'",
                         f"choose one of: {', '.join(SURFACE_STRUCTURES)}")
    rep = ProgressReporter(progress, cancel=cancel)
    rep(0.0, "reading the surface")
    poly = to_lps_mm(read_surface(src), frame, units)
    existed = case_path.exists()
    case = Case.create(case_path)
    try:
        import pyvista as pv

        mesh = pv.wrap(poly)
        bounds = [float(v) for v in mesh.bounds]
        n_open = mesh.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                            manifold_edges=False,
                                            non_manifold_edges=False).connectivity()
        loops = len(set(n_open.point_data["RegionId"])) if n_open.n_points else 0
        if cancel is not None:
            cancel.check()
        rep(0.5, "writing the case")
        case.put_artifact(f"surface:{structure}", lambda p: write_vtp(poly, p), ".vtp",
                          "surface", {"structure": structure, "from": "import-surface"})
        warnings = [f"surface read as {frame.upper()} {units}: surface files do not record "
                    "their frame; check left/right and anterior/posterior in the views"]
        case.doc.update(
            patient={}, study={}, warnings=warnings,
            source={"kind": "surface", "path": str(src.resolve()), "structure": structure,
                    "frame": frame.lower(), "units": units.lower(),
                    "points": int(mesh.n_points), "triangles": int(mesh.n_cells),
                    "open_boundaries": int(loops),
                    "bounds_lps_mm": bounds, "imported_by": f"twindesk {__version__}"})
        from twindesk.model.versions import record_version

        record_version(case, "import", f"surface model imported ({structure}, "
                       f"{mesh.n_cells} triangles)", {"frame": frame, "units": units})
        case.save("import-surface", {"source": src.name, "structure": structure,
                                     "frame": frame, "units": units})
        rep(1.0, "imported")
        return case
    except BaseException:
        case.close()
        _remove_case(case_path, existed)
        raise
