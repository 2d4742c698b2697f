"""Input and output: DICOM, volumes, meshes, clinical data, the case store."""
