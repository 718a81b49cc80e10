"""The verifier's processes: a fork server that has math-verify imported once, and the workers it forks,
each judging batches of pairs under a limit on the CPU seconds it spends on one pair.

`r1cli.rewards.verifier.Verifier` decides what goes to which worker and kills the ones past the limit;
the worker process itself is `python -m r1cli.rewards.worker`; its rules of judging are r1cli/rewards/mathcheck.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path

# Workers that die before saying "ready" this many times in a row: something is broken, stop trying.
MAX_FAILED_STARTS = 3
# A worker not ready after this long (importing math-verify takes well under a second) counts as failed.
START_TIMEOUT = 60.0
# The timeout counts the worker's CPU seconds on one pair, so that verdicts do not depend on how loaded
# the machine is; a pair is given up after this many times the timeout in wall-clock seconds whatever.
_WALL_FACTOR = 2.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; None where /proc cannot tell (not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


class ForkServer:
    """`python -m r1cli.rewards.worker --fork-server FD`: imports math-verify once, forks workers.

    A plain subprocess rather than multiprocessing: it never re-imports the caller's `__main__` (user
    scripts need no `if __name__ == "__main__"` guard), it can be started from any thread, and a worker
    killed on a timeout is replaced by a fork in milliseconds instead of a new interpreter.
    """

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "r1cli.rewards.worker", "--fork-server", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=_worker_env(),
        )
        theirs.close()
        ours.settimeout(30)  # it answers at once, once math-verify is imported: never wait forever
        self.control = ours
        self.broken = False
        self.unanswered: deque[Worker] = deque()  # forked workers whose pid has not been read yet

    def fork(self) -> Connection:
        """Ask for a worker; returns our end of its socket (it says "ready" there once it runs)."""
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self.control, [b"F\0\0\0\0"], [theirs.fileno()])
        finally:
            theirs.close()
        return Connection(ours.detach())

    def _read_pids(self) -> None:
        while self.unanswered:
            reply = self._reply()
            self.unanswered.popleft().pid = int.from_bytes(reply, "big")

    def _reply(self) -> bytes:
        data = b""
        while len(data) < 4:
            chunk = self.control.recv(4 - len(data))
            if not chunk:
                raise OSError("the math-verify fork server exited")
            data += chunk
        return data

    def kill(self, worker: Worker) -> None:
        try:
            self._read_pids()
            if worker.pid:
                self.control.sendall(b"K" + worker.pid.to_bytes(4, "big"))
                self._reply()
        except OSError:
            self.broken = True  # replaced on the next fork; its workers exit when their socket closes

    def close(self) -> None:
        """Stop the server now (it may still be importing math-verify); its workers exit on their own."""
        self.control.close()
        self.process.kill()
        self.process.wait()


class Worker:
    """One forked worker: its socket, the pairs it holds, and when the current pair started."""

    def __init__(self, server: ForkServer) -> None:
        self.server = server
        self.pid = 0
        self.conn = server.fork()
        server.unanswered.append(self)
        self.ready = False
        self.born = time.monotonic()
        self.inflight: deque[tuple[int, str, str | None]] = deque()
        self.ends: deque[int] = deque()  # how many results until each batch sent is done
        self.clock = 0.0  # when the pair at the head of `inflight` started
        self.cpu_mark: float | None = None  # the worker's CPU seconds when that pair started
        self.solving_gold = False  # the pair at the head is solving its gold equation

    @property
    def batches(self) -> int:
        return len(self.ends)

    def cpu(self) -> float | None:
        return _cpu_seconds(self.pid) if self.pid else None

    def start_clock(self) -> None:
        self.clock = time.monotonic()
        self.cpu_mark = self.cpu()

    def overdue(self, timeout: float, now: float) -> bool:
        """The pair at the head of `inflight` used more than `timeout` CPU seconds (or, where CPU time is
        unknown, wall-clock seconds), or more than _WALL_FACTOR times that in wall-clock seconds."""
        if not self.inflight:
            return False
        if now > self.clock + _WALL_FACTOR * timeout:
            return True
        cpu = self.cpu() if self.cpu_mark is not None else None
        if cpu is None:
            return now > self.clock + timeout
        return cpu - self.cpu_mark > timeout

    def send(self, batch: list[tuple[int, str, str | None]], slow_golds: set[str]) -> None:
        if not self.inflight:
            self.start_clock()
        self.inflight.extend(batch)
        self.ends.append(len(self.inflight))
        self.conn.send([(index, gold, answer, gold in slow_golds) for index, gold, answer in batch])

    def done_one(self) -> None:
        """The pair at the head of `inflight` has its verdict."""
        self.inflight.popleft()
        self.ends = deque(end - 1 for end in self.ends if end > 1)
        self.solving_gold = False
        if self.inflight:
            self.start_clock()

    def kill(self) -> None:
        self.server.kill(self)
        self.conn.close()
