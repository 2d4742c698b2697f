"""Long work as jobs: pure functions ``run(params, progress, cancel) -> result``.

The GUI runs them off the UI thread (or in a child process when a library call cannot be
interrupted), the CLI shows a progress bar, tests call them directly.
"""

from twindesk.jobs.core import CancelToken, Progress, ProgressReporter, null_progress, run_job

__all__ = ["CancelToken", "Progress", "ProgressReporter", "null_progress", "run_job"]
