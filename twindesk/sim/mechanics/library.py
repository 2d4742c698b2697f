"""The device library seen by the mechanics: one library family size → a :class:`Device`.

The library (:mod:`twindesk.model.devices`) validates the TOML files; its records carry the
same field names as the mechanics records (a shared contract), so the conversion goes
through the library's JSON form (:func:`~twindesk.model.devices.library.family_to_dict`)
and :func:`~twindesk.sim.mechanics.params.record_from_dict` /
:func:`~twindesk.sim.mechanics.params.material_from_dict`, which take the keys they know and
ignore provenance (``source``, ``source_by_key``) and sizing ranges.
"""

from __future__ import annotations

from twindesk.model.devices.library import DeviceLibrary, family_to_dict
from twindesk.model.devices.schema import DeviceFamily
from twindesk.sim.mechanics.params import (Device, FrameSize, FrameSpec, OccluderSize,
                                           material_from_dict, record_from_dict)


def device_from_library(library: DeviceLibrary, family: DeviceFamily | str,
                        size_mm: float) -> Device:
    """The mechanics :class:`Device` of one size of a library family.

    Parameters
    ----------
    library
        A loaded library (:func:`twindesk.model.devices.load_library`); gives the material.
    family
        The family or its id (``--device``).
    size_mm
        Labelled size (``--size``); :class:`~twindesk.errors.InputError` naming the valid
        sizes when the family has no such size.
    """
    if isinstance(family, str):
        family = library.family(family)
    size = family.size(size_mm)                 # raises InputError naming the sizes
    data = family_to_dict(family, library.material_of(family))
    where = f"device '{family.id}' ({family.file})"
    frame = record_from_dict(FrameSpec, data["frame"], f"{where} [frame]")
    table = next(s for s in data["sizes"] if s["size_mm"] == size.size_mm)
    size_cls = OccluderSize if family.kind == "laao" else FrameSize
    size_rec = record_from_dict(size_cls, table, f"{where} size {size.size_mm:g} mm")
    material = material_from_dict(data["material"])
    return Device(family.kind, frame, size_rec, material)
