"""The whole phantom: heart + thorax, the field of view, and the ordered paint layers."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from twindesk.phantom.body import Thorax
from twindesk.phantom.heart import Heart
from twindesk.phantom.layers import LABELS, Layer
from twindesk.phantom.params import PhantomParams
from twindesk.phantom.raster import Grid
from twindesk.phantom.shapes import Custom, HalfSpace, Intersection, Sphere, Union

STUB_LENGTH_MM = 10.0  # arch branches belong to the aorta label for this far past the wall


class Anatomy:
    """Geometry of one phantom (independent of the voxel size)."""

    def __init__(self, params: PhantomParams):
        self.params = params
        self.heart = Heart(params)
        lo, hi = self.fov_box()
        self.thorax = Thorax(self.heart, (lo[2], hi[2]))

    # ------------------------------------------------------------------ field of view
    def fov_box(self) -> tuple[np.ndarray, np.ndarray]:
        """LPS box imaged: x/y about the midline; z from below the LV apex to above the arch."""
        ip, h = self.params.imaging, self.heart
        B = h.B
        cl = h.aorta_cl
        top = np.argmax(cl.v[:, 2])
        arch_top = cl.v[top, 2] + float(h.root.diameter(cl.s[top] - h.annulus_s_mm)) / 2
        z_lo = h.lv_apex[2] - ip.margin_below_apex_mm
        z_hi = arch_top + ip.margin_above_arch_mm
        w = ip.fov_half_width_mm
        return np.array([B[0] - w, B[1] - w, z_lo]), np.array([B[0] + w, B[1] + w, z_hi])

    def grid(self) -> Grid:
        lo, hi = self.fov_box()
        return Grid.covering(lo, hi, self.params.imaging.voxel_mm)

    # ------------------------------------------------------------------ derived regions
    @cached_property
    def branch_stubs(self) -> list[dict]:
        """Per arch branch: where its centreline leaves the aortic lumen and the stub cut."""
        out = []
        for v in self.heart.branches:
            d = self.heart.aorta.sdf(v.cl.v)
            k = int(np.argmax(d > 0))
            s_exit = float(v.cl.s[k])
            p, t, _ = v.cl.at(s_exit + STUB_LENGTH_MM)
            exit_pt = v.cl.v[k]
            out.append({"name": v.name, "vessel": v, "s_exit": s_exit, "exit_point": exit_pt,
                        "cut_point": p[0], "cut_normal": t[0]})
        return out

    @cached_property
    def aortic_lumen(self):
        return Union([self.heart.aorta] + [v.tube for v in self.heart.branches])

    def calcium_spheres(self) -> list[dict]:
        root = self.heart.root
        out = []
        for nod in self.params.root.calcium:
            c, theta, h = root.leaflet_point(nod.cusp, nod.angle_fraction, nod.height_fraction)
            out.append({"cusp": nod.cusp, "center": c, "radius_mm": nod.radius_mm,
                        "theta": theta, "h": h})
        return out

    # ------------------------------------------------------------------ layers
    def layers(self) -> list[Layer]:
        h, th = self.heart, self.thorax
        lab = LABELS
        root = h.root
        wall = self.params.root.wall_thickness_mm
        bone = lab["bone"]

        def bone_layers(name, shape, cortex_mm=1.5):
            return [Layer(f"{name} cortex", shape, "cortical_bone", bone),
                    Layer(f"{name} marrow", shape, "cancellous_bone", bone,
                          offset_mm=-cortex_mm)]

        layers = [
            Layer("subcutaneous fat", th.body, "fat", coarse=True),
            Layer("chest wall", th.muscle, "soft_tissue", coarse=True),
            Layer("lungs", th.cavity, "lung", coarse=True),
            Layer("liver", Intersection([th.liver, th.muscle]), "liver", coarse=True),
            Layer("upper abdomen", Intersection([th.left_abdomen, th.muscle]), "soft_tissue",
                  coarse=True),
            Layer("mediastinal fat", Intersection([th.mediastinum, th.cavity]), "fat",
                  coarse=True),
            Layer("paraspinal muscle", th.paraspinal, "soft_tissue", coarse=True),
            Layer("pulmonary arteries in the lungs", th.lung_vessels, "blood_right"),
            *bone_layers("sternum", th.sternum),
            *bone_layers("ribs", th.rib_bone, 1.2),
            Layer("costal cartilage", th.rib_cartilage, "cartilage"),
            *bone_layers("vertebral bodies", th.vertebral_bodies),
            Layer("discs", th.discs, "disc"),
            *bone_layers("vertebral arches", th.posterior_arches),
            Layer("spinal canal", th.canal, "csf"),
            Layer("airway wall", th.airway, "soft_tissue", offset_mm=1.5),
            Layer("airway", th.airway, "air"),
            Layer("oesophagus", th.esophagus.tube, "soft_tissue", coarse=True),
            Layer("aortic wall", self.aortic_lumen, "vessel_wall", offset_mm=wall),
            Layer("right heart walls", h.right_blood, "vessel_wall", offset_mm=1.5),
            Layer("left atrial wall", h.la_blood, "vessel_wall", offset_mm=2.0),
            Layer("myocardium", h.myocardium, "myocardium", lab["myocardium"]),
            Layer("mitral valve", h.mitral_disc, "valve_tissue"),
            Layer("right heart blood", h.right_blood, "blood_right", lab["right_heart"]),
            Layer("coronary arteries", h.coronary_blood, "blood_left", lab["coronaries"]),
            Layer("left atrium", h.la_blood, "blood_left", lab["la"]),
            Layer("left atrial appendage", h.laa_region, None, lab["laa"], (lab["la"],)),
            Layer("left ventricle", h.lv_cavity, "blood_left", lab["lv"]),
            Layer("aorta", self.aortic_lumen, "blood_left", lab["aorta"]),
        ]
        for stub in self.branch_stubs:
            beyond = Intersection([stub["vessel"].tube, HalfSpace(stub["cut_point"],
                                                                  -stub["cut_normal"])])
            layers.append(Layer(f"{stub['name']} beyond stub", beyond, None,
                                lab["arch_branches"], (lab["aorta"],)))
        lvot = Intersection([HalfSpace(root.center, root.n), Sphere(root.center, 45.0)])
        layers.append(Layer("LVOT below the annulus plane", lvot, None, lab["lv"],
                            (lab["aorta"],)))
        r_box = max(root.a_lvot, root.r_stj) + 2.0
        top = root.axis_point(self.params.root.commissure_height_mm)
        leaflets = Custom(root.leaflet_sdf, np.minimum(root.center, top) - r_box,
                          np.maximum(root.center, top) + r_box)
        layers.append(Layer("aortic leaflets", leaflets, "valve_tissue", lab["leaflets"]))
        calc = Union([Sphere(c["center"], c["radius_mm"]) for c in self.calcium_spheres()])
        layers.append(Layer("leaflet calcium", calc, "calcium", lab["calcium"]))
        return layers
