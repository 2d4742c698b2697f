"""Shared fixtures: isolated user folders, the CLI runner, real-data locations."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own per-user folders (settings, inbox, demo case)."""
    home = tmp_path_factory.mktemp("twindesk-home")
    monkeypatch.setenv("TWINDESK_HOME", str(home))
    yield home


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture
def run_cli():
    """Run ``twindesk`` in-process; with ``--json`` the output is validated against its schema."""
    from twindesk.cli import main
    from twindesk.schemas import validate

    def run(*argv: str, schema: str | None = None) -> CliRun:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in argv])
        result = CliRun(code, out.getvalue(), err.getvalue())
        if code == 0 and "--json" in argv:
            name = schema or next(str(a) for a in argv if not str(a).startswith("-"))
            validate(name, result.json)
        return result

    return run


def shared_data(*parts: str) -> Path:
    """A path under ``../shared/data``; skips the test with a message when absent."""
    from twindesk.paths import shared_data_dir

    root = shared_data_dir()
    path = root.joinpath(*parts) if root else None
    if path is None or not path.exists():
        pytest.skip(f"shared real data not present ({'/'.join(parts)}); "
                    "set TWINDESK_SHARED_DATA to the shared/data folder to run this test")
    return path


@pytest.fixture
def cta_dicom_dir() -> Path:
    return shared_data("ct_chest_cta", "dicom")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@dataclass
class DemoPhantom:
    """The demo phantom written by ``twindesk demo`` (see cases/README.md)."""

    dir: Path
    case_path: Path
    labels_path: Path
    dicom_dir: Path
    truth_path: Path

    @property
    def truth(self) -> dict:
        """The ground truth (LPS mm); a fresh copy on each access, so tests may modify it."""
        return json.loads(self.truth_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_phantom(tmp_path_factory) -> DemoPhantom:
    """The demo phantom at its default resolution (0.7 mm voxels, exactly what the app opens),
    generated once per test session: about 20 s of CPU (DICOM series, labels, truth, case)."""
    from twindesk.phantom.demo import DemoParams, run

    result = run(DemoParams(tmp_path_factory.mktemp("demo-phantom")))
    return DemoPhantom(result.dir, result.case_path, result.labels_path, result.dicom_dir,
                       result.truth_path)


@dataclass
class SteadyFlowCase:
    """A synthetic arch case holding the baseline's steady 3D flow at mean and peak flow."""

    path: Path
    outputs: dict  # "mean" / "peak" → the command's --json output (schema-validated)


@pytest.fixture(scope="session")
def steady_flow_case(tmp_path_factory) -> SteadyFlowCase:
    """The synthetic aortic arch (``ArchParams(n_core=3)``: 7,290 tetrahedra, cardiac output
    0.5 L/min) solved by the real ``twindesk flow --json --in-process`` at mean and at peak
    flow, once per session (about 8 s). Tests copy the folder before changing it."""
    from twindesk.cli import main
    from twindesk.geometry.tube_mesh import ArchParams
    from twindesk.schemas import validate
    from twindesk.sim.flow.synthetic import make_synthetic_aorta_case

    root = tmp_path_factory.mktemp("steady-flow")
    path = root / "arch.twin"
    make_synthetic_aorta_case(path, ArchParams(n_core=3), {"cardiac_output_l_min": 0.5})
    outputs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TWINDESK_HOME", str(root / "home"))
        for flow in ("mean", "peak"):
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                code = main(["flow", str(path), "--flow", flow, "--json", "--in-process"])
            assert code == 0, err.getvalue()
            outputs[flow] = json.loads(out.getvalue())
            validate("flow", outputs[flow])
    return SteadyFlowCase(path, outputs)
