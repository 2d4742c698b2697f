"""``twindesk devices`` outputs, validated against their JSON Schemas by ``run_cli``."""

from __future__ import annotations

from twindesk.paths import resources_dir, user_devices_dir


def test_devices_json_lists_every_family(run_cli):
    r = run_cli("devices", "--json")
    assert r.code == 0, r.err
    devices = {d["id"]: d for d in r.json["devices"]}
    assert set(devices) == {"be-valve-s3like", "se-valve-evolutlike", "laao-flxlike"}
    assert devices["be-valve-s3like"]["kind"] == "balloon-expandable"
    assert devices["se-valve-evolutlike"]["sizes_mm"] == [23, 26, 29, 34]
    assert devices["laao-flxlike"]["kind"] == "laao"
    assert devices["se-valve-evolutlike"]["source"].startswith("Medtronic. Evolut PRO+")
    assert r.json["problems"] == []


def test_devices_json_reports_problems_of_a_broken_user_file(run_cli):
    text = (resources_dir() / "devices" / "laa_occluder.toml").read_text()
    (user_devices_dir() / "bad.toml").write_text(text.replace("depth_mm = 20.0",
                                                              "depth = 20.0"))
    r = run_cli("devices", "--json")
    assert r.code == 0
    found = {(p["file"], p["key"], p["severity"]) for p in r.json["problems"]}
    assert ("user:bad.toml", "sizes[2].depth", "error") in found        # no unit
    assert ("user:bad.toml", "sizes[2].depth_mm", "error") in found     # required key missing
    assert len(r.json["devices"]) == 3      # the shipped occluder still loads
    r = run_cli("devices", "--shipped-only", "--json")
    assert r.json["problems"] == []


def test_devices_show_gives_the_whole_definition(run_cli):
    r = run_cli("devices", "--show", "se-valve-evolutlike", "--json", schema="devices_show")
    assert r.code == 0, r.err
    d = r.json
    assert d["material"]["model"] == "superelastic"
    assert d["material"]["transformation_strain"] == 0.063
    assert d["frame"]["frame_geometry"] == "generic" and d["frame"]["cells_per_row"] == 15
    s26 = d["sizes"][1]
    assert s26["size_mm"] == 26 and s26["waist_diameter_mm"] == 21.5
    assert s26["radial_force"][0] == [18.0, 21.4, 46.8]
    assert s26["source_by_key"]["radial_force"] == ["est-radial-force", "stoeckel-2004"]
    ids = {s["id"] for s in d["sources"]}
    assert set(s26["source"]) <= ids
    assert "left-right" in d["orientation"]["rotation_zero_definition"]


def test_devices_show_laao_and_be(run_cli):
    for dev in ("laao-flxlike", "be-valve-s3like"):
        r = run_cli("devices", "--show", dev, "--json", schema="devices_show")
        assert r.code == 0, r.err
    assert r.json["recoil"]["recoil_max_pct"] == 6.0
    assert r.json["material"]["model"] == "elastic-plastic"


def test_devices_show_unknown_id_is_bad_input(run_cli):
    r = run_cli("devices", "--show", "nope", "--json")
    assert r.code == 2
    assert "--show: unknown device 'nope'" in r.err and "be-valve-s3like" in r.err


def test_devices_human_output(run_cli):
    r = run_cli("devices")
    assert r.code == 0
    assert "be-valve-s3like" in r.out and "20/23/26/29" in r.out
    r = run_cli("devices", "--show", "laao-flxlike")
    assert "size 24 mm" in r.out and "[bsci-flx-dfu]" in r.out
