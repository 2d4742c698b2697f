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


def plots(columns: list[str], table: list[dict[str, Any]], folder: Path) -> list[str]:
    """Histograms of the outputs and scatter plots against the varied values (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in table if r["status"] == "ok"]
    varied = [c for c in columns if c.startswith("value.")]
    outputs = [c for c in columns if "." in c and not c.startswith("value.")]
    def varies(c):  # constant outputs (e.g. a fixed heart rate) say nothing in a plot
        ys = [r[c] for r in ok if isinstance(r.get(c), float)]
        return len(ys) >= 2 and max(ys) > min(ys)

    outputs = [c for c in outputs if varies(c)]
    outputs = outputs[:MAX_PLOTTED_OUTPUTS]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for col in outputs:
        y = np.array([r[col] for r in ok if isinstance(r.get(col), float)])
        ncols = 1 + len(varied)
        fig, axes = plt.subplots(1, ncols, figsize=(3.2 * ncols, 2.8), squeeze=False)
        axes[0, 0].hist(y, bins=min(20, max(3, y.size // 2)), color="#4477aa")
        axes[0, 0].set_xlabel(col, fontsize=8)
        axes[0, 0].set_ylabel("twins")
        for ax, v in zip(axes[0, 1:], varied):
            pts = [(r[v], r[col]) for r in ok if isinstance(r.get(col), float)
                   and isinstance(r.get(v), float)]
            if pts:
                ax.scatter(*zip(*pts), s=12, color="#aa3377")
            ax.set_xlabel(v, fontsize=8)
            ax.set_ylabel(col, fontsize=8)
        fig.tight_layout()
        name = f"{col.replace('/', '_')}.png"
        fig.savefig(folder / name, dpi=90)
        plt.close(fig)
        written.append(name)
    return written


def write_outputs(cohort_dir: Path, manifest: dict[str, Any],
                  results: list[dict[str, Any]]) -> dict[str, Any]:
    """Write table, summary and plots; returns their paths (relative to the cohort)."""
    out = Path(cohort_dir) / RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    columns, table = rows(manifest, results)
    atomic_write_bytes(out / "table.csv", _csv_bytes(columns, table))
    stats = summary(columns, table)
    atomic_write_bytes(out / "summary.json", json.dumps(stats, indent=1).encode("utf-8"))
    files = {"table_csv": f"{RESULTS_DIR}/table.csv", "summary_json": f"{RESULTS_DIR}/summary.json"}
    if _parquet(columns, table, out / "table.parquet"):
        files["table_parquet"] = f"{RESULTS_DIR}/table.parquet"
    pngs = plots(columns, table, out / "plots")
    return {"files": files, "plots": [f"{RESULTS_DIR}/plots/{p}" for p in pngs],
            "columns": columns, "summary": stats}
