"""Parameters of the demo phantom (frozen dataclasses; units and frames in the names).

Coordinates are DICOM patient coordinates, LPS millimetres, for a patient lying head-first
supine: +x toward the patient's left, +y posterior, +z superior. Angles in the aortic-root
frame are measured in the annulus plane from the *anterior* in-plane direction (0 deg)
toward the patient's *left* (+90 deg); see :mod:`twindesk.phantom.root`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

GENERATOR = "twindesk.phantom"
#: Bump whenever the generated image or truth changes (the demo command reuses an existing
#: demo only when the stored version and parameters match).
GENERATOR_VERSION = "1.0.0"

CUSPS = ("right", "left", "non")  # right-, left- and non-coronary cusps / sinuses

_GEOMETRY_MODULES = ("params", "shapes", "tubes", "root", "heart", "body", "anatomy", "layers",
                     "raster", "truth", "generate")


def generator_digest() -> str | None:
    """SHA-256 of the generator's source code (``None`` where sources are not readable, e.g.
    in a frozen bundle). A demo built by different code is rebuilt even if someone forgot
    to bump :data:`GENERATOR_VERSION`."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _GEOMETRY_MODULES:
        try:
            h.update((here / f"{name}.py").read_bytes())
        except OSError:
            return None
    return h.hexdigest()


@dataclass(frozen=True)
class TissueHU:
    """Mean attenuation of each material in Hounsfield units (arterial-phase cardiac CTA)."""

    blood_left_hu: float = 350.0        # left heart and aorta, contrast peak
    blood_right_hu: float = 200.0       # right heart: contrast diluted by the saline chaser
    myocardium_hu: float = 100.0
    fat_hu: float = -100.0
    lung_hu: float = -800.0
    soft_tissue_hu: float = 50.0        # chest-wall muscle, oesophagus
    vessel_wall_hu: float = 60.0        # aortic / atrial walls, pericardium
    valve_tissue_hu: float = 110.0      # aortic leaflets, closed mitral leaflets
    calcium_hu: float = 1200.0
    cortical_bone_hu: float = 1000.0
    cancellous_bone_hu: float = 250.0
    cartilage_hu: float = 120.0
    disc_hu: float = 90.0
    csf_hu: float = 15.0
    liver_hu: float = 65.0
    air_hu: float = -1000.0


@dataclass(frozen=True)
class ImagingParams:
    """Acquisition and reconstruction of the synthetic ECG-gated CT.

    The point-spread function is an isotropic Gaussian given by its full width at half
    maximum (``psf_fwhm_mm``; sigma = FWHM / 2.3548), applied to the partial-volume-sampled
    image; then white Gaussian noise with standard deviation ``noise_sd_hu`` is added from a
    NumPy ``default_rng(seed)`` stream, and values are rounded to integer HU.
    """

    voxel_mm: float = 0.7
    psf_fwhm_mm: float = 0.8
    noise_sd_hu: float = 25.0
    seed: int = 20240611
    phase_percent: float = 35.0          # nominal percentage of the R-R interval
    heart_rate_bpm: float = 65.0
    fov_half_width_mm: float = 112.0     # x and y extent about the body midline
    margin_below_apex_mm: float = 12.0   # field of view starts this far below the LV apex
    margin_above_arch_mm: float = 30.0   # ... and ends this far above the arch's top

    @property
    def psf_sigma_mm(self) -> float:
        return self.psf_fwhm_mm / 2.354820045

    @property
    def trigger_time_ms(self) -> float:
        """Delay after the R wave of the reconstructed phase (ms)."""
        return self.phase_percent / 100.0 * 60000.0 / self.heart_rate_bpm


@dataclass(frozen=True)
class CalciumNodule:
    """A spherical calcium nodule on an aortic leaflet.

    ``angle_fraction`` runs 0 → 1 across the cusp's sector (commissure to commissure);
    ``height_fraction`` 0 → 1 from the leaflet's attachment line to its free edge.
    """

    cusp: str
    angle_fraction: float
    height_fraction: float
    radius_mm: float


@dataclass(frozen=True)
class RootParams:
    """Aortic root, valve and ascending aorta.

    The annulus (virtual basal ring) is the ellipse through the three hinge points (cusp
    nadirs); its plane is perpendicular to ``annulus_normal_lps`` (pointing from the LV into
    the aorta). The root is straight along that normal from the LVOT to
    ``straight_length_mm`` above the annulus, then curves into the arch.
    """

    annulus_offset_mm: tuple[float, float, float] = (-6.0, -18.0, 0.0)  # from body origin
    annulus_normal_lps: tuple[float, float, float] = (-0.42, -0.50, 0.757)
    annulus_major_mm: float = 26.0       # along the in-plane left direction (90 deg)
    annulus_minor_mm: float = 21.0       # along the in-plane anterior direction (0 deg)
    lvot_major_mm: float = 27.0          # LVOT ellipse reached lvot_transition_mm below
    lvot_minor_mm: float = 19.5
    lvot_transition_mm: float = 6.0
    lvot_length_mm: float = 26.0         # LVOT tube length below the annulus (into the LV)
    base_transition_mm: float = 15.0     # annulus ellipse → STJ circle over this height
    stj_height_mm: float = 20.0
    stj_diameter_mm: float = 28.0
    commissure_height_mm: float = 18.0
    # commissure angles (deg): right/left, left/non, non/right
    commissure_angles_deg: tuple[float, float, float] = (62.0, 178.0, -56.0)
    sinus_bulge_mm: tuple[float, float, float] = (5.5, 5.0, 6.0)   # right, left, non
    sinus_peak_fraction: float = 0.4     # sinus widest at this fraction of the STJ height
    leaflet_thickness_mm: float = 1.0
    leaflet_free_edge_height_mm: float = 12.0   # at the cusp centre (open, systole)
    wall_thickness_mm: float = 2.0
    straight_length_mm: float = 42.0
    # lumen diameter (mm) versus centreline arc length above the annulus (mm), PCHIP
    aorta_diameter_knots: tuple[tuple[float, float], ...] = (
        (20.0, 28.0), (28.0, 30.4), (40.0, 32.0), (55.0, 33.0), (80.0, 31.0),
        (115.0, 28.0), (150.0, 25.5), (185.0, 24.0), (260.0, 23.0))
    membranous_septum_length_mm: float = 7.0
    calcium: tuple[CalciumNodule, ...] = (
        CalciumNodule("non", 0.50, 0.12, 2.4),
        CalciumNodule("non", 0.28, 0.62, 1.8),
        CalciumNodule("left", 0.56, 0.40, 2.0),
        CalciumNodule("right", 0.45, 0.52, 1.6),
    )


@dataclass(frozen=True)
class CoronaryParams:
    """Coronary ostia: lower-edge heights above the annulus plane and calibres."""

    left_lower_edge_height_mm: float = 13.0
    right_lower_edge_height_mm: float = 16.0
    left_main_diameter_mm: float = 4.4
    right_diameter_mm: float = 3.6
    left_angle_offset_deg: float = -4.0   # ostium angle relative to the cusp centre
    right_angle_offset_deg: float = 6.0


@dataclass(frozen=True)
class LAAParams:
    """Left atrial appendage (windsock morphology).

    Cross-section semi-axes (mm) along the appendage axis at arc length ``s`` from the
    ostium plane: knots ``(s_mm, major_mm, minor_mm)`` (full diameters).
    """

    section_knots: tuple[tuple[float, float, float], ...] = (
        (0.0, 23.0, 16.5), (7.0, 19.0, 14.0), (16.0, 22.0, 16.0), (25.0, 17.0, 13.0),
        (31.0, 11.0, 9.5), (34.0, 9.0, 9.0))
    axis_length_mm: float = 34.0
    bend_deg: float = 40.0
    ostium_gap_mm: float = 1.5           # ostium plane this far outside the atrial body
    secondary_lobe_length_mm: float = 13.0
    secondary_lobe_diameter_mm: float = 9.0
    secondary_lobe_at_mm: float = 17.0


@dataclass(frozen=True)
class PhantomParams:
    """Everything that defines one phantom image."""

    body_origin_lps_mm: tuple[float, float, float] = (0.0, 0.0, -150.0)
    tissue: TissueHU = field(default_factory=TissueHU)
    imaging: ImagingParams = field(default_factory=ImagingParams)
    root: RootParams = field(default_factory=RootParams)
    coronary: CoronaryParams = field(default_factory=CoronaryParams)
    laa: LAAParams = field(default_factory=LAAParams)

    def with_voxel(self, voxel_mm: float) -> PhantomParams:
        """The same anatomy imaged with another voxel size (coarse copies for tests)."""
        return replace(self, imaging=replace(self.imaging, voxel_mm=float(voxel_mm)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every parameter (stored in the ground truth)."""
        return _jsonable(asdict(self))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
