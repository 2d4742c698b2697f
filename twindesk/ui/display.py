"""Finding a display for Qt + VTK: use the desktop's, or start a private Xvfb.

VTK widgets do not render on Qt's ``offscreen`` platform, so headless screenshots need an X
server; :func:`ensure_display` starts ``Xvfb`` (letting it choose a free display number) and
stops it when the process exits. This module imports no Qt.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess

from twindesk.errors import TwindeskError

XVFB_SCREEN = "2560x1600x24"
START_TIMEOUT_S = 10.0


class DisplayError(TwindeskError):
    """No display is available for the window or the renderer."""


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


_started: list[subprocess.Popen] = []


def started_virtual_display() -> bool:
    """True when this process started its own Xvfb (it dies when the process exits)."""
    return bool(_started)


def ensure_display(allow_virtual: bool) -> str | None:
    """Make sure Qt can open windows. Returns the display name used, if any.

    Parameters
    ----------
    allow_virtual
        Start a private Xvfb when there is no display (screenshots). The interactive window
        refuses instead, with a hint.
    """
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        if not allow_virtual:
            return None
        os.environ.pop("QT_QPA_PLATFORM")  # VTK needs a real (virtual) X display
    if has_display():
        return os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not allow_virtual:
        raise DisplayError("no display: DISPLAY is not set",
                           "run twindesk on a desktop session, or use 'twindesk screenshot' "
                           "for headless rendering")
    return start_xvfb()


def start_xvfb() -> str:
    """Start ``Xvfb`` on a free display, export ``DISPLAY`` and stop it at exit."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise DisplayError("no display and no Xvfb to start one",
                           "install the xvfb package (apt-get install xvfb) or run on a desktop")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write_fd), "-screen", "0", XVFB_SCREEN,
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = _read_display_number(read_fd, proc)
    atexit.register(_stop, proc)
    _started.append(proc)
    os.environ["DISPLAY"] = f":{number}"
    return os.environ["DISPLAY"]


def _read_display_number(fd: int, proc: subprocess.Popen) -> str:
    import select

    data = b""
    try:
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], START_TIMEOUT_S)
            chunk = os.read(fd, 16) if ready else b""
            if not chunk:
                _stop(proc)
                raise DisplayError("Xvfb did not start", "check that Xvfb runs: Xvfb :99")
            data += chunk
    finally:
        os.close(fd)
    return data.decode().strip()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
