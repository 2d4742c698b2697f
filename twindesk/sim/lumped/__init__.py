"""Lumped (0D) model of the left heart and systemic circulation.

Public entry points:

* :func:`~twindesk.sim.lumped.periodic.solve_periodic` — periodic steady state of a
  :class:`~twindesk.sim.lumped.params.Circulation`;
* :func:`~twindesk.sim.lumped.calibration.calibrate` — fit to clinical measurements;
* :func:`outlet_rcr` — per-outlet Windkessels (SI) for the 3D flow boundary conditions, from
  :func:`calibrated_windkessel` of a case document and the outlet areas;
* :mod:`twindesk.sim.lumped.jobs` — ``simulate0d`` / ``calibrate`` on a case.
"""

from twindesk.sim.lumped.outlets import flow_fractions, outlet_rcr, outlet_rcr_table
from twindesk.sim.lumped.params import Circulation, Windkessel
from twindesk.sim.lumped.store import calibrated_windkessel

__all__ = ["Circulation", "Windkessel", "calibrated_windkessel", "flow_fractions",
           "outlet_rcr", "outlet_rcr_table"]
