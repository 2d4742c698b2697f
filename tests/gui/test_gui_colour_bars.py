"""Colour bars in the 3D view: one per scalar title, stacked, never printed over each other
(a deployed device's contact pressure and a flow field are shown together)."""

import pytest


@pytest.mark.gui
def test_two_scalar_surfaces_get_separate_bars(main_window, qtbot):
    import numpy as np
    import pyvista as pv

    state = main_window.view3d.state
    plotter = main_window.view3d.plotter
    if plotter is None:
        pytest.skip("no OpenGL context for the 3D view")
    for i, (name, title) in enumerate((("device", "Contact pressure kPa"),
                                       ("lumen", "p (mmHg)"))):
        mesh = pv.Sphere(radius=5.0 + i, center=(0.0, 0.0, 10.0 * i))
        mesh.point_data["f"] = np.linspace(0.0, 1.0, mesh.n_points)
        state.set_surface(name, mesh, meta={"scalars": "f", "scalar_title": title})
    qtbot.waitUntil(lambda: len(plotter.scalar_bars) == 2, timeout=5000)
    boxes = []
    for title in ("Contact pressure kPa", "p (mmHg)"):
        bar = plotter.scalar_bars[title]
        y0 = bar.GetPositionCoordinate().GetValue()[1]
        boxes.append((y0, y0 + bar.GetHeight()))
    (a0, a1), (b0, b1) = sorted(boxes)
    assert a1 <= b0, boxes  # the upper bar starts above the lower one's top
    # Replacing the flow field by another keeps one bar per title shown.
    mesh = pv.Sphere(radius=6.0, center=(0.0, 0.0, 10.0))
    mesh.point_data["g"] = np.linspace(0.0, 1.0, mesh.n_points)
    state.set_surface("lumen", mesh, meta={"scalars": "g", "scalar_title": "WSS (Pa)"})
    qtbot.waitUntil(lambda: set(plotter.scalar_bars.keys()) == {"Contact pressure kPa", "WSS (Pa)"},
                    timeout=5000)


@pytest.mark.gui
def test_a_new_result_under_the_same_title_gets_its_own_range(main_window, qtbot):
    """Regression: the lumen coloured by a steady peak result (124–127 mmHg) after the mean
    result (99–100 mmHg) was drawn over the union, 99–127 mmHg, while the panel said 124–127."""
    import numpy as np
    import pyvista as pv

    state = main_window.view3d.state
    plotter = main_window.view3d.plotter
    if plotter is None:
        pytest.skip("no OpenGL context for the 3D view")

    def show(lo, hi):
        mesh = pv.Sphere(radius=5.0)
        mesh.point_data["p"] = np.linspace(lo, hi, mesh.n_points)
        state.set_surface("lumen", mesh, meta={"scalars": "p", "scalar_title": "p (mmHg)",
                                               "clim": (lo, hi)})
        return mesh

    show(99.0, 100.0)
    qtbot.waitUntil(lambda: "p (mmHg)" in plotter.scalar_bars, timeout=5000)
    mesh = show(124.0, 127.0)
    qtbot.waitUntil(lambda: main_window.view3d._surface_actors["lumen"][0] is mesh,
                    timeout=5000)
    bar_range = plotter.scalar_bars["p (mmHg)"].GetLookupTable().GetRange()
    actor_range = main_window.view3d._surface_actors["lumen"][1].GetMapper().GetScalarRange()
    assert bar_range == pytest.approx((124.0, 127.0))
    assert actor_range == pytest.approx((124.0, 127.0))
