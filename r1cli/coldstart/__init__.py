"""Cold-start data for SFT stage 1 (the seed's "Preparing Cold Start Data for SFT"), one module per method.

traces.py   split any completion into (reasoning, answer), render the think/special target form, build rows
fewshot.py  few-shot long-CoT prompting (two built-in worked examples, or --examples)
direct.py   prompts that ask for step-by-step reasoning and a verification of the answer
refine.py   R1-Zero outputs cleaned by rules, or rewritten by a model that must keep the answer
generate.py run a method: prompts -> the generation engine (resumable JSONL) -> SFT-ready rows
"""
