"""The import dialog's listing: scan entries plus a windowed thumbnail of the middle slice."""

import numpy as np
import pytest
import SimpleITK as sitk

from twindesk.errors import DicomError
from twindesk.io.dicom.browse import THUMB_PX, browse_folder, thumbnail
from twindesk.io.dicom.write import write_series


def test_listing_and_thumbnail(tmp_path):
    vol = np.full((9, 200, 150), -1000, np.int16)
    vol[4, 50:150, 40:110] = 550  # bright block in the middle slice only (≥ level + width/2)
    img = sitk.GetImageFromArray(vol)
    img.SetSpacing((0.7, 0.7, 2.0))
    write_series(img, tmp_path / "s", series_description="block")
    listing = browse_folder(tmp_path)
    (entry,) = listing.series
    assert entry["description"] == "block" and entry["size"] == [150, 200, 9]
    thumb = listing.thumbnails[0]
    assert max(thumb.shape) <= THUMB_PX and thumb.dtype == np.uint8
    assert thumb.max() == 255 and thumb.min() == 0   # the block is white, air black
    assert thumbnail(np.array([[-150.0, 200.0, 550.0]]))[0].tolist() == [0, 127, 255]


def test_folder_without_series(tmp_path):
    (tmp_path / "x.dcm").write_bytes(b"\0" * 200)
    with pytest.raises(DicomError, match="no DICOM image series"):
        browse_folder(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DicomError, match="empty"):
        browse_folder(empty)
