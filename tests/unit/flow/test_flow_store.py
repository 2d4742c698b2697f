"""Storing a steady 3D flow solve (``twindesk.sim.flow.store.run_steady``): a solve that
finds no steady state or is cancelled leaves the case exactly as it was."""

from __future__ import annotations

import shutil

import pytest

from twindesk.errors import Cancelled, SolverError
from twindesk.jobs import CancelToken
from twindesk.model.case import Case
from twindesk.sim.flow.case_flow import CaseFlowParams
from twindesk.sim.flow.steady import NO_STEADY_STATE_HINT
from twindesk.sim.flow.store import run_steady


@pytest.fixture
def arch(steady_flow_case, tmp_path):
    path = tmp_path / "arch.twin"
    shutil.copytree(steady_flow_case.path, path)
    return path


def _state(path):
    return (path / "case.json").read_bytes(), sorted(p.name for p in path.rglob("*"))


def test_no_steady_state_stores_nothing(arch):
    before = _state(arch)
    with Case.open(arch, write=True) as case:
        doc = repr(case.doc)
        # one nonlinear iteration cannot reach the tolerance: the solver's "no steady state"
        params = CaseFlowParams(str(arch), scenario="baseline", flow="peak", max_iterations=1)
        with pytest.raises(SolverError) as err:
            run_steady(case, params, in_process=True)
        assert err.value.hint == NO_STEADY_STATE_HINT
        assert repr(case.doc) == doc
    assert _state(arch) == before


def test_cancel_kills_the_child_and_stores_nothing(arch):
    before = _state(arch)
    cancel = CancelToken()
    seen = []

    def progress(fraction, message=""):
        seen.append(fraction)
        if fraction >= 0.1:  # inside the solve
            cancel.cancel()

    with Case.open(arch, write=True) as case:
        doc = repr(case.doc)
        with pytest.raises(Cancelled):
            run_steady(case, CaseFlowParams(str(arch), flow="mean"), progress, cancel)
        assert repr(case.doc) == doc
    assert max(seen) < 0.9 and _state(arch) == before
