"""DICOM networking: a storage receiver (C-STORE SCP) and PACS query/retrieve (C-FIND, C-GET).

Privacy by default: nothing listens unless the user starts the receiver, which binds to
localhost unless told otherwise.
"""
