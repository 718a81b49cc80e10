"""Rule-based rewards for GRPO and `r1 reward score`, one module per family.

answers.py    final-answer extraction: extract_gold_answer (GSM8K/MATH/plain), extract_model_answer
accuracy.py   accuracy (math-verify) and cosine (correctness scaled by length)
format.py     format, tag_count, reasoning_steps, repetition_penalty
length.py     soft_overlong (DAPO) and length (Kimi 1.5, per prompt group)
language.py   language_consistency (DeepSeek-R1), by Unicode script
registry.py   name -> builder; build_reward_functions / reward_weights from the [rewards] table
verifier.py   math-verify in worker processes with a hard per-pair timeout and a verdict cache
mathcheck.py  what those workers run (parsing, the numeric shortcut); worker.py: the fork server
fast_latex.py latex2sympy's parser, faster with the same results (imported by mathcheck)
scoring.py    score a JSONL file (`r1 reward score`)
"""
