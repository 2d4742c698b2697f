"""``twindesk cohort run``: a plan over every twin of a cohort, on Dask.

One code path for both kinds of cluster: a :class:`distributed.LocalCluster` started here
(worker processes bound to 127.0.0.1, dashboard off, one BLAS/OpenMP thread per worker so
two workers do not fight over the same cores) or an existing scheduler given by address.
A scheduler on another machine is used only over TLS (``tls://``, certificates from the Dask
configuration) and only for a de-identified cohort: twins travel as folder paths, but results
and error messages do not stay on this machine. ``workers=0`` runs the same per-twin function
in this process, one twin after the other (the serial reference of the benchmark).

Resumable: a twin whose result file says ``ok`` for the same plan is not run again. Failures
are recorded per twin; the others go on.
"""

from __future__ import annotations

import ipaddress
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twindesk.errors import InputError
from twindesk.jobs.core import CancelToken, ProgressReporter
from twindesk.twin.cohort.make import read_manifest
from twindesk.twin.cohort.plan import BLAS_VARIABLES, Plan, read_result, run_twin

#: Environment of every local worker process: one thread for the BLAS/OpenMP pools.
WORKER_ENV = {v: "1" for v in BLAS_VARIABLES}

#: Dask configuration of the local workers (the nanny hands its own configuration to the
#: worker process it spawns). No statistical profiler: a worker samples its task thread's
#: stack every 10 ms for the dashboard, which is off here.
WORKER_CONFIG = {"distributed.worker.daemon": False,
                 "distributed.worker.profile.enabled": False,
                 "distributed.nanny.pre-spawn-environ": WORKER_ENV}


@dataclass(frozen=True)
class CohortRunParams:
    cohort_dir: Path
    plan: Plan
    scheduler: str | None = None
    workers: int = 2
    rerun_failed: bool = True


def is_local_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain", "", "127.0.0.1", "::1"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scheduler(address: str, deidentified: bool) -> str:
    """Refuse a scheduler that would carry identifiable twins off this machine.

    A scheduler on this machine (``tcp://127.0.0.1:8786``, ``localhost``) is always allowed;
    another host only with ``tls://`` and a de-identified cohort.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise InputError(f"--scheduler {address}: unknown protocol '{parts.scheme}'",
                         "give e.g. tcp://127.0.0.1:8786 or tls://host:8786")
    host = parts.hostname or ""
    if parts.scheme == "inproc" or is_local_host(host):
        return address
    if parts.scheme not in ("tls", "wss"):
        raise InputError(f"--scheduler {address}: a scheduler on another machine must use TLS",
                         "use a tls:// address (certificates in the Dask configuration: "
                         "distributed.comm.tls.*), or a scheduler on this machine")
    if not deidentified:
        raise InputError(f"--scheduler {address}: the cohort is not de-identified, so its "
                         "twins stay on this machine",
                         "make the cohort from a case imported with de-identification, or "
                         "run on a local cluster (omit --scheduler)")
    return address


def _client(params: CohortRunParams, deidentified: bool):
    """(client, cluster or None): a LocalCluster, or a client of the given scheduler."""
    from distributed import Client

    if params.scheduler:
        address = check_scheduler(params.scheduler, deidentified)
        security = None
        if address.startswith(("tls://", "wss://")):
            from distributed.security import Security

            security = Security()  # from the Dask configuration (distributed.comm.tls)
        return Client(address, security=security, timeout="30s"), None
    cluster = local_cluster(params.workers)
    return Client(cluster), cluster


def local_cluster(n_workers: int):
    """A LocalCluster of ``n_workers`` single-threaded worker processes on 127.0.0.1,
    without dashboard or profiler, each with one BLAS thread."""
    import dask
    from distributed import LocalCluster

    os.environ.update(WORKER_ENV)  # spawned workers inherit it before NumPy loads
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None,
                            scheduler_kwargs={"dashboard": False}, silence_logs=40,
                            env=WORKER_ENV)


def pending_twins(cohort_dir: Path, manifest: dict[str, Any], plan: Plan,
                  rerun_failed: bool = True) -> tuple[list[dict[str, Any]], list[dict]]:
    """(twins to run, results already there) — a twin is done when its result says ``ok``
    for this plan (failed ones are retried unless ``rerun_failed`` is False)."""
    todo, done = [], []
    for t in manifest["twins"]:
        r = read_result(cohort_dir, t["twin"])
        if r and r.get("plan_sha256") == plan.sha256 and (
                r.get("status") == "ok" or not rerun_failed):
            done.append(r)
        else:
            todo.append(t)
    return todo, done


def run(params: CohortRunParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Job: run the plan over the cohort; returns counts, timing and the table paths."""
    from twindesk.twin.cohort.table import write_outputs

    rep = ProgressReporter(progress, cancel=cancel)
    cohort_dir = Path(params.cohort_dir).resolve()
    manifest = read_manifest(cohort_dir)
    todo, done = pending_twins(cohort_dir, manifest, params.plan, params.rerun_failed)
    if params.workers < 0:
        raise InputError(f"--workers {params.workers}: must be 0 (serial) or more")
    t0 = time.perf_counter()
    n_total, results = len(manifest["twins"]), list(done)
    rep(len(done) / max(n_total, 1), f"{len(done)} of {n_total} twins already done")
    cluster_info: dict[str, Any] = {"kind": "serial", "workers": 0}
    order = {t["twin"]: i for i, t in enumerate(manifest["twins"])}

    def outputs(client=None) -> dict[str, Any]:
        results.sort(key=lambda r: order.get(r["twin"], 0))
        return write_outputs(cohort_dir, manifest, results, client)

    if not todo or (params.workers == 0 and not params.scheduler):
        for t in todo:
            results.append(run_twin(str(cohort_dir), t["twin"], t["path"], params.plan))
            rep(len(results) / n_total, f"{t['twin']} {results[-1]['status']}")
        files = outputs()
    else:
        from distributed import as_completed

        client, cluster = _client(params, bool(manifest.get("deidentified")))
        try:
            info = client.scheduler_info()
            cluster_info = {"kind": "local" if cluster is not None else "scheduler",
                            "address": client.scheduler.address,
                            "workers": len(info.get("workers", {}))}
            futures = [client.submit(run_twin, str(cohort_dir), t["twin"], t["path"],
                                     params.plan, key=f"twin-{t['twin']}-{params.plan.sha256}",
                                     pure=False) for t in todo]
            for fut in as_completed(futures):
                if cancel is not None and cancel.cancelled:
                    client.cancel(futures)
                    cancel.check()
                results.append(fut.result())
                rep(len(results) / n_total, f"{results[-1]['twin']} {results[-1]['status']}")
            files = outputs(client)  # the plots are drawn on the workers, side by side
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    seconds = time.perf_counter() - t0
    failed = [{"twin": r["twin"], "step": r.get("step"), "error": r.get("error"),
               "hint": r.get("hint")} for r in results if r["status"] != "ok"]
    rep(1.0, "cohort run done")
    return {"cohort": str(cohort_dir), "cohort_id": manifest["cohort_id"],
            "plan": params.plan.to_dict(), "cluster": cluster_info, "n": n_total,
            "ran": len(todo), "skipped": len(done), "finished": n_total - len(failed),
            "failed": len(failed), "failures": failed, "seconds": round(seconds, 3),
            **files}
