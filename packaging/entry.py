"""Entry point of the frozen ``twindesk`` program (PyInstaller one-folder bundle).

Besides the ordinary command line, the bundle's executable stands in for the Python
interpreter in the two ways twindesk's own child processes call it:

* ``multiprocessing`` children (jobs run in a spawned process, Dask workers):
  :func:`multiprocessing.freeze_support` takes over when the arguments say so;
* ``twindesk -m MODULE ...`` runs a bundled module as ``__main__`` (the Qt and OpenGL probes
  of ``twindesk doctor``, which must crash in a child rather than in the caller).

PyInstaller's matplotlib hook points ``MPLCONFIGDIR`` at a fresh temporary folder in every
process (a guard for one-file bundles, whose paths change per run), so each start would
rebuild matplotlib's font list. A one-folder bundle's paths are stable: the font list goes
to the per-user cache instead (never into the install folder).
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import sys


def _matplotlib_config_in_user_cache() -> None:
    from twindesk.paths import user_cache_dir

    os.environ["MPLCONFIGDIR"] = str(user_cache_dir() / "matplotlib")


def main() -> int:
    if getattr(sys, "frozen", False):
        _matplotlib_config_in_user_cache()     # before a child process takes over below
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from twindesk.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
