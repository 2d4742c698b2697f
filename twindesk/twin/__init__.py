"""The twin over time (Qt-free): what makes it a digital twin rather than a one-off model.

* :mod:`~twindesk.twin.clinical` — clinical data attached to the case (observations,
  genomic flags, vitals for the 0D calibration, :func:`~twindesk.twin.clinical.latest_vitals`);
* :mod:`twindesk.model.versions` — every state is a version (record, diff, revert); it lives
  in ``model`` so lower rooms can record versions too;
* :mod:`~twindesk.twin.timeline` — everything in time order;
* :mod:`~twindesk.twin.followup` — follow-up CT: native measurement
  (:mod:`~twindesk.twin.diameter`), rigid alignment (:mod:`~twindesk.twin.registration`),
  growth;
* :mod:`~twindesk.twin.recalibration` — new vitals refit the 0D model;
* :mod:`~twindesk.twin.accuracy` — predicted vs observed, per twin and per cohort;
* :mod:`~twindesk.twin.watch` — near-real-time trajectory against the twin's band
  (planning support, not patient monitoring).
"""
