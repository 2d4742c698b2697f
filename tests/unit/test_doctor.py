"""``twindesk doctor``: every check reported, problems come with advice."""

from __future__ import annotations

import socket

from twindesk import doctor


def test_doctor_json_without_graphics(run_cli):
    r = run_cli("doctor", "--no-graphics", "--json")
    assert r.code == 0, r.err
    d = r.json
    names = {c["name"] for c in d["checks"]}
    assert {"folders", "disk", "memory", "cpu", "libraries", "dicom_port"} <= names
    assert d["cpu_count"] >= 1 and d["memory_gb"] > 0 and d["disk_free_gb"] > 0
    assert d["versions"]["SimpleITK"] and d["versions"]["vtk"]
    assert all(v["writable"] for v in d["directories"].values())
    for c in d["checks"]:
        if c["status"] != "ok":
            assert c["advice"], c


def test_opengl_probe_reports_renderer():
    info, check = doctor.probe_opengl()
    assert check["status"] in ("ok", "warning"), check
    assert info["renderer"] and info["version"]


def test_qt_probe_without_display_gives_advice(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    info, check = doctor.probe_qt()
    assert check["status"] == "problem"
    assert "Xvfb" in check["advice"]


def test_qt_probe_offscreen_is_a_warning(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    info, check = doctor.probe_qt()
    assert info["platform_plugin"] == "offscreen" and check["status"] == "warning"


def test_crashing_probe_is_reported_not_fatal():
    info, why = doctor._child_json(
        ["-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"], 30)
    assert info is None and "segmentation fault" in why


def test_busy_port_is_reported_with_advice():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        info, check = doctor.check_port(port)
    assert info == {"port": port, "host": "127.0.0.1", "free": False}
    assert check["status"] == "warning" and f"--port {port + 1}" in check["advice"]
