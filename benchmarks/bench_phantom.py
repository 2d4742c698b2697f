"""Demo phantom: generation time and size; DICOM writing against SimpleITK's own writer.

Usage::

    python benchmarks/bench_phantom.py [--repeat 5] [--voxel-mm 0.7]

Prints one JSON line: medians over ``--repeat`` runs of the phantom generation (wall and
CPU seconds, split into drawing / PSF+noise / truth), of ``write_series`` (pydicom, with the
gating tags) versus a bare SimpleITK ``ImageFileWriter`` slice-by-slice series write of the
same volume, and of the import of the series into a case versus a bare
``sitk.ImageSeriesReader`` read; plus the image and file sizes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def sitk_series_write(image, folder: Path) -> None:
    import SimpleITK as sitk

    folder.mkdir(parents=True, exist_ok=True)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for k in range(image.GetDepth()):
        sl = image[:, :, k]
        sl.SetMetaData("0008|0060", "CT")
        sl.SetMetaData("0020|0032", "\\".join(
            str(v) for v in image.TransformIndexToPhysicalPoint((0, 0, k))))
        sl.SetMetaData("0020|0013", str(k + 1))
        writer.SetFileName(str(folder / f"IM{k + 1:05d}.dcm"))
        writer.Execute(sl)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--voxel-mm", type=float, default=0.7)
    args = ap.parse_args(argv)

    import SimpleITK as sitk

    from twindesk.io.dicom.write import write_series
    from twindesk.model.ingest import import_source
    from twindesk.phantom import generate
    from twindesk.phantom.demo import _gating_tags
    from twindesk.phantom.params import PhantomParams

    params = PhantomParams().with_voxel(args.voxel_mm)
    gen_wall, gen_cpu, ours_w, raw_w, imp_w, read_w = [], [], [], [], [], []
    phases: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        marks = []
        ph, w, c = timed(lambda: generate.run(params, lambda f, m: marks.append(
            (time.process_time(), m))))
        gen_wall.append(w)
        gen_cpu.append(c)
        t = dict((m, tt) for tt, m in marks)
        phases.setdefault("draw_cpu_s", []).append(t["point-spread function and noise"] -
                                                   t["building the anatomy"])
        phases.setdefault("psf_noise_cpu_s", []).append(t["ground truth"] -
                                                        t["point-spread function and noise"])
        img = ph.image()
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _, w, _ = timed(lambda: write_series(img, tmp / "ours", extra=_gating_tags(params)))
            ours_w.append(w)
            _, w, _ = timed(lambda: sitk_series_write(img, tmp / "raw"))
            raw_w.append(w)
            dicom_bytes = sum(p.stat().st_size for p in (tmp / "ours").iterdir())

            def read():
                r = sitk.ImageSeriesReader()
                r.SetFileNames(r.GetGDCMSeriesFileNames(str(tmp / "ours")))
                return r.Execute()

            _, w, _ = timed(read)
            read_w.append(w)
            case, w, _ = timed(lambda: import_source(tmp / "ours", tmp / "c.twin"))
            case.close()
            imp_w.append(w)
    med = statistics.median
    out = {
        "benchmark": "phantom", "voxel_mm": args.voxel_mm, "repeat": args.repeat,
        "size": list(ph.grid.size_xyz), "voxels": int(ph.hu.size),
        "dicom_mb": round(dicom_bytes / 1e6, 1),
        "generate_wall_s": round(med(gen_wall), 2), "generate_cpu_s": round(med(gen_cpu), 2),
        **{k: round(med(v), 2) for k, v in phases.items()},
        "write_series_s": round(med(ours_w), 2), "sitk_series_write_s": round(med(raw_w), 2),
        "write_ratio": round(med(ours_w) / med(raw_w), 2),
        "import_s": round(med(imp_w), 2), "sitk_read_s": round(med(read_w), 2),
        "import_ratio": round(med(imp_w) / med(read_w), 2),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
