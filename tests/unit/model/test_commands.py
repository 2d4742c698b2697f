"""Undoable commands stored in the case document."""

from __future__ import annotations

import pytest

from twindesk.errors import CaseError
from twindesk.model import commands
from twindesk.model.case import Case


@pytest.fixture
def case(tmp_path):
    c = Case.create(tmp_path / "c.twin")
    c.save("create")
    yield c
    c.close()


def test_pointer_escapes_and_round_trips():
    doc = {}
    path = commands.pointer("landmarks", "a/b~c")
    assert path == "/landmarks/a~1b~0c"
    commands.set_value(doc, path, [1.0, 2.0, 3.0])
    assert doc == {"landmarks": {"a/b~c": [1.0, 2.0, 3.0]}}
    assert commands.get_value(doc, path) == [1.0, 2.0, 3.0]
    assert commands.get_value(doc, "/landmarks/missing") == commands.ABSENT


def test_apply_undo_redo_restores_exact_values(case):
    p = commands.pointer("landmarks", "hinge_left")
    commands.apply(case, "place left hinge", {p: [1.0, 2.0, 3.0]})
    commands.apply(case, "move left hinge", {p: [1.5, 2.0, 3.0]})
    assert case.doc["landmarks"]["hinge_left"] == [1.5, 2.0, 3.0]
    assert commands.undo(case)["label"] == "move left hinge"
    assert case.doc["landmarks"]["hinge_left"] == [1.0, 2.0, 3.0]
    assert commands.undo(case)["label"] == "place left hinge"
    assert "hinge_left" not in case.doc["landmarks"]  # absent again, not null
    assert commands.undo(case) is None
    assert commands.redo(case)["label"] == "place left hinge"
    assert case.doc["landmarks"]["hinge_left"] == [1.0, 2.0, 3.0]
    assert commands.summary(case.doc) == {"undo_count": 1, "redo_count": 1,
                                          "next_undo": "place left hinge",
                                          "next_redo": "move left hinge"}


def test_history_survives_reopening(tmp_path):
    path = tmp_path / "c.twin"
    with Case.create(path) as c:
        commands.apply(c, "device pose", {"/device/pose": {"depth_mm": 4.0}})
        commands.apply(c, "device pose", {"/device/pose": {"depth_mm": 6.0}})
        c.save("edit")
    with Case.open(path) as c:
        commands.undo(c)
        c.save("undo")
    with Case.open(path) as c:
        assert c.doc["device"]["pose"] == {"depth_mm": 4.0}
        assert commands.summary(c.doc)["redo_count"] == 1
        commands.redo(c)
        assert c.doc["device"]["pose"] == {"depth_mm": 6.0}


def test_new_command_clears_redo_and_noop_is_not_recorded(case):
    commands.apply(case, "a", {"/x": 1})
    commands.undo(case)
    assert commands.summary(case.doc)["redo_count"] == 1
    commands.apply(case, "b", {"/x": 2})
    assert commands.summary(case.doc)["redo_count"] == 0
    assert commands.apply(case, "same value", {"/x": 2}) is None
    assert commands.summary(case.doc)["undo_count"] == 1  # only "b"


def test_undo_refuses_when_changed_outside_history(case):
    commands.apply(case, "set", {"/x": 1})
    case.doc["x"] = 99  # someone changed it without a command
    with pytest.raises(CaseError, match="changed outside the edit history"):
        commands.undo(case)
    assert case.doc["x"] == 99  # nothing lost


def test_recording_rolls_back_on_error(case):
    with pytest.raises(RuntimeError):
        with commands.recording(case, "broken", ["/y"]):
            case.doc["y"] = 5
            raise RuntimeError("boom")
    assert "y" not in case.doc
    assert commands.summary(case.doc)["undo_count"] == 0


def test_undo_stack_is_bounded(case):
    for k in range(commands.MAX_UNDO + 5):
        commands.apply(case, f"step {k}", {"/n": k})
    assert commands.summary(case.doc)["undo_count"] == commands.MAX_UNDO
