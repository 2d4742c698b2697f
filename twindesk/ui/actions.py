"""Actions defined once, as data: menus, toolbar buttons and keyboard shortcuts are all
generated from the same :class:`ActionSpec` entries.

The main window declares its actions in :data:`WINDOW_ACTIONS`; every panel adds its own
through :meth:`twindesk.ui.panels.base.Panel.action_specs`. A spec names its callback as a
method of the object that owns it (the window or the panel), so the table stays plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QStyle, QToolBar, QWidget

#: Menu order in the menu bar (menus named by specs but not listed here go before "Help").
MENU_ORDER = ("File", "Edit", "View", "Tools", "Segmentation", "Help")


@dataclass(frozen=True)
class ActionSpec:
    """One user action.

    Attributes
    ----------
    id
        Stable identifier (``"file.open"``); tests and settings use it.
    text
        Menu text (``&`` marks the mnemonic).
    callback
        Name of the owner's method called with no arguments (``checked`` for checkable
        actions), e.g. ``"open_case_dialog"``.
    menu
        Menu path ``"View"`` or ``"View/Layout"``; empty for toolbar/shortcut-only actions.
    shortcut
        A :class:`QKeySequence` string or standard key name (``"Open"``, ``"Ctrl+Shift+Z"``).
    icon
        A ``QStyle.StandardPixmap`` name (``"SP_DialogOpenButton"``) or empty.
    toolbar
        Also show on the main toolbar.
    checkable, group
        Checkable actions sharing a ``group`` are mutually exclusive (e.g. tools).
    tip
        Status-bar / tooltip text.
    """

    id: str
    text: str
    callback: str
    menu: str = ""
    shortcut: str = ""
    icon: str = ""
    toolbar: bool = False
    checkable: bool = False
    group: str = ""
    tip: str = ""
    separator_before: bool = False


def _key_sequence(text: str) -> QKeySequence:
    standard = getattr(QKeySequence.StandardKey, text, None)
    return QKeySequence(standard) if standard is not None else QKeySequence(text)


def _icon(widget: QWidget, name: str) -> QIcon:
    pixmap = getattr(QStyle.StandardPixmap, name, None)
    return widget.style().standardIcon(pixmap) if pixmap is not None else QIcon()


def create_actions(owner: object, specs: Iterable[ActionSpec], parent: QWidget,
                   groups: dict[str, QActionGroup] | None = None) -> dict[str, QAction]:
    """Create one :class:`QAction` per spec, connected to ``owner.<callback>``."""
    groups = {} if groups is None else groups
    actions: dict[str, QAction] = {}
    for spec in specs:
        action = QAction(spec.text, parent)
        action.setObjectName(spec.id)
        if spec.shortcut:
            action.setShortcut(_key_sequence(spec.shortcut))
        if spec.icon:
            action.setIcon(_icon(parent, spec.icon))
        tip = spec.tip or spec.text.replace("&", "")
        if spec.shortcut:
            tip += f" ({action.shortcut().toString()})"
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        if spec.group:
            group = groups.setdefault(spec.group, QActionGroup(parent))
            group.addAction(action)
        callback: Callable = getattr(owner, spec.callback)
        if spec.checkable:
            action.toggled.connect(lambda checked, cb=callback: cb(checked))
        else:
            action.triggered.connect(lambda _=False, cb=callback: cb())
        parent.addAction(action)  # shortcuts work even when the action is in no menu
        actions[spec.id] = action
    return actions


def populate_menus(menubar: QMenuBar, specs: Iterable[ActionSpec],
                   actions: dict[str, QAction]) -> dict[str, QMenu]:
    """Add spec'd actions to (sub)menus named by ``spec.menu``; returns menus by path.

    Call once with every spec (window first, then panels): the top-level menus are created in
    :data:`MENU_ORDER` before any action is added, and the menus are found again through the
    returned dict, never by walking ``menubar.actions()`` — the wrappers PySide hands back for
    those C++-created actions can be stale (a sporadic ``QOffscreenSurface has no attribute
    'menu'`` seen in GUI tests, when a freed GL surface's address was reused).
    """
    specs = [s for s in specs if s.menu]
    order = {n: i for i, n in enumerate(MENU_ORDER)}
    tops = dict.fromkeys(s.menu.split("/")[0] for s in specs)  # first-seen order
    menus: dict[str, QMenu] = {}
    for name in sorted(tops, key=lambda n: order.get(n, len(MENU_ORDER) - 1.5)):
        menus[name] = QMenu(name, menubar)
        menubar.addMenu(menus[name])

    def menu_for(path: str) -> QMenu:
        if path not in menus:
            parent_path, _, name = path.rpartition("/")
            menus[path] = menu_for(parent_path).addMenu(name)
        return menus[path]

    for spec in specs:
        menu = menu_for(spec.menu)
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(actions[spec.id])
    return menus


def populate_toolbar(toolbar: QToolBar, specs: Iterable[ActionSpec],
                     actions: dict[str, QAction]) -> None:
    """Add the ``toolbar=True`` actions in spec order."""
    for spec in specs:
        if spec.toolbar:
            if spec.separator_before and toolbar.actions():
                toolbar.addSeparator()
            toolbar.addAction(actions[spec.id])
