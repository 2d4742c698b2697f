"""``twindesk cohort make``: a reproducible virtual cohort of twins from one case.

Layout of a cohort folder::

    OUT/cohort.json            manifest: id, source case, seed, sampling, variables, twins
    OUT/twins/twin-0001.twin   one case folder per twin (``case.doc["cohort"]`` records its
    OUT/twins/twin-0002.twin   sampled values, the geometric transform and the source)
    OUT/results/               written by ``cohort run``

A twin holds the source's anatomy (root measurement, landmarks, surfaces, meshes,
centerlines; the CT volume and label masks only with ``with_images``) scaled about the
annulus centre by its ``annulus_scale`` (:mod:`.scaling`), and the source's baseline 0D
parameters with the twin's parameter values, the aorta area scaled by ``annulus_scale²``
and a cardiac-output target when ``co_l_min`` is varied. Twins carry no patient identifiers
(name ``TWIN^<n>``, id ``<cohort id>-<n>``); they count as de-identified when the source
case was imported de-identified.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twindesk.errors import CaseError, InputError
from twindesk.io.atomic import atomic_write_bytes
from twindesk.jobs.core import CancelToken, ProgressReporter
from twindesk.twin.cohort.scaling import Scaling
from twindesk.twin.cohort.variables import Vary, latin_hypercube

MANIFEST = "cohort.json"
TWINS_DIR = "twins"
FORMAT = "twindesk-cohort/1"
ROOT_RESULT = "result:measure:root"
MESH_PREFIXES = ("surface:", "mesh:", "mesh_boundary:")
JSON_PREFIXES = ("centerline:", "result:measure:")
IMAGE_PREFIXES = ("labels:",)


@dataclass(frozen=True)
class CohortMakeParams:
    """What ``cohort make`` builds (``out_dir`` must not hold a cohort yet)."""

    source_case: Path
    out_dir: Path
    n: int
    varies: tuple[Vary, ...] = ()
    seed: int = 0
    with_images: bool = False
    sampling: str = field(default="latin-hypercube")


def twin_name(index: int) -> str:
    return f"twin-{index:04d}"


def annulus_center_lps_mm(doc: dict[str, Any], root: dict[str, Any] | None):
    """Centre of the scaling: the annulus plane centre, else the mean of the hinges."""
    import numpy as np

    if root:
        plane = root.get("plane") or {}
        for key in ("center_lps_mm", "centre_lps_mm", "origin_lps_mm"):
            if plane.get(key) is not None:
                return np.asarray(plane[key], float)
        hinges = root.get("hinges_lps_mm")
        if hinges:
            return np.mean(np.asarray(list(hinges.values()), float), axis=0)
    hinges = ((doc.get("landmarks") or {}).get("aortic_root") or {}).get("hinges_lps_mm")
    if hinges:
        return np.mean(np.asarray(list(hinges.values()), float), axis=0)
    return None


def _physiology(source_doc: dict[str, Any], values: dict[str, float], kinds: dict[str, str],
                scale: float, where: str) -> dict[str, Any]:
    from twindesk.sim.lumped.params import from_clinical, to_clinical
    from twindesk.sim.lumped.store import BASELINE, MODEL_ID, resolve_scenario

    circulation, info = resolve_scenario(source_doc, BASELINE)
    params = to_clinical(circulation)
    params["aorta_area_cm2"] *= scale ** 2
    params.update({k: v for k, v in values.items() if kinds[k] == "parameter"})
    if "hr_bpm" in values:
        params["heart_rate_bpm"] = values["hr_bpm"]
    from_clinical(params, where)  # range checks, naming the field
    entry: dict[str, Any] = {"parameters": params,
                             "description": f"cohort twin of {info['parameters_source']}"}
    if "co_l_min" in values:
        entry["targets"] = {"cardiac_output_l_min": values["co_l_min"]}
    return {"model": MODEL_ID, "scenarios": {BASELINE: entry}, "calibrations": [],
            "results": {}}


def _copy_artifacts(source, twin, scaling: Scaling, with_images: bool) -> list[str]:
    copied = []
    for name, rec in sorted(source.doc["artifacts"].items()):
        meta = scaling.json(rec.get("meta") or {})
        path = source.path / rec["path"]
        ext = "".join(Path(rec["path"]).suffixes[-1:])
        if name.startswith(MESH_PREFIXES):
            twin.put_artifact(name, lambda p, s=path: scaling.mesh_file(s, p), ext,
                              rec.get("kind", "mesh"), meta)
        elif name.startswith(JSON_PREFIXES) and ext == ".json":
            twin.put_json(name, scaling.json(source.read_json(name)), rec.get("kind", "result"),
                          meta)
        elif with_images and (name == "volume" or name.startswith(IMAGE_PREFIXES)):
            twin.put_artifact(name, lambda p, s=path: scaling.image_file(s, p), ext,
                              rec.get("kind", "volume"), meta)
        else:
            continue
        copied.append(name)
    return copied


def make_twin(source, twin_path: Path, index: int, cohort_id: str, values: dict[str, float],
              kinds: dict[str, str], with_images: bool) -> dict[str, Any]:
    """Create one twin case from the open ``source`` case; returns its manifest entry."""
    from twindesk.model.case import Case

    scale = float(values.get("annulus_scale", 1.0))
    root = source.read_json(ROOT_RESULT) if source.artifact(ROOT_RESULT) else None
    center = annulus_center_lps_mm(source.doc, root)
    if center is None:
        if scale != 1.0:
            raise CaseError(f"{source.path}: annulus_scale needs the annulus centre, and the "
                            "case has no aortic root measurement",
                            f"run 'twindesk measure {source.path}' first")
        center = [0.0, 0.0, 0.0]
    scaling = Scaling(center, scale)
    name = twin_name(index)
    targets = {k: v for k, v in values.items() if kinds[k] == "target"}
    with Case.create(twin_path) as twin:
        copied = _copy_artifacts(source, twin, scaling, with_images)
        doc = twin.doc
        doc["patient"] = {"name": f"TWIN^{index:04d}", "id": f"{cohort_id}-{index:04d}"}
        doc["deidentified"] = bool(source.doc.get("deidentified"))
        doc["image"] = scaling.image_block(source.doc.get("image")) if with_images else None
        if source.doc.get("landmarks"):
            doc["landmarks"] = scaling.json(source.doc["landmarks"])
        doc["physiology"] = _physiology(source.doc, values, kinds, scale,
                                        f"twin {name} physiology")
        doc["cohort"] = {"cohort_id": cohort_id, "twin": name, "index": index,
                         "source_case_id": source.doc.get("case_id"),
                         "values": values, "targets": targets,
                         "transform": {"kind": "isotropic-scale", "factor": scale,
                                       "center_lps_mm": [float(c) for c in center]},
                         "artifacts_from_source": copied}
        twin.save("cohort-make", {"cohort_id": cohort_id, "twin": name, "values": values})
    return {"twin": name, "path": f"{TWINS_DIR}/{name}.twin", "values": values}


def cohort_id_of(source_case_id: str, varies: tuple[Vary, ...], n: int, seed: int) -> str:
    """A short id that is the same for the same source, variables, size and seed."""
    key = json.dumps([source_case_id, [v.to_dict() for v in varies], n, seed], sort_keys=True)
    return "cohort-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def run(params: CohortMakeParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Job: build the cohort folder; returns the manifest (plus timing)."""
    from twindesk.model.case import Case, is_case_dir

    rep = ProgressReporter(progress, cancel=cancel)
    t0 = time.perf_counter()
    out = Path(params.out_dir)
    if (out / MANIFEST).exists():
        raise InputError(f"{out} already holds a cohort", "choose a new folder for OUT")
    if not is_case_dir(params.source_case):
        raise InputError(f"--from {params.source_case}: not a twindesk case (no case.json)",
                         "give a .twin case folder")
    samples = latin_hypercube(list(params.varies), params.n, params.seed)
    kinds = {v.name: v.kind for v in params.varies}
    (out / TWINS_DIR).mkdir(parents=True, exist_ok=True)
    twins = []
    try:
        with Case.open(params.source_case, write=False) as source:
            cohort_id = cohort_id_of(source.doc.get("case_id", ""), params.varies, params.n,
                                     params.seed)
            for i, values in enumerate(samples, start=1):
                rep((i - 1) / len(samples), f"twin {i}/{len(samples)}")
                path = out / TWINS_DIR / f"{twin_name(i)}.twin"
                twins.append(make_twin(source, path, i, cohort_id, values, kinds,
                                       params.with_images))
            deidentified = bool(source.doc.get("deidentified"))
            source_id = source.doc.get("case_id")
    except BaseException:
        shutil.rmtree(out / TWINS_DIR, ignore_errors=True)  # no half-made cohort
        raise
    manifest = {"format": FORMAT, "cohort_id": cohort_id, "n": len(twins), "seed": params.seed,
                "sampling": params.sampling, "variables": [v.to_dict() for v in params.varies],
                "source_case": str(Path(params.source_case).resolve()),
                "source_case_id": source_id, "deidentified": deidentified,
                "with_images": params.with_images, "twins": twins}
    atomic_write_bytes(out / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
    rep(1.0, "cohort made")
    return {**manifest, "dir": str(out.resolve()), "seconds": time.perf_counter() - t0}


def read_manifest(cohort_dir: Path) -> dict[str, Any]:
    path = Path(cohort_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{cohort_dir}: not a cohort (no {MANIFEST})",
                         "make one with 'twindesk cohort make'") from None
    except ValueError:
        raise CaseError(f"{path} is damaged (not JSON)", "make the cohort again") from None
    if manifest.get("format") != FORMAT:
        raise CaseError(f"{path}: unknown format {manifest.get('format')!r}",
                        f"this twindesk reads {FORMAT}")
    return manifest
