"""Qt-only room: main window, actions, views, panels, dialogs.

Map
---
``main_window``  the window: views, docks, menus/toolbar built from :mod:`actions` data
``case_control`` case lifecycle (open + crash recovery, load job, save, close, autosave,
                 measurements, undo/redo through ``twindesk.model.commands``)
``state``        :class:`~twindesk.ui.state.ViewerState`, the one shared viewing state
``coords``       the only LPS ↔ display conversion (Qt-free)
``views/``       2D slice views painted with Qt (axial, coronal, sagittal, oblique, curved)
                 and the pyvistaqt 3D view (world = LPS mm)
``panels/``      dockable panels, registered in ``panels.PANELS``
``jobs``         jobs off the UI thread (worker thread or child process) + status-bar bar
``errors``       the one error path to the user (non-blocking dialog)
``dialogs/``     import DICOM
``screenshot``, ``display``  headless renders (private Xvfb when there is no display)

Adding a panel (later capabilities)
-----------------------------------
1. Put the logic in a Qt-free core function (a job ``run(params, progress, cancel)`` for
   anything long).
2. Subclass :class:`twindesk.ui.panels.base.Panel` (``panel_id``, ``title``, ``area``,
   ``action_specs()``, ``case_opened(session)``, ``case_closed()``); start long work with
   ``self.window_.jobs.start(title, job, params, on_result, child=...)`` (``child=True``
   when a library call cannot stop: the job function must live in a Qt-free module such as
   :mod:`twindesk.ui.job_functions`); store edits as commands and then call
   ``self.window_.refresh_from_doc()`` and ``self.window_.doc_changed()``; report
   problems with ``self.window_.errors.report(exc)``.
3. Add ``"module:Class"`` to ``twindesk.ui.panels.PANELS``.
"""
