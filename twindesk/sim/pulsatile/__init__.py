"""Pulsatile 3D blood flow: BDF2 Navier–Stokes with outlet Windkessels, Womersley check."""
