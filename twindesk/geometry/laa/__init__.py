"""Left atrial appendage analysis for occlusion planning.

* :mod:`.region` — the appendage separated from the atrial body;
* :mod:`.ostium` — rim, ostium plane and the appendage lumen closed across its orifice;
* :mod:`.shape` — axis, depths, bend, lobes and the morphology class;
* :mod:`.analysis` — everything together with intervals (:mod:`.intervals`);
* :mod:`.job` — the case job behind ``twindesk laa``.
"""
