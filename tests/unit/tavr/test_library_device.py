"""Library family → mechanics Device, for every shipped family and size; the hardening
modulus means the same on both sides."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.model.devices import load_library
from twindesk.sim.mechanics.frame import nominal_profile
from twindesk.sim.mechanics.library import device_from_library
from twindesk.sim.mechanics.materials import ElasticPlasticLaw
from twindesk.sim.mechanics.params import (ElasticPlastic, FrameSize, OccluderSize, Superelastic,
                                           material_from_dict)

LIB = load_library(include_user=False)
ALL_SIZES = [(f.id, s) for f in LIB.families for s in f.sizes_mm]


@pytest.mark.parametrize(("family_id", "size_mm"), ALL_SIZES)
def test_every_shipped_size_converts_with_its_numbers(family_id, size_mm):
    fam = LIB.family(family_id)
    lib_size, lib_mat, fr = fam.size(size_mm), LIB.material_of(fam), fam.frame
    dev = device_from_library(LIB, family_id, size_mm)
    assert dev.kind == fam.kind
    assert (dev.frame.rows_of_cells, dev.frame.cells_per_row, dev.frame.strut_width_mm,
            dev.frame.strut_thickness_mm, dev.frame.crimped_diameter_mm) == (
        fr.rows_of_cells, fr.cells_per_row, fr.strut_width_mm, fr.strut_thickness_mm,
        fr.crimped_diameter_mm)
    if fam.kind == "laao":
        assert isinstance(dev.size, OccluderSize)
        assert (dev.size.diameter_mm, dev.size.depth_mm, dev.size.ostium_min_mm,
                dev.size.ostium_max_mm) == (lib_size.diameter_mm, lib_size.depth_mm,
                                            lib_size.ostium_min_mm, lib_size.ostium_max_mm)
        assert dev.size.size_mm == size_mm
    else:
        assert isinstance(dev.size, FrameSize)
        assert (dev.size.size_mm, dev.size.nominal_diameter_mm, dev.size.frame_height_mm) == (
            lib_size.size_mm, lib_size.nominal_diameter_mm, lib_size.frame_height_mm)
        assert dev.size.radial_force == tuple((p.diameter_mm, p.cof_n, p.rrf_n)
                                              for p in lib_size.radial_force)
        assert dev.size.has_profile == (fam.kind == "self-expanding")
        # the mechanics' nominal shape has the library's frame height and diameters
        prof = nominal_profile(dev)
        assert prof.height_mm == pytest.approx(lib_size.frame_height_mm, abs=1e-9)
        inflow = lib_size.inflow_diameter_mm or lib_size.nominal_diameter_mm
        assert 2 * prof.radius(np.array([0.0]))[0] == pytest.approx(inflow, abs=0.5)
    if lib_mat.model == "elastic-plastic":
        assert isinstance(dev.material, ElasticPlastic)
        assert dev.material.hardening_modulus_mpa == lib_mat.hardening_modulus_mpa
        assert dev.material.yield_stress_mpa == lib_mat.yield_stress_mpa
    else:
        assert isinstance(dev.material, Superelastic)
        assert dev.material.loading_start_mpa == lib_mat.loading_start_mpa
        assert dev.material.transformation_strain == lib_mat.transformation_strain


def test_unknown_device_and_size_name_the_choices():
    with pytest.raises(InputError, match="unknown device") as exc:
        device_from_library(LIB, "no-such-valve", 26.0)
    assert "be-valve-s3like" in exc.value.hint
    with pytest.raises(InputError, match="no 25 mm size") as exc:
        device_from_library(LIB, "be-valve-s3like", 25.0)
    assert "20, 23, 26, 29" in exc.value.hint


@pytest.mark.parametrize(("material_id", "uts_mpa", "elongation"),
                         [("cocr_l605", 860.0, 0.35), ("ss_316l", 490.0, 0.40)])
def test_mechanics_law_reaches_the_specified_ultimate_point(material_id, uts_mpa, elongation):
    """The library's hardening modulus is the plastic modulus H the fibre law uses: loaded
    in tension to a plastic strain equal to the specified elongation, the law carries the
    specified ultimate strength, and its post-yield tangent is E·H/(E+H)."""
    mat = material_from_dict(asdict(LIB.materials[material_id]))
    law = ElasticPlasticLaw(mat)
    e, h = mat.youngs_modulus_mpa, mat.hardening_modulus_mpa
    strains = np.linspace(0.0, elongation + uts_mpa / e, 400)
    state = law.initial_state((1,))
    for eps in strains:                       # monotonic loading in small steps
        sig, tangent, state = law.update(np.array([eps]), state)
    assert sig[0] == pytest.approx(uts_mpa, abs=1.0)
    assert state[0, 1] == pytest.approx(elongation, abs=1e-3)     # accumulated plastic strain
    assert tangent[0] == pytest.approx(e * h / (e + h), rel=1e-6)
