"""The device library: shipped families plus the user's site-specific ones, validated.

Shipped definitions live in ``resources/devices/`` (one ``*.toml`` per family and
``materials.toml``); a site adds or overrides families (and materials) by dropping files of
the same format into :func:`twindesk.paths.user_devices_dir`. Every file is validated the
same way; a broken file is reported (file, key, problem) and skipped while the rest loads.
A user family whose ``id`` equals a shipped one replaces it, and the override is reported.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from twindesk.errors import InputError
from twindesk.model.devices.parse import parse_family, parse_materials
from twindesk.model.devices.rules import LibraryProblem
from twindesk.model.devices.schema import DeviceFamily, Material

MATERIALS_FILE = "materials.toml"


@dataclass(frozen=True)
class DeviceLibrary:
    """Validated families (sorted by id), materials, and every problem found."""

    families: tuple[DeviceFamily, ...]
    materials: dict[str, Material]
    problems: tuple[LibraryProblem, ...]

    @property
    def errors(self) -> tuple[LibraryProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.families)

    def family(self, family_id: str, option: str = "--device") -> DeviceFamily:
        """The family ``family_id``; :class:`InputError` (naming ``option``) listing the
        known ids otherwise."""
        for f in self.families:
            if f.id == family_id:
                return f
        broken = [p for p in self.errors if p.file.endswith(".toml")]
        hint = f"known devices: {', '.join(self.ids()) or 'none'}"
        if broken:
            hint += "; some device files failed to load (run 'twindesk devices' to see why)"
        raise InputError(f"{option}: unknown device '{family_id}'", hint)

    def material(self, material_id: str) -> Material:
        try:
            return self.materials[material_id]
        except KeyError:
            raise InputError(f"unknown material '{material_id}'",
                             f"known materials: {', '.join(sorted(self.materials))}") from None

    def material_of(self, family: DeviceFamily) -> Material:
        return self.material(family.material)


def _read_toml(path: Path, label: str) -> tuple[dict | None, LibraryProblem | None]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), None
    except tomllib.TOMLDecodeError as exc:
        return None, LibraryProblem(label, "", f"not valid TOML: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        return None, LibraryProblem(label, "", f"cannot be read: {exc}")


def _label(path: Path, origin: str) -> str:
    return f"{origin}:{path.name}" if origin == "user" else path.name


def _family_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.name != MATERIALS_FILE)


def _load_materials(folders: list[tuple[Path | None, str]],
                    problems: list[LibraryProblem]) -> dict[str, Material]:
    materials: dict[str, Material] = {}
    origin_of: dict[str, str] = {}
    for folder, origin in folders:
        path = folder / MATERIALS_FILE if folder is not None else None
        if path is None or not path.is_file():
            continue
        label = _label(path, origin)
        doc, problem = _read_toml(path, label)
        if problem:
            problems.append(problem)
            continue
        found, found_problems = parse_materials(doc, label)
        problems.extend(found_problems)
        for mid, material in found.items():
            if mid in materials:
                problems.append(LibraryProblem(label, f"materials.{mid}",
                                               f"overrides the material from {origin_of[mid]}",
                                               "notice"))
            materials[mid] = material
            origin_of[mid] = label
    return materials


def load_library(shipped_dir: Path | None = None, user_dir: Path | None = None, *,
                 include_user: bool = True) -> DeviceLibrary:
    """Load and validate every device family and material.

    Parameters
    ----------
    shipped_dir
        Folder of shipped definitions; default ``resources_dir() / "devices"``.
    user_dir
        Site folder; default :func:`twindesk.paths.user_devices_dir`.
    include_user
        ``False`` loads the shipped library only.

    Returns
    -------
    DeviceLibrary
        Never raises for bad files: each is reported in ``problems`` and skipped.
    """
    from twindesk import paths

    if shipped_dir is None:
        shipped_dir = paths.resources_dir() / "devices"
    if include_user and user_dir is None:
        user_dir = paths.user_devices_dir()
    folders: list[tuple[Path | None, str]] = [(shipped_dir, "shipped")]
    if include_user:
        folders.append((user_dir, "user"))

    problems: list[LibraryProblem] = []
    if not shipped_dir.is_dir():
        problems.append(LibraryProblem(str(shipped_dir), "", "shipped device folder is "
                                                             "missing (broken install?)"))
    materials = _load_materials(folders, problems)
    families: dict[str, DeviceFamily] = {}
    for folder, origin in folders:
        seen_here: dict[str, str] = {}
        for path in _family_files(folder):
            label = _label(path, origin)
            doc, problem = _read_toml(path, label)
            if problem:
                problems.append(problem)
                continue
            family, found = parse_family(doc, label, set(materials))
            problems.extend(found)
            if family is None:
                continue
            if family.id in seen_here:
                problems.append(LibraryProblem(label, "id", f"duplicate device id "
                                               f"'{family.id}' (also in {seen_here[family.id]});"
                                               " this file is ignored"))
                continue
            seen_here[family.id] = label
            if family.id in families:
                problems.append(LibraryProblem(label, "id", f"overrides the shipped device "
                                               f"'{family.id}' from {families[family.id].file}",
                                               "notice"))
            families[family.id] = _with_origin(family, origin)
    ordered = tuple(families[k] for k in sorted(families))
    return DeviceLibrary(families=ordered, materials=materials, problems=tuple(problems))


def _with_origin(family: DeviceFamily, origin: str) -> DeviceFamily:
    from dataclasses import replace

    return replace(family, origin=origin)


def _table_dict(obj) -> dict:
    """A frozen table as a JSON-ready dict: ``source`` ids as a list, ``sources`` as
    ``source_by_key`` (key → list of ids), radial-force rows as ``[d, cof, rrf]``."""
    from dataclasses import fields

    out: dict = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "sources":
            out["source_by_key"] = {k: list(ids) for k, ids in value}
        elif f.name == "source":
            out["source"] = list(value)
        elif f.name == "radial_force":
            out["radial_force"] = [[p.diameter_mm, p.cof_n, p.rrf_n] for p in value]
        else:
            out[f.name] = value
    return out


def family_to_dict(family: DeviceFamily, material: Material | None = None) -> dict:
    """The whole validated definition of ``family`` (and its material) as JSON-ready data;
    the output of ``twindesk devices --show ID --json``."""
    from dataclasses import asdict

    return {
        "id": family.id, "name": family.name, "kind": family.kind,
        "description": family.description, "sizing_basis": family.sizing_basis,
        "origin": family.origin, "file": family.file, "source": list(family.source),
        "sizes_mm": list(family.sizes_mm),
        "material": _table_dict(material) if material is not None else {"id": family.material},
        "frame": _table_dict(family.frame),
        "orientation": asdict(family.orientation),
        "placement": _table_dict(family.placement),
        "recoil": _table_dict(family.recoil) if family.recoil is not None else None,
        "anatomy": _table_dict(family.anatomy),
        "sizes": [_table_dict(s) for s in family.sizes],
        "sources": [asdict(s) for s in family.sources_table],
    }
