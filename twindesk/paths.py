"""Where things live: bundled resources and per-user folders.

The program never writes into its install folder. Resources are found the same way from a
source checkout, an installed wheel and a PyInstaller bundle. User folders come from
platformdirs and can be redirected (tests, portable installs) with ``TWINDESK_HOME``.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

APP_NAME = "twindesk"


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """Folder holding ``devices/``, ``presets/``, ``icons/`` (read-only).

    In order: the PyInstaller bundle's ``resources`` folder; the source checkout's
    ``resources/`` (editable installs); the ``twindesk_resources`` data package that wheels
    ship (``setup.py`` maps ``resources/`` to it).
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    source = Path(__file__).resolve().parent.parent / "resources"
    if source.is_dir():
        return source
    return installed_resources_dir()


def installed_resources_dir() -> Path:
    """``resources/`` as installed from a wheel (the ``twindesk_resources`` package)."""
    import importlib.util

    from twindesk.errors import ResourceError

    spec = importlib.util.find_spec("twindesk_resources")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ResourceError("twindesk's resources (device library, presets) are not installed",
                            "reinstall twindesk: pip install --force-reinstall twindesk")
    return Path(locations[0])


def _user_root() -> Path | None:
    home = os.environ.get("TWINDESK_HOME")
    return Path(home) if home else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_data_dir() -> Path:
    """Per-user data: demo case, DICOM inbox, user devices."""
    root = _user_root()
    if root:
        return _ensure(root / "data")
    import platformdirs

    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def user_config_dir() -> Path:
    """Per-user settings (window state, recent cases)."""
    root = _user_root()
    if root:
        return _ensure(root / "config")
    import platformdirs

    return _ensure(Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))


def user_cache_dir() -> Path:
    root = _user_root()
    if root:
        return _ensure(root / "cache")
    import platformdirs

    return _ensure(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def user_log_dir() -> Path:
    root = _user_root()
    if root:
        return _ensure(root / "logs")
    import platformdirs

    return _ensure(Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)))


def user_devices_dir() -> Path:
    """Site-specific device families that add to or override the shipped library."""
    return _ensure(user_data_dir() / "devices")


def demo_case_dir() -> Path:
    """Where ``twindesk`` with no arguments keeps the generated demo case."""
    return user_data_dir() / "demo" / "demo.twin"


def shared_data_dir() -> Path | None:
    """The developers' shared real-data folder, if present (tests and benchmarks only)."""
    env = os.environ.get("TWINDESK_SHARED_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve().parent.parent
    candidates += [here.parent / "shared" / "data", here.parent.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None
