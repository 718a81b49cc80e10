"""Plain-text corpora for `r1 train pretrain`: rows with a `text` column, nothing else asked of them.

    dataset = load_text_dataset(recipe.section("data"), "notes.jsonl")          # {"text": ...} rows
    dataset = load_text_dataset(recipe.section("data"), ADDITION_TEXT, tokenizer=tok)  # built in

Sources: a local .jsonl/.json/.parquet/.csv file, a folder or hub dataset with a `text` column (its
`train` split), or a built-in task's corpus `synthetic:NAME-text` (`synthetic:addition-text`,
`synthetic:chain-text`): the train problems of `synthetic:NAME`, worked in prose (r1cli/data/synthetic.py,
`addition_text`, `chain_text`). Those problems are carved exactly as `r1 data prepare` and `r1 train zero`
carve `synthetic:NAME` with the same `[data]` section, so a model pretrained on them has never read a
problem of the test split that a later eval scores it on. With `data.markup_share` > 0 a built-in corpus
also holds tagged word puzzles (r1cli/data/markup.py): a base that has seen `<think>`/`<answer>` used,
never on the task's own problems.
"""

from __future__ import annotations

from typing import Any

import datasets

from r1cli.data.markup import mix_markup
from r1cli.data.prepare import prepare
from r1cli.data.sources import load_source
from r1cli.data.synthetic import PREFIX, TEXT_CORPORA, is_synthetic, synthetic_task
from r1cli.plumbing.errors import R1Error, did_you_mean

TEXT_COLUMN = "text"
ADDITION_TEXT = "synthetic:addition-text"
CHAIN_TEXT = "synthetic:chain-text"
_TEXT_HINT = 'pretraining reads raw text: one {"text": ...} row per document'


def task_text_rows(corpus: str, data_cfg: dict[str, Any], tokenizer: Any = None) -> list[dict[str, str]]:
    """The rows of a `synthetic:NAME-text` corpus: each train problem of `synthetic:NAME`, worked in prose.

    The problems come from `prepare` itself (same rows, dedupe, prompt-length drop and seeded split as
    `r1 train zero`'s data), so the held-out test split can never leak in. `tokenizer` is only needed
    when `data.max_prompt_tokens` > 0, as for prepare.
    """
    task = TEXT_CORPORA[corpus]
    dataset, _ = prepare(data_cfg, task, sft=False, tokenizer=tokenizer)
    prose = synthetic_task(task).text
    texts = [prose(problem) for problem in dataset["train"]["problem"]]
    share = markup_share(data_cfg)
    if share:
        texts = mix_markup(texts, share, seed=int(data_cfg.get("seed", 42)))
    return [{TEXT_COLUMN: text} for text in texts]


def markup_share(data_cfg: dict[str, Any]) -> float:
    """`data.markup_share`: the fraction of a built-in corpus that is tagged word puzzles (r1cli/data/markup.py)."""
    share = data_cfg.get("markup_share", 0.0)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
        raise R1Error(
            f"data.markup_share must be a number in [0, 1), got {share!r}",
            hint="0 = prose only; 0.2 = one document in five is a tagged word puzzle",
        )
    return float(share)


def load_text_dataset(
    data_cfg: dict[str, Any], source: str | None = None, tokenizer: Any = None
) -> datasets.Dataset:
    """The training rows of a text corpus, as a Dataset with the one column `text` (empty texts dropped)."""
    source = source or data_cfg.get("dataset") or ""
    if source in TEXT_CORPORA:
        return datasets.Dataset.from_list(task_text_rows(source, data_cfg, tokenizer))
    if is_synthetic(source):
        check_text_source(source)
    if markup_share(data_cfg):
        raise R1Error(
            f"data.markup_share mixes tagged puzzles into a built-in corpus, not into {source}",
            hint=f"set it to 0, or add such documents to your corpus; built in: {', '.join(TEXT_CORPORA)}",
        )
    raw = load_source(source, data_cfg)
    if "train" not in raw.splits:
        raise R1Error(
            f"{raw.description} has no train split (splits: {', '.join(raw.splits)})", hint="set data.split"
        )
    rows = raw.splits["train"]
    if TEXT_COLUMN not in rows.column_names:
        raise R1Error(
            f"{raw.description} has no `{TEXT_COLUMN}` column (columns: {', '.join(rows.column_names)})",
            hint=f"{_TEXT_HINT}; chat or problem rows train with `r1 train sft` or `r1 train zero`",
        )
    rows = rows.select_columns([TEXT_COLUMN])
    texts = rows[TEXT_COLUMN]
    bad = next((i for i, text in enumerate(texts) if text is not None and not isinstance(text, str)), None)
    if bad is not None:
        raise R1Error(
            f"{raw.description}: row {bad + 1} has a `{TEXT_COLUMN}` that is not a string", hint=_TEXT_HINT
        )
    max_rows = int(data_cfg.get("max_rows") or 0)
    keep = [i for i, text in enumerate(texts) if text and text.strip()][: max_rows or None]
    if not keep:
        raise R1Error(f"{raw.description} holds no text (every `{TEXT_COLUMN}` is empty)", hint=_TEXT_HINT)
    return rows.select(keep) if len(keep) != len(rows) else rows


def check_text_source(source: str) -> None:
    """R1Error for a `synthetic:` name that is no text corpus (`synthetic:addition` holds problems)."""
    if is_synthetic(source) and source not in TEXT_CORPORA:
        corpora = list(TEXT_CORPORA)
        hint = did_you_mean(source, corpora) or f"built-in text corpora: {', '.join(corpora)}"
        raise R1Error(
            f"'{source}' is not a text corpus ({PREFIX}... tasks hold problems, not text)", hint=hint
        )
