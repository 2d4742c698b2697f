"""Print the verification errors of the frame mechanics as one JSON line.

    python benchmarks/verify_mechanics.py

Runs every case of :mod:`twindesk.sim.mechanics.verification` (the validation tests
assert tolerances on the same numbers).
"""

from __future__ import annotations

import json
import time

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics import verification as v


def main() -> None:
    out = {}
    cases = {
        "free_release": v.free_release,
        "balloon_recoil": v.balloon_recoil,
        "rigid_cylinder_22mm": lambda: v.rigid_cylinder(22.0),
        "occluder_cylinder_22mm": lambda: v.occluder_cylinder(22.0),
        "refinement": v.refinement,
        "elliptical_tube_25x21": lambda: v.elliptical_tube(25.0, 21.0),
        **{f"fast_vs_full_se:{name}": (lambda n=name: v.fast_vs_full(n))
           for name in v.ANATOMIES},
        "fast_vs_full_be:elliptical asymmetric root":
            lambda: v.fast_vs_full("elliptical asymmetric root", generic.be_frame()),
    }
    for name, fn in cases.items():
        t = time.perf_counter()
        out[name] = fn()
        out[name]["case_seconds"] = time.perf_counter() - t
    print(json.dumps({"verification": "mechanics", "cases": out}, default=float))


if __name__ == "__main__":
    main()
