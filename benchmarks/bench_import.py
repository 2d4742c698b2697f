"""Benchmark: ``twindesk import`` of the real CTA vs a bare SimpleITK series read, and
reopening the case vs the first import.

Import vs bare read: whole processes (start-up and imports included), run alternately so
machine drift affects both alike; the ratio is the median of the per-pair ratios.
Goal (issue "Foundation"): import / bare <= 1.3.

Reopen vs import (goal: reopen >= 10x faster), timed two ways and both reported:
in-process (``import_source`` vs ``Case.open`` + ``case.image()`` in this warm interpreter,
what the desktop app pays; this is the goal's comparison) and as whole processes (which adds
Python and SimpleITK start-up to both sides).

Prints one JSON line with medians (seconds) and ratios. Usage:
``python benchmarks/bench_import.py [--runs N] [--dicom DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DICOM = HERE.parent.parent / "shared" / "data" / "ct_chest_cta" / "dicom"

BARE = """
import sys
import SimpleITK as sitk
reader = sitk.ImageSeriesReader()
reader.SetFileNames(reader.GetGDCMSeriesFileNames(sys.argv[1]))
image = reader.Execute()
"""

REOPEN = """
import sys
from twindesk.model.case import Case
with Case.open(sys.argv[1], write=False) as case:
    case.image()
"""


def _run(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dicom", type=Path, default=DEFAULT_DICOM)
    args = parser.parse_args()
    if not args.dicom.is_dir():
        sys.exit(f"{args.dicom}: the real CTA DICOM folder is missing (shared/data)")
    work = Path(tempfile.mkdtemp(prefix="twindesk-bench-"))
    py = sys.executable
    # an installed twindesk (wheel, bundle) ships compiled bytecode; a source checkout run
    # with PYTHONDONTWRITEBYTECODE would recompile every module in every process
    import twindesk

    subprocess.run([py, "-m", "compileall", "-q", str(Path(twindesk.__file__).parent)],
                   check=True)
    try:
        # warm-up: page cache, .pyc files
        _run([py, "-c", BARE, str(args.dicom)])
        _run([py, "-m", "twindesk", "import", str(args.dicom), str(work / "warm.twin"), "--json"])
        bare, imp, reopen_proc, reopen_inproc = [], [], [], []
        for i in range(args.runs):
            case = work / f"c{i}.twin"
            bare.append(_run([py, "-c", BARE, str(args.dicom)]))
            imp.append(_run([py, "-m", "twindesk", "import", str(args.dicom), str(case),
                             "--json"]))
            reopen_proc.append(_run([py, "-c", REOPEN, str(case)]))
        from twindesk.model.case import Case
        from twindesk.model.ingest import import_source

        import_inproc = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            import_source(args.dicom, work / f"p{i}.twin").close()
            import_inproc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with Case.open(work / f"p{i}.twin", write=False) as case:
                case.image()
            reopen_inproc.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in (
        ("bare_sitk_read_process_s", bare), ("import_process_s", imp),
        ("reopen_process_s", reopen_proc), ("import_in_process_s", import_inproc),
        ("reopen_in_process_s", reopen_inproc))}
    ratios = {
        "import_over_bare_process": statistics.median(
            a / b for a, b in zip(imp, bare, strict=True)),
        "import_over_reopen_in_process": med["import_in_process_s"] / med["reopen_in_process_s"],
        "import_over_reopen_process": med["import_process_s"] / med["reopen_process_s"]}
    goals = {"import_over_bare_process_max": 1.3, "import_over_reopen_in_process_min": 10.0}
    print(json.dumps({"benchmark": "import", "runs": args.runs, "medians": med,
                      "ratios": ratios, "goals": goals,
                      "data": str(args.dicom)}, indent=None))


if __name__ == "__main__":
    main()
