"""Frame mechanics: transcatheter valve frames and LAA occluders deployed in tissue.

Two fidelities that agree (see ``tests/validation/test_mechanics_*``):

* full model — a co-rotational beam network with fibre sections (cobalt–chromium
  elastic-plastic, nitinol superelastic), crimped and released (or balloon-expanded) in
  the lumen surface with an elastic foundation and penalty contact (:mod:`.deploy`);
* fast model — the same lattice reduced to its vertices with a path-independent law
  fitted to the radial-force curve (:mod:`.fast`).

Start with :func:`twindesk.sim.mechanics.api.place` and
:func:`twindesk.sim.mechanics.api.report`; measurements live in :mod:`.metrics`.
"""

from twindesk.sim.mechanics.params import (Device, ElasticPlastic, FrameSize, FrameSpec,
                                           OccluderSize, Placement, SolverOptions,
                                           Superelastic, TissueModel, material_from_dict)

__all__ = ["Device", "ElasticPlastic", "FrameSize", "FrameSpec", "OccluderSize", "Placement",
           "SolverOptions", "Superelastic", "TissueModel", "material_from_dict"]
