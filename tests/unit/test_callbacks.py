"""The training-log callbacks, driven with real TrainerState/TrainingArguments/TrainerControl and synthetic logs."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_callback import (
    CallbackHandler,
    DefaultFlowCallback,
    PrinterCallback,
    ProgressCallback,
)

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.completions import completion_text
from r1cli.rewards.format import count_reasoning_steps, is_well_formed
from r1cli.train.callbacks import (
    BarOnlyProgressCallback,
    KeepCheckpointsCallback,
    MetricsLogCallback,
    quiet_trainer_output,
    trainer_callbacks,
)
from r1cli.train.reward_log import (
    CompletionsLogCallback,
    ExamplesCallback,
    RewardRecorder,
    RewardTrendCallback,
    build_callbacks,
)

GOOD = "<think>\nStep 1: 2 + 2 = 4\nStep 2: check it\n</think>\n<answer>\n4\n</answer>"
BAD = "The answer is 5 because I think so."
LOGGING = {
    "rich": True,
    "examples_every": 2,
    "trend_window": 2,
    "trend_threshold": 0.10,
    "keep_checkpoint_every": 0,
    "completions_per_step": 0,
}


def accuracy(completions, **kwargs):
    return [1.0 if "4" in completion_text(c) else 0.0 for c in completions]


def format_reward(completions, **kwargs):
    return [1.0 if completion_text(c).startswith("<think>") else 0.0 for c in completions]


def _args(tmp_path: Path) -> TrainingArguments:
    return TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)


def _state(step: int = 0, main: bool = True) -> TrainerState:
    state = TrainerState(max_steps=20, is_world_process_zero=main, is_local_process_zero=main)
    state.global_step, state.epoch = step, step / 20
    return state


def _trl_logs(accuracy_mean: float = 0.5, **extra) -> dict:
    """A log dict as GRPOTrainer passes it to on_log."""
    return {
        "loss": 0.0123,
        "grad_norm": 0.5,
        "learning_rate": 5e-5,
        "num_tokens": 1234.0,
        "completions/mean_length": 20.0,
        "completions/clipped_ratio": 0.25,
        "rewards/accuracy/mean": accuracy_mean,
        "rewards/accuracy/std": 0.5,
        "rewards/format_reward/mean": 0.5,
        "rewards/format_reward/std": 0.5,
        "reward": 1.0,
        "reward_std": 0.7,
        "entropy": 0.4,
        "step_time": 0.3,
        "epoch": 0.1,
        **extra,
    }


def _score(funcs, completions, prompts=None) -> None:
    """One generation batch, scored by every function in turn (as TRL does)."""
    prompts = prompts or ["What is 2 + 2?"] * len(completions)
    ids = [[0] * (len(completion_text(c)) // 4) for c in completions]
    for func in funcs:
        func(prompts=prompts, completions=completions, completion_ids=ids, trainer_state=None)


def _run_step(callbacks, args, state, logs) -> dict:
    control = TrainerControl()
    for callback in callbacks:
        callback.on_log(args, state, control, logs=logs)
    return logs


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- the recorder ------------------------------------------------------------------------------


def test_wrap_keeps_names_values_and_signature_behaviour() -> None:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    wrapped = recorder.wrap([accuracy, functools.partial(format_reward)])
    assert [f.__name__ for f in wrapped] == ["accuracy", "format_reward"]
    plain = [GOOD, BAD]
    chat = [[{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": BAD}]]
    for completions in (plain, chat):
        assert wrapped[0](prompts=["p", "p"], completions=completions, completion_ids=[[1], [2]]) == [
            1.0,
            0.0,
        ]
        assert wrapped[1](prompts=["p", "p"], completions=completions, completion_ids=[[1], [2]]) == [
            1.0,
            0.0,
        ]
    window = recorder.consume()
    assert (window.samples, window.batches, window.format_ok, window.completion_tokens) == (4, 2, 2, 4)
    assert recorder.consume().samples == 0


def test_async_reward_functions_stay_async() -> None:
    async def slow_reward(completions, **kwargs):
        return [0.5 for _ in completions]

    recorder = RewardRecorder(["slow"], [])
    (wrapped,) = recorder.wrap([slow_reward])
    assert inspect.iscoroutinefunction(wrapped) and wrapped.__name__ == "slow_reward"
    assert asyncio.run(wrapped(prompts=["p"], completions=["x"], completion_ids=[[1]])) == [0.5]
    assert recorder.consume().reward_max == {"slow_reward": 0.5}


def test_window_statistics_and_missing_rewards() -> None:
    def sometimes(completions, **kwargs):
        return [None if "5" in completion_text(c) else 0.5 for c in completions]

    recorder = RewardRecorder(["accuracy", "format", "sometimes"], [1.0, 1.0, 1.0])
    _score(recorder.wrap([accuracy, format_reward, sometimes]), [GOOD, BAD, "1. First, two\n2. Next, four"])
    window = recorder.consume()
    metrics = window.metrics()
    assert metrics["r1/format_compliance"] == pytest.approx(1 / 3)
    assert metrics["r1/think_chars"] == len("Step 1: 2 + 2 = 4\nStep 2: check it")
    assert metrics["r1/answer_chars"] == 1
    # GOOD: 2 x "Step N:"; the third: 2 numbered lines + First, + Next,
    assert metrics["r1/reasoning_indicators"] == pytest.approx(6 / 3)
    assert metrics["r1/rewards/accuracy/min"] == 0.0 and metrics["r1/rewards/accuracy/max"] == 1.0
    assert metrics["r1/rewards/sometimes/min"] == metrics["r1/rewards/sometimes/max"] == 0.5
    assert window.worst.rewards["sometimes"] is None and window.worst.completion == BAD


def test_best_and_worst_follow_the_weighted_total() -> None:
    # Unweighted, "4 no tags" (1, 0) and "<think> 7" (0, 1) tie; a format weight of 2 puts the tagged one first.
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 2.0])
    _score(recorder.wrap([accuracy, format_reward]), ["4 no tags", "<think> 7", "nothing"])
    window = recorder.consume()
    assert window.best.completion == "<think> 7" and window.best.total == 2.0
    assert window.best.rewards == {"accuracy": 0.0, "format": 1.0}
    assert window.worst.completion == "nothing" and window.worst.total == 0.0


def test_format_and_reasoning_markers() -> None:
    assert is_well_formed(GOOD) and is_well_formed("  <think>a</think><answer>b</answer>\n")
    assert not is_well_formed("<think>a</think>") and not is_well_formed(f"{GOOD} trailing")
    assert not is_well_formed("<answer>b</answer><think>a</think>")
    assert count_reasoning_steps("1. a\n2. b\n- c\nFirst, d. Finally, e. Step 3: f") == 6


# ---- metrics.jsonl and the summary --------------------------------------------------------------


def test_metrics_jsonl_has_trl_keys_r1_keys_and_step(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    funcs = recorder.wrap([accuracy, format_reward])
    callbacks = build_callbacks(LOGGING, recorder, tmp_path)
    args, state = _args(tmp_path), _state()
    for callback in callbacks:
        callback.on_train_begin(args, state, TrainerControl())
    for step in (1, 2):
        state.global_step = step
        _score(funcs, [GOOD, BAD, GOOD, BAD])
        logs = _run_step(callbacks, args, state, _trl_logs(float("nan")))
        assert logs["r1/format_compliance"] == 0.5  # added to the logs the integrations see
    lines = _lines(tmp_path / "metrics.jsonl")
    assert [line["step"] for line in lines] == [1, 2]
    line = lines[-1]
    for key in (
        "loss",
        "learning_rate",
        "reward",
        "rewards/format_reward/mean",
        "completions/clipped_ratio",
        "epoch",
    ):
        assert key in line
    assert line["rewards/accuracy/mean"] is None  # NaN is not JSON
    for key in (
        "r1/rewards/accuracy/min",
        "r1/rewards/format_reward/max",
        "r1/think_chars",
        "r1/answer_chars",
    ):
        assert key in line
    for key in (
        "r1/reasoning_indicators",
        "r1/samples_per_s",
        "r1/tokens_per_s",
        "r1/ram_gb",
        "r1/cpu_percent",
    ):
        assert key in line
    err = capsys.readouterr()
    assert err.out == ""
    assert "step 2/20" in err.err and "format 50.0% (2/4)" in err.err and "clipped 25.0%" in err.err


def test_any_trainer_gets_metrics_summary_and_kept_checkpoints_without_rewards(
    tmp_path: Path, capsys
) -> None:
    callbacks = trainer_callbacks({**LOGGING, "rich": False, "keep_checkpoint_every": 2}, tmp_path)
    assert [type(cb) for cb in callbacks] == [MetricsLogCallback, KeepCheckpointsCallback]
    args, state = _args(tmp_path), _state()
    for callback in callbacks:
        callback.on_train_begin(args, state, TrainerControl())
    sft_logs = {
        "loss": 1.25,
        "learning_rate": 1e-4,
        "grad_norm": 0.5,
        "mean_token_accuracy": 0.625,
        "epoch": 0.1,
    }
    for step in (1, 2):
        state.global_step = step
        _run_step(callbacks, args, state, dict(sft_logs))
    lines = _lines(tmp_path / "metrics.jsonl")
    assert [line["step"] for line in lines] == [1, 2]
    assert lines[-1]["loss"] == 1.25 and "r1/wall_time_per_step" in lines[-1] and "r1/ram_gb" in lines[-1]
    assert not [key for key in lines[-1] if "reward" in key]
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith(
        "step 2/20 · epoch 0.10 | loss 1.2500 | lr 1.00e-04 | grad 0.5 | acc 0.625"
    )
    with pytest.raises(R1Error, match=r"logging\.keep_checkpoint_every"):
        trainer_callbacks({"keep_checkpoint_every": -1}, tmp_path)


def test_plain_mode_prints_one_line_per_step_on_stderr(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    funcs = recorder.wrap([accuracy, format_reward])
    callbacks = build_callbacks({**LOGGING, "rich": False, "examples_every": 0}, recorder, tmp_path)
    _score(funcs, [GOOD, BAD])
    _run_step(callbacks, _args(tmp_path), _state(1), _trl_logs())
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "accuracy 0.500±0.500 [0.000, 1.000]" in err and "total 1.000±0.700" in err


def test_a_resumed_run_continues_the_file_from_its_checkpoint(tmp_path: Path) -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    args = _args(tmp_path)
    first = MetricsLogCallback(tmp_path, rich=False, recorder=recorder)
    for step in (1, 2, 3):
        _run_step([first], args, _state(step), _trl_logs())
    resumed = MetricsLogCallback(tmp_path, rich=False, recorder=recorder)
    resumed.on_train_begin(args, _state(2), TrainerControl())  # resumed from checkpoint-2
    _run_step([resumed], args, _state(3), _trl_logs())
    assert [line["step"] for line in _lines(tmp_path / "metrics.jsonl")] == [1, 2, 3]


def test_nothing_is_written_or_printed_off_the_main_process(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    funcs = recorder.wrap([accuracy, format_reward])
    callbacks = build_callbacks({**LOGGING, "examples_every": 1, "trend_window": 1}, recorder, tmp_path)
    for step, mean in ((1, 0.2), (2, 0.9)):
        _score(funcs, [GOOD, BAD])
        _run_step(callbacks, _args(tmp_path), _state(step, main=False), _trl_logs(mean))
    assert not (tmp_path / "metrics.jsonl").exists()
    assert capsys.readouterr() == ("", "")
    assert recorder.consume().samples == 0  # still consumed: no samples pile up on other ranks


def test_eval_and_final_logs_are_recorded_without_the_train_summary(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    (func,) = recorder.wrap([accuracy])
    callback = MetricsLogCallback(tmp_path, recorder=recorder)
    _score([func], [GOOD, BAD])
    _run_step([callback], _args(tmp_path), _state(4), {"eval_reward": 0.5, "epoch": 1.0})
    _run_step(
        [callback], _args(tmp_path), _state(4), {"train_runtime": 3.2, "train_loss": 0.01, "epoch": 1.0}
    )
    (eval_line,) = _lines(tmp_path / "metrics.jsonl")  # the final summary is printed, not a step
    assert eval_line["eval_r1/format_compliance"] == 0.5 and "r1/ram_gb" not in eval_line
    err = capsys.readouterr().err
    assert "eval_reward 0.5" in err and "train_runtime 3.2" in err


# ---- trends and examples ------------------------------------------------------------------------


def _trend(means: list[float], threshold: float = 0.10) -> list[str]:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    recorder.wrap([accuracy, format_reward])
    callback = RewardTrendCallback(recorder, window=2, threshold=threshold, rich=False)
    for step, mean in enumerate(means, start=1):
        _run_step([callback], None, _state(step), _trl_logs(mean))
    return callback.alerts


def test_trend_alert_fires_at_15_percent_and_not_at_5() -> None:
    (alert,) = _trend([0.60, 0.60, 0.69, 0.69])
    assert alert == "step 4 trend: accuracy ↑ +15.0% (0.600 → 0.690) over 2 steps"
    assert _trend([0.60, 0.60, 0.63, 0.63]) == []
    (down,) = _trend([0.80, 0.80, 0.60, 0.60])
    assert "accuracy ↓ -25.0%" in down
    assert _trend([0.60, 0.60, 0.69, 0.69], threshold=0.2) == []
    # from zero: an absolute move, no percentage
    assert _trend([0.0, 0.0, 0.3, 0.3]) == ["step 4 trend: accuracy ↑ +0.300 (0.000 → 0.300) over 2 steps"]


def test_trend_windows_follow_steps_when_logging_skips_steps() -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    callback = RewardTrendCallback(recorder, window=4, threshold=0.1, rich=False)
    for step, mean in ((3, 0.5), (6, 0.5), (9, 0.8), (12, 0.8)):
        _run_step([callback], None, _state(step), _trl_logs(mean))
    # windows 1-4 | 5-8 | 9-12: the last closes at step 12 and differs from 5-8
    assert [a.split(" trend")[0] for a in callback.alerts] == ["step 12"]


def test_examples_show_best_and_worst_every_n_steps(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    funcs = recorder.wrap([accuracy, format_reward])
    callbacks = build_callbacks({**LOGGING, "trend_window": 0, "rich": False}, recorder, tmp_path)
    assert [type(cb) for cb in callbacks] == [MetricsLogCallback, ExamplesCallback]
    args = _args(tmp_path)
    _score(funcs, ["<think> 7", BAD])
    _run_step(callbacks, args, _state(1), _trl_logs())
    assert "examples" not in capsys.readouterr().err
    _score(funcs, [GOOD, "no"])
    _run_step(callbacks, args, _state(2), _trl_logs())
    err = capsys.readouterr().err
    assert "-- examples · step 2 · best and worst of 4 samples" in err
    assert "best: accuracy 1.000 · format 1.000 · total 2.000" in err and "Step 2: check it" in err
    assert "worst: accuracy 0.000 · format 0.000 · total 0.000" in err
    assert "prompt: What is 2 + 2?" in err


def test_examples_show_one_sample_when_all_tie(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    (func,) = recorder.wrap([accuracy])
    metrics = MetricsLogCallback(tmp_path, rich=False, recorder=recorder)
    _score([func], ["x", "y"])
    _run_step(
        [metrics, ExamplesCallback(metrics, every=1, rich=False)], _args(tmp_path), _state(1), _trl_logs()
    )
    err = capsys.readouterr().err
    assert "all tied: accuracy 0.000 · total 0.000" in err and "worst:" not in err


def test_rich_examples_do_not_interpret_markup(tmp_path: Path, capsys) -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    (func,) = recorder.wrap([accuracy])
    metrics = MetricsLogCallback(tmp_path, recorder=recorder)
    examples = ExamplesCallback(metrics, every=1)
    _score([func], ["[bold]4[/bold] [/think]", "x"])
    _run_step([metrics, examples], _args(tmp_path), _state(1), _trl_logs())
    assert "[bold]4[/bold] [/think]" in capsys.readouterr().err


# ---- kept checkpoints ---------------------------------------------------------------------------


def _save(callback: KeepCheckpointsCallback, args: TrainingArguments, step: int) -> Path:
    checkpoint = Path(args.output_dir) / f"checkpoint-{step}"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"weights")
    (checkpoint / "sub").mkdir()
    (checkpoint / "sub" / "state.json").write_text("{}")
    callback.on_save(args, _state(step), TrainerControl())
    return checkpoint


def test_every_nth_checkpoint_is_kept_beyond_rotation(tmp_path: Path) -> None:
    args = _args(tmp_path)
    (callback,) = build_callbacks({**LOGGING, "keep_checkpoint_every": 2}, RewardRecorder([], []), tmp_path)[
        -1:
    ]
    assert isinstance(callback, KeepCheckpointsCallback)
    _save(callback, args, 3)
    four = _save(callback, args, 4)
    kept = tmp_path / "kept"
    assert sorted(p.name for p in kept.iterdir()) == ["checkpoint-4"]
    assert (kept / "checkpoint-4" / "sub" / "state.json").read_text() == "{}"
    assert os.path.samefile(kept / "checkpoint-4" / "model.safetensors", four / "model.safetensors")
    shutil.rmtree(four)  # what save_total_limit does
    assert (kept / "checkpoint-4" / "model.safetensors").read_bytes() == b"weights"


# ---- wiring -------------------------------------------------------------------------------------


def test_build_callbacks_order_and_bad_settings(tmp_path: Path) -> None:
    recorder = RewardRecorder(["accuracy"], [1.0])
    callbacks = build_callbacks({**LOGGING, "keep_checkpoint_every": 5}, recorder, tmp_path)
    assert [type(cb) for cb in callbacks] == [
        MetricsLogCallback,
        RewardTrendCallback,
        ExamplesCallback,
        KeepCheckpointsCallback,
    ]
    assert [type(cb) for cb in build_callbacks({}, recorder, tmp_path)] == [
        MetricsLogCallback,
        RewardTrendCallback,
        ExamplesCallback,
        CompletionsLogCallback,  # logging.completions_per_step defaults to 8
    ]
    with pytest.raises(R1Error, match=r"logging\.trend_window"):
        build_callbacks({"trend_window": -1}, recorder, tmp_path)
    with pytest.raises(ValueError, match="2 reward weights for 1"):
        RewardRecorder(["accuracy"], [1.0, 2.0])


class _Integration(TrainerCallback):
    """Stands for wandb/tensorboard: notes the keys it is given."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.keys = set(logs)


def test_quiet_trainer_output_keeps_stdout_clean_and_feeds_integrations(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr("r1cli.train.callbacks.stderr_is_terminal", lambda: True)
    recorder = RewardRecorder(["accuracy"], [1.0])
    (func,) = recorder.wrap([accuracy])
    integration = _Integration()
    ours = build_callbacks({**LOGGING, "rich": False}, recorder, tmp_path)
    handler = CallbackHandler([DefaultFlowCallback, integration, *ours], None, None, None, None)
    handler.add_callback(ProgressCallback)
    handler.add_callback(PrinterCallback)
    quiet_trainer_output(SimpleNamespace(callback_handler=handler))
    kinds = [type(cb) for cb in handler.callbacks]
    assert kinds[:3] == [DefaultFlowCallback, MetricsLogCallback, _Integration]
    assert BarOnlyProgressCallback in kinds and ProgressCallback not in kinds and PrinterCallback not in kinds

    args, state = _args(tmp_path), _state()
    handler.on_train_begin(args, state, TrainerControl())
    state.global_step = 1
    _score([func], [GOOD, BAD])
    handler.on_step_end(args, state, TrainerControl())
    handler.on_log(args, state, TrainerControl(), _trl_logs())
    handler.on_train_end(args, state, TrainerControl())
    assert "r1/format_compliance" in integration.keys and "loss" in integration.keys
    assert capsys.readouterr().out == ""


def test_no_progress_bar_and_no_boxes_when_stderr_is_a_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("r1cli.train.callbacks.stderr_is_terminal", lambda: False)
    ours = build_callbacks(LOGGING, RewardRecorder(["accuracy"], [1.0]), tmp_path)
    assert LOGGING.get("rich", True) and not any(getattr(cb, "rich", False) for cb in ours)
    handler = CallbackHandler([DefaultFlowCallback, *ours], None, None, None, None)
    handler.add_callback(ProgressCallback)
    quiet_trainer_output(SimpleNamespace(callback_handler=handler))
    assert not any(isinstance(cb, ProgressCallback) for cb in handler.callbacks)


def test_resuming_says_nothing_about_a_tied_output_layer_missing_from_the_checkpoint():
    import logging
    from types import SimpleNamespace

    from r1cli.train.callbacks import _hide_tied_missing_keys

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__()
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    model = SimpleNamespace(
        _tied_weights_keys={"lm_head.weight": "model.embed_tokens.weight"},
        config=SimpleNamespace(tie_word_embeddings=True),
    )
    _hide_tied_missing_keys(model)
    logger = logging.getLogger("transformers.trainer")
    collect = Collect()
    logger.addHandler(collect)
    try:
        logger.warning("There were missing keys in the checkpoint model loaded: ['lm_head.weight'].")
        logger.warning("There were missing keys in the checkpoint model loaded: ['model.norm.weight'].")
    finally:
        logger.removeHandler(collect)
    assert collect.messages == [
        "There were missing keys in the checkpoint model loaded: ['model.norm.weight']."
    ]
