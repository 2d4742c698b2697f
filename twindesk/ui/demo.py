"""File ▸ Open demo case (and ``twindesk`` with no arguments): open the demo phantom case,
generating it on first use with the demo command's job (``twindesk.phantom.demo.run``)."""

from __future__ import annotations

from pathlib import Path


def demo_job(out_dir: Path, progress, cancel) -> Path:
    """Write (or reuse) the demo in ``out_dir``; returns its case folder (a job)."""
    from twindesk.phantom.demo import DemoParams, run

    return run(DemoParams(Path(out_dir)), progress, cancel).case_path


def open_demo(window) -> None:
    """Open the demo case; the job generates it first when it is missing or outdated (a
    current demo is reused at once)."""
    from twindesk.phantom.demo import default_dir

    window.jobs.start("Preparing the demo case", demo_job, default_dir(), window.open_case)
