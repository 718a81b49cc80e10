"""Tagged word puzzles: the share of a pretraining corpus that shows a base model what tags are.

A base model that never read `<think>` or `<answer>` never writes them, so GRPO from it gets no reward
to climb (measured: every completion of a base pretrained on prose alone scored 0 on format and
tag_count, the gradient was 0). Real base models have read markup and instructions on the web; this
corpus is that in miniature: word and digit puzzles (the longest word, the last word, the animal among
three, how many words, the largest of three numbers, a number's first or last digit), each with an
instruction to reason inside `<think> </think>` and answer inside `<answer> </answer>`, worded in several
ways, none of them the R1 system prompt. They never hold a sum, so the tagged form of the task's own
problems is something GRPO has to find. `mix_markup` adds them to a task's prose, a third of which follows
an instruction that names the tags and is not followed (measured: with tag instructions only before
puzzles, the base answered "What is 8 + 61?" under the R1 prompt with puzzle talk, the sum in 3 % of
samples; with them also before prose, 33 %).

    >>> print(markup_rows(1, seed=1)[0]["text"])
    Reason inside <think> </think>, then give the answer inside <answer> </answer>.
    Question: Which word comes last: tree, horse, mouse?
    Answer: <think> The words are tree, horse, mouse. The last one is mouse. </think> <answer> mouse </answer>
"""

from __future__ import annotations

import random
from collections.abc import Callable

_ANIMALS = ("cat", "dog", "horse", "fox", "bird", "fish", "cow", "sheep", "mouse", "lion")
_THINGS = ("apple", "river", "stone", "chair", "bread", "cloud", "milk", "book", "tree", "house")
_INSTRUCTIONS = (
    "Reason inside <think> </think>, then give the answer inside <answer> </answer>.",
    "Write your thinking between <think> and </think>, and the final answer between <answer> and </answer>.",
    "Put the reasoning in <think> </think> tags and the answer in <answer> </answer> tags.",
    "First think in <think> </think>. Then answer in <answer> </answer>.",
)
# Said before two thirds of the task's prose documents (half of those name the tags and are not
# followed, as instructions on the web often are not), so an instruction paragraph alone, or one naming
# the tags, does not mean "a word puzzle follows": what a problem is worked with comes from the question.
_PLAIN_INSTRUCTIONS = (
    "Work it out step by step, then give the answer.",
    "Show your reasoning first, and the answer at the end.",
    "Solve the problem and explain each step.",
)
_Puzzle = tuple[str, str, str]  # question, reasoning, answer


def _longest(rng: random.Random) -> _Puzzle:
    words = rng.sample(_ANIMALS + _THINGS, 3)
    while len({len(w) for w in words}) < 3:
        words = rng.sample(_ANIMALS + _THINGS, 3)
    longest = max(words, key=len)
    reasoning = " ".join(f"{w} has {len(w)} letters." for w in words)
    return (
        f"Which word is the longest: {', '.join(words)}?",
        f"{reasoning} The longest is {longest}.",
        longest,
    )


def _last(rng: random.Random) -> _Puzzle:
    words = rng.sample(_ANIMALS + _THINGS, 3)
    listed = ", ".join(words)
    return (
        f"Which word comes last: {listed}?",
        f"The words are {listed}. The last one is {words[-1]}.",
        words[-1],
    )


def _animal(rng: random.Random) -> _Puzzle:
    animal, *things = [rng.choice(_ANIMALS), *rng.sample(_THINGS, 2)]
    words = [animal, *things]
    rng.shuffle(words)
    reasoning = " ".join(f"{w} is {'an animal' if w == animal else 'not an animal'}." for w in words)
    return f"Which of {', '.join(words)} is an animal?", reasoning, animal


def _count(rng: random.Random) -> _Puzzle:
    words = rng.sample(_ANIMALS + _THINGS, rng.randint(2, 5))
    reasoning = " ".join(f"{w} is word {i}." for i, w in enumerate(words, 1))
    return f"How many words are in '{' '.join(words)}'?", reasoning, str(len(words))


def _largest(rng: random.Random) -> _Puzzle:
    numbers = rng.sample(range(100), 3)
    top = max(numbers)
    reasoning = " ".join(f"{n} is {'the largest' if n == top else f'less than {top}'}." for n in numbers)
    return f"What is the largest of {', '.join(map(str, numbers))}?", reasoning, str(top)


def _digit(rng: random.Random) -> _Puzzle:
    number = str(rng.randint(10, 999))
    place, digit = rng.choice([("last", number[-1]), ("first", number[0])])
    reasoning = f"The digits of {number} are {' '.join(number)}. The {place} one is {digit}."
    return f"What is the {place} digit of {number}?", reasoning, digit


_PUZZLES: tuple[Callable[[random.Random], _Puzzle], ...] = (
    _longest,
    _last,
    _animal,
    _count,
    _largest,
    _digit,
)


def mix_markup(texts: list[str], share: float, seed: int = 0) -> list[str]:
    r"""`texts` (a task's prose) with tagged word puzzles making up `share` of the result, in a seeded order.

    A third of `texts` get a plain instruction paragraph first, a third one naming the tags (unfollowed).

    >>> mixed = mix_markup(["Question: What is 1 + 2?\nAnswer: So 1 + 2 = 3."] * 8, 0.2, seed=0)
    >>> len(mixed), sum(text.endswith("</answer>") for text in mixed)
    (10, 2)
    """
    rng = random.Random(seed)
    prose = []
    for text in texts:
        kind = rng.randrange(3)
        prose.append(
            text if kind == 0 else f"{rng.choice((_PLAIN_INSTRUCTIONS, _INSTRUCTIONS)[kind - 1])}\n{text}"
        )
    mixed = prose + [row["text"] for row in markup_rows(round(len(texts) * share / (1 - share)), seed)]
    rng.shuffle(mixed)
    return mixed


def markup_rows(size: int, seed: int = 0) -> list[dict[str, str]]:
    """`size` tagged word puzzles as pretraining documents (`text` rows), drawn with `seed`."""
    rng = random.Random(seed)
    rows = []
    for _ in range(size):
        question, reasoning, answer = rng.choice(_PUZZLES)(rng)
        text = f"{rng.choice(_INSTRUCTIONS)}\nQuestion: {question}\nAnswer: <think> {reasoning} </think> "
        rows.append({"text": text + f"<answer> {answer} </answer>"})
    return rows
