"""Build the one-folder bundle: ``.venv/bin/python packaging/build.py``.

Runs PyInstaller on ``packaging/twindesk.spec`` (needs the ``package`` extra:
``pip install -e ".[package]"``) and writes ``dist/twindesk/`` plus a JSON build report
(``dist/twindesk-build.json``: size in MB, build time, the largest parts) that it also prints.
The program in the bundle is ``dist/twindesk/twindesk``; copy the whole folder anywhere
(no admin rights needed) and run it from there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE_LIMIT_MB = 800.0


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under ``folder`` (symbolic links not followed twice)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest_parts(internal: Path, n: int = 12) -> list[dict]:
    """The top-level entries of the bundle's ``_internal`` folder by size."""
    sizes = []
    for p in internal.iterdir():
        b = folder_bytes(p) if p.is_dir() else p.lstat().st_size
        sizes.append({"name": p.name, "mb": round(b / 1e6, 1)})
    return sorted(sizes, key=lambda d: -d["mb"])[:n]


def strip_binaries(internal: Path) -> dict:
    """``strip --strip-unneeded`` the files matching ``trim.STRIP_PATTERNS``; returns the
    number of files and megabytes saved (nothing when binutils' strip is missing)."""
    import fnmatch
    import shutil

    sys.path.insert(0, str(ROOT / "packaging"))
    import trim

    exe = shutil.which("strip")
    if exe is None:
        return {"files": 0, "saved_mb": 0.0, "note": "strip not found (binutils)"}
    saved, count = 0, 0
    for p in internal.rglob("*"):
        rel = p.relative_to(internal).as_posix()
        if p.is_symlink() or not p.is_file() or not any(
                fnmatch.fnmatch(rel, pat) for pat in trim.STRIP_PATTERNS):
            continue
        before = p.stat().st_size
        p.chmod(p.stat().st_mode | 0o200)
        if subprocess.run([exe, "--strip-unneeded", str(p)]).returncode == 0:
            saved += before - p.stat().st_size
            count += 1
    return {"files": count, "saved_mb": round(saved / 1e6, 1)}


def build(dist: Path, work: Path) -> dict:
    """Run PyInstaller; return the build report."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" /
                                                               "twindesk.spec")]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"build: PyInstaller failed (exit {proc.returncode})")
    bundle = dist / "twindesk"
    stripped = strip_binaries(bundle / "_internal")
    seconds = time.monotonic() - t0
    size_mb = folder_bytes(bundle) / 1e6
    return {"bundle": str(bundle), "executable": str(bundle / "twindesk"),
            "size_mb": round(size_mb, 1), "size_limit_mb": SIZE_LIMIT_MB,
            "build_seconds": round(seconds, 1), "python": sys.version.split()[0],
            "stripped": stripped,
            "largest": largest_parts(bundle / "_internal")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                   help="PyInstaller's work folder")
    args = p.parse_args(argv)
    report = build(args.dist.resolve(), args.work.resolve())
    (args.dist / "twindesk-build.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report))
    if report["size_mb"] > SIZE_LIMIT_MB:
        print(f"build: bundle is {report['size_mb']} MB, over {SIZE_LIMIT_MB:.0f} MB",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
