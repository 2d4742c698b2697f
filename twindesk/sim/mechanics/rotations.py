"""Vectorised SO(3) helpers for the co-rotational beams.

All functions take stacks: rotation vectors ``(..., 3)`` and rotation matrices
``(..., 3, 3)``. Rotation vectors are spatial ("left") spins: ``exp(skew(w)) @ R`` rotates
``R`` by ``w`` in the fixed frame.
"""

from __future__ import annotations

import numpy as np

_SMALL = 1e-6


def skew(w: np.ndarray) -> np.ndarray:
    """``skew(w) @ v == cross(w, v)``."""
    w = np.asarray(w, float)
    out = np.zeros(w.shape[:-1] + (3, 3))
    out[..., 0, 1], out[..., 0, 2] = -w[..., 2], w[..., 1]
    out[..., 1, 0], out[..., 1, 2] = w[..., 2], -w[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -w[..., 1], w[..., 0]
    return out


def _coefficients(theta: np.ndarray):
    """sin(t)/t, (1-cos t)/t², (t-sin t)/t³ with series near zero."""
    t2 = theta * theta
    small = theta < _SMALL * 100
    safe = np.where(small, 1.0, theta)
    a = np.where(small, 1 - t2 / 6 + t2 * t2 / 120, np.sin(safe) / safe)
    b = np.where(small, 0.5 - t2 / 24 + t2 * t2 / 720, (1 - np.cos(safe)) / safe ** 2)
    c = np.where(small, 1 / 6 - t2 / 120 + t2 * t2 / 5040, (safe - np.sin(safe)) / safe ** 3)
    return a, b, c


def expm(w: np.ndarray) -> np.ndarray:
    """Rotation matrices of rotation vectors (Rodrigues)."""
    w = np.asarray(w, float)
    theta = np.linalg.norm(w, axis=-1)
    a, b, _ = _coefficients(theta)
    s = skew(w)
    return np.eye(3) + a[..., None, None] * s + b[..., None, None] * (s @ s)


def logm(r: np.ndarray) -> np.ndarray:
    """Rotation vectors of rotation matrices (angle < π)."""
    r = np.asarray(r, float)
    v = 0.5 * np.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0],
                        r[..., 1, 0] - r[..., 0, 1]], axis=-1)
    sin_t = np.linalg.norm(v, axis=-1)
    cos_t = 0.5 * (np.trace(r, axis1=-2, axis2=-1) - 1.0)
    theta = np.arctan2(sin_t, cos_t)
    small = sin_t < 1e-9
    factor = np.where(small, 1.0 + theta ** 2 / 6, theta / np.where(small, 1.0, sin_t))
    return factor[..., None] * v


def left_jacobian_inverse(w: np.ndarray) -> np.ndarray:
    """``J⁻¹(w)`` with ``dw = J⁻¹(w) dphi`` for a left spin ``dR Rᵀ = skew(dphi)``."""
    w = np.asarray(w, float)
    theta = np.linalg.norm(w, axis=-1)
    small = theta < 1e-4
    safe = np.where(small, 1.0, theta)
    # (1/t² − (1+cos t)/(2 t sin t)) → 1/12 + t²/720 as t → 0
    coef = np.where(small, 1 / 12 + theta ** 2 / 720,
                    1 / safe ** 2 - (1 + np.cos(safe)) / (2 * safe * np.sin(safe)))
    s = skew(w)
    return np.eye(3) - 0.5 * s + coef[..., None, None] * (s @ s)


def orthonormalize(r: np.ndarray) -> np.ndarray:
    """Nearest rotation matrices (removes round-off drift after many updates)."""
    u, _, vt = np.linalg.svd(r)
    return u @ vt
