"""The heart and great vessels of the phantom, placed in LPS mm.

Everything is positioned relative to the body origin ``B`` (on the midline at the level of
the aortic annulus) and to the analytic aortic root (:mod:`twindesk.phantom.root`). The
placements follow typical adult anatomy for a head-first supine patient: the LV long axis
points anterior, left and inferior; the aortic root axis superior, rightward and anterior;
the left atrium lies posterior to the root with the appendage on its anterolateral side; the
descending aorta runs left-anterior of the spine.
"""

from __future__ import annotations

import numpy as np

from twindesk.phantom.params import PhantomParams
from twindesk.phantom.root import AorticRoot
from twindesk.phantom.shapes import (
    Complement,
    Ellipsoid,
    HalfSpace,
    Intersection,
    SmoothUnion,
    Union,
    pchip_profile,
    unit,
)
from twindesk.phantom.tubes import (
    Centerline,
    Tube,
    circular,
    elliptic,
    join_paths,
    spline_path,
    straight_path,
)

STEP_MM = 0.4  # centreline sampling
LAA_DIRECTION = (0.8, -0.3, 0.5)   # from the LA centre toward the appendage ostium (LPS)
LAA_BEND_HINT = (0.5, -0.7, -0.3)   # the windsock tip sweeps this way (anterior, inferior)
# left superior vein: leaves the LA posterior to the appendage (clear of its ostium), then
# runs laterally to the hilum (clear of the descending aorta)
PV_LEFT_SUPERIOR = ((0.8, 0.35, 0.45), (1.0, -0.2, 0.3))
SEPTUM_ANGLE_DEG = -20.0            # root-frame angle the muscular septum faces (anterior-right)


def frame_from(u, hint) -> np.ndarray:
    """Rows (a, b, u): an orthonormal frame whose third axis is ``u`` and first axis lies
    along ``hint`` projected perpendicular to ``u``."""
    u = unit(u)
    a = np.asarray(hint, float) - (np.asarray(hint, float) @ u) * u
    a = unit(a)
    return np.stack([a, np.cross(u, a), u])


class Vessel:
    """A named tube with its centreline (for truth and labels)."""

    def __init__(self, name: str, points, radius, normal0=(0, 0, 1), caps=("flat", "round")):
        self.name = name
        self.cl = Centerline(points, normal0)
        if callable(radius):
            self.radius = radius
            rmax = float(np.max(radius(self.cl.s)))
        else:
            self.radius = lambda s, r=float(radius): np.full(np.shape(s), r)
            rmax = float(radius)
        self.tube = Tube(self.cl, circular(self.radius), rmax, caps)


def taper(r0: float, r1: float, length: float, start: float = 0.0):
    """Radius constant (r0) up to arc length ``start``, then falling linearly to r1 over
    ``length`` mm."""
    return lambda s: r0 + (r1 - r0) * np.clip((np.asarray(s, float) - start) / length, 0.0, 1.0)


class Heart:
    """All cardiac and great-vessel geometry of one phantom."""

    def __init__(self, params: PhantomParams):
        self.params = params
        B = np.asarray(params.body_origin_lps_mm, float)
        self.B = B
        P = lambda x, y, z: B + np.array([x, y, z], float)  # noqa: E731 - local shorthand
        self.P = P
        self.root = root = AorticRoot(params.root, B)
        rp = params.root
        self._build_aorta(P, root, rp)
        self._build_lv(P, root)
        self._build_la(P)
        self._build_right_heart(P)
        self._build_coronaries(P, root)
        self._carve_right_heart()

    # ------------------------------------------------------------------ aorta
    def _build_aorta(self, P, root: AorticRoot, rp) -> None:
        n = root.n
        start = root.axis_point(-rp.lvot_length_mm)
        bend = root.axis_point(rp.straight_length_mm)
        straight = straight_path(start, bend, STEP_MM)
        # The first two waypoints keep the bend's radius of curvature above 1.3 lumen radii:
        # a sharper bend folds the canal surface over on its inner side, and the sections
        # there are no longer the circles the ground truth states.
        arch = spline_path([bend, P(-29, -43.5, 51), P(-27.5, -37, 67.5), P(-12, -12, 84),
                            P(6, -2, 91), P(22, 12, 86), P(33, 40, 66), P(37, 53, 30),
                            P(37, 54, -40), P(35, 53, -200)], start_tangent=n, step_mm=STEP_MM)
        pts = join_paths(straight, arch)
        self.aorta_cl = Centerline(pts, root.e_ant)
        self.annulus_s_mm = float(rp.lvot_length_mm)
        s0 = self.annulus_s_mm

        def section(s, c, sn):
            return root.wall_radius(s - s0, c, sn)

        rmax = float(max(k[1] for k in rp.aorta_diameter_knots)) / 2 + max(rp.sinus_bulge_mm)
        # distance normalised where the section varies fast: LVOT, sinuses, STJ
        self.aorta = Tube(self.aorta_cl, section, rmax, caps=("flat", "flat"),
                          normalize=s0 + rp.stj_height_mm + 2.0)
        # Arch branches: brachiocephalic, left common carotid, left subclavian.
        branch_specs = (
            ("brachiocephalic", 6.5, -14.0, (-12, -4, 150), (-4, -4, 0)),
            ("left_common_carotid", 4.0, 5.0, (10, 2, 150), (-2, 2, 0)),
            ("left_subclavian", 5.0, 19.0, (40, 22, 150), (0, 2, 0)),
        )
        self.branches = []
        for name, r, x_at, top, shift in branch_specs:
            s_org = self._arch_s_at_x(x_at)
            origin = self.aorta_cl.at(s_org)[0][0]
            up = origin + np.array([0.0, 0.0, 22.0]) + np.asarray(shift, float)
            path = spline_path([origin, up, P(*top)], start_tangent=(0, 0, 1), step_mm=STEP_MM)
            self.branches.append(Vessel(name, path, r, caps=("flat", "flat")))

    def _arch_s_at_x(self, x_rel: float) -> float:
        """Arc length of the arch's top point with the given x (body-relative)."""
        v = self.aorta_cl.v
        top = np.argmax(v[:, 2])
        lo = max(top - 400, 0)
        seg = slice(lo, min(top + 400, len(v)))
        k = np.argmin(np.abs(v[seg, 0] - (self.B[0] + x_rel)) - 1e-3 * v[seg, 2])
        return float(self.aorta_cl.s[lo + k])

    # ------------------------------------------------------------------ LV
    def _build_lv(self, P, root: AorticRoot) -> None:
        self.lv_axis = u = unit((0.58, -0.45, -0.68))
        self.lv_base = root.center + np.array([12.0, 16.0, -16.0])
        ax = frame_from(u, (0.0, -1.0, 0.0))  # rows: anterior-ish, lateral-ish, long axis
        self.lv_frame = ax
        self.lv_cavity_len_mm, self.lv_cavity_r_mm = 72.0, 25.0
        self.lv_wall_mm = 11.0
        base_plane = HalfSpace(self.lv_base, -u)  # inside: apex side
        L, R, W = self.lv_cavity_len_mm, self.lv_cavity_r_mm, self.lv_wall_mm
        self.lv_cavity_ell = Ellipsoid(self.lv_base, ax, (R, R, L))
        self.lv_outer_ell = Ellipsoid(self.lv_base, ax, (R + W, R + W, L + W))
        self.lv_cavity = Intersection([self.lv_cavity_ell, base_plane])
        self.lv_outer = Intersection([self.lv_outer_ell, base_plane])
        self.lv_apex = self.lv_base + (L + W) * u
        # closed mitral leaflets / annulus: a tissue disc on the base plane
        self.mitral_disc = Intersection([Ellipsoid(self.lv_base, ax, (R + 3, R + 3, 3.5)),
                                         HalfSpace(self.lv_base, u)])
        # Myocardium around the LVOT: the muscular septum on the anterior / right side (up to
        # 9 mm thick), thin fibrous tissue toward the mitral valve (aorto-mitral curtain).
        rp = self.params.root
        sleeve_pts = straight_path(root.axis_point(-rp.lvot_length_mm), root.axis_point(-1.0))
        sleeve_cl = Centerline(sleeve_pts, root.e_ant)
        c_sep, s_sep = np.cos(np.radians(SEPTUM_ANGLE_DEG)), np.sin(np.radians(SEPTUM_ANGLE_DEG))

        def sleeve(s, c, sn):
            facing = np.clip(c * c_sep + sn * s_sep, 0.0, 1.0)
            return root.base_radius(s - rp.lvot_length_mm, c, sn) + 2.0 + 7.0 * facing

        self.lvot_sleeve = Tube(sleeve_cl, sleeve, 24.0, caps=("flat", "flat"), normalize=True)

    # ------------------------------------------------------------------ LA, LAA, PVs
    def _build_la(self, P) -> None:
        lp = self.params.laa
        self.la_center = P(3, 18, 4)
        ax = frame_from((0.2, 0.0, 1.0), (1.0, 0.15, 0.0))  # rows: ~x, ~y, ~z
        self.la_ell = Ellipsoid(self.la_center, ax, (31.0, 15.5, 23.0))
        # the LA stops 3 mm short of the LV base plane (closed mitral valve between)
        u = self.lv_axis
        self.la_body = Intersection([self.la_ell, HalfSpace(self.lv_base - 3.0 * u, u)])
        # pulmonary vein stubs
        # (name, exit direction from the LA centre, course toward the hilum, radius)
        veins = (("left_superior", PV_LEFT_SUPERIOR[0], PV_LEFT_SUPERIOR[1], 7.0),
                 ("left_inferior", (1.0, 0.25, -0.15), (1.0, 0.125, -0.045), 7.5),
                 ("right_superior", (-0.85, 0.45, 0.45), (-0.85, 0.225, 0.135), 8.5),
                 ("right_inferior", (-0.8, 0.5, -0.4), (-0.8, 0.25, -0.12), 8.0))
        self.pulmonary_veins = []
        for name, d, course, r in veins:
            d = unit(d)
            surf = self.la_ell.surface_point(d)
            a = self.la_center + 0.6 * (surf - self.la_center)
            b = surf + 8.0 * d
            c = b + 30.0 * unit(course)
            path = spline_path([a, surf, b, c], step_mm=STEP_MM)
            self.pulmonary_veins.append(Vessel(f"pv_{name}", path, r, caps=("flat", "round")))
        # appendage (windsock)
        nu0 = unit(LAA_DIRECTION)
        ps = self.la_ell.surface_point(nu0)
        nu = self.la_ell.outward_normal(ps)
        self.laa_ostium_center = o = ps + lp.ostium_gap_mm * nu
        self.laa_normal = nu
        # the tip sweeps anteriorly and inferiorly over the LV's lateral base
        hint = np.asarray(LAA_BEND_HINT, float)
        self.laa_bend_dir = w = unit(hint - (hint @ nu) * nu)
        neck_len = 6.0
        arc_len = lp.axis_length_mm - neck_len
        phi = np.radians(lp.bend_deg)
        rb = arc_len / phi
        t = np.linspace(0.0, phi, max(int(arc_len / STEP_MM), 8) + 1)
        arc = (o + neck_len * nu)[None, :] + rb * (np.sin(t)[:, None] * nu +
                                                    (1 - np.cos(t))[:, None] * w)
        inner = straight_path(o - 22.0 * nu, o + neck_len * nu, STEP_MM)
        self.laa_inner_len_mm = 22.0
        pts = join_paths(inner, arc)
        major0 = unit(np.array([0.0, 0.0, 1.0]) - nu[2] * nu)
        self.laa_cl = Centerline(pts, major0)
        k = np.asarray(lp.section_knots, float)
        s_in = self.laa_inner_len_mm
        major = pchip_profile([(s + s_in, a / 2) for s, a, _ in k])
        minor = pchip_profile([(s + s_in, b / 2) for s, _, b in k])
        self.laa_semi = (major, minor)
        self.laa = Tube(self.laa_cl, elliptic(major, minor), float(k[:, 1].max()) / 2,
                        caps=("flat", "round"), normalize=True)
        # secondary lobe off the dominant lobe
        s_lobe = s_in + lp.secondary_lobe_at_mm
        p_lobe, t_lobe, n_lobe = (x[0] for x in self.laa_cl.at(s_lobe))
        b_lobe = np.cross(t_lobe, n_lobe)
        away = p_lobe - self.root.center          # the lobe points away from the aortic root
        lobe_dir = unit(b_lobe if b_lobe @ away > 0 else -b_lobe)
        r_lobe = lp.secondary_lobe_diameter_mm / 2
        wall = float(minor(s_lobe))
        tip = p_lobe + (wall + lp.secondary_lobe_length_mm - r_lobe) * lobe_dir
        self.laa_lobe = Vessel("laa_secondary_lobe", straight_path(p_lobe, tip, STEP_MM),
                               r_lobe, caps=("flat", "round"))
        self.laa_lobe_info = {"origin": p_lobe, "direction": lobe_dir, "wall_mm": wall,
                              "tip": tip + r_lobe * lobe_dir}
        self.la_blood = Union([self.la_body, self.laa, self.laa_lobe.tube] +
                              [v.tube for v in self.pulmonary_veins])
        self.laa_region = Intersection([Union([self.laa, self.laa_lobe.tube]),
                                        HalfSpace(o, -nu)])

    # ------------------------------------------------------------------ right heart
    def _build_right_heart(self, P) -> None:
        u = self.lv_axis
        ax = self.lv_frame
        ant = ax[0]
        right = unit(np.cross(u, ant))
        if right[0] > 0:
            right = -right
        rv_dir = unit(0.75 * ant + 0.65 * right)
        rv_c = self.lv_base + 20.0 * u + 36.0 * rv_dir
        rv_ax = frame_from(u, rv_dir)  # rows: radial (thin), tangential (wrap), long
        self.rv_cavity_ell = Ellipsoid(rv_c, rv_ax, (17.0, 36.0, 42.0))
        septum = Complement(Union([self.lv_outer_ell, self.lvot_sleeve]))
        self.rv_cavity = Intersection([self.rv_cavity_ell, septum])
        # RV outflow tract and pulmonary arteries
        self.pulmonary_trunk = Vessel("pulmonary_trunk", spline_path(
            [rv_c - 26.0 * u + 6.0 * rv_dir, P(4, -52, -14), P(15, -45, 12), P(21, -27, 34),
             P(17, -8, 46)], step_mm=STEP_MM), 12.0, caps=("flat", "round"))
        bif = P(17, -8, 46)
        self.rpa = Vessel("rpa", spline_path([bif, P(-10, 4, 48), P(-40, 10, 46),
                                              P(-62, 16, 42)], step_mm=STEP_MM),
                          taper(9.5, 7.5, 70.0), caps=("round", "round"))
        self.lpa = Vessel("lpa", spline_path([bif, P(36, 3, 62), P(52, 18, 62),
                                              P(66, 30, 52)], step_mm=STEP_MM),
                          taper(9.5, 7.5, 60.0), caps=("round", "round"))
        # right atrium, venae cavae
        self.ra_ell = Ellipsoid(P(-50, 4, -8), frame_from((0.1, 0.1, 1.0), (1, 0, 0)),
                                (20.0, 22.0, 27.0))
        self.svc = Vessel("svc", spline_path([P(-51, 0, 0), P(-50, -8, 30), P(-46, -10, 160)],
                                             step_mm=STEP_MM), 9.5, caps=("flat", "flat"))
        self.ivc = Vessel("ivc", spline_path([P(-48, 8, -10), P(-40, 18, -45),
                                              P(-34, 26, -160)], step_mm=STEP_MM),
                          11.5, caps=("flat", "flat"))
        self._right_parts = [self.rv_cavity, self.ra_ell, self.svc.tube, self.ivc.tube,
                             self.pulmonary_trunk.tube, self.rpa.tube, self.lpa.tube]

    def _carve_right_heart(self) -> None:
        """Keep the right heart clear of the left heart, root and coronaries (a septum, the
        aortic wall and fat always separate them, as in real hearts)."""
        keep_out = Union([self.lv_outer_ell, self.lvot_sleeve, self.aorta.offset(4.5),
                          self.coronary_blood.offset(2.5), self.la_blood.offset(4.0)])
        self.right_blood = Intersection([Union(self._right_parts), Complement(keep_out)])
        # Myocardium: LV wall, septum round the LVOT and a 4 mm RV free wall that blends into
        # the septum at its insertions (smooth union: no fat crease), kept off the coronary
        # arteries and the aortic wall.
        rv_free_wall = Intersection([
            SmoothUnion([self.rv_cavity_ell.offset(4.0), self.lv_outer], 6.0),
            Complement(Union([self.coronary_blood.offset(1.0), self.aorta.offset(2.5)]))])
        self.myocardium = Union([self.lv_outer, self.lvot_sleeve, rv_free_wall])

    # ------------------------------------------------------------------ coronaries
    def _build_coronaries(self, P, root: AorticRoot) -> None:
        cp = self.params.coronary
        self.coronaries = []
        self.ostia = {}
        lv = self
        u, ax = self.lv_axis, self.lv_frame
        L, R, W = self.lv_cavity_len_mm, self.lv_cavity_r_mm, self.lv_wall_mm

        def epicardial(t_mm, phi_deg, off=2.5):
            """Point on the LV epicardium: ``t_mm`` from the base along the axis, angle from
            the anterior frame axis toward the lateral one."""
            ph = np.radians(phi_deg)
            rad = (R + W) * np.sqrt(max(1.0 - (t_mm / (L + W)) ** 2, 0.0)) + off
            return lv.lv_base + t_mm * u + rad * (np.cos(ph) * ax[0] + np.sin(ph) * ax[1])

        for side, lower, diam, off_deg in (
                ("left", cp.left_lower_edge_height_mm, cp.left_main_diameter_mm,
                 cp.left_angle_offset_deg),
                ("right", cp.right_lower_edge_height_mm, cp.right_diameter_mm,
                 cp.right_angle_offset_deg)):
            r = diam / 2
            th = root.cusp_center_angle(side) + np.radians(off_deg)
            hc = lower + r
            # Straight radial run through the sinus wall: the ostium is the intersection of
            # this cylinder with the wall, so its lowest point is exactly at hc - r.
            phis = np.linspace(0, 2 * np.pi, 64)
            fp_h = hc + r * np.cos(phis)
            fp_th = th + r * np.sin(phis) / 14.0
            rho_wall_max = float(np.max(root.wall_radius_at(fp_h, fp_th)))
            rho0 = float(root.base_radius(hc, np.cos(th), np.sin(th))) - 3.0
            rho1 = rho_wall_max + self.params.root.wall_thickness_mm + 4.0
            a, b = root.to_lps(hc, th, rho0), root.to_lps(hc, th, rho1)
            radial = unit(b - a)
            self.ostia[side] = {"theta": th, "h_center": hc, "radius": r,
                                "straight": (a, b), "direction": radial}
            if side == "left":
                bif = b + 9.0 * unit(radial + np.array([0.0, 0.0, -0.4]))
                lm = spline_path([b, bif], start_tangent=radial, step_mm=STEP_MM)
                # the LAD passes anterior-left of the root, between the RVOT and the LAA
                around = root.to_lps(6.0, np.radians(70.0), 27.0)
                lad_pts = [bif, around] + [epicardial(t, -18.0 + 0.2 * t)
                                           for t in (14, 30, 48, 65, 80)]
                # the circumflex runs in the left atrioventricular groove, round the lateral
                # (negative frame angles: patient left) and posterior LV base
                lcx_pts = [bif] + [epicardial(7.0, ph, 3.0) for ph in (-75, -105, -140, -170)] + \
                    [epicardial(25.0, -185, 2.5)]
                main = join_paths(straight_path(a, b, STEP_MM), lm)
                self.coronaries.append(Vessel("left_main", main, r, caps=("flat", "round")))
                self.coronaries.append(Vessel("lad", spline_path(lad_pts, step_mm=STEP_MM),
                                              taper(1.9, 0.9, 110.0), caps=("round", "round")))
                self.coronaries.append(Vessel("lcx", spline_path(lcx_pts, step_mm=STEP_MM),
                                              taper(1.7, 1.0, 90.0), caps=("round", "round")))
            else:
                pts = [b, b + 8.0 * radial + np.array([-3.0, -2.0, -2.0]), P(-30, -50, -12),
                       P(-46, -40, -30), P(-58, -20, -44), P(-56, -4, -56)]
                path = join_paths(straight_path(a, b, STEP_MM),
                                  spline_path(pts, start_tangent=radial, step_mm=STEP_MM))
                keep = float(np.linalg.norm(b - a)) + 4.0  # calibre constant through the ostium
                self.coronaries.append(Vessel("rca", path, taper(r, 1.2, 160.0, keep),
                                              caps=("flat", "round")))
        self.coronary_blood = Union([v.tube for v in self.coronaries])
