"""Virtual cohorts and in-silico trials (Qt-free).

* :mod:`.variables` — what may vary (geometry, clinical targets, 0D parameters) and Latin
  hypercube sampling;
* :mod:`.scaling` — isotropic scaling of a twin's anatomy about the annulus centre;
* :mod:`.make` — ``twindesk cohort make``: one case folder per twin plus a manifest;
* :mod:`.plan` — a trial plan (calibrate, size, simulate0d …) and running it on one twin;
* :mod:`.runner` — ``twindesk cohort run``: the plan over every twin on Dask (LocalCluster
  or a scheduler), resumable, failures per twin;
* :mod:`.table` — results table (CSV, Parquet), summary statistics and plots.
"""
