"""Self-check of a workstation: graphics, Qt, folders, disk, memory, libraries, DICOM port.

Every problem comes with advice an installer can act on. Probes that can crash a process
(OpenGL, Qt platform plugins) run in child processes.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from twindesk import __version__, paths

DEFAULT_DICOM_PORT = 11112
MIN_FREE_DISK_GB = 5.0
MIN_MEMORY_GB = 8.0
#: Key libraries: distribution name → module imported.
KEY_LIBRARIES = {"numpy": "numpy", "scipy": "scipy", "SimpleITK": "SimpleITK",
                 "vtk": "vtkmodules", "pyvista": "pyvista", "PySide6-Essentials": "PySide6",
                 "pyvistaqt": "pyvistaqt", "pydicom": "pydicom", "scikit-fem": "skfem",
                 "platformdirs": "platformdirs", "dask": "dask", "distributed": "distributed"}

def _check(name: str, status: str, detail: str, advice: str = "") -> dict[str, str]:
    return {"name": name, "status": status, "detail": detail, "advice": advice}


def _child_json(args: list[str], timeout_s: float) -> tuple[dict | None, str]:
    """Run a probe; returns (parsed JSON or None, reason it failed)."""
    env = dict(os.environ)
    try:
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout_s:.0f} s"
    if proc.returncode != 0:
        if proc.returncode in (-11, 139):
            return None, "crashed (segmentation fault): a graphics library is missing"
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"failed (exit {proc.returncode}): {last[:300]}"
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), ""
    except (ValueError, IndexError):
        return None, "printed no result"


def probe_opengl(timeout_s: float = 60.0) -> tuple[dict[str, Any], dict[str, str]]:
    info, why = _child_json(["-m", "twindesk.gl_probe"], timeout_s)
    if info is None:
        return {}, _check("opengl", "problem", f"OpenGL rendering {why}",
                          "install Mesa: apt-get install libgl1 libegl1 libgl1-mesa-dri "
                          "(or the graphics driver of this workstation)")
    renderer = (info.get("renderer") or "").lower()
    if "llvmpipe" in renderer or "softpipe" in renderer:
        return info, _check("opengl", "warning",
                            f"software rendering ({info.get('renderer')})",
                            "3D views work but are slower; install the GPU driver if there is one")
    return info, _check("opengl", "ok", f"{info.get('renderer')} / {info.get('version')}")


def probe_qt(timeout_s: float = 60.0) -> tuple[dict[str, Any], dict[str, str]]:
    info, why = _child_json(["-m", "twindesk.ui.probe"], timeout_s)
    if info is None:
        advice = ("no display: run under a desktop session or Xvfb (xvfb-run twindesk)"
                  if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
                  else "install the xcb libraries: apt-get install libxkbcommon-x11-0 "
                       "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
                       "libxcb-render-util0 libxcb-shape0 (QT_DEBUG_PLUGINS=1 shows which)")
        return {}, _check("qt", "problem", f"the Qt window system {why}", advice)
    plugin = info.get("platform_plugin")
    status = "warning" if plugin in ("offscreen", "minimal") else "ok"
    return info, _check("qt", status, f"Qt {info.get('qt_version')}, platform plugin {plugin}",
                        "offscreen cannot show 3D views; start from a desktop session"
                        if status == "warning" else "")


def check_directories() -> tuple[dict[str, Any], list[dict[str, str]]]:
    found, checks = {}, []
    for name, getter in (("data", paths.user_data_dir), ("config", paths.user_config_dir),
                         ("cache", paths.user_cache_dir), ("logs", paths.user_log_dir)):
        try:
            folder = getter()
            probe = folder / f".doctor-{os.getpid()}"
            probe.write_bytes(b"ok")
            probe.unlink()
            found[name] = {"path": str(folder), "writable": True}
        except OSError as exc:
            folder = locals().get("folder", Path("?"))
            found[name] = {"path": str(folder), "writable": False}
            checks.append(_check(f"folder:{name}", "problem", f"{folder} is not writable "
                                 f"({exc.strerror})", "set TWINDESK_HOME to a writable folder"))
    if all(v["writable"] for v in found.values()):
        checks.append(_check("folders", "ok", "per-user folders are writable"))
    return found, checks


def check_disk_memory_cpu() -> tuple[dict[str, Any], list[dict[str, str]]]:
    free_gb = shutil.disk_usage(paths.user_data_dir()).free / 1e9
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = pages / 1e9
    except (ValueError, OSError, AttributeError):
        memory_gb = None
    cpus = os.cpu_count() or 1
    checks = [
        _check("disk", "ok" if free_gb >= MIN_FREE_DISK_GB else "warning",
               f"{free_gb:.1f} GB free for user data",
               "" if free_gb >= MIN_FREE_DISK_GB else
               f"free at least {MIN_FREE_DISK_GB:.0f} GB: a case with flow results takes ~1 GB"),
        _check("memory", "ok" if (memory_gb or 0) >= MIN_MEMORY_GB else "warning",
               f"{memory_gb:.1f} GB RAM" if memory_gb else "unknown",
               "" if (memory_gb or 0) >= MIN_MEMORY_GB else
               f"3D flow on 100k elements needs up to 6 GB; {MIN_MEMORY_GB:.0f} GB recommended"),
        _check("cpu", "ok" if cpus >= 2 else "warning", f"{cpus} logical CPUs",
               "" if cpus >= 2 else "simulations will be slow on one core"),
    ]
    return {"disk_free_gb": round(free_gb, 2),
            "memory_gb": round(memory_gb, 2) if memory_gb else None, "cpu_count": cpus}, checks


def _module_version(module: str) -> str | None:
    """``__version__`` of an importable module (None when it cannot be imported)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    version = getattr(mod, "__version__", None)
    if version is None and module == "vtkmodules":
        from vtkmodules.vtkCommonCore import vtkVersion

        version = vtkVersion.GetVTKVersion()
    return str(version) if version is not None else "unknown"


def library_versions() -> dict[str, str | None]:
    """Installed version of each key library; None when it cannot be imported.

    The distribution metadata answers first; the module's own ``__version__`` second,
    because the one-folder bundle keeps the modules but not every ``dist-info``.
    """
    versions: dict[str, str | None] = {"twindesk": __version__,
                                       "python": sys.version.split()[0]}
    for dist, module in KEY_LIBRARIES.items():
        if importlib.util.find_spec(module) is None:
            versions[dist] = None
            continue
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = _module_version(module)
    return versions


def check_port(port: int, host: str = "127.0.0.1") -> tuple[dict[str, Any], dict[str, str]]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
            free = True
        except OSError:
            free = False
    info = {"port": port, "host": host, "free": free}
    return info, _check("dicom_port", "ok" if free else "warning",
                        f"port {port} on {host} is {'free' if free else 'in use'}",
                        "" if free else f"choose another port: twindesk receive --port {port + 1}")


def run_doctor(port: int = DEFAULT_DICOM_PORT, probe_graphics: bool = True) -> dict[str, Any]:
    """Gather every check. ``ok`` is False when any check is a problem."""
    checks: list[dict[str, str]] = []
    report: dict[str, Any] = {"twindesk_version": __version__}
    if probe_graphics:
        report["opengl"], c = probe_opengl()
        checks.append(c)
        report["qt"], c = probe_qt()
        checks.append(c)
    report["directories"], cs = check_directories()
    checks += cs
    sysinfo, cs = check_disk_memory_cpu()
    report.update(sysinfo)
    checks += cs
    report["versions"] = library_versions()
    missing = [k for k, v in report["versions"].items() if v is None]
    checks.append(_check("libraries", "problem" if missing else "ok",
                         f"missing: {', '.join(missing)}" if missing else "all key libraries present",
                         "reinstall twindesk (pip install twindesk, or the bundle)" if missing else ""))
    report["dicom_port"], c = check_port(port)
    checks.append(c)
    report["checks"] = checks
    report["ok"] = not any(c["status"] == "problem" for c in checks)
    return report
