"""`r1 report` through the CLI: the report's path on stdout, the summary on stderr, one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()


def test_report_prints_the_report_path_and_a_summary(tmp_path):
    run = tmp_path / "zero"
    run.mkdir()
    rows = [{"step": s, "reward": 0.1 * s, "rewards/accuracy/mean": 0.1 * s, "loss": 0.5} for s in (1, 2, 3)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run / "report.md")
    assert "rewards/accuracy/mean" in result.stderr and "3 plots in" in result.stderr
    assert (run / "plots" / "reward_accuracy.png").is_file()


def test_an_unreadable_line_in_the_middle_is_named_on_the_terminal(tmp_path):
    run = tmp_path / "zero"
    run.mkdir()
    lines = [json.dumps({"step": s, "reward": 0.1 * s, "loss": 0.5}) for s in (1, 2, 3, 4)]
    lines[1] = '{"step": 2, "reward": 0.'  # a line a crash tore, with good lines after it
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert "metrics.jsonl: unreadable line(s) 2 left out: the plots have a gap there" in result.stderr
    assert "unreadable line(s) 2 of metrics.jsonl left out" in (run / "report.md").read_text()


def test_report_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "metrics.jsonl").write_text("")
    (tmp_path / "none").mkdir()
    for folder, message in (("none", "has no metrics.jsonl"), ("empty", "holds no training step yet")):
        result = runner.invoke(app, ["report", str(tmp_path / folder)])
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and message in result.stderr
        assert result.stdout == ""


def _seed_runs(tmp_path, name, seeds=3):
    folders = []
    for seed in range(1, seeds + 1):
        run = tmp_path / f"{name}-s{seed}"
        run.mkdir()
        rows = [{"step": s, "reward": 0.1 * s * seed, "loss": 1.0 / s} for s in (1, 2, 3)]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        folders.append(str(run))
    return ",".join(folders)


def test_report_groups_draw_one_band_per_group(tmp_path):
    zero, coldstart = _seed_runs(tmp_path, "zero"), _seed_runs(tmp_path, "cs", seeds=2)
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["report", "--group", f"zero={zero}", "-g", f"coldstart={coldstart}", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out / "report.md")
    assert "zero · 3 runs" in result.stderr and "coldstart · 2 runs" in result.stderr
    assert "2 plots in" in result.stderr
    assert {p.name for p in (out / "plots").iterdir()} == {"reward_total.png", "loss.png"}
    text = (out / "report.md").read_text()
    assert "## zero" in text and "## coldstart" in text and "| zero | 3 |" in text


def test_report_group_mistakes_are_one_line(tmp_path):
    zero = _seed_runs(tmp_path, "zero")
    first = zero.split(",")[0]
    out = ["-o", str(tmp_path / "cmp")]
    for args, message in (
        (["--group", f"zero={zero},{tmp_path / 'nope'}", *out], "group zero:"),
        (["--group", "zero=", *out], "group zero has no run folder"),
        (["--group", f"zero={zero}", "--group", f"other={first}", *out], "is in groups zero and other"),
        (["--group", f"zero={zero}"], "--group needs --output"),
    ):
        result = runner.invoke(app, ["report", *args])
        assert result.exit_code == 1, result.output
        assert result.stderr.count("\n") == 1 and message in result.stderr
        assert result.stdout == ""
    nothing = runner.invoke(app, ["report"])
    assert nothing.exit_code == 2 and "give RUN_DIR... or --group" in nothing.stderr
