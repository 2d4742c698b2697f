"""Lumped (0D) circulation model."""
