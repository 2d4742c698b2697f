"""Scenarios of the twin: definitions (devices, segments, cardiac output, heart rate) and
comparisons between them."""
