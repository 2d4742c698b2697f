"""Child-process probe of OpenGL for ``twindesk doctor`` (no Qt).

Run as ``python -m twindesk.gl_probe`` (or ``twindesk -m twindesk.gl_probe`` in the bundle);
prints one JSON object with the OpenGL vendor, renderer and version of an off-screen VTK
render window. It runs in a child process because a missing GL library kills the process
(exit 139) without a Python error.
"""

from __future__ import annotations

import json


def gl_info() -> dict:
    """Vendor, renderer and version strings reported by VTK's OpenGL render window."""
    import vtkmodules.vtkRenderingOpenGL2  # noqa: F401 - registers the OpenGL factories
    from vtkmodules.vtkRenderingCore import vtkRenderWindow

    rw = vtkRenderWindow()
    rw.SetOffScreenRendering(1)
    rw.Render()
    caps = rw.ReportCapabilities()

    def get(key: str) -> str | None:
        return next((line.split(":", 1)[1].strip() for line in caps.splitlines()
                     if line.startswith(key)), None)

    info = {"backend": rw.GetClassName(), "vendor": get("OpenGL vendor string"),
            "renderer": get("OpenGL renderer string"), "version": get("OpenGL version string")}
    rw.Finalize()
    return info


def main() -> None:
    print(json.dumps(gl_info()))


if __name__ == "__main__":
    main()
