"""Generate the phantom image, label map and ground truth (a job)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.phantom.anatomy import Anatomy
from twindesk.phantom.params import PhantomParams
from twindesk.phantom.raster import Grid, blur_and_noise, paint
from twindesk.phantom.truth import build_truth


@dataclass
class Phantom:
    """A generated phantom: integer HU and labels as ``[k, j, i]`` (z, y, x) arrays."""

    params: PhantomParams
    grid: Grid
    hu: np.ndarray          # int16
    labels: np.ndarray      # uint8, values in twindesk.phantom.layers.LABELS
    materials: np.ndarray   # uint8, twindesk.phantom.layers.MATERIALS index + 1
    truth: dict

    def _to_image(self, array: np.ndarray):
        import SimpleITK as sitk

        img = sitk.GetImageFromArray(array)
        img.SetSpacing([self.grid.spacing_mm] * 3)
        img.SetOrigin(self.grid.origin_lps_mm)
        img.SetDirection((1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0))
        return img

    def image(self):
        """The CT as a SimpleITK int16 image (LPS, identity direction)."""
        return self._to_image(self.hu)

    def label_image(self):
        """The label map as a SimpleITK uint8 image on the same grid."""
        return self._to_image(self.labels)


def run(params: PhantomParams, progress=None, cancel: CancelToken | None = None) -> Phantom:
    """Build the anatomy, draw it, blur, add noise and compute the ground truth.

    Parameters
    ----------
    params
        The phantom (``params.imaging.voxel_mm`` sets the grid; the anatomy does not change).
    progress, cancel
        Job progress callback ``(fraction, message)`` and cancel token.
    """
    rep = ProgressReporter(progress, cancel=cancel)
    rep(0.0, "building the anatomy")
    anatomy = Anatomy(params)
    grid = anatomy.grid()
    ip = params.imaging
    hu, labels, materials = paint(anatomy.layers(), grid, params.tissue, rep.sub(0.02, 0.88),
                                  cancel)
    rep(0.89, "point-spread function and noise")
    image = blur_and_noise(hu, grid, ip.psf_sigma_mm, ip.noise_sd_hu, ip.seed)
    del hu
    rep(0.96, "ground truth")
    counts = np.bincount(labels.ravel(), minlength=16)
    truth = build_truth(anatomy, grid, {i: int(c) for i, c in enumerate(counts)})
    rep(1.0, "phantom ready")
    return Phantom(params, grid, image, labels, materials, truth)
