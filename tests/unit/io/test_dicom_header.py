"""The fast header reader against pydicom, on every kind of file the importer meets."""

from __future__ import annotations

import pydicom
import pytest
from dicom_factory import compress, set_tags, truncate, volume, write_ct, write_enhanced_ct

from twindesk.io.dicom.frames import frames_of
from twindesk.io.dicom.header import FileProblem, read_header
from twindesk.io.dicom.tags import TAGS

CHECKED = ["SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID", "Modality", "Rows",
           "Columns", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
           "SliceThickness", "InstanceNumber", "PatientName", "SeriesDescription",
           "RescaleIntercept", "RescaleSlope", "NumberOfFrames"]


def _same_as_pydicom(path):
    ours = read_header(path).data
    ref = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    for kw in CHECKED:
        if kw not in ref:
            assert not ours.has(kw), kw
            continue
        value = ref[kw].value
        vr = TAGS[kw][1]
        if vr in ("DS", "IS", "US", "UL", "FL", "FD"):
            values = value if isinstance(value, pydicom.multival.MultiValue) else [value]
            expected = [float(v) for v in values]
            assert ours.numbers(kw) == pytest.approx(expected, abs=1e-9), kw
        else:
            assert ours.text(kw) == str(value), kw


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                    "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"])
def test_uncompressed_syntaxes_match_pydicom(tmp_path, syntax):
    paths = write_ct(volume(shape=(3, 8, 8)), tmp_path / "s", series_description="Herz CT",
                     patient_name="Müller^Jürgen")
    big = syntax == "1.2.840.10008.1.2.2"
    for p in paths:
        ds = pydicom.dcmread(p)
        if big:
            ds.PixelData = ds.pixel_array.byteswap().tobytes()
        ds.file_meta.TransferSyntaxUID = syntax
        pydicom.dcmwrite(p, ds, implicit_vr=syntax == "1.2.840.10008.1.2",
                         little_endian=not big, force_encoding=big, enforce_file_format=not big)
    header = read_header(paths[1])
    assert header.transfer_syntax == syntax
    assert header.pixel is not None and header.pixel.problem is None
    _same_as_pydicom(paths[1])


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80"])
def test_compressed_pixel_data_is_walked(tmp_path, syntax):
    paths = write_ct(volume(shape=(2, 8, 8)), tmp_path / "s")
    compress(paths, syntax)
    header = read_header(paths[0])
    assert header.pixel.encapsulated and header.pixel.fragments == 1
    assert header.pixel.problem is None
    truncate(paths[0], 0.97)
    assert "truncated" in read_header(paths[0]).pixel.problem


def test_enhanced_multiframe_frames_match_pydicom(tmp_path):
    image = volume(shape=(5, 8, 8))
    path = write_enhanced_ct(image, tmp_path / "enh.dcm", percents=[10, 20, 30, 40, 50])
    frames = frames_of(read_header(path))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert len(frames) == 5
    for f, item in zip(frames, ds.PerFrameFunctionalGroupsSequence, strict=True):
        pos = [float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]
        assert f.position_lps_mm == pytest.approx(pos)
        assert f.percent == float(item.CardiacSynchronizationSequence[0]
                                  .NominalPercentageOfCardiacPhase)
        assert f.intercept == -1024.0 and f.slope == 1.0
        assert f.pixel_spacing_mm == pytest.approx((image.GetSpacing()[0], image.GetSpacing()[1]))


def test_file_without_preamble_or_meta_is_read(tmp_path):
    """Old archives hold bare implicit-VR data sets: no preamble, no file meta group."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    paths = write_ct(volume(shape=(2, 8, 8)), tmp_path / "s")
    ds = pydicom.dcmread(paths[0])
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)
    paths[0].write_bytes(fp.getvalue())
    assert paths[0].read_bytes()[128:132] != b"DICM"
    header = read_header(paths[0])
    assert header.transfer_syntax == "1.2.840.10008.1.2"
    _same_as_pydicom(paths[0])


@pytest.mark.parametrize("content, kind", [
    (b"", "not_dicom"), (b"hello, this is a text file\n" * 20, "not_dicom"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 300, "not_dicom")])
def test_non_dicom_files_are_refused(tmp_path, content, kind):
    path = tmp_path / "junk.dcm"
    path.write_bytes(content)
    with pytest.raises(FileProblem) as info:
        read_header(path)
    assert info.value.kind == kind


def test_truncated_header_names_the_place(tmp_path):
    paths = write_ct(volume(shape=(2, 8, 8)), tmp_path / "s")
    paths[0].write_bytes(paths[0].read_bytes()[:400])  # inside the data set, after the meta
    with pytest.raises(FileProblem) as info:
        read_header(paths[0])
    assert info.value.kind == "truncated" and "byte" in info.value.reason


def test_truncated_pixel_data_keeps_the_header(tmp_path):
    paths = write_ct(volume(shape=(2, 16, 16)), tmp_path / "s")
    truncate(paths[0], 0.7)
    header = read_header(paths[0])
    assert header.data.string("SeriesInstanceUID")
    assert "truncated" in header.pixel.problem


def test_missing_tags_read_as_empty(tmp_path):
    paths = write_ct(volume(shape=(2, 8, 8)), tmp_path / "s")
    set_tags(paths[:1], SeriesInstanceUID=None, SliceThickness=None)
    data = read_header(paths[0]).data
    assert data.string("SeriesInstanceUID") == "" and data.number("SliceThickness") is None
