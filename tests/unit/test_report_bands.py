"""r1cli.report.bands: the band across seeds (pure), groups from the command line, plots and report.md."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.report.bands import band, parse_groups, write_group_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_run(directory: Path, rewards: list[float], loss: float = 1.0) -> Path:
    directory.mkdir(parents=True)
    rows = [{"step": step, "loss": loss, "reward": r} for step, r in enumerate(rewards, start=1)]
    (directory / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return directory


# ---- the band -----------------------------------------------------------------------------------


def test_equal_runs_give_a_zero_width_band():
    b = band([([1, 2, 3], [0.5, 0.6, 0.7])] * 3)
    assert b.steps == [1, 2, 3] and b.mean == pytest.approx([0.5, 0.6, 0.7])
    assert b.low == b.high == [0.5, 0.6, 0.7] and b.sd == [0.0, 0.0, 0.0] and b.runs == 3


def test_the_band_keeps_only_the_steps_every_run_logged():
    short, long = ([1, 2], [1.0, 2.0]), ([1, 2, 3, 4], [3.0, 4.0, 5.0, 6.0])
    b = band([short, long])
    assert b.steps == [1, 2] and b.mean == [2.0, 3.0] and (b.low, b.high) == ([1.0, 2.0], [3.0, 4.0])
    assert b.sd == pytest.approx([math.sqrt(2)] * 2)  # sample sd (n - 1) of 1 and 3


def test_a_nan_or_a_missing_step_leaves_that_step_out():
    b = band([([1, 2, 3], [1.0, float("nan"), 3.0]), ([1, 3], [1.0, 5.0]), ([1, 2, 3], [1.0, 2.0, 4.0])])
    assert b.steps == [1, 3] and b.mean == [1.0, 4.0] and b.runs == 3


def test_a_run_without_the_metric_is_not_counted_and_one_run_has_no_sd():
    b = band([([1, 2], [0.5, 0.7]), ([], []), ([5], [float("inf")])])
    assert b.runs == 1 and b.mean == [0.5, 0.7] and b.low == b.high == b.mean
    assert all(math.isnan(sd) for sd in b.sd)
    assert band([]).steps == [] and band([]).runs == 0


def test_a_step_logged_twice_counts_with_its_later_value():
    # a resumed run logs the steps after its checkpoint again
    assert band([([1, 2, 2], [1.0, 2.0, 3.0])]).mean == [1.0, 3.0]


# ---- groups from the command line ---------------------------------------------------------------


def test_groups_keep_their_order_and_loose_runs_are_groups_of_their_own(tmp_path):
    groups = parse_groups(["zero=a,b , c", "cs=d"], [tmp_path / "base"])
    assert list(groups) == ["zero", "cs", "base"]
    assert groups["zero"] == [Path("a"), Path("b"), Path("c")]


@pytest.mark.parametrize(
    ("specs", "loose", "message"),
    [
        (["zero"], [], "has no name"),
        (["=a,b"], [], "has no name"),
        (["zero="], [], "group zero has no run folder"),
        (["zero= , ,"], [], "group zero has no run folder"),
        (["zero=a", "zero=b"], [], "two groups are named zero"),
        (["zero=a,b", "cs=c,./a"], [], "a is in groups zero and cs"),
        (["zero=a,a"], [], "a is twice in group zero"),
        (["zero=a,b"], ["b"], "b is in groups zero and b"),
        (["a=x"], ["a"], "two groups are named a"),
    ],
)
def test_malformed_groups_are_one_clear_error(specs, loose, message):
    with pytest.raises(R1Error, match=message):
        parse_groups(specs, loose)


# ---- plots and report.md ------------------------------------------------------------------------


def test_seeds_give_one_band_per_group_and_mean_sd_in_the_report(tmp_path):
    zero = [_write_run(tmp_path / f"zero-s{s}", [0.1 * s, 0.2 * s, 0.3 * s]) for s in (1, 2, 3)]
    cs = [_write_run(tmp_path / f"cs-s{s}", [0.5, 0.6, 0.7, 0.8][: 4 - (s == 2)]) for s in (1, 2)]
    groups = {"zero": zero, "coldstart": cs}
    report = write_group_report(groups, tmp_path / "cmp")
    assert report.markdown == tmp_path / "cmp" / "report.md"
    assert sorted(p.name for p in report.plots) == ["loss.png", "reward_total.png"]  # today's file names
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in report.plots)
    text = report.markdown.read_text()
    assert "# Training report: zero (3 runs), coldstart (2 runs)" in text
    assert "| zero | 3 | 0.6 ± 0.3 | 1 ± 0 |" in text  # reward at step 3: 0.3, 0.6, 0.9
    assert "| reward | 0.6 ± 0.3 (3) | 0.3..0.9 | 3 |" in text
    # coldstart's second seed stopped at step 3: its value there, not the first seed's step 4
    assert "| reward | 0.7 ± 0 (3) | 0.7..0.7 | 2 |" in text
    assert "## zero" in text and "## coldstart" in text and "- runs: 2" in text
    assert "![reward_total](plots/reward_total.png)" in text
    assert not (zero[0] / "report.md").exists()


def test_a_group_of_one_run_shows_its_value_without_a_spread(tmp_path):
    run = _write_run(tmp_path / "base", [0.25, 0.5])
    text = write_group_report(parse_groups([], [run]), tmp_path / "cmp").markdown.read_text()
    assert "| base | 1 | 0.5 | 1 |" in text and "| reward | 0.5 (2) | - | 1 |" in text


def test_a_group_with_a_folder_that_is_not_a_run_names_the_group(tmp_path):
    good = _write_run(tmp_path / "s1", [0.1])
    with pytest.raises(R1Error, match=r"group zero: .*s9 is not a directory"):
        write_group_report({"zero": [good, tmp_path / "s9"]}, tmp_path / "cmp")
    (tmp_path / "empty").mkdir()
    with pytest.raises(R1Error, match=r"group zero: .*empty has no metrics.jsonl"):
        write_group_report({"zero": [good, tmp_path / "empty"]}, tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()  # nothing written before every run is read


def test_groups_need_an_output_folder(tmp_path):
    run = _write_run(tmp_path / "s1", [0.1])
    with pytest.raises(R1Error, match="--group needs --output"):
        write_group_report({"zero": [run]}, None)
