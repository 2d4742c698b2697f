"""Twin commands that need other rooms' engines (registered under ``twindesk twin``):
``follow-up`` (import, segmentation, registration), ``recalibrate`` (0D model) and
``watch`` (near-real-time trajectory)."""

from __future__ import annotations

import argparse


def register(tsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Added as their engines land (see the twin issue)."""
