r"""Hang-proof math verification: worker processes, a hard per-pair timeout, and a verdict cache.

`Verifier.judge_many(pairs)` judges (gold answer, model answer) string pairs. Plainly written numbers
(`18`, `0.5`, `4.5e33`, `\frac{1}{2}`), answers written exactly as the gold and the answer kinds of
r1cli/rewards/answer_kinds.py are judged here, without sympy or a worker (r1cli/rewards/quick.py); everything else goes to worker
processes (r1cli.rewards.worker) running `r1cli.rewards.mathcheck`, in batches that keep each gold's pairs together. A worker
that spends more than the timeout in CPU time on one pair (say `9^{9^{9^{9}}}`, whose big-integer power
no signal can interrupt), or twice that in wall-clock time, is killed and replaced: that pair scores
None and the other pairs go on. Counting CPU time keeps the verdicts the same on a busy machine. Workers
are forked by a small server process that has math-verify imported once, so a replacement starts in
milliseconds; the reward functions are safe from any thread of a training process, and need no
`if __name__ == "__main__"` guard in the caller's script.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Sequence
from multiprocessing.connection import wait

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.processes import MAX_FAILED_STARTS, START_TIMEOUT, ForkServer, Worker
from r1cli.rewards.quick import number_value, quick_judge

__all__ = ["Verifier", "get_verifier"]

# Pairs sent to a worker in one message; small enough that a killed worker loses little work.
_BATCH = 8
_CACHE_LIMIT = 200_000


def _batches_by_gold(
    keys: list[tuple[str, str | None]], size: int
) -> deque[list[tuple[int, str, str | None]]]:
    """Batches of (index, gold, answer) holding each gold's pairs together, so that a gold is parsed by
    one worker only (each worker caches what it parsed; LaTeX parsing is the expensive part). The golds
    likely to cost most (equations, long expressions) go first, so that no worker is left with a slow
    pair at the end while the others idle."""
    by_gold: dict[str, list[tuple[int, str, str | None]]] = {}
    for index, (gold, answer) in enumerate(keys):
        by_gold.setdefault(gold, []).append((index, gold, answer))
    batches: deque[list[tuple[int, str, str | None]]] = deque()
    current: list[tuple[int, str, str | None]] = []
    for gold in sorted(by_gold, key=lambda gold: -(len(gold) + 100 * ("=" in gold))):
        group = by_gold[gold]
        for start in range(0, len(group), 4 * size):  # a very common gold is split after all
            piece = group[start : start + 4 * size]
            if current and (len(current) + len(piece) > size or _costly(gold)):
                batches.append(current)
                current = []
            current.extend(piece)
    if current:
        batches.append(current)
    return batches


def _costly(gold: str) -> bool:
    """An equation or a long expression: its pairs go in a batch of their own (finer spreading)."""
    return "=" in gold or len(gold) > 20


class Verifier:
    """A pool of math-verify worker processes with a hard per-pair timeout and a verdict cache.

    Not thread-safe: call it from one thread at a time (GRPO calls reward functions one after another).
    """

    def __init__(self, workers: int = 1, timeout: float = 5.0) -> None:
        if timeout <= 0:
            raise R1Error(f"rewards.timeout = {timeout!r}: must be > 0 seconds")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout = float(timeout)
        self.timeouts = 0  # pairs given up on: past the timeout (or their worker crashed)
        self._cache: dict[tuple[str, str | None], bool | None] = {}
        self._pool: list[Worker] = []
        self._server: ForkServer | None = None
        self._failed_starts = 0
        # Golds whose equation could not be solved within the timeout: their later pairs are not made to
        # solve it again (they would time out the same way), they score None at once.
        self._slow_golds: set[str] = set()

    def start(self, count: int | None = None) -> None:
        """Start `count` workers (default: all) now; otherwise they start when pairs need math-verify."""
        while len(self._pool) < min(self.workers, count or self.workers):
            self._pool.append(self._new_worker())

    def expect(self, golds: Iterable[str | None]) -> None:
        """Start the workers now if some of these golds will need math-verify (any that is not a plain
        number); a file of GSM8K-style numbers never starts them unless an answer needs it."""
        if any(gold is not None and number_value(gold) is None for gold in golds):
            self.start()

    def _new_worker(self) -> Worker:
        """A worker forked by the server; a server that died is started again (once per call)."""
        for attempt in range(2):
            if self._server is None or self._server.broken or self._server.process.poll() is not None:
                if self._server is not None:
                    self._server.close()
                self._server = _SPARE_SERVERS.pop() if _SPARE_SERVERS else ForkServer()
            try:
                return Worker(self._server)
            except OSError:
                self._server.close()
                self._server = None
                if attempt:
                    self._give_up()
        raise AssertionError("unreachable")

    def _give_up(self) -> None:
        self.close()
        raise R1Error(
            "the math-verify worker processes exit as soon as they start",
            hint=f"run `{sys.executable} -c 'import r1cli.rewards.worker'` to see why",
        )

    def judge_many(self, pairs: Sequence[tuple[str | None, str | None]]) -> list[bool | None]:
        """Verdicts for (gold, answer) pairs: True, False, or None (no gold answer, or timed out)."""
        verdicts: list[bool | None] = [None] * len(pairs)
        todo: dict[tuple[str, str | None], list[int]] = {}
        for index, (gold, answer) in enumerate(pairs):
            if gold is None:
                continue
            key = (gold, answer)
            if key in self._cache:
                verdicts[index] = self._cache[key]
                continue
            quick = quick_judge(gold, answer)
            if quick is not NotImplemented:
                verdicts[index] = self._remember(key, quick)
            else:
                todo.setdefault(key, []).append(index)
        if todo:
            keys = list(todo)
            for key, verdict in zip(keys, self._run(keys), strict=True):
                self._remember(key, verdict)
                for index in todo[key]:
                    verdicts[index] = verdict
        return verdicts

    def _remember(self, key: tuple[str, str | None], verdict: bool | None) -> bool | None:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = verdict
        return verdict

    def _run(self, keys: list[tuple[str, str | None]]) -> list[bool | None]:
        try:
            return self._spread(keys)
        except BaseException:  # interrupted: workers may hold stale pairs, start afresh next time
            self.close()
            raise

    def _spread(self, keys: list[tuple[str, str | None]]) -> list[bool | None]:
        """Spread the pairs over the workers; kill and replace any worker that passes the deadline."""
        results: list[bool | None] = [None] * len(keys)
        pending = _batches_by_gold(keys, max(1, min(_BATCH, len(keys) // (2 * self.workers))))
        self.start(len(pending))  # a GRPO batch with one gold needs one worker, not one per core
        remaining = len(keys)
        while remaining:
            for worker in self._pool:
                # Two batches in flight per worker, so it never waits for the next one.
                while worker.ready and pending and worker.batches < 2:
                    worker.send(pending.popleft(), self._slow_golds)
            # CPU time grows no faster than wall-clock time: nothing is overdue before the nearest deadline.
            busy = [w.clock + self.timeout for w in self._pool if w.inflight]
            wait_for = min(1.0, max(0.05, min(busy) - time.monotonic())) if busy else 1.0
            ready = wait([w.conn for w in self._pool], timeout=wait_for)
            for slot, worker in enumerate(self._pool):
                died = False
                if worker.conn in ready:
                    try:
                        remaining -= self._receive(worker, results)
                    except (EOFError, OSError):
                        died = True
                now = time.monotonic()
                overdue = worker.overdue(self.timeout, now) or (
                    not worker.ready and now > worker.born + START_TIMEOUT
                )
                if died or overdue:
                    remaining -= self._replace(slot, pending, started=worker.ready)
        return results

    def _receive(self, worker: Worker, results: list[bool | None]) -> int:
        done = 0
        while worker.conn.poll():
            message = worker.conn.recv()
            if isinstance(message, tuple) and message[0] == "ready":
                worker.ready, worker.pid = True, message[1]
                self._failed_starts = 0
                continue
            if isinstance(message, tuple) and message[0] == "solving":
                worker.solving_gold = message[1]
                continue
            index, verdict = message
            if verdict == "timeout":
                verdict = None
                self.timeouts += 1
            worker.done_one()
            results[index] = verdict
            done += 1
        return done

    def _replace(self, slot: int, pending: deque, *, started: bool) -> int:
        """Kill a stuck or dead worker: its current pair scores None, the rest go back in the queue."""
        worker = self._pool[slot]
        worker.kill()
        if not started:
            self._failed_starts += 1
            if self._failed_starts >= MAX_FAILED_STARTS:
                self._give_up()
        lost = 0
        if worker.inflight:
            if worker.solving_gold:
                self._slow_golds.add(worker.inflight[0][1])
            worker.inflight.popleft()  # its result stays None
            self.timeouts += 1
            lost = 1
            if worker.inflight:
                pending.appendleft(list(worker.inflight))
        self._pool[slot] = self._new_worker()
        return lost

    def close(self) -> None:
        """Stop the workers (also done at exit)."""
        for worker in self._pool:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in self._pool:
            worker.conn.close()
        self._pool = []
        if self._server is not None:
            self._server.close()
            self._server = None


_VERIFIERS: dict[tuple[int, float], Verifier] = {}
_SPARE_SERVERS: list[ForkServer] = []


def prestart_server() -> None:
    """Start a fork server now for the first Verifier that needs one: math-verify's imports in it (~0.4 s)
    then run while the caller is still starting up (`r1 reward score` calls it before importing typer).
    One left unused is stopped at exit."""
    if not _SPARE_SERVERS:
        _SPARE_SERVERS.append(ForkServer())


def get_verifier(workers: int = 1, timeout: float = 3.0) -> Verifier:
    """The process-wide verifier for these settings: reward functions share its workers and cache."""
    key = (workers, float(timeout))
    if key not in _VERIFIERS:
        _VERIFIERS[key] = Verifier(workers=workers, timeout=timeout)
    return _VERIFIERS[key]


@atexit.register
def _close_all() -> None:
    for verifier in _VERIFIERS.values():
        verifier.close()
    while _SPARE_SERVERS:
        _SPARE_SERVERS.pop().close()
