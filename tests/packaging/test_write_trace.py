"""The smoke test's reading of strace output: which calls count as writing into the install
folder (lines in the format of ``strace -f -y``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import smoke_test  # noqa: E402

B = "/opt/twindesk"
LINES = [
    # reads of the bundle: not writes
    f'101 openat(AT_FDCWD</home/u>, "{B}/_internal/base_library.zip", O_RDONLY|O_CLOEXEC)'
    f' = 3<{B}/_internal/base_library.zip>',
    f'101 openat(AT_FDCWD</home/u>, "{B}/_internal", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY)'
    f' = 3<{B}/_internal>',
    # writes elsewhere while the bundle is the working directory's neighbour: not counted
    f'102 openat(AT_FDCWD<{B}>, "/home/u/.cache/twindesk/x.json", O_WRONLY|O_CREAT|O_TRUNC,'
    ' 0666) = 4</home/u/.cache/twindesk/x.json>',
    # writes into the bundle: counted (absolute, relative to a directory fd, mkdir, rename)
    f'103 openat(AT_FDCWD</home/u>, "{B}/_internal/cache.bin", O_WRONLY|O_CREAT|O_TRUNC,'
    f' 0666) = 5<{B}/_internal/cache.bin>',
    f'104 openat(7<{B}/_internal/matplotlib>, "fontlist.json", O_RDWR|O_CREAT, 0644)'
    ' = -1 EACCES (Permission denied)',
    f'105 mkdir("{B}/_internal/__pycache__", 0777) = -1 EEXIST (File exists)',
    f'106 rename("/tmp/a", "{B}/settings.ini") = 0',
    '107 unlinkat(AT_FDCWD</tmp>, "/tmp/twindesk-x/lock", 0) = 0',
]


def test_only_calls_that_change_the_install_folder_count(tmp_path):
    trace = tmp_path / "t.strace"
    trace.write_text("\n".join(LINES) + "\n")
    found = smoke_test.writes_into(trace, Path(B))
    assert [line.split()[0] for line in found] == ["103", "104", "105", "106"]


def test_traced_command_names_the_calls():
    cmd = smoke_test.traced(["twindesk", "doctor"], Path("/tmp/x.strace"))
    assert cmd[0] == "strace" and cmd[-2:] == ["twindesk", "doctor"]
    assert "openat" in cmd[cmd.index("-e") + 1] and smoke_test.traced(["a"], None) == ["a"]
