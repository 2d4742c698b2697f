"""Entry point of the frozen ``twindesk`` program (PyInstaller one-folder bundle).

Besides the ordinary command line, the bundle's executable stands in for the Python
interpreter in the two ways twindesk's own child processes call it:

* ``multiprocessing`` children (jobs run in a spawned process, Dask workers):
  :func:`multiprocessing.freeze_support` takes over when the arguments say so;
* ``twindesk -m MODULE ...`` runs a bundled module as ``__main__`` (the Qt and OpenGL probes
  of ``twindesk doctor``, which must crash in a child rather than in the caller).
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def main() -> int:
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
