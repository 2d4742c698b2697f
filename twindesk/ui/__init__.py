"""Qt-only room: main window, actions, views, panels, dialogs."""
