"""The per-user device folder adds and overrides families, validated the same way."""

from __future__ import annotations

from twindesk.model.devices import load_library
from twindesk.paths import resources_dir, user_devices_dir

SHIPPED = resources_dir() / "devices"


def _shipped_text(name: str) -> str:
    return (SHIPPED / name).read_text(encoding="utf-8")


def test_user_family_overrides_the_shipped_one_and_is_reported():
    text = _shipped_text("laa_occluder.toml").replace(
        'name = "LAA occluder, WATCHMAN FLX-like sizes"', 'name = "Site LAA occluder"')
    (user_devices_dir() / "site_laao.toml").write_text(text, encoding="utf-8")
    lib = load_library(shipped_dir=SHIPPED)
    fam = lib.family("laao-flxlike")
    assert (fam.name, fam.origin, fam.file) == ("Site LAA occluder", "user",
                                                "user:site_laao.toml")
    (notice,) = lib.problems
    assert notice.severity == "notice" and notice.file == "user:site_laao.toml"
    assert "overrides the shipped device 'laao-flxlike' from laa_occluder.toml" in notice.message
    assert len(lib.families) == 3


def test_user_family_with_a_new_id_is_added():
    text = _shipped_text("balloon_expandable_valve.toml").replace(
        'id = "be-valve-s3like"', 'id = "site-be-valve"')
    (user_devices_dir() / "site_be.toml").write_text(text, encoding="utf-8")
    lib = load_library(shipped_dir=SHIPPED)
    assert lib.ids() == ("be-valve-s3like", "laao-flxlike", "se-valve-evolutlike",
                         "site-be-valve")
    assert lib.problems == ()
    assert lib.family("site-be-valve").origin == "user"


def test_broken_user_file_is_reported_and_the_shipped_family_stays():
    text = _shipped_text("self_expanding_valve.toml").replace(
        "waist_diameter_mm = 21.5", "waist_diameter = 21.5")
    (user_devices_dir() / "site_se.toml").write_text(text, encoding="utf-8")
    lib = load_library(shipped_dir=SHIPPED)
    keys = {(p.file, p.key) for p in lib.errors}
    assert ("user:site_se.toml", "sizes[1].waist_diameter") in keys
    fam = lib.family("se-valve-evolutlike")
    assert fam.origin == "shipped" and fam.file == "self_expanding_valve.toml"
    assert len(lib.families) == 3


def test_user_materials_override_and_can_be_used_by_user_families():
    mats = _shipped_text("materials.toml").replace("youngs_modulus_mpa = 225000",
                                                   "youngs_modulus_mpa = 243000")
    (user_devices_dir() / "materials.toml").write_text(mats, encoding="utf-8")
    lib = load_library(shipped_dir=SHIPPED)
    assert lib.materials["cocr_l605"].youngs_modulus_mpa == 243000
    notices = [p for p in lib.problems if p.severity == "notice"]
    assert {p.key for p in notices} == {"materials.cocr_l605", "materials.ss_316l",
                                        "materials.nitinol_se"}
    assert lib.errors == ()


def test_shipped_only_ignores_the_user_folder():
    (user_devices_dir() / "junk.toml").write_text("this is not toml = = =", encoding="utf-8")
    assert load_library(shipped_dir=SHIPPED, include_user=False).problems == ()
    lib = load_library(shipped_dir=SHIPPED)
    (err,) = lib.errors
    assert err.file == "user:junk.toml" and "not valid TOML" in err.message
