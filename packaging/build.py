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
import os
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


def _is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def _has_symbol_table(readelf: str, path: Path) -> bool:
    out = subprocess.run([readelf, "-S", "-W", str(path)], capture_output=True, text=True)
    return " .symtab " in out.stdout


def _loads(path: Path, internal: Path) -> bool:
    """Whether the dynamic loader accepts ``path`` (dlopen in a fresh interpreter, with the
    bundle's libraries on the search path as the bootloader sets it)."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    proc = subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])",
                           str(path)], env=env, capture_output=True)
    return proc.returncode == 0


def strip_binaries(internal: Path) -> dict:
    """``strip --strip-unneeded`` every ELF file that still has a symbol table, keeping the
    stripped copy only when it still loads (see ``trim.STRIP``). Returns the files stripped,
    the files kept as they were (stripping broke them) and the megabytes saved."""
    import shutil

    strip, readelf = shutil.which("strip"), shutil.which("readelf")
    if strip is None or readelf is None:
        return {"files": 0, "saved_mb": 0.0, "note": "strip/readelf not found (binutils)"}
    saved, stripped, refused = 0, 0, []
    for p in sorted(internal.rglob("*")):
        if p.is_symlink() or not p.is_file() or not _is_elf(p) or not _has_symbol_table(
                readelf, p):
            continue
        trial = p.with_name(p.name + ".stripping")
        if subprocess.run([strip, "--strip-unneeded", "-o", str(trial), str(p)],
                          capture_output=True).returncode != 0:
            trial.unlink(missing_ok=True)
            refused.append(str(p.relative_to(internal)))
            continue
        trial_name = p.with_name(p.name + ".original")
        p.rename(trial_name)  # the trial loads under the real name ($ORIGIN, sonames)
        trial.rename(p)
        if _loads(p, internal):
            saved += trial_name.stat().st_size - p.stat().st_size
            stripped += 1
            trial_name.unlink()
        else:
            p.unlink()
            trial_name.rename(p)
            refused.append(str(p.relative_to(internal)))
    return {"files": stripped, "saved_mb": round(saved / 1e6, 1), "kept_unstripped": refused}


def deduplicate(internal: Path) -> dict:
    """Replace identical copies of a shared library (PyInstaller copies e.g. libgfortran into
    both ``numpy.libs`` and ``scipy.libs``) by relative symbolic links to the first copy;
    the loader then maps one file. Returns the files linked and the megabytes saved."""
    import hashlib

    by_key: dict[tuple[int, str], Path] = {}
    linked, saved = 0, 0
    for p in sorted(internal.rglob("*.so*")):
        if p.is_symlink() or not p.is_file():
            continue
        size = p.stat().st_size
        if size < 100_000:
            continue
        key = (size, hashlib.sha256(p.read_bytes()).hexdigest())
        first = by_key.setdefault(key, p)
        if first is p:
            continue
        p.unlink()
        p.symlink_to(os.path.relpath(first, p.parent))
        linked += 1
        saved += size
    return {"files": linked, "saved_mb": round(saved / 1e6, 1)}


#: Libraries nothing in the bundle links to but that must stay: the bootloader opens
#: libpython by name; the system's X11/GL client libraries (libxcb, Mesa/GLVND) link the X
#: helpers and, through the loader path, get the bundle's copies (seen in strace).
DLOPENED_BY_NAME = ("libpython", "libX", "libxcb", "libbsd", "libmd.")


def _elf_dynamic(readelf: str, path: Path) -> tuple[list[str], str | None]:
    """DT_NEEDED names and DT_SONAME of an ELF file."""
    out = subprocess.run([readelf, "-d", "-W", str(path)], capture_output=True, text=True).stdout
    needed, soname = [], None
    for line in out.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.rsplit("[", 1)[1].rstrip("]"))
        elif "(SONAME)" in line:
            soname = line.rsplit("[", 1)[1].rstrip("]")
    return needed, soname


def prune_orphans(internal: Path) -> dict:
    """Delete the shared libraries nothing in the bundle links to (DT_NEEDED), repeated
    until none is left: the dependencies of plugins that ``trim.EXCLUDED_FILES`` dropped
    after the analysis had collected them (the GTK theme's GIO, the TLS plugin's QtNetwork
    with Kerberos). Only plain libraries in the top folder and Qt's ``lib`` folder qualify;
    Python extension modules and Qt plugins are loaded by path and stay."""
    import shutil

    readelf = shutil.which("readelf")
    if readelf is None:
        return {"files": [], "saved_mb": 0.0, "note": "readelf not found (binutils)"}
    removed, saved = [], 0
    while True:
        elves = [p for p in internal.rglob("*") if p.is_file() and not p.is_symlink()
                 and _is_elf(p)]
        needed: set[str] = set()
        sonames: dict[Path, str | None] = {}
        for p in elves:
            deps, sonames[p] = _elf_dynamic(readelf, p)
            needed.update(deps)
        # a library is reachable under its own name, its soname or a symlink to it
        aliases: dict[Path, set[str]] = {}
        for link in internal.rglob("*"):
            if link.is_symlink() and link.exists():
                aliases.setdefault(link.resolve(), set()).add(link.name)
        orphans = []
        for p in elves:
            folder_ok = p.parent == internal or p.parent == internal / "PySide6/Qt/lib"
            if not folder_ok or not p.name.startswith("lib") or ".cpython-" in p.name \
                    or p.name.endswith(".abi3.so") or p.name.startswith(DLOPENED_BY_NAME):
                continue
            names = {p.name, sonames[p]} | aliases.get(p.resolve(), set())
            if not names & needed:
                orphans.append(p)
        if not orphans:
            break
        for p in orphans:
            saved += p.stat().st_size
            removed.append(str(p.relative_to(internal)))
            p.unlink()
    for link in internal.rglob("*"):      # links left pointing at a deleted library
        if link.is_symlink() and not link.exists():
            link.unlink()
    return {"files": sorted(removed), "saved_mb": round(saved / 1e6, 1)}


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
    deduplicated = deduplicate(bundle / "_internal")
    pruned = prune_orphans(bundle / "_internal")
    seconds = time.monotonic() - t0
    size_mb = folder_bytes(bundle) / 1e6
    return {"bundle": str(bundle), "executable": str(bundle / "twindesk"),
            "size_mb": round(size_mb, 1), "size_limit_mb": SIZE_LIMIT_MB,
            "build_seconds": round(seconds, 1), "python": sys.version.split()[0],
            "stripped": stripped, "deduplicated": deduplicated, "unlinked_removed": pruned,
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
