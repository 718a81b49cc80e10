"""Direct prompting (the seed's "Direct Prompting"): ask for step-by-step reasoning and a verification.

    r1 coldstart direct --model M --data PROBLEMS --output OUT.jsonl [--format special]

The seed's prompt, plus one sentence naming the target form (`--format`), so the answer can be read back.
"""

from __future__ import annotations

from r1cli.coldstart.traces import SPECIAL_TOKEN, check_format

DIRECT_INSTRUCTION = "Solve this, show reasoning step-by-step, and verify:"
FORM_INSTRUCTIONS = {
    "think": "Write the reasoning and the verification inside <think> </think>, then the final answer "
    "inside <answer> </answer>.",
    "special": f"Start the reasoning with {SPECIAL_TOKEN} Reasoning: and end with "
    f"{SPECIAL_TOKEN} Summary: The answer is <answer>.",
}


def direct_prompt(problem: str, fmt: str = "think") -> str:
    """The user message of the direct method.

    >>> print(direct_prompt("What is 2 + 3 * 4?"))
    Problem: Solve this, show reasoning step-by-step, and verify:
    What is 2 + 3 * 4?
    Write the reasoning and the verification inside <think> </think>, then the final answer inside <answer> </answer>.
    """
    return f"Problem: {DIRECT_INSTRUCTION}\n{problem.strip()}\n{FORM_INSTRUCTIONS[check_format(fmt)]}"
