"""Turn one parsed TOML document into a validated family or materials, collecting problems.

The rules (units in key names, a cited source for every number, plausible bounds, ordered
ranges, sizes sorted ascending, kind-specific required keys) are documented for device
authors in ``resources/devices/README.md``.
"""

from __future__ import annotations

from typing import Any

from twindesk.model.devices.rules import (ID_PATTERN, TABULAR_KEYS, Checker,
                                          check_units_and_sources, is_number, parse_sources,
                                          source_ids, source_map)
from twindesk.model.devices.schema import (KINDS, TAVR_KINDS, AnatomyLimits, DeviceFamily,
                                           ElasticPlasticMaterial, FrameGeometry, Material,
                                           OccluderSize, Orientation, Placement,
                                           RadialForcePoint, Recoil, SuperelasticMaterial,
                                           ValveSize)

SCHEMA_VERSION = 1

TOP_KEYS = {"schema_version", "id", "name", "kind", "description", "material", "sizing_basis",
            "source", "sources", "frame", "orientation", "placement", "recoil", "anatomy",
            "sizes"}
FRAME_KEYS = ("rows_of_cells", "cells_per_row", "strut_width_mm", "strut_thickness_mm",
              "crimped_diameter_mm")
ORIENTATION_KEYS = ("rotation_zero_feature", "rotation_zero_definition",
                    "rotation_positive_direction", "implant_depth_definition")
TAVR_SIZE_KEYS = ("size_mm", "nominal_diameter_mm", "frame_height_mm", "annulus_area_min_mm2",
                  "annulus_area_max_mm2", "annulus_perimeter_min_mm",
                  "annulus_perimeter_max_mm", "eoa_cm2")
SE_SIZE_KEYS = ("inflow_diameter_mm", "waist_diameter_mm", "outflow_diameter_mm",
                "sinus_diameter_min_mm", "sinus_height_min_mm", "stj_diameter_min_mm",
                "ascending_aorta_diameter_max_mm")
LAAO_SIZE_KEYS = ("size_mm", "diameter_mm", "depth_mm", "compression_min_pct",
                  "compression_max_pct", "ostium_min_mm", "ostium_max_mm")
SIZING_BASIS = {"balloon-expandable": ("area", "perimeter"),
                "self-expanding": ("area", "perimeter"), "laao": ("ostium_max",)}
ELASTIC_PLASTIC_KEYS = ("youngs_modulus_mpa", "poisson_ratio", "yield_stress_mpa",
                        "hardening_modulus_mpa")
SUPERELASTIC_KEYS = ("austenite_modulus_mpa", "martensite_modulus_mpa", "poisson_ratio",
                     "loading_start_mpa", "loading_end_mpa", "unloading_start_mpa",
                     "unloading_end_mpa", "transformation_strain")
#: Tolerance (mm) for an occluder's ostium range against its compression range.
OSTIUM_CONSISTENCY_MM = 0.15


def _table(chk: Checker, doc: dict, key: str, required: bool = True) -> dict | None:
    value = doc.get(key)
    if value is None:
        if required:
            chk.error(key, f"missing: add a [{key}] table")
        return None
    if not isinstance(value, dict):
        chk.error(key, f"must be a table ([{key}]), got {type(value).__name__}")
        return None
    return value


def _numbers(chk: Checker, table: dict, keys: tuple[str, ...], path: str,
             required: bool = True) -> dict[str, Any]:
    return {k: chk.number(table, k, path, required=required,
                          integer=k in ("rows_of_cells", "cells_per_row")) for k in keys}


def _schema_version(chk: Checker, doc: dict) -> None:
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        chk.error("schema_version", f"must be {SCHEMA_VERSION}, got {version!r}")


def _frame(chk: Checker, doc: dict) -> FrameGeometry | None:
    t = _table(chk, doc, "frame")
    if t is None:
        return None
    geometry = chk.text(t, "frame_geometry", "frame", choices=("generic", "published"))
    v = _numbers(chk, t, FRAME_KEYS, "frame")
    chk.unknown_keys(t, set(FRAME_KEYS) | {"frame_geometry", "source", "source_by_key"},
                     "frame")
    if geometry is None or any(x is None for x in v.values()):
        return None
    return FrameGeometry(frame_geometry=geometry, source=source_ids(t), sources=source_map(t),
                         **v)


def _orientation(chk: Checker, doc: dict) -> Orientation | None:
    t = _table(chk, doc, "orientation")
    if t is None:
        return None
    v = {k: chk.text(t, k, "orientation") for k in ORIENTATION_KEYS}
    chk.unknown_keys(t, set(ORIENTATION_KEYS), "orientation")
    return None if any(x is None for x in v.values()) else Orientation(**v)


def _placement(chk: Checker, doc: dict, kind: str) -> Placement | None:
    t = _table(chk, doc, "placement")
    if t is None:
        return None
    keys = ("default_depth_mm", "recommended_depth_min_mm", "recommended_depth_max_mm")
    v = _numbers(chk, t, keys, "placement")
    extra = ("landing_zone_depth_mm",) if kind == "laao" else ()
    landing = {k: chk.number(t, k, "placement", required=False) for k in extra}
    chk.unknown_keys(t, set(keys) | set(extra) | {"source", "source_by_key"}, "placement")
    lo, hi, d = (v["recommended_depth_min_mm"], v["recommended_depth_max_mm"],
                 v["default_depth_mm"])
    chk.ordered(lo, hi, "placement", "recommended_depth_min_mm", "recommended_depth_max_mm")
    if None not in (lo, hi, d) and not lo <= d <= hi:
        chk.error("placement.default_depth_mm",
                  f"{d:g} mm is outside the recommended range [{lo:g}, {hi:g}] mm")
    if any(x is None for x in v.values()):
        return None
    return Placement(source=source_ids(t), sources=source_map(t), **v,
                     **{k: x for k, x in landing.items() if x is not None})


def _radial_force(chk: Checker, raw: Any, path: str, nominal: float | None,
                  crimped: float | None) -> tuple[RadialForcePoint, ...] | None:
    where = f"{path}.radial_force"
    columns = TABULAR_KEYS["radial_force"]
    if not isinstance(raw, list) or len(raw) < 2:
        chk.error(where, f"must be a list of at least two [{', '.join(columns)}] rows")
        return None
    points = []
    for i, row in enumerate(raw):
        if (not isinstance(row, list) or len(row) != 3 or not all(is_number(x) for x in row)):
            chk.error(f"{where}[{i}]", f"must be [{', '.join(columns)}] numbers, got {row!r}")
            return None
        d, cof, rrf = (float(x) for x in row)
        if cof < 0 or rrf < 0 or cof > 1000 or rrf > 1000:
            chk.error(f"{where}[{i}]", "forces must lie in [0, 1000] N")
        if cof > rrf + 1e-9:
            chk.error(f"{where}[{i}]", f"cof_n {cof:g} N exceeds rrf_n {rrf:g} N (the "
                                       "chronic outward force is the lower, unloading branch)")
        if nominal is not None and d > nominal + 1e-9:
            chk.error(f"{where}[{i}]", f"diameter {d:g} mm exceeds the nominal {nominal:g} mm")
        if crimped is not None and d < crimped:
            chk.error(f"{where}[{i}]", f"diameter {d:g} mm is below the crimped "
                                       f"{crimped:g} mm")
        if points and d <= points[-1].diameter_mm:
            chk.error(f"{where}[{i}]", "diameters must be sorted strictly ascending")
        points.append(RadialForcePoint(d, cof, rrf))
    return tuple(points)


def _tavr_size(chk: Checker, t: dict, path: str, kind: str,
               frame: FrameGeometry | None) -> ValveSize | None:
    se = kind == "self-expanding"
    v = _numbers(chk, t, TAVR_SIZE_KEYS, path)
    v["eoa_sd_cm2"] = chk.number(t, "eoa_sd_cm2", path, required=False)
    v.update(_numbers(chk, t, SE_SIZE_KEYS, path, required=se))
    known = set(TAVR_SIZE_KEYS) | set(SE_SIZE_KEYS) | {"eoa_sd_cm2", "radial_force", "source",
                                                         "source_by_key"}
    chk.unknown_keys(t, known, path)
    chk.ordered(v["annulus_area_min_mm2"], v["annulus_area_max_mm2"], path,
                "annulus_area_min_mm2", "annulus_area_max_mm2")
    chk.ordered(v["annulus_perimeter_min_mm"], v["annulus_perimeter_max_mm"], path,
                "annulus_perimeter_min_mm", "annulus_perimeter_max_mm")
    if se:
        chk.ordered(v["waist_diameter_mm"], v["inflow_diameter_mm"], path, "waist_diameter_mm",
                    "inflow_diameter_mm")
        chk.ordered(v["waist_diameter_mm"], v["outflow_diameter_mm"], path,
                    "waist_diameter_mm", "outflow_diameter_mm")
    radial: tuple[RadialForcePoint, ...] | None = ()
    if "radial_force" in t:
        nominal = v["inflow_diameter_mm"] or v["nominal_diameter_mm"]
        radial = _radial_force(chk, t["radial_force"], path, nominal,
                               frame.crimped_diameter_mm if frame else None)
    elif se:
        chk.error(f"{path}.radial_force", "missing (required for self-expanding valves): "
                                          "[[diameter_mm, cof_n, rrf_n], ...]")
    required = list(TAVR_SIZE_KEYS) + (list(SE_SIZE_KEYS) if se else [])
    if radial is None or any(v[k] is None for k in required):
        return None
    return ValveSize(radial_force=radial, source=source_ids(t), sources=source_map(t), **v)


def _laao_size(chk: Checker, t: dict, path: str) -> OccluderSize | None:
    v = _numbers(chk, t, LAAO_SIZE_KEYS, path)
    chk.unknown_keys(t, set(LAAO_SIZE_KEYS) | {"source", "source_by_key"}, path)
    chk.ordered(v["compression_min_pct"], v["compression_max_pct"], path,
                "compression_min_pct", "compression_max_pct")
    chk.ordered(v["ostium_min_mm"], v["ostium_max_mm"], path, "ostium_min_mm",
                "ostium_max_mm")
    if any(x is None for x in v.values()):
        return None
    d = v["diameter_mm"]
    if v["ostium_max_mm"] > d:
        chk.error(f"{path}.ostium_max_mm", f"{v['ostium_max_mm']:g} mm exceeds the device "
                                           f"diameter {d:g} mm (no compression)")
    for key, pct in (("ostium_min_mm", v["compression_max_pct"]),
                     ("ostium_max_mm", v["compression_min_pct"])):
        expected = d * (1.0 - pct / 100.0)
        if abs(v[key] - expected) > OSTIUM_CONSISTENCY_MM:
            chk.warn(f"{path}.{key}", f"{v[key]:g} mm disagrees with diameter_mm and the "
                                      f"compression range (expected {expected:.2f} mm)")
    return OccluderSize(source=source_ids(t), sources=source_map(t), **v)


def _sizes(chk: Checker, doc: dict, kind: str, basis: str | None,
           frame: FrameGeometry | None) -> tuple | None:
    raw = doc.get("sizes")
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        chk.error("sizes", "missing: add at least one [[sizes]] table")
        return None
    sizes = []
    for i, t in enumerate(raw):
        path = f"sizes[{i}]"
        size = _laao_size(chk, t, path) if kind == "laao" else _tavr_size(chk, t, path, kind,
                                                                           frame)
        if size is None:
            continue
        if sizes and size.size_mm <= sizes[-1].size_mm:
            chk.error(f"{path}.size_mm", f"sizes must be sorted strictly ascending "
                                         f"({size.size_mm:g} mm after {sizes[-1].size_mm:g} mm)")
        if frame is not None:
            smallest = size.diameter_mm if kind == "laao" else size.nominal_diameter_mm
            if frame.crimped_diameter_mm >= smallest:
                chk.error("frame.crimped_diameter_mm", f"{frame.crimped_diameter_mm:g} mm is "
                                                       f"not below the {smallest:g} mm size")
        sizes.append(size)
    lo_key = {"area": "annulus_area_min_mm2", "perimeter": "annulus_perimeter_min_mm",
              "ostium_max": "ostium_min_mm"}.get(basis or "")
    if lo_key:
        for i in range(1, len(sizes)):
            if getattr(sizes[i], lo_key) < getattr(sizes[i - 1], lo_key):
                chk.error(f"sizes[{i}].{lo_key}", "recommended ranges must rise with size")
    return tuple(sizes)


def _optional_pair_table(chk: Checker, doc: dict, key: str, lo_key: str, hi_key: str,
                         required: bool) -> dict | None:
    t = _table(chk, doc, key, required=required)
    if t is None:
        return None
    v = _numbers(chk, t, (lo_key, hi_key), key)
    chk.unknown_keys(t, {lo_key, hi_key, "source", "source_by_key"}, key)
    chk.ordered(v[lo_key], v[hi_key], key, lo_key, hi_key)
    return None if None in v.values() else v


def parse_family(doc: dict, file: str, material_ids: set[str]) -> tuple[DeviceFamily | None,
                                                                         list]:
    """Validate one family document. Returns the family (``None`` when any error) and the
    problems found."""
    chk = Checker(file)
    _schema_version(chk, doc)
    sources = parse_sources(chk, doc)
    check_units_and_sources(chk, doc, sources)
    fid = chk.text(doc, "id", "", pattern=ID_PATTERN)
    name = chk.text(doc, "name", "")
    kind = chk.text(doc, "kind", "", choices=KINDS)
    description = chk.text(doc, "description", "", required=False) or ""
    material = chk.text(doc, "material", "")
    if material is not None and material not in material_ids:
        chk.error("material", f"'{material}' is not defined in materials.toml (known: "
                              f"{', '.join(sorted(material_ids)) or 'none'})")
    basis = chk.text(doc, "sizing_basis", "", choices=SIZING_BASIS.get(kind or "", ()))
    if "source" not in doc:
        chk.error("source", "missing: the family needs a top-level source id (its primary "
                            "reference)")
    chk.unknown_keys(doc, TOP_KEYS, "")
    frame = _frame(chk, doc)
    orientation = _orientation(chk, doc)
    placement = _placement(chk, doc, kind or "")
    recoil = anatomy = None
    if kind in TAVR_KINDS:
        r = _optional_pair_table(chk, doc, "recoil", "recoil_min_pct", "recoil_max_pct",
                                 required=kind == "balloon-expandable")
        if r is not None:
            recoil = Recoil(source=source_ids(doc["recoil"]), sources=source_map(doc["recoil"]),
                            **r)
    a = _table(chk, doc, "anatomy", required=False)
    if a is not None:
        chk.unknown_keys(a, {"coronary_height_min_mm", "source", "source_by_key"}, "anatomy")
        anatomy = AnatomyLimits(
            coronary_height_min_mm=chk.number(a, "coronary_height_min_mm", "anatomy",
                                              required=False),
            source=source_ids(a), sources=source_map(a))
    sizes = _sizes(chk, doc, kind or "", basis, frame) if kind else None
    if chk.failed:
        return None, chk.problems
    family = DeviceFamily(
        id=fid, name=name, kind=kind, description=description, material=material,
        sizing_basis=basis, frame=frame, orientation=orientation, placement=placement,
        sizes=sizes, sources_table=tuple(sources.values()), source=source_ids(doc),
        file=file, recoil=recoil, anatomy=anatomy or AnatomyLimits())
    return family, chk.problems


def parse_materials(doc: dict, file: str) -> tuple[dict[str, Material], list]:
    """Validate a materials document. Broken entries are skipped (each named); the valid
    ones are returned. Any error in ``[[sources]]`` rejects the whole file."""
    chk = Checker(file)
    _schema_version(chk, doc)
    sources = parse_sources(chk, doc)
    check_units_and_sources(chk, doc, sources)
    chk.unknown_keys(doc, {"schema_version", "sources", "materials"}, "")
    # Errors inside one [materials.<id>] table reject that material only; any other error
    # (schema version, sources) rejects the file.
    errors = [p.key for p in chk.problems if p.severity == "error"]
    if any(not k.startswith("materials.") for k in errors):
        return {}, chk.problems
    raw = doc.get("materials")
    if not isinstance(raw, dict) or not raw:
        chk.error("materials", "missing: add [materials.<id>] tables")
        return {}, chk.problems
    out: dict[str, Material] = {}
    for mid, t in raw.items():
        path = f"materials.{mid}"
        if not ID_PATTERN.match(mid) or not isinstance(t, dict):
            chk.error(path, "material ids are lower-case identifiers naming a table")
            continue
        name = chk.text(t, "name", path)
        model = chk.text(t, "model", path, choices=("elastic-plastic", "superelastic"))
        keys = ELASTIC_PLASTIC_KEYS if model == "elastic-plastic" else SUPERELASTIC_KEYS
        v = _numbers(chk, t, keys, path) if model else {}
        chk.unknown_keys(t, set(keys) | {"name", "model", "source", "source_by_key"}, path)
        if model == "superelastic":
            chk.ordered(v["loading_start_mpa"], v["loading_end_mpa"], path,
                        "loading_start_mpa", "loading_end_mpa", strict=False)
            chk.ordered(v["unloading_end_mpa"], v["unloading_start_mpa"], path,
                        "unloading_end_mpa", "unloading_start_mpa", strict=False)
            chk.ordered(v["unloading_start_mpa"], v["loading_start_mpa"], path,
                        "unloading_start_mpa", "loading_start_mpa")
        if v.get("poisson_ratio") is not None and v["poisson_ratio"] >= 0.5:
            chk.error(f"{path}.poisson_ratio", "must be below 0.5")
        if not model or any(p.severity == "error" and (p.key == path
                                                       or p.key.startswith(path + "."))
                            for p in chk.problems):
            continue
        cls = ElasticPlasticMaterial if model == "elastic-plastic" else SuperelasticMaterial
        out[mid] = cls(id=mid, name=name, model=model, source=source_ids(t),
                       sources=source_map(t), **v)
    return out, chk.problems
