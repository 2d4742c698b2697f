"""Recovery snapshots: written beside the case, offered after a kill, never committed alone."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from twindesk.errors import CaseError
from twindesk.model import autosave
from twindesk.model.annotations import add_measurement, measurements, remove_measurement
from twindesk.model.case import Case


@pytest.fixture
def case_dir(tmp_path):
    path = tmp_path / "a.twin"
    with Case.create(path) as case:
        case.doc["patient"] = {"name": "ANON"}
        case.save("create")
    return path


def test_snapshot_offered_restored_and_discarded(case_dir):
    with Case.open(case_dir) as case:
        committed = json.loads((case_dir / "case.json").read_text())
        assert autosave.find_snapshot(case_dir, committed) is None
        add_measurement(case.doc, "distance", [[0, 0, 0], [3, 4, 0]], 5.0, "axial")
        autosave.write_snapshot(case)
    # the committed document is untouched by autosave
    assert json.loads((case_dir / "case.json").read_text()) == committed
    with Case.open(case_dir) as case:
        snap = autosave.find_snapshot(case_dir, case.doc)
        assert snap is not None and snap.base_revision == case.doc["revision"]
        autosave.restore_snapshot(case, snap)
        assert measurements(case.doc)[0]["value"] == 5.0
        case.save("recover")
        autosave.discard_snapshot(case_dir)
        assert autosave.find_snapshot(case_dir, case.doc) is None
        assert not (case_dir / ".autosave").exists()


def test_stale_or_unchanged_snapshot_is_not_offered(case_dir):
    with Case.open(case_dir) as case:
        autosave.write_snapshot(case)  # no changes
        assert autosave.find_snapshot(case_dir, case.doc) is None
        add_measurement(case.doc, "angle", [[1, 0, 0], [0, 0, 0], [0, 1, 0]], 90.0)
        autosave.write_snapshot(case)
        case.save("commit")  # committed after the snapshot: snapshot is now stale
        assert autosave.find_snapshot(case_dir, case.doc) is None
    (case_dir / ".autosave" / "snapshot.json").write_text("{torn")
    with Case.open(case_dir) as case:
        assert autosave.find_snapshot(case_dir, case.doc) is None


def test_snapshot_naming_missing_artefact_is_refused(case_dir):
    with Case.open(case_dir) as case:
        case.put_bytes("labels:aorta", b"x", ".bin", "labels")
        autosave.write_snapshot(case)
        path = case_dir / case.doc["artifacts"]["labels:aorta"]["path"]
        snap = autosave.find_snapshot(case_dir, json.loads((case_dir / "case.json").read_text()))
        path.unlink()
        before = dict(case.doc)
        with pytest.raises(CaseError, match="missing"):
            autosave.restore_snapshot(case, snap)
        assert case.doc == before


def test_killed_process_leaves_an_offer(case_dir):
    code = textwrap.dedent(f"""
        import os, signal
        from twindesk.model.case import Case
        from twindesk.model import autosave
        from twindesk.model.annotations import add_measurement
        case = Case.open({str(case_dir)!r})
        add_measurement(case.doc, "distance", [[0, 0, 0], [0, 0, 7]], 7.0)
        autosave.write_snapshot(case)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with Case.open(case_dir) as case:
        assert case.writable  # the lock died with the process
        snap = autosave.find_snapshot(case_dir, case.doc)
        assert measurements(snap.doc)[0]["value"] == 7.0


def test_annotations_records():
    doc = {}
    m1 = add_measurement(doc, "distance", [[0, 0, 0], [1, 0, 0]], 1.0)
    m2 = add_measurement(doc, "angle", [[1, 0, 0], [0, 0, 0], [0, 1, 0]], 90.0)
    assert (m1["id"], m2["id"], m2["unit"]) == (1, 2, "deg")
    remove_measurement(doc, 1)
    assert [m["id"] for m in measurements(doc)] == [2]
    with pytest.raises(Exception, match="needs 2"):
        add_measurement(doc, "distance", [[0, 0, 0]], 0.0)
