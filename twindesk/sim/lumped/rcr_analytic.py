"""Analytic periodic solution of a three-element Windkessel driven by a periodic inflow.

For an inflow ``Q(t) = Σ_k Q_k·exp(i·k·ω·t)`` with ``ω = 2π/T`` the periodic inlet pressure
is ``P(t) = Pd + Σ_k Z(k·ω)·Q_k·exp(i·k·ω·t)`` with the RCR input impedance

    Z(ω) = Rp + Rd / (1 + i·ω·Rd·C)

(Westerhof, Lankhaar & Westerhof, Med Biol Eng Comput 2009;47:131–141). For a band-limited
inflow given by its harmonics this is exact; for a sampled inflow it is exact for the
trigonometric interpolant of the samples (FFT), which converges to the true solution as the
sampling is refined.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twindesk.sim.lumped.params import Windkessel


def rcr_impedance(wk: Windkessel, omega_rad_s: np.ndarray) -> np.ndarray:
    """Input impedance ``Z(ω)`` (Pa·s/m³, complex) of the RCR at angular frequencies ω."""
    omega = np.asarray(omega_rad_s, float)
    return wk.rp_pa_s_per_m3 + wk.rd_pa_s_per_m3 / (
        1.0 + 1j * omega * wk.rd_pa_s_per_m3 * wk.c_m3_per_pa)


def parallel_impedance(wks: Sequence[Windkessel], omega_rad_s: np.ndarray) -> np.ndarray:
    """Impedance of several RCRs in parallel (outlets of one network)."""
    return 1.0 / sum(1.0 / rcr_impedance(wk, omega_rad_s) for wk in wks)


def rcr_pressure_from_samples(wk: Windkessel, q_m3_s: np.ndarray, period_s: float) -> np.ndarray:
    """Periodic inlet pressure (Pa) at the sample times of a uniformly sampled inflow.

    ``q_m3_s`` holds one period at ``t_j = j·T/N`` (the end point excluded).
    """
    q = np.asarray(q_m3_s, float)
    n = q.size
    q_hat = np.fft.rfft(q)
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, d=period_s / n)
    p_hat = rcr_impedance(wk, omega) * q_hat
    return np.fft.irfft(p_hat, n) + wk.pd_pa


def rcr_pressure_harmonics(wk: Windkessel, q_mean_m3_s: float, q_cos_m3_s: Sequence[float],
                           q_sin_m3_s: Sequence[float], period_s: float,
                           t_s: np.ndarray) -> np.ndarray:
    """Exact periodic inlet pressure (Pa) for a finite Fourier-series inflow.

    ``Q(t) = q_mean + Σ_k [a_k·cos(k·ω·t) + b_k·sin(k·ω·t)]``, ``k = 1…K``, with
    ``a_k`` in ``q_cos_m3_s`` and ``b_k`` in ``q_sin_m3_s``.
    """
    t = np.asarray(t_s, float)
    omega = 2.0 * np.pi / period_s
    p = np.full_like(t, wk.pd_pa + (wk.rp_pa_s_per_m3 + wk.rd_pa_s_per_m3) * q_mean_m3_s)
    for k, (a, b) in enumerate(zip(q_cos_m3_s, q_sin_m3_s, strict=True), start=1):
        z = rcr_impedance(wk, np.array([k * omega]))[0]
        # The complex amplitude of a·cos(kωt) + b·sin(kωt) is (a − i·b).
        p += np.real(z * (a - 1j * b) * np.exp(1j * k * omega * t))
    return p


def fourier_flow(q_mean_m3_s: float, q_cos_m3_s: Sequence[float], q_sin_m3_s: Sequence[float],
                 period_s: float):
    """The inflow of :func:`rcr_pressure_harmonics` as a callable ``Q(t)`` (m³/s)."""
    omega = 2.0 * np.pi / period_s
    a = np.asarray(q_cos_m3_s, float)
    b = np.asarray(q_sin_m3_s, float)
    k = np.arange(1, a.size + 1)

    def q(t: float) -> float:
        return float(q_mean_m3_s + np.sum(a * np.cos(k * omega * t) + b * np.sin(k * omega * t)))

    return q
