"""The drawn image: attenuation per tissue after noise, label volumes, reproducibility.

Uses a coarse copy (1.2 mm voxels) of the demo anatomy to stay fast; the default-resolution
demo is checked in ``test_demo.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_erosion

from twindesk.phantom import generate
from twindesk.phantom.layers import LABELS, MATERIALS
from twindesk.phantom.params import PhantomParams

NOMINAL = PhantomParams().tissue


@pytest.fixture(scope="module")
def coarse():
    return generate.run(PhantomParams().with_voxel(1.2))


def interior(mask, voxels=2):
    return binary_erosion(mask, iterations=voxels)


@pytest.mark.parametrize("material, tol_hu", [
    ("blood_left", 5), ("blood_right", 5), ("myocardium", 5), ("fat", 5), ("lung", 5),
    ("liver", 5), ("cancellous_bone", 8), ("soft_tissue", 8)])
def test_material_attenuation_after_noise(coarse, material, tol_hu):
    inside = interior(coarse.materials == MATERIALS.index(material) + 1)
    values = coarse.hu[inside].astype(float)
    assert values.size > 500
    assert np.median(values) == pytest.approx(getattr(NOMINAL, f"{material}_hu"), abs=tol_hu)
    assert values.std() == pytest.approx(25.0, abs=2.5)


def test_headline_attenuations_per_label(coarse):
    """Blood ~350 HU, myocardium ~100 HU in the labelled structures (interior voxels)."""
    for name, hu in (("aorta", 350), ("lv", 350), ("la", 350), ("myocardium", 100),
                     ("right_heart", 200)):
        values = coarse.hu[interior(coarse.labels == LABELS[name])].astype(float)
        assert values.mean() == pytest.approx(hu, abs=6), name


def test_label_volumes_are_plausible(coarse):
    ml = {name: (coarse.labels == v).sum() * 1.2**3 / 1000 for name, v in LABELS.items()}
    assert 80 <= ml["lv"] <= 200
    assert 50 <= ml["la"] + ml["laa"] <= 150
    assert 3 <= ml["laa"] <= 15
    assert 100 <= ml["aorta"] <= 350
    assert 120 <= ml["myocardium"] <= 300
    assert 0.5 <= ml["coronaries"] <= 8
    assert ml["arch_branches"] > 2 and ml["leaflets"] > 0.2 and ml["calcium"] > 0.05
    assert ml["right_heart"] > 150 and ml["bone"] > 200
    truth_ml = coarse.truth["label_volumes_ml"]
    assert truth_ml["lv"] == pytest.approx(ml["lv"])


def test_labels_follow_the_geometry(coarse):
    """Voxel centres carry the label of the shape that contains them."""
    from twindesk.phantom.anatomy import Anatomy
    from twindesk.phantom.shapes import Union

    anatomy = Anatomy(coarse.params)
    heart = anatomy.heart
    grid = coarse.grid
    rng = np.random.default_rng(0)
    for name, shape in (("lv", Union([heart.lv_cavity, heart.aorta])), ("la", heart.la_blood),
                        ("laa", heart.laa_region), ("aorta", anatomy.aortic_lumen),
                        ("coronaries", heart.coronary_blood)):
        idx = np.argwhere(coarse.labels == LABELS[name])
        pick = idx[rng.choice(len(idx), min(len(idx), 2000), replace=False)]
        d = shape.sdf(grid.points(pick[:, 2], pick[:, 1], pick[:, 0]))
        assert d.max() <= 1e-9, name
    k, j, i = np.nonzero(coarse.labels == LABELS["aorta"])
    p = grid.points(i, j, k)
    root = heart.root
    near_root = np.linalg.norm(p - root.center, axis=1) < 30
    assert ((p[near_root] - root.center) @ root.n).min() >= -1e-9   # stops at the LVOT cut
    k, j, i = np.nonzero(coarse.labels == LABELS["lv"])
    p = grid.points(i, j, k)
    in_root = np.linalg.norm(p - root.center, axis=1) < 30
    assert ((p[in_root] - root.center) @ root.n).max() <= 1e-9


def test_reproducible_with_the_seed():
    p = PhantomParams().with_voxel(2.5)
    a, b = generate.run(p), generate.run(p)
    assert np.array_equal(a.hu, b.hu) and np.array_equal(a.labels, b.labels)
    from dataclasses import replace

    c = generate.run(replace(p, imaging=replace(p.imaging, seed=p.imaging.seed + 1)))
    assert np.array_equal(a.labels, c.labels)
    diff = a.hu.astype(float) - c.hu.astype(float)
    assert diff.std() == pytest.approx(25.0 * np.sqrt(2), rel=0.05)   # only the noise differs
