"""Checks that prepared data is what the trainers expect (the seed's validate_dataset, on every row).

R1-Zero data: `train` and `test` splits with problem, prompt, answer and solution columns; every prompt
is a system turn then a user turn (or a user turn alone when the system prompt is empty); every gold
answer is non-empty text. SFT data: `messages` with an assistant turn, or `prompt` + `completion`.
"""

from __future__ import annotations

import datasets

from r1cli.plumbing.errors import R1Error

PROMPT_COLUMNS = ("problem", "prompt", "answer", "solution")
SPLITS = ("train", "test")


def validate_prompt_dataset(dataset: datasets.DatasetDict, where: str = "dataset") -> None:
    """R1-Zero data: train/test, the prompt columns, every prompt [system,] user with text, a gold answer."""
    for split in SPLITS:
        if split not in dataset:
            raise R1Error(f"{where} has no {split} split")
        ds = dataset[split]
        missing = [c for c in PROMPT_COLUMNS if c not in ds.column_names]
        if missing:
            raise R1Error(
                f"{where} ({split}) lacks the column(s) {', '.join(missing)}",
                hint="prepare it with `r1 data prepare` (without --sft)",
            )
        for index, prompt in enumerate(ds["prompt"]):
            roles = [turn.get("role") for turn in prompt] if isinstance(prompt, list) else None
            if roles not in (["system", "user"], ["user"]) or not all(
                isinstance(turn.get("content"), str) for turn in prompt
            ):
                raise R1Error(
                    f"{where} ({split}) row {index}: prompt must be a system turn then a user turn, got {roles}"
                )
        for index, answer in enumerate(ds["answer"]):
            if not isinstance(answer, str) or not answer.strip():
                raise R1Error(f"{where} ({split}) row {index}: empty gold answer")


def validate_sft_dataset(dataset: datasets.DatasetDict, where: str = "dataset") -> None:
    """SFT data: train/test with `messages` (roles system/user/assistant) or `prompt` + `completion`."""
    for split in SPLITS:
        if split not in dataset:
            raise R1Error(f"{where} has no {split} split")
        ds = dataset[split]
        if "messages" in ds.column_names:
            for index, messages in enumerate(ds["messages"]):
                roles = {turn.get("role") for turn in messages} if isinstance(messages, list) else set()
                if "assistant" not in roles or not roles <= {"system", "user", "assistant"}:
                    raise R1Error(
                        f"{where} ({split}) row {index}: messages need an assistant turn and roles "
                        f"system/user/assistant, got {sorted(r for r in roles if r)}"
                    )
        elif not {"prompt", "completion"} <= set(ds.column_names):
            raise R1Error(
                f"{where} ({split}) has neither `messages` nor `prompt` + `completion`",
                hint="prepare it with `r1 data prepare --sft`",
            )
