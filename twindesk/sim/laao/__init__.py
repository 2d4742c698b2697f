"""Left atrial appendage occluder deployment: placement from the LAA analysis, the frame
mechanics of :mod:`twindesk.sim.mechanics`, and the occluder measurements
(:mod:`.metrics`); :mod:`.job` is the case job behind ``twindesk place --laa``."""
