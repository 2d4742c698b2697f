"""The report's flow section shows the steady 3D flow results of ``twindesk flow``: one table
per stored result whose numbers are the stored summary's, a figure, and a plain line (no
crash) for a summary that cannot be read."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from twindesk.model.case import Case
from twindesk.report.build import build_sections, make_figures
from twindesk.report.content import Figure, Paragraph, Table


def _value(cell: str) -> float:
    """The number at the start of a formatted cell ("−0.0012 mmHg" → -0.0012)."""
    return float(cell.split()[0].replace("−", "-").replace(",", ""))


def _flow_section(case, figures=None):
    return next(s for s in build_sections(case, figures or {}, None) if s.id == "flow")


def _steady_tables(section) -> list[Table]:
    return [b for b in section.blocks if isinstance(b, Table)
            and b.caption.startswith("Steady 3D flow")]


def test_tables_show_the_stored_summaries(steady_flow_case):
    with Case.open(steady_flow_case.path, write=False) as case:
        section = _flow_section(case)
        stored = {f: case.read_json(f"result:flow:baseline:{f}:summary") for f in ("mean", "peak")}
    tables = _steady_tables(section)
    # baseline mean first, then peak
    assert [("mean (cardiac output)" in t.caption, "peak systolic" in t.caption)
            for t in tables] == [(True, False), (False, True)]
    for flow, table in zip(("mean", "peak"), tables, strict=True):
        s = stored[flow]
        out = steady_flow_case.outputs[flow]
        assert s["inflow_l_min"] == out["inflow_l_min"]  # what was printed is what is stored
        rows = dict(table.rows)
        assert rows["Inflow"].endswith(" L/min")
        assert _value(rows["Inflow"]) == pytest.approx(s["inflow_l_min"], rel=5e-3)
        assert _value(rows["Inlet (aortic root) pressure, mean"]) == pytest.approx(
            s["inlet_pressure_mmhg"], rel=5e-4)
        root = next(k for k in rows if k.startswith("Pressure drop across the aortic root"))
        assert "1.5 inlet diameters" in root and rows[root].endswith(" mmHg")
        assert _value(rows[root]) == pytest.approx(s["pressure_drop_root_mmhg"], rel=5e-3)
        along = rows["Pressure drop along the aorta (inlet to descending aorta)"]
        assert along.endswith(" mmHg")
        assert _value(along) == pytest.approx(s["pressure_drop_aorta_mmhg"], rel=5e-3)
        assert len(s["outlets"]) == 4
        for o in s["outlets"]:
            cell = rows[f"Outlet {o['name'].replace('_', ' ')}: flow, split, pressure"]
            q, split, p = cell.split(" · ")
            assert q.endswith(" L/min") and split.endswith(" %") and p.endswith(" mmHg")
            assert _value(q) == pytest.approx(o["flow_l_min"], rel=5e-3)
            assert _value(split) == pytest.approx(o["flow_split_percent"], rel=5e-3)
            assert _value(p) == pytest.approx(o["pressure_mmhg"], rel=5e-4)
        assert rows["Peak velocity"].endswith(" m/s")
        assert _value(rows["Peak velocity"]) == pytest.approx(s["peak_velocity_m_s"], rel=5e-3)
        w = s["wall_shear_stress"]
        mean, peak = rows["Wall shear stress, mean / max"].split(" / ")
        assert _value(mean) == pytest.approx(w["mean_pa"], rel=5e-3) and mean.endswith(" Pa")
        assert _value(peak) == pytest.approx(w["max_pa"], rel=5e-3) and peak.endswith(" Pa")
        low = rows[f"Wall area with shear stress below {w['threshold_pa']:g} Pa"]
        assert low.endswith(" %")
        assert _value(low) == pytest.approx(w["area_below_threshold_percent"], rel=5e-3)
        solver = rows["Solver: nonlinear iterations, final residual / tolerance, converged"]
        its, res, conv = solver.split(" · ")
        assert int(its) == s["solver"]["iterations"] and conv == "converged"
        assert float(res.split(" / ")[0]) == pytest.approx(s["solver"]["residuals"][-1],
                                                           rel=1e-2)
        assert float(res.split(" / ")[1].split()[0]) == s["solver"]["tolerance"]
        assert rows["Mesh"] == "7,290 tetrahedra"
        assert rows["Boundary values from"] == "physiology+default"
        assert rows["Software"].startswith(f"twindesk {s['software']['twindesk']}; ")
        assert f"scikit-fem {s['software']['scikit-fem']} (Gustafsson & McBain" in \
            rows["Software"]
    # the assumptions are said in words, once per result
    notes = [b.text for b in section.blocks if isinstance(b, Paragraph)
             and b.text.startswith("Assumed (baseline – steady")]
    assert len(notes) == sum(len(stored[f]["assumptions"]) for f in stored) >= 2
    assert "Murray" in notes[0]


def test_figures_and_pdf(steady_flow_case, tmp_path, run_cli):
    with Case.open(steady_flow_case.path, write=False) as case:
        figures = make_figures(case, lambda *a: None)
        assert {"steady:baseline:mean", "steady:baseline:peak"} <= set(figures)
        assert all(figures[k][:8] == b"\x89PNG\r\n\x1a\n" for k in figures)
        section = _flow_section(case, figures)
    captions = [b.caption for b in section.blocks if isinstance(b, Figure)]
    assert [c.split(":")[0] for c in captions] == ["baseline – steady mean flow",
                                                    "baseline – steady peak flow"]
    out = tmp_path / "plan.pdf"
    r = run_cli("report", steady_flow_case.path, "--out", out, "--json")
    assert r.code == 0, r.err
    flow = next(s for s in r.json["sections"] if s["id"] == "flow")
    assert flow["tables"] == 2 and flow["figures"] == 2
    # The page text, not the raw bytes: compressed image streams can hold "nan" by chance.
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "steady mean flow" in text and "mmHg" in text
    assert not re.search(r"\bnan\b", text, re.I)


def test_unreadable_summaries_get_a_line_not_a_crash(steady_flow_case, tmp_path):
    path = tmp_path / "damaged.twin"
    shutil.copytree(steady_flow_case.path, path)
    with Case.open(path) as case:
        case.put_bytes("result:flow:baseline:mean:summary", b'{"inflow_l_min": 0.5,', ".json",
                       "result")
        case.put_json("result:flow:baseline:peak:summary", [1, 2], "result")
        case.save("test-damage", {})
    with Case.open(path, write=False) as case:
        section = _flow_section(case)
    assert not _steady_tables(section)
    lines = [b.text for b in section.blocks if isinstance(b, Paragraph) and b.style == "warning"]
    assert len(lines) == 2
    assert "'baseline – steady mean flow' could not be read" in lines[0]
    assert "not valid JSON" in lines[0] and "twindesk flow" in lines[0]
    assert "'baseline – steady peak flow' could not be read" in lines[1]
    assert "holds list" in lines[1]


def test_no_steady_result_no_noise(tmp_path):
    with Case.create(tmp_path / "empty.twin") as case:
        case.save("create", {})
    with Case.open(tmp_path / "empty.twin", write=False) as case:
        section = _flow_section(case)
    texts = [getattr(b, "text", "") + getattr(b, "what", "") + getattr(b, "caption", "")
             for b in section.blocks]
    assert not any("steady" in t.lower() for t in texts)
