"""The results of a cohort run: one table row per twin, summary statistics, plots.

Written to ``COHORT/results/``: ``table.csv`` (and ``table.parquet`` when pyarrow is
installed), ``summary.json`` (per numeric column: n, mean, sd, min, 5th percentile, median,
95th percentile, max over the finished twins) and ``plots/*.png`` (a histogram of every
output, and each output against each varied value).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.io.atomic import atomic_write_bytes
from twindesk.twin.cohort.plan import RESULTS_DIR

MAX_PLOTTED_OUTPUTS = 12


def rows(manifest: dict[str, Any], results: list[dict[str, Any]]
         ) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows): twin, status, the varied values (``value.<name>``), outputs."""
    values = [f"value.{v['name']}" for v in manifest["variables"]]
    outputs = sorted({k for r in results for k in r.get("outputs", {})})
    columns = ["twin", "status", "seconds", *values, *outputs, "error"]
    by_twin = {t["twin"]: t for t in manifest["twins"]}
    table = []
    for r in results:
        row = {"twin": r["twin"], "status": r["status"], "seconds": r.get("seconds"),
               "error": r.get("error") or ""}
        row.update({f"value.{k}": v for k, v in by_twin.get(r["twin"], {}).get("values",
                                                                              {}).items()})
        row.update(r.get("outputs", {}))
        table.append(row)
    return columns, table


def summary(columns: list[str], table: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Statistics of every numeric column over the finished (``ok``) twins."""
    ok = [r for r in table if r["status"] == "ok"]
    stats = {}
    for col in columns:
        vals = np.array([r[col] for r in ok if isinstance(r.get(col), (int, float))
                         and r.get(col) is not None and math.isfinite(r[col])], float)
        if col in ("twin", "status", "error") or vals.size == 0:
            continue
        p5, p50, p95 = np.percentile(vals, [5, 50, 95])
        stats[col] = {"n": int(vals.size), "mean": float(vals.mean()),
                      "sd": float(vals.std(ddof=1)) if vals.size > 1 else 0.0,
                      "min": float(vals.min()), "p5": float(p5), "median": float(p50),
                      "p95": float(p95), "max": float(vals.max())}
    return stats


def _csv_bytes(columns: list[str], table: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in table:
        w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})
    return buf.getvalue().encode("utf-8")


def _parquet(columns: list[str], table: list[dict[str, Any]], path: Path) -> bool:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    data = {c: [r.get(c) for r in table] for c in columns}
    pq.write_table(pa.table(data), str(path))
    return True


def plot_specs(columns: list[str], table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One spec per plotted output: its values over the finished twins and its (value,
    output) pairs against each varied value. Plain data, so it renders anywhere."""
    ok = [r for r in table if r["status"] == "ok"]
    varied = [c for c in columns if c.startswith("value.")]
    outputs = [c for c in columns if "." in c and not c.startswith("value.")]

    def varies(c):  # constant outputs (e.g. a fixed heart rate) say nothing in a plot
        ys = [r[c] for r in ok if isinstance(r.get(c), float)]
        return len(ys) >= 2 and max(ys) > min(ys)

    specs = []
    for col in [c for c in outputs if varies(c)][:MAX_PLOTTED_OUTPUTS]:
        have = [r for r in ok if isinstance(r.get(col), float)]
        specs.append({
            "output": col, "name": f"{col.replace('/', '_')}.png",
            "values": [r[col] for r in have],
            "against": [(v, [(r[v], r[col]) for r in have if isinstance(r.get(v), float)])
                        for v in varied]})
    return specs


def render_plot(spec: dict[str, Any]) -> bytes:
    """PNG of one output: its histogram, then a scatter against each varied value.

    A pure function of the spec (Agg canvas, no pyplot state), so a cohort run can render
    its plots on the cluster's workers; the margins are fixed rather than computed by a
    tight layout, which took half of the drawing time.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    col, against = spec["output"], spec["against"]
    ncols = 1 + len(against)
    width_in = 3.2 * ncols
    fig = Figure(figsize=(width_in, 2.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    y = np.asarray(spec["values"], float)
    axes[0].hist(y, bins=min(20, max(3, y.size // 2)), color="#4477aa")
    axes[0].set_xlabel(col, fontsize=8)
    axes[0].set_ylabel("twins", fontsize=8)
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax, (v, pts) in zip(axes[1:], against):
        if pts:
            ax.scatter(*zip(*pts), s=12, color="#aa3377")
        ax.set_xlabel(v, fontsize=8)
        ax.set_ylabel(col, fontsize=8)
    for ax in axes:
        ax.tick_params(labelsize=7)
    # ~0.75 in for the y label and tick labels left of each panel, 0.5 in below for the x
    fig.subplots_adjust(left=0.75 / width_in, right=1 - 0.15 / width_in, bottom=0.5 / 2.8,
                        top=0.95, wspace=0.75 * ncols / (width_in - 0.9))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def plots(columns: list[str], table: list[dict[str, Any]], folder: Path,
          client=None) -> list[str]:
    """Histograms of the outputs and scatter plots against the varied values (PNG).

    With a Dask ``client`` the plots are drawn on its workers (a few tenths of a second
    each, which would otherwise run after the trial, one after the other) and written here.
    """
    specs = plot_specs(columns, table)
    folder.mkdir(parents=True, exist_ok=True)
    pngs = None
    if client is not None and specs:
        try:
            pngs = client.gather(client.map(render_plot, specs, pure=False))
        except Exception:  # noqa: BLE001 - e.g. a remote worker without matplotlib:
            pngs = None    # the finished trial must not be lost for its plots
    if pngs is None:
        pngs = [render_plot(s) for s in specs]
    for spec, png in zip(specs, pngs):
        atomic_write_bytes(folder / spec["name"], png)
    return [s["name"] for s in specs]


def write_outputs(cohort_dir: Path, manifest: dict[str, Any],
                  results: list[dict[str, Any]], client=None) -> dict[str, Any]:
    """Write table, summary and plots (drawn on ``client``'s workers when given); returns
    their paths (relative to the cohort)."""
    out = Path(cohort_dir) / RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    columns, table = rows(manifest, results)
    atomic_write_bytes(out / "table.csv", _csv_bytes(columns, table))
    stats = summary(columns, table)
    atomic_write_bytes(out / "summary.json", json.dumps(stats, indent=1).encode("utf-8"))
    files = {"table_csv": f"{RESULTS_DIR}/table.csv", "summary_json": f"{RESULTS_DIR}/summary.json"}
    if _parquet(columns, table, out / "table.parquet"):
        files["table_parquet"] = f"{RESULTS_DIR}/table.parquet"
    pngs = plots(columns, table, out / "plots", client)
    return {"files": files, "plots": [f"{RESULTS_DIR}/plots/{p}" for p in pngs],
            "columns": columns, "summary": stats}
