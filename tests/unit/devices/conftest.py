"""Fixtures for device-library tests: a writable copy of the shipped device folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from twindesk.paths import resources_dir

SHIPPED = resources_dir() / "devices"


class DeviceDir:
    """A copy of ``resources/devices`` in tmp_path whose files tests may break."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name

    def edit(self, name: str, old: str, new: str, count: int = 1) -> None:
        """Replace ``old`` by ``new`` (must be present) in file ``name``."""
        p = self.path(name)
        text = p.read_text(encoding="utf-8")
        assert old in text, f"fixture text not found in {name}: {old!r}"
        p.write_text(text.replace(old, new, count), encoding="utf-8")

    def load(self, **kw):
        from twindesk.model.devices import load_library

        kw.setdefault("include_user", False)
        return load_library(shipped_dir=self.root, **kw)


@pytest.fixture
def device_dir(tmp_path) -> DeviceDir:
    root = tmp_path / "devices"
    shutil.copytree(SHIPPED, root)
    return DeviceDir(root)
