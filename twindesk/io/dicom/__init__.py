"""DICOM in and out: find series, read them as volumes, de-identify, write test series.

The import path, in order (Qt-free, no pixel read before the series is chosen):

``scan``      walk a folder, read each file's header (:mod:`.header`, :mod:`.frames`)
``series``    plan every series (:mod:`.assemble`, :mod:`.phases`), describe, choose one
``load``      read the chosen phase's pixels with SimpleITK (:mod:`.pixels`), resample an
              irregular stack (:mod:`.resample`), collect metadata (:mod:`.metadata`)
``deid``      the PS3.15 basic profile, keyed per case (:mod:`.deid_table`)
``text``      character sets, display cleaning, safe file names

:func:`twindesk.model.ingest.import_source` turns a loaded series into a case.
"""
