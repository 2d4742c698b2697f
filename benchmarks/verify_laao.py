"""LAAO verification numbers (prints one JSON line): occluder in rigid circular and
elliptical tubes (fast and full models), frame refinement, shoulder protrusion against
implant depth, and — with ``--phantom DIR`` (a folder written by ``twindesk demo``) — the
demo phantom's appendage analysis against its ground truth.

Usage: ``python benchmarks/verify_laao.py [--phantom DIR]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def phantom(folder: Path) -> dict:
    import SimpleITK as sitk

    from twindesk.geometry.laa.analysis import LAAParams, analyse
    from twindesk.imaging.grid import Grid, array

    truth = json.loads((folder / "truth.json").read_text())["laa"]
    img = sitk.ReadImage(str(folder / "labels.mha"))
    lab = array(img)
    d = analyse((lab == 3) | (lab == 4), Grid.of(img),
                LAAParams(landing_zones=(("laao-flxlike", 2.0),))).data
    o, t = d["ostium"], truth["ostium"]
    out = {f"ostium_{k.removesuffix('_mm')}_error_mm": o[k]["value"] - t[k]
           for k in ("min_diameter_mm", "max_diameter_mm", "mean_diameter_mm",
                     "perimeter_mm")}
    out["ostium_area_error_pct"] = 100 * (o["area_mm2"]["value"] / t["area_mm2"] - 1)
    out["depth_error_mm"] = d["depth_mm"]["value"] - truth["depth_mm"]
    out["bend_error_deg"] = d["bend_deg"]["value"] - truth["bend_deg"]
    out["morphology"] = d["morphology"]
    out["lobes"] = d["lobe_count"]
    return out


def main() -> None:
    from twindesk.sim.laao import verification as v

    ap = argparse.ArgumentParser()
    ap.add_argument("--phantom", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {"cylinder_fast": v.cylinder(22.0, "fast"), "cylinder_full": v.cylinder(22.0, "full"),
           "elliptical": v.elliptical(25.0, 19.0), "refinement": v.refinement(),
           "shoulder_vs_depth": v.shoulder_vs_depth()}
    if args.phantom:
        out["phantom"] = phantom(args.phantom)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
