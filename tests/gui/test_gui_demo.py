"""``twindesk`` with no arguments opens the demo case, generating it on first use."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_idle


@pytest.mark.slow
def test_open_demo_generates_then_reuses(main_window, qtbot, monkeypatch, tmp_path):
    import twindesk.phantom.demo as demo

    folder = tmp_path / "user-demo"  # stands for the per-user demo folder
    monkeypatch.setattr(demo, "default_dir", lambda: folder)
    main_window.actions_by_id["file.demo"].trigger()
    assert main_window.jobs.busy and main_window.job_bar.isVisible()
    qtbot.waitUntil(lambda: main_window.state.has_volume and not main_window.jobs.busy,
                    timeout=900000)
    assert main_window.errors.history == []
    assert main_window.session.path == folder / demo.CASE_NAME
    size = demo.read_truth(folder)["image"]["size"]
    assert main_window.state.volume.shape == (size[2], size[1], size[0])
    # the next time the current demo is reused at once, not rebuilt
    main_window.close_case(ask=False)
    before = (folder / "truth.json").stat().st_mtime_ns
    main_window.open_demo()
    wait_idle(qtbot, main_window, 120000)
    assert main_window.session.path == folder / demo.CASE_NAME
    assert (folder / "truth.json").stat().st_mtime_ns == before
