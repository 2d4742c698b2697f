"""Software versions stored with every flow result so a report can cite them."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("numpy", "scipy", "scikit-fem", "pyamg", "meshio", "vtk", "matplotlib")


def software_versions() -> dict[str, str]:
    """Versions of twindesk, Python and the numerical libraries in use."""
    from twindesk import __version__

    out = {"twindesk": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
