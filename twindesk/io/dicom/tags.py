"""The DICOM data elements the importer reads, and the transfer syntaxes it knows.

Only these tags are decoded from file headers (everything else is skipped unread), which is
what keeps a folder scan fast. Tags and value representations are those of DICOM PS3.6.
"""

from __future__ import annotations

#: keyword → (tag, VR). Sequences (VR ``SQ``) are descended into; their items are parsed
#: with the same table (the enhanced multi-frame functional groups nest this way).
TAGS: dict[str, tuple[int, str]] = {
    # file meta information (group 0002)
    "MediaStorageSOPClassUID": (0x00020002, "UI"),
    "TransferSyntaxUID": (0x00020010, "UI"),
    # identification
    "SpecificCharacterSet": (0x00080005, "CS"),
    "ImageType": (0x00080008, "CS"),
    "SOPClassUID": (0x00080016, "UI"),
    "SOPInstanceUID": (0x00080018, "UI"),
    "StudyDate": (0x00080020, "DA"),
    "SeriesDate": (0x00080021, "DA"),
    "AcquisitionDate": (0x00080022, "DA"),
    "StudyTime": (0x00080030, "TM"),
    "SeriesTime": (0x00080031, "TM"),
    "AccessionNumber": (0x00080050, "SH"),
    "Modality": (0x00080060, "CS"),
    "Manufacturer": (0x00080070, "LO"),
    "InstitutionName": (0x00080080, "LO"),
    "ReferringPhysicianName": (0x00080090, "PN"),
    "StudyDescription": (0x00081030, "LO"),
    "SeriesDescription": (0x0008103E, "LO"),
    "ManufacturerModelName": (0x00081090, "LO"),
    # patient
    "PatientName": (0x00100010, "PN"),
    "PatientID": (0x00100020, "LO"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "PatientAge": (0x00101010, "AS"),
    # acquisition
    "BodyPartExamined": (0x00180015, "CS"),
    "SliceThickness": (0x00180050, "DS"),
    "KVP": (0x00180060, "DS"),
    "SpacingBetweenSlices": (0x00180088, "DS"),
    "TriggerTime": (0x00181060, "DS"),
    "NominalInterval": (0x00181062, "IS"),
    "HeartRate": (0x00181088, "IS"),
    "GantryDetectorTilt": (0x00181120, "DS"),
    "ConvolutionKernel": (0x00181210, "SH"),
    "PatientPosition": (0x00185100, "CS"),
    "CardiacSynchronizationTechnique": (0x00189037, "CS"),
    "CardiacRRIntervalSpecified": (0x00189070, "FD"),
    "CardiacSynchronizationSequence": (0x00189118, "SQ"),
    # relationship and geometry
    "StudyInstanceUID": (0x0020000D, "UI"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "StudyID": (0x00200010, "SH"),
    "SeriesNumber": (0x00200011, "IS"),
    "AcquisitionNumber": (0x00200012, "IS"),
    "InstanceNumber": (0x00200013, "IS"),
    "ImagePositionPatient": (0x00200032, "DS"),
    "ImageOrientationPatient": (0x00200037, "DS"),
    "FrameOfReferenceUID": (0x00200052, "UI"),
    "TemporalPositionIdentifier": (0x00200100, "IS"),
    "NumberOfTemporalPositions": (0x00200105, "IS"),
    "FrameContentSequence": (0x00209111, "SQ"),
    "PlanePositionSequence": (0x00209113, "SQ"),
    "PlaneOrientationSequence": (0x00209116, "SQ"),
    "TemporalPositionIndex": (0x00209128, "UL"),
    "FrameAcquisitionNumber": (0x00209156, "US"),
    "NominalCardiacTriggerDelayTime": (0x00209153, "FD"),
    "NominalPercentageOfCardiacPhase": (0x00209241, "FL"),
    # image pixel
    "SamplesPerPixel": (0x00280002, "US"),
    "PhotometricInterpretation": (0x00280004, "CS"),
    "NumberOfFrames": (0x00280008, "IS"),
    "Rows": (0x00280010, "US"),
    "Columns": (0x00280011, "US"),
    "PixelSpacing": (0x00280030, "DS"),
    "BitsAllocated": (0x00280100, "US"),
    "BitsStored": (0x00280101, "US"),
    "PixelRepresentation": (0x00280103, "US"),
    "RescaleIntercept": (0x00281052, "DS"),
    "RescaleSlope": (0x00281053, "DS"),
    "PixelMeasuresSequence": (0x00289110, "SQ"),
    "PixelValueTransformationSequence": (0x00289145, "SQ"),
    # enhanced multi-frame
    "SharedFunctionalGroupsSequence": (0x52009229, "SQ"),
    "PerFrameFunctionalGroupsSequence": (0x52009230, "SQ"),
}

BY_TAG: dict[int, tuple[str, str]] = {tag: (kw, vr) for kw, (tag, vr) in TAGS.items()}

PIXEL_DATA_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})  # Pixel, Float, Double
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
UNDEFINED_LENGTH = 0xFFFFFFFF

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
UNCOMPRESSED = frozenset({IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE})

#: Names shown to users for the transfer syntaxes GDCM decodes (PS3.5 Annex A).
TRANSFER_SYNTAX_NAMES = {
    IMPLICIT_LE: "Implicit VR Little Endian",
    EXPLICIT_LE: "Explicit VR Little Endian",
    DEFLATED_LE: "Deflated Explicit VR Little Endian",
    EXPLICIT_BE: "Explicit VR Big Endian",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline",
    "1.2.840.10008.1.2.4.51": "JPEG Extended",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.5": "RLE Lossless",
}

#: Value representations whose values are 16-bit-length in explicit VR (PS3.5 7.1.2);
#: every other VR has a 2-byte reserved field and a 32-bit length.
SHORT_LENGTH_VRS = frozenset({
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
    b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"})
LONG_LENGTH_VRS = frozenset({
    b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
