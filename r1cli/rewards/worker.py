"""The worker side of r1cli.rewards.verifier: a fork server that has math-verify imported once and forks
workers on request, and the loop each worker runs, judging pairs with r1cli.rewards.mathcheck.

    python -m r1cli.rewards.worker --fork-server FD    # what the verifier starts
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket

from r1cli.rewards.mathcheck import GoldTooSlow, PairContext, judge

# A worker looks for cyclic garbage (ANTLR parse trees, sympy temporaries) every this many allocations
# instead of Python's 700: with the imports frozen (fork_server), it spends about 0.07 s instead of 0.22 s
# collecting on half of math-verify's suite. Everything else is still freed at once by reference counting.
_YOUNG_GC_THRESHOLD = 10_000


def serve(fd: int) -> None:
    """Worker loop on a socket: receive lists of (index, gold, answer, gold_too_slow), send back
    (index, verdict) each ("timeout" for a gold known to be too slow to solve), and ("solving", True /
    False) around the solve of a gold equation."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    gc.set_threshold(_YOUNG_GC_THRESHOLD, 10, 10)
    conn.send(("ready", os.getpid()))
    PairContext.announce = lambda solving: conn.send(("solving", solving))
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        for index, gold, answer, gold_too_slow in batch:
            PairContext.gold_too_slow = gold_too_slow
            try:
                verdict = judge(gold, answer)
            except GoldTooSlow:
                verdict = "timeout"
            except Exception:  # a sympy failure on one odd answer is a wrong answer, not a crash
                verdict = False
            conn.send((index, verdict))


def _read_exactly(sock: socket.socket, size: int) -> tuple[bytes, list[int]]:
    data, fds = b"", []
    while len(data) < size:
        chunk, new_fds, _, _ = socket.recv_fds(sock, size - len(data), 1)
        if not chunk:
            return b"", fds
        data += chunk
        fds += new_fds
    return data, fds


def fork_server(control_fd: int) -> None:
    """Fork workers on request; kill only its own live children.

    Nothing is parsed here beforehand: warming the LaTeX parser up costs every run more time before the
    first verdict (0.6 s) than it saves the workers, which warm it up on their first answers anyway.

    Requests are 5 bytes: `F....` with a socket attached (fork a worker serving on it; reply: its pid,
    4 bytes) or `K` + pid (kill that worker if it is a live child of ours; reply: 4 zero bytes). Dead
    children are reaped only when they are known dead, so a pid is never reused while we may still kill it.
    """
    control = socket.socket(fileno=control_fd)
    # The ~200,000 objects of sympy and math-verify imported here are never garbage: frozen, a worker's
    # full collections skip them (and leave their memory pages shared with this process).
    gc.freeze()
    live: set[int] = set()
    while True:
        try:
            message, fds = _read_exactly(control, 5)
        except OSError:
            return
        if not message:
            return
        if message[:1] == b"F" and fds:
            pid = os.fork()
            if pid == 0:
                control.close()
                try:
                    serve(fds[0])
                finally:
                    os._exit(0)
            os.close(fds[0])
            live.add(pid)
            control.sendall(pid.to_bytes(4, "big"))
        elif message[:1] == b"K":
            pid = int.from_bytes(message[1:], "big")
            if pid in live:
                live.discard(pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            control.sendall(bytes(4))
        for pid in list(live):  # reap workers that exited by themselves (they closed their socket)
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    live.discard(pid)


if __name__ == "__main__":
    import sys

    # `--fork-server FD`: what r1cli.rewards.verifier starts; `FD` alone: one worker serving on FD.
    args = sys.argv[1:]
    if args[:1] == ["--fork-server"] and len(args) == 2 and args[1].isdigit():
        fork_server(int(args[1]))
    elif len(args) == 1 and args[0].isdigit():
        serve(int(args[0]))
    else:
        sys.exit(
            "usage: python -m r1cli.rewards.worker [--fork-server] FD  (started by r1cli.rewards.verifier)"
        )
