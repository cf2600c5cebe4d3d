"""Where runs execute: behind one small interface, so the runner does not care.

A backend maps a picklable function over tasks and yields results as they
finish, keeping at most a bounded number of tasks in flight (memory stays
flat however many runs there are).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol


class Backend(Protocol):
    workers: int

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


class SerialBackend:
    """Runs in this process: the reference every other backend must match."""

    workers = 1

    def map_unordered(self, fn, tasks):
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        pass


class ProcessBackend:
    """Local worker processes (one per core by default)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))

    def map_unordered(self, fn, tasks):
        pending: set[Future] = set()
        it = iter(tasks)
        limit = 4 * self.workers
        for task in it:
            pending.add(self._pool.submit(fn, task))
            if len(pending) >= limit:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_backend(workers: int) -> Backend:
    """Serial for one worker, local processes otherwise."""
    if workers <= 1:
        return SerialBackend()
    return ProcessBackend(workers)
