"""Attribute actions of the DICOM PS3.15 Annex E Basic Application Level Confidentiality
Profile (Table E.1-1), for the attributes a CT/MR import or export can carry.

Action codes (PS3.15 E.1.1): ``X`` remove; ``Z`` replace with an empty (or dummy) value;
``D`` replace with a dummy value; ``U`` replace the UID consistently; ``K`` keep. Where the
table allows a choice (``X/Z``, ``X/Z/D``, ``Z/D``) the stricter action a valid object
permits is used: ``Z`` for attributes that are Type 2 in the CT / MR / Enhanced CT IODs,
``X`` otherwise.

Rules for attributes *not* listed (applied by :class:`~twindesk.io.dicom.deid.Deidentifier`
to datasets): private attributes, overlays and curves are removed; unlisted person names,
free text (LT/ST/UT) and values of unknown type (UN) are removed; every UID that is not a
DICOM-defined one
(``1.2.840.10008.*``) is replaced; dates (DA/DT) are shifted.
"""

from __future__ import annotations

#: Dates kept but shifted under the Retain Longitudinal Temporal Information with Modified
#: Dates Option (PS3.15 E.3.6); without the option they get the action in ACTIONS.
SHIFTED_DATES = frozenset({
    "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "AcquisitionDateTime",
    "InstanceCreationDate", "PerformedProcedureStepStartDate", "PerformedProcedureStepEndDate",
    "OverlayDate", "CurveDate", "FrameAcquisitionDateTime", "FrameReferenceDateTime",
    "StartAcquisitionDateTime", "EndAcquisitionDateTime", "ContributionDateTime",
    "ScheduledProcedureStepStartDate", "DateOfLastCalibration",
})

#: Patient characteristics kept under the Retain Patient Characteristics Option
#: (PS3.15 E.3.4).
PATIENT_CHARACTERISTICS = frozenset({
    "PatientAge", "PatientSex", "PatientSize", "PatientWeight", "EthnicGroup",
    "SmokingStatus", "PregnancyStatus", "PatientSexNeutered", "PatientSpeciesDescription",
})

ACTIONS: dict[str, str] = {
    # patient identity
    "PatientName": "Z", "PatientID": "Z", "PatientBirthDate": "Z", "PatientSex": "Z",
    "PatientAge": "X", "PatientSize": "X", "PatientWeight": "X", "PatientBirthTime": "X",
    "PatientBirthName": "X", "PatientMotherBirthName": "X", "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X", "OtherPatientNames": "X", "PatientAddress": "X",
    "PatientTelephoneNumbers": "X", "PatientReligiousPreference": "X", "Occupation": "X",
    "MilitaryRank": "X", "BranchOfService": "X", "MedicalRecordLocator": "X",
    "IssuerOfPatientID": "X", "EthnicGroup": "X", "PatientComments": "X",
    "AdditionalPatientHistory": "X", "PatientState": "X", "MedicalAlerts": "X",
    "Allergies": "X", "SmokingStatus": "X", "PregnancyStatus": "X",
    "LastMenstrualDate": "X", "PatientInsurancePlanCodeSequence": "X",
    "PatientPrimaryLanguageCodeSequence": "X", "ResponsiblePerson": "X",
    "ResponsibleOrganization": "X", "CountryOfResidence": "X", "RegionOfResidence": "X",
    "PatientSexNeutered": "X", "PatientSpeciesDescription": "X",
    # study, visit, request
    "StudyInstanceUID": "U", "SeriesInstanceUID": "U", "SOPInstanceUID": "U",
    "MediaStorageSOPInstanceUID": "U", "FrameOfReferenceUID": "U",
    "ReferencedSOPInstanceUID": "U", "ReferencedFrameOfReferenceUID": "U",
    "SynchronizationFrameOfReferenceUID": "U", "DimensionOrganizationUID": "U",
    "ConcatenationUID": "U", "IrradiationEventUID": "U", "InstanceCreatorUID": "U",
    "StorageMediaFileSetUID": "U", "UID": "U", "TargetUID": "U",
    "StudyDate": "Z", "StudyTime": "Z", "SeriesDate": "X", "SeriesTime": "X",
    "AcquisitionDate": "X", "AcquisitionTime": "X", "AcquisitionDateTime": "X",
    "ContentDate": "Z", "ContentTime": "Z", "InstanceCreationDate": "X",
    "InstanceCreationTime": "X", "OverlayDate": "X", "OverlayTime": "X", "CurveDate": "X",
    "CurveTime": "X", "AccessionNumber": "Z", "StudyID": "Z", "StudyDescription": "X",
    "SeriesDescription": "X", "ProtocolName": "X", "ImageComments": "X",
    "StudyComments": "X", "RequestAttributesSequence": "X",
    "RequestedProcedureDescription": "X", "RequestedProcedureID": "X",
    "RequestingService": "X", "ReasonForStudy": "X", "AdmittingDiagnosesDescription": "X",
    "AdmissionID": "X", "IssuerOfAdmissionID": "X", "CurrentPatientLocation": "X",
    "DischargeDiagnosisDescription": "X", "ServiceEpisodeID": "X",
    "ServiceEpisodeDescription": "X", "VisitComments": "X",
    "PerformedProcedureStepID": "X", "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepStartDate": "X", "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X", "PerformedProcedureStepEndTime": "X",
    "ScheduledProcedureStepStartDate": "X", "ScheduledProcedureStepID": "X",
    "ScheduledProcedureStepDescription": "X", "CommentsOnThePerformedProcedureStep": "X",
    "AcquisitionComments": "X", "DerivationDescription": "X", "AcquisitionContextSequence": "X",
    "ContentSequence": "X", "TextString": "X", "TextComments": "X",
    "FrameComments": "X", "TopicTitle": "X", "TopicSubject": "X", "TopicAuthor": "X",
    "TopicKeywords": "X", "InterpretationText": "X", "Impressions": "X",
    # people and places
    "ReferringPhysicianName": "Z", "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X", "ReferringPhysicianIdentificationSequence": "X",
    "ConsultingPhysicianName": "X", "PhysiciansOfRecord": "X",
    "PhysiciansOfRecordIdentificationSequence": "X", "PerformingPhysicianName": "X",
    "PerformingPhysicianIdentificationSequence": "X", "NameOfPhysiciansReadingStudy": "X",
    "PhysiciansReadingStudyIdentificationSequence": "X", "RequestingPhysician": "X",
    "OperatorsName": "X", "OperatorIdentificationSequence": "X", "ContentCreatorName": "Z",
    "VerifyingObserverName": "Z", "PersonName": "Z", "PersonAddress": "X",
    "PersonTelephoneNumbers": "X", "InstitutionName": "X", "InstitutionAddress": "X",
    "InstitutionCodeSequence": "X", "InstitutionalDepartmentName": "X", "StationName": "X",
    "DeviceSerialNumber": "X", "DetectorID": "X", "PlateID": "X", "CassetteID": "X",
    "GantryID": "X", "ModifiedAttributesSequence": "X", "OriginalAttributesSequence": "X",
    "DigitalSignaturesSequence": "X", "DataSetTrailingPadding": "X",
    "TimezoneOffsetFromUTC": "X",
}
