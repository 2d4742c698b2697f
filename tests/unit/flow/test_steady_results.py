"""Listing the steady 3D flow results a case indexes (no case needed: the artefact index)."""

from twindesk.sim.flow.results import SteadyResult, steady_results


def test_order_and_parsing():
    doc = {"artifacts": {k: {} for k in (
        "result:flow:post:mean", "result:flow:baseline:peak", "result:flow:baseline:mean",
        "result:flow:baseline:mean:summary", "result:flow:post:sideways",
        "result:flow::mean", "result:pulsatile:baseline", "mesh:aorta",
        "result:flow:a:b:peak")}}
    got = steady_results(doc)
    assert got == [SteadyResult("baseline", "mean"), SteadyResult("baseline", "peak"),
                   SteadyResult("a:b", "peak"), SteadyResult("post", "mean")]
    assert got[0].key == "result:flow:baseline:mean"
    assert got[0].summary_key == "result:flow:baseline:mean:summary"
    assert got[1].label == "baseline – steady peak flow"
    assert steady_results(doc, "post") == [SteadyResult("post", "mean")]
    assert steady_results({}) == []
