"""Few-shot long-CoT prompting (the seed's "Few-shot Prompting with Long CoT"): worked examples, then the problem.

    r1 coldstart fewshot --model M --data PROBLEMS --output OUT.jsonl [--examples FILE] [--format special]

The seed's two worked examples are built in; `--examples` takes a JSON Lines file of `problem`/`solution`
pairs (`question`/`answer` also read, so GSM8K rows work as they are). Examples are shown in the target
form (`--format`), so the model is asked for exactly what the rows will hold.
"""

from __future__ import annotations

import re
from pathlib import Path

from r1cli.coldstart.traces import SPECIAL_TOKEN, render_trace, split_trace
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import json_lines
from r1cli.rewards.answers import extract_gold_answer

# The seed's two worked examples, as (problem, reasoning, answer).
BUILTIN_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "What's the square root of 9 plus 5?",
        "First, find the square root of 9, which is 3. Then, add 5 to 3. 3 + 5 equals 8.",
        "8",
    ),
    (
        "Train travels at 60 mph for 2 hours, how far?",
        "Use the formula: Distance = Speed times Time. Speed is 60 mph, Time is 2 hours. "
        "Distance = 60 * 2 = 120 miles.",
        "120",
    ),
)
EXAMPLE_PROBLEM_COLUMNS = ("problem", "question")
EXAMPLE_SOLUTION_COLUMNS = ("solution", "answer")
# GSM8K calculator annotations (`<<48/2=24>>`) and its final `#### 72` line are not reasoning.
_CALCULATOR_RE = re.compile(r"<<[^<>]*>>")
_GSM8K_FINAL_RE = re.compile(r"\n?####[^\n]*\s*$")


def example_from_solution(problem: str, solution: str) -> tuple[str, str, str] | None:
    """(problem, reasoning, answer) of one worked example; None without a final answer or reasoning before it."""
    if "<think>" in solution or SPECIAL_TOKEN in solution:
        reasoning, answer = split_trace(solution)
    else:
        answer = extract_gold_answer(solution)
        reasoning = _GSM8K_FINAL_RE.sub("", _CALCULATOR_RE.sub("", solution)).strip()
    if not reasoning or not answer or reasoning.strip(" .") == answer:
        return None
    return problem.strip(), reasoning, answer


def load_examples(path: Path) -> list[tuple[str, str, str]]:
    """The worked examples of a JSON Lines file; R1Error naming the file and line of the first bad one."""
    if not path.is_file():
        raise R1Error(
            f"examples file not found: {path}"
            if not path.exists()
            else f"examples path is not a file: {path}",
            hint="pass a .jsonl file of {problem, solution} objects",
        )
    examples = []
    for number, row, problem in json_lines(path.read_bytes()):
        if problem is None:
            problem = _example_problem(row)
        if isinstance(problem, tuple):
            examples.append(problem)
            continue
        raise R1Error(
            f"{path}:{number}: {problem}", hint="each line needs a `problem` and its worked `solution`"
        )
    if not examples:
        raise R1Error(f"examples file {path} is empty", hint="give at least one {problem, solution} line")
    return examples


def _example_problem(row: dict) -> tuple[str, str, str] | str:
    """The example of a parsed row, or why it is not one."""
    problem = next((row[c] for c in EXAMPLE_PROBLEM_COLUMNS if c in row), None)
    solution = next((row[c] for c in EXAMPLE_SOLUTION_COLUMNS if c in row), None)
    if not isinstance(problem, str) or not problem.strip():
        return "no `problem` text"
    if not isinstance(solution, str) or not solution.strip():
        return "no `solution` text"
    return (
        example_from_solution(problem, solution) or "the `solution` needs worked reasoning and a final answer"
    )


def fewshot_prompt(problem: str, examples: list[tuple[str, str, str]], fmt: str = "think") -> str:
    r"""The user message: each worked example as `Problem:`/`Solution:` in the target form, then the problem.

    >>> print(fewshot_prompt("What is 2 + 3 * 4?", [("1 + 1?", "1 + 1 = 2.", "2")], "special"))
    Problem: 1 + 1?
    Solution: <|special_token|> Reasoning: 1 + 1 = 2.
    <|special_token|> Summary: The answer is 2.
    <BLANKLINE>
    Problem: What is 2 + 3 * 4?
    Solution:
    """
    shots = [f"Problem: {q}\nSolution: {render_trace(r, a, fmt)}" for q, r, a in examples]
    return "\n\n".join([*shots, f"Problem: {problem.strip()}\nSolution:"])
