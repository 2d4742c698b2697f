"""Lending the write lock to a worker (the window's long jobs that change a case)."""

from __future__ import annotations

import pytest

from twindesk.errors import ReadOnlyCaseError
from twindesk.model.case import Case


def make(tmp_path):
    case = Case.create(tmp_path / "c.twin")
    case.doc["patient"] = {"name": "LEND"}
    case.save("create", {})
    return case


def test_worker_commit_is_adopted_and_owner_is_read_only_meanwhile(tmp_path):
    owner = make(tmp_path)
    worker = owner.lend("busy: follow-up import")
    assert not owner.writable and owner.readonly_reason == "busy: follow-up import"
    with pytest.raises(ReadOnlyCaseError, match="busy: follow-up import"):
        owner.put_bytes("x", b"1", ".txt", "notes")
    # another process (or another open of the folder) still cannot take the lock
    other = Case.open(owner.path)
    assert not other.writable
    other.close()
    worker.doc["patient"]["name"] = "CHANGED"
    worker.put_bytes("notes", b"worker", ".txt", "notes")
    rev = worker.save("worker-step", {})
    assert owner.take_back(worker) is True
    assert owner.writable and not worker.writable
    assert owner.doc["revision"] == rev and owner.doc["patient"]["name"] == "CHANGED"
    assert owner.artifact_path("notes").read_bytes() == b"worker"
    owner.save("after", {})                      # the owner writes on top of the worker's
    assert [e["action"] for e in owner.audit_entries()] == ["create", "worker-step", "after"]
    owner.close()


def test_uncommitted_worker_changes_are_dropped(tmp_path):
    owner = make(tmp_path)
    before = dict(owner.doc)
    worker = owner.lend("busy")
    worker.doc["patient"]["name"] = "HALF-DONE"   # a job that failed before saving
    assert owner.take_back(worker) is False
    assert owner.doc == before and owner.writable
    owner.close()
    with Case.open(tmp_path / "c.twin", write=False) as case:
        assert case.doc["patient"]["name"] == "LEND"
