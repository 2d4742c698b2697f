"""Each validation rule, with a broken copy of a shipped file: the problem names the file
and the key, the broken family is skipped, and the rest of the library still loads."""

from __future__ import annotations

import pytest

from twindesk.errors import ResourceError

BE = "balloon_expandable_valve.toml"
SE = "self_expanding_valve.toml"
LAAO = "laa_occluder.toml"
IDS = {BE: "be-valve-s3like", SE: "se-valve-evolutlike", LAAO: "laao-flxlike"}

# (rule, file, old text, new text, key named in the problem, words in the message)
CASES = [
    ("toml-syntax", BE, 'size_mm = 23\n', 'size_mm = = 23\n', "", "not valid TOML"),
    ("unit-less-key", BE, "frame_height_mm = 18.0", "frame_height = 18.0",
     "sizes[1].frame_height", "without a unit"),
    ("unit-less-key-unknown", LAAO, "depth_mm = 18.0", "depth_mm = 18.0\nfudge = 2",
     "sizes[1].fudge", "without a unit"),
    ("missing-source", BE, 'coronary_height_min_mm = 10.0\nsource = "blanke-2019"',
     "coronary_height_min_mm = 10.0", "anatomy.source", "must cite"),
    ("undefined-source-id", SE, 'source = "est-generic-frame"', 'source = "est-nowhere"',
     "frame.source", "'est-nowhere' is not defined"),
    ("undefined-source-by-key", BE, 'eoa_cm2 = "ase-2024", eoa_sd_cm2 = "ase-2024" }\n\n'
     '[[sizes]]\nsize_mm = 23', 'eoa_cm2 = "ase-2042", eoa_sd_cm2 = "ase-2024" }\n\n'
     '[[sizes]]\nsize_mm = 23', "sizes[0].source_by_key.eoa_cm2", "'ase-2042' is not defined"),
    ("source-by-key-names-missing-key", LAAO, 'source_by_key = { size_mm = ["bsci-flx-dfu", '
     '"colombowala-flx", "grygier-2017"], depth_mm = "est-depth" }',
     'source_by_key = { size_mm = "bsci-flx-dfu", deep_mm = "est-depth" }',
     "sizes[0].source_by_key.deep_mm", "not in this table"),
    ("min-not-below-max", BE, "annulus_area_max_mm2 = 430\n", "annulus_area_max_mm2 = 330\n",
     "sizes[1].annulus_area_max_mm2", "greater than annulus_area_min_mm2"),
    ("sizes-not-sorted", SE, "size_mm = 29\n", "size_mm = 25\n", "sizes[2].size_mm",
     "sorted strictly ascending"),
    ("ranges-not-rising", LAAO, "ostium_min_mm = 21.7", "ostium_min_mm = 16.0",
     "sizes[3].ostium_min_mm", "rise with size"),
    ("not-positive", BE, "strut_width_mm = 0.40", "strut_width_mm = -0.40",
     "frame.strut_width_mm", "plausible range"),
    ("implausible", SE, "frame_height_mm = 46.0", "frame_height_mm = 460.0",
     "sizes[2].frame_height_mm", "plausible range"),
    ("wrong-type", LAAO, "diameter_mm = 27.0", 'diameter_mm = "27"', "sizes[2].diameter_mm",
     "finite number"),
    ("integer-count", BE, "rows_of_cells = 4", "rows_of_cells = 4.5", "frame.rows_of_cells",
     "whole number"),
    ("missing-required", SE, "sinus_height_min_mm = 16.0\n", "\n",
     "sizes[3].sinus_height_min_mm", "missing"),
    ("missing-radial-force", SE, "radial_force = [[18.0,", "radial_forces = [[18.0,",
     "sizes[1].radial_force", "required for self-expanding"),
    ("cof-above-rrf", SE, "[20.0, 21.5, 44.6]", "[20.0, 50.0, 44.6]", "sizes[1].radial_force[2]",
     "exceeds rrf_n"),
    ("radial-force-unsorted", SE, "[19.0, 21.5, 46.0]", "[17.0, 21.5, 46.0]",
     "sizes[1].radial_force[1]", "sorted strictly ascending"),
    ("unknown-kind", LAAO, 'kind = "laao"', 'kind = "plug"', "kind", "not one of"),
    ("unknown-material", BE, 'material = "cocr_l605"', 'material = "unobtainium"', "material",
     "not defined in materials.toml"),
    ("estimate-without-note", BE, 'verification = "estimate"\nnote = "No bench recoil value',
     'verification = "estimate"\nnotes = "No bench recoil value', "sources[5].note",
     "must say how"),
    ("bad-verification", SE, 'verification = "excerpt-confirmed"', 'verification = "trust me"',
     "sources[0].verification", "not one of"),
    ("bad-doi", BE, 'doi = "10.1093/ehjci/jew032"', 'doi = "ehjci/jew032"', "sources[4].doi",
     "not a DOI"),
    ("schema-version", SE, "schema_version = 1", "schema_version = 2", "schema_version",
     "must be 1"),
    ("default-depth-outside", BE, "default_depth_mm = 4.0", "default_depth_mm = 9.0",
     "placement.default_depth_mm", "outside the recommended range"),
    ("occluder-no-compression", LAAO, "ostium_max_mm = 18.0", "ostium_max_mm = 20.5",
     "sizes[0].ostium_max_mm", "exceeds the device diameter"),
]


@pytest.mark.parametrize("rule,file,old,new,key,words", CASES, ids=[c[0] for c in CASES])
def test_broken_file_is_named_and_the_rest_loads(device_dir, rule, file, old, new, key, words):
    device_dir.edit(file, old, new)
    lib = device_dir.load()
    errors = [p for p in lib.errors if p.file == file]
    assert errors, f"no error for {rule}; problems: {lib.problems}"
    matching = [p for p in errors if p.key == key and words in p.message]
    assert matching, f"expected key {key!r} with {words!r}; got {[str(p) for p in errors]}"
    # The message names file and key, and converts to a ResourceError with a hint.
    err = matching[0].as_error()
    assert isinstance(err, ResourceError) and file in str(err) and key in str(err)
    assert err.hint
    # The broken family is skipped; every other family still loads.
    assert IDS[file] not in lib.ids()
    assert set(lib.ids()) == set(IDS.values()) - {IDS[file]}


def test_unknown_key_is_a_warning_and_the_file_still_loads(device_dir):
    device_dir.edit(LAAO, "depth_mm = 15.0", "depth_mm = 15.0\ncolour_name = \"blue\"")
    lib = device_dir.load()
    assert lib.errors == ()
    (warning,) = lib.problems
    assert (warning.file, warning.key, warning.severity) == (LAAO, "sizes[0].colour_name",
                                                              "warning")
    assert "laao-flxlike" in lib.ids()


def test_uncited_source_is_a_warning(device_dir):
    device_dir.edit(LAAO, "[[sources]]\nid = \"grygier-2017\"",
                    "[[sources]]\nid = \"spare\"\nkind = \"datasheet\"\ncitation = \"A spare "
                    "citation, never used\"\nverification = \"recalled\"\n\n[[sources]]\nid = "
                    "\"grygier-2017\"")
    lib = device_dir.load()
    assert lib.errors == ()
    assert any(p.severity == "warning" and "'spare'" in p.message for p in lib.problems)


def test_crimped_diameter_must_be_below_every_size(device_dir):
    device_dir.edit(BE, "crimped_diameter_mm = 6.0", "crimped_diameter_mm = 14.0")
    device_dir.edit(BE, "nominal_diameter_mm = 20.0", "nominal_diameter_mm = 13.5")
    lib = device_dir.load()
    assert any(p.file == BE and p.key == "frame.crimped_diameter_mm" and "not below the 13.5"
               in p.message for p in lib.errors)
    assert "be-valve-s3like" not in lib.ids() and len(lib.families) == 2


def test_file_without_sources_is_rejected(device_dir):
    device_dir.edit(LAAO, "[[sources]]", "[[references]]", count=-1)
    lib = device_dir.load()
    keys = {p.key: p.message for p in lib.errors if p.file == LAAO}
    assert "missing" in keys["sources"] and "is not defined" in keys["sizes[0].source"]
    assert "laao-flxlike" not in lib.ids() and len(lib.families) == 2


def test_duplicate_family_id_keeps_the_first_file(device_dir):
    text = device_dir.path(LAAO).read_text()
    device_dir.path("zz_copy.toml").write_text(text)
    lib = device_dir.load()
    (err,) = lib.errors
    assert err.file == "zz_copy.toml" and err.key == "id" and "duplicate" in err.message
    assert lib.family("laao-flxlike").file == LAAO


def test_broken_material_rejects_only_that_material_and_its_users(device_dir):
    device_dir.edit("materials.toml", "loading_start_mpa = 600", "loading_start_mpa = 700")
    lib = device_dir.load()
    keys = {(p.file, p.key) for p in lib.errors}
    assert ("materials.toml", "materials.nitinol_se.loading_end_mpa") in keys
    assert "nitinol_se" not in lib.materials and "cocr_l605" in lib.materials
    # Families built on the broken material are reported and skipped; the rest loads.
    assert ("self_expanding_valve.toml", "material") in keys
    assert lib.ids() == ("be-valve-s3like",)


def test_material_without_unit_is_rejected(device_dir):
    device_dir.edit("materials.toml", "youngs_modulus_mpa = 193000", "youngs_modulus = 193000")
    lib = device_dir.load()
    assert any(p.key == "materials.ss_316l.youngs_modulus" and "without a unit" in p.message
               for p in lib.errors)
    assert "ss_316l" not in lib.materials and "cocr_l605" in lib.materials
    assert len(lib.families) == 3


def test_missing_shipped_folder_is_reported(tmp_path):
    from twindesk.model.devices import load_library

    lib = load_library(shipped_dir=tmp_path / "nowhere", include_user=False)
    assert lib.families == () and lib.errors and "missing" in lib.errors[0].message


def test_unknown_device_id_is_an_input_error(device_dir):
    from twindesk.errors import InputError

    lib = device_dir.load()
    with pytest.raises(InputError, match="unknown device 'xyz'") as exc:
        lib.family("xyz")
    assert "be-valve-s3like" in exc.value.hint
    with pytest.raises(InputError, match="no 24 mm size"):
        lib.family("be-valve-s3like").size(24)
