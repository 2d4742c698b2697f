"""README's two set-up commands and CI stay in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up on a fresh Debian/Ubuntu machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands), "each set-up command is one line"
    assert commands[0].startswith("bash scripts/setup.sh && ")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci


def test_setup_script_installs_what_the_tests_need():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    for pkg in ("xvfb", "libgl1-mesa-dri", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
                "poppler-utils", "dcmtk", "orthanc", "dicom3tools"):
        assert pkg in setup
    assert '-e ".[test]"' in setup
