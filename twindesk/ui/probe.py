"""Child-process probe of Qt and OpenGL for ``twindesk doctor``.

Run as ``python -m twindesk.ui.probe``; prints one JSON object. It runs in a child process
because a missing GL or xcb library kills the process (exit 139) without a Python error.
"""

from __future__ import annotations

import json
import sys


def qt_info() -> dict:
    import PySide6
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    return {"qt_version": PySide6.__version__, "platform_plugin": app.platformName()}


def main() -> None:
    print(json.dumps(qt_info()))


if __name__ == "__main__":
    main()
