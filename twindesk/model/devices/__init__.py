"""Device library: transcatheter valves and LAA occluders as validated data, and sizing.

Families are TOML files under ``resources/devices/`` (plus the user's
:func:`twindesk.paths.user_devices_dir`), validated on load by :func:`load_library`; sizing
from annulus or LAA-ostium measurements is in :mod:`twindesk.model.devices.sizing`.

Example
-------
>>> from twindesk.model.devices import load_library, AnnulusMeasurements, size_annulus
>>> lib = load_library(include_user=False)
>>> [r.fitting_sizes_mm for r in size_annulus(lib, AnnulusMeasurements(75.0, 440.0))]
[(26.0,), (29.0,)]
"""

from twindesk.model.devices.library import DeviceLibrary, load_library
from twindesk.model.devices.rules import LibraryProblem
from twindesk.model.devices.schema import (DeviceFamily, ElasticPlasticMaterial,
                                           FrameGeometry, OccluderSize, RadialForcePoint,
                                           Source, SuperelasticMaterial, ValveSize)
from twindesk.model.devices.sizing import (AnnulusMeasurements, FamilySizing,
                                           OstiumMeasurements, SizeFit, fit_family,
                                           size_annulus, size_ostium)

__all__ = [
    "AnnulusMeasurements", "DeviceFamily", "DeviceLibrary", "ElasticPlasticMaterial",
    "FamilySizing", "FrameGeometry", "LibraryProblem", "OccluderSize", "OstiumMeasurements",
    "RadialForcePoint", "SizeFit", "Source", "SuperelasticMaterial", "ValveSize",
    "fit_family", "load_library", "size_annulus", "size_ostium",
]
