"""Training data: read a source, build R1-Zero prompts or SFT messages, clean, split, save.

    from r1cli.data import load_prompt_dataset, load_sft_dataset, prepare, save_prepared

Modules, in pipeline order: sources.py (local files, folders, hub, synthetic), synthetic.py (built-in
tasks), prompts.py (one row -> prompt + gold answer, or messages), prepare.py (drop, dedupe, filter,
split), summary.py (what was done), validate.py (checks on prepared data), store.py (save and load;
the trainers' entry points).
"""

from r1cli.data.prepare import prepare
from r1cli.data.store import load_prepared, load_prompt_dataset, load_sft_dataset, save_prepared
from r1cli.data.summary import PrepareSummary, summary_table

__all__ = [
    "PrepareSummary",
    "load_prepared",
    "load_prompt_dataset",
    "load_sft_dataset",
    "prepare",
    "save_prepared",
    "summary_table",
]
