"""twindesk: an offline desktop workstation for cardiac digital twins.

Research and planning support, not a diagnostic device.
"""

__version__ = "0.1.0"

INTENDED_USE = "Research and planning support \u2014 not for diagnosis."
