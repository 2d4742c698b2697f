"""File ▸ Import DICOM folder: scan job, series table with thumbnails, import job, the new
case opens; a folder without DICOM series reaches the error dialog once."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from PySide6.QtWidgets import QMessageBox

from tests.gui.conftest import ORIGIN, SPACING, make_volume, wait_idle
from twindesk.ui.dialogs.import_dialog import run_import_dialog


def write_dicom(folder, description):
    vol, _ = make_volume()
    img = sitk.GetImageFromArray(vol)
    img.SetSpacing(SPACING)
    img.SetOrigin(ORIGIN)
    from twindesk.io.dicom.write import write_series

    write_series(img, folder, series_description=description)
    return vol


def test_import_dialog_lists_series_and_imports(main_window, qtbot, tmp_path):
    vol = write_dicom(tmp_path / "dicom", "Synthetic CTA")
    (tmp_path / "dicom" / "notes.txt").write_text("not DICOM")
    run_import_dialog(main_window, tmp_path / "dicom")
    wait_idle(qtbot, main_window)
    dialog = main_window.import_dialog
    assert dialog.isVisible()
    table = dialog.table
    assert table.rowCount() == 1
    assert table.item(0, 1).text() == "Synthetic CTA"
    assert table.item(0, 2).text() == str(vol.shape[0])            # slices
    assert table.item(0, 3).text() == "1 × 1 × 1.5"                 # spacing
    assert not table.item(0, 0).icon().isNull()                     # thumbnail
    thumb = dialog.listing.thumbnails[0]
    assert thumb.dtype == np.uint8 and thumb.max() == 255 and thumb.min() == 0
    target = tmp_path / "cases" / "new.twin"
    dialog.case_path.setText(str(target))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: main_window.session is not None and main_window.state.has_volume,
                    timeout=60000)
    wait_idle(qtbot, main_window)
    assert main_window.session.path == target and main_window.errors.history == []
    np.testing.assert_array_equal(main_window.state.volume, vol)
    np.testing.assert_allclose(main_window.state.geometry.origin_lps_mm, ORIGIN, atol=1e-4)


def test_broken_folder_reaches_the_error_dialog_once(main_window, qtbot, tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.dcm").write_bytes(b"\x00" * 300)
    (junk / "b.txt").write_text("hello")
    run_import_dialog(main_window, junk)
    wait_idle(qtbot, main_window)
    assert len(main_window.errors.history) == 1
    message, hint = main_window.errors.history[0]
    assert "no DICOM image series" in message and str(junk) in message and hint
    box = main_window.findChild(QMessageBox, "error_dialog")
    assert box.isVisible() and "What to do" in box.informativeText()
    assert getattr(main_window, "import_dialog", None) is None
    main_window.errors.close_all()
