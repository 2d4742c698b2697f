"""Point flags accept the documented form with negative coordinates."""

import pytest

from twindesk.cli import build_parser
from twindesk.cli.args import attach_point_values, parse_points, point_flags

HINGES = "-2.97,-27.08,-154.3;1.77,-12.71,-142.2;-16.81,-12.86,-152.6"


@pytest.fixture(scope="module")
def parser():
    return build_parser()


def parse(parser, argv):
    return parser.parse_args(attach_point_values(argv, point_flags(parser)))


def test_point_flags_are_found_by_their_metavar(parser):
    flags = point_flags(parser)
    assert {"--hinges-lps", "--ostia-lps", "--septum-lps", "--seed-lps", "--paint"} <= flags
    assert "--json" not in flags and "--structure" not in flags


def test_negative_points_after_a_space_reach_the_flag(parser):
    args = parse(parser, ["measure", "case.twin", "--hinges-lps", HINGES, "--ostia-lps",
                          "-1,-2,-3;4,5,6", "--septum-lps", "-.5,1e1,-2E-1", "--json"])
    assert args.hinges_lps == HINGES and args.json
    assert parse_points(args.hinges_lps, "--hinges-lps", 3)[0] == (-2.97, -27.08, -154.3)
    assert args.ostia_lps == "-1,-2,-3;4,5,6"
    assert parse_points(args.septum_lps, "--septum-lps", 1) == [(-0.5, 10.0, -0.2)]


def test_every_point_flag_benefits(parser):
    args = parse(parser, ["segment", "case.twin", "--structure", "aorta", "--seed-lps",
                          "-10,20,-30"])
    assert args.seed_lps == "-10,20,-30"
    args = parse(parser, ["edit", "case.twin", "--structure", "aorta", "--paint", "-1,2,3"])
    assert args.paint == "-1,2,3"


@pytest.mark.parametrize("argv", [
    ["measure", "c", "--hinges-lps", "--json"],         # a flag, not a value: left alone
    ["measure", "c", "--no-store", "-1,2,3"],           # not a point flag
    ["measure", "c", "--hinges-lps", "-x,2,3"],         # not numbers
])
def test_other_arguments_are_untouched(parser, argv):
    assert attach_point_values(argv, point_flags(parser)) == argv


def test_the_cli_runs_with_the_documented_form(run_cli, tmp_path):
    r = run_cli("measure", tmp_path / "missing.twin", "--hinges-lps", HINGES, "--json")
    assert r.code == 2 and "missing.twin" in r.err   # reached the handler: case not found
