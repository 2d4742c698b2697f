"""File ▸ Planning report…: write the PDF (:func:`twindesk.report.build.run`, the same job
``twindesk report`` runs) off the UI thread, then offer to open it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from twindesk.ui.case_jobs import require_saved


def run_report(window, out: Path | None = None):
    """Ask where to save (unless ``out``), run the report job; returns the job or None."""
    from twindesk.report.build import ReportParams, run

    if not require_saved(window, "The report", write=False):
        return None
    case_path = window.session.path
    if out is None:
        default = case_path.parent / f"{case_path.stem}-plan.pdf"
        chosen, _ = QFileDialog.getSaveFileName(window, "Save the planning report",
                                                str(default), "PDF (*.pdf)")
        if not chosen:
            return None
        out = Path(chosen)
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        out = out.with_name(out.name + ".pdf")
    return window.jobs.start("Writing the planning report", run, ReportParams(case_path, out),
                             lambda result: _written(window, result))


def _written(window, result: dict) -> None:
    window.show_status(f"Wrote {result['out']} ({result['pages']} pages)", 10000)
    answer = window.ask("Planning report written",
                        f"The report was written to\n{result['out']}\n({result['pages']} "
                        "pages).\n\nOpen it now?", ("Yes", "No"), "Yes")
    if answer == "Yes":
        window.open_external(Path(result["out"]))
