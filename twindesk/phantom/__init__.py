"""The demo phantom: a synthetic ECG-gated contrast cardiac CT with exact ground truth.

Modules, bottom up: :mod:`.params` (frozen parameter dataclasses), :mod:`.shapes` and
:mod:`.tubes` (signed-distance primitives, canal surfaces), :mod:`.root` (the analytic aortic
root), :mod:`.heart` and :mod:`.body` (placement of every structure, LPS mm),
:mod:`.anatomy` (field of view and the ordered paint layers), :mod:`.raster` (signed
distance → partial volume → PSF → noise → integer HU), :mod:`.truth` (ground truth),
:mod:`.generate` (the job producing image, labels and truth) and :mod:`.demo` (the job
writing the DICOM series, ``labels.mha``, ``truth.json`` and the imported case).
``cases/README.md`` documents the parameters and every ground-truth key.
"""
