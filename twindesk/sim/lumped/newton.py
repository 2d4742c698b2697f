"""A small damped Newton solver with finite-difference Jacobian and Broyden updates.

Used for the periodic steady state (shooting on the cycle map) and for calibration (the
closed loop's outputs matched to the targets); both are small (2–4 unknowns) and every
residual evaluation costs an ODE solve, so the Jacobian is built once by finite differences
and then updated by Broyden's rank-one formula, rebuilt only when a step fails to reduce the
residual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twindesk.errors import SolverError


@dataclass(frozen=True)
class NewtonResult:
    x: np.ndarray
    f: np.ndarray
    jacobian: np.ndarray | None
    iterations: int
    evaluations: int
    residual: float


def newton(residual: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, scale: np.ndarray,
           tol: float, *, f_scale: np.ndarray | None = None, max_iter: int = 30,
           fd_step: float = 1e-5, max_step_scales: float = 30.0, what: str = "Newton solve",
           hint: str = "check the physiology parameters") -> NewtonResult:
    """Solve ``residual(x) = 0``.

    ``scale`` is each unknown's typical size (finite-difference steps and damping are relative
    to it); converged when ``max|f / f_scale| < tol`` (``f_scale`` defaults to ``scale``).
    """
    x = np.asarray(x0, float).copy()
    scale = np.asarray(scale, float)
    f_scale = scale if f_scale is None else np.asarray(f_scale, float)
    n = x.size
    calls = 0

    def evaluate(z: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        return np.asarray(residual(z), float)

    def norm(v: np.ndarray) -> float:
        return float(np.max(np.abs(v) / f_scale))

    f = evaluate(x)
    jac: np.ndarray | None = None
    fresh = False
    for it in range(max_iter + 1):
        if norm(f) < tol:
            return NewtonResult(x, f, jac, it, calls, norm(f))
        if it == max_iter:
            break
        if jac is None:
            jac = np.empty((n, n))
            for j in range(n):
                dx = np.zeros(n)
                dx[j] = fd_step * scale[j]
                jac[:, j] = (evaluate(x + dx) - f) / dx[j]
            fresh = True
        try:
            step = -np.linalg.solve(jac, f)
        except np.linalg.LinAlgError:
            raise SolverError(f"{what}: singular Jacobian", hint) from None
        worst = float(np.max(np.abs(step) / (max_step_scales * scale)))
        if worst > 1.0:  # damp steps far beyond the typical sizes
            step /= worst
        # Backtrack along a fresh Newton direction; a stale (Broyden) one is rebuilt instead.
        accepted = False
        for _ in range(6 if fresh else 1):
            f_new = evaluate(x + step)
            if norm(f_new) < norm(f):
                accepted = True
                break
            step = step / 2.0
        if not accepted:
            if fresh:
                break  # no descent even along a fresh Newton direction: the noise floor
            jac = None
            continue
        jac = jac + np.outer(f_new - f - jac @ step, step) / float(step @ step)
        fresh = False
        x, f = x + step, f_new
    raise SolverError(f"{what}: not converged in {max_iter} iterations (residual "
                      f"{norm(f):.2e})", hint)
