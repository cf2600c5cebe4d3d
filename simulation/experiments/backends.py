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

from ..extras import require


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


def _ready() -> bool:
    return True


def _context() -> mp.context.BaseContext:
    """A start method that is safe when this process already runs threads (progress bars, Dask, BLAS).

    Forking a multi-threaded process can deadlock the child (Python 3.12 warns
    of it), so workers come from a fork server (Linux, macOS): a clean process
    started once, with the model's modules already imported, that forks each
    worker. Where there is none (Windows), workers are spawned.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.experiments.runner", "simulation.calibration.msm"])
        return ctx
    return mp.get_context("spawn")


class ProcessBackend:
    """Local worker processes (one per core by default)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
        # Start the workers now, so a broken start fails here and not in the middle of a job.
        for f in [self._pool.submit(_ready) for _ in range(workers)]:
            f.result()

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


class DaskBackend:
    """A Dask distributed cluster: an existing one (scheduler address) or a LocalCluster started here.

    Workers of an existing cluster need this package installed (same version);
    each task is a chunk of runs, so results stay the same as on any other backend.
    """

    def __init__(self, scheduler: str, workers: int) -> None:
        distributed = require("distributed", "dask", "--scheduler")
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
        self._cluster = None
        if scheduler == "local":
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            self._client = Client(scheduler, timeout="20s")
        self.workers = max(1, sum(w["nthreads"] for w in self._client.scheduler_info()["workers"].values()))

    @property
    def dashboard(self) -> str | None:
        return self._client.dashboard_link if self._cluster is None else None

    def map_unordered(self, fn, tasks):
        from distributed import as_completed

        it = iter(tasks)
        limit = 4 * self.workers
        first = [self._client.submit(fn, t, pure=False) for _, t in zip(range(limit), it)]
        flow = as_completed(first)
        for future in flow:
            yield future.result()
            future.release()
            nxt = next(it, None)
            if nxt is not None:
                flow.add(self._client.submit(fn, nxt, pure=False))

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(workers: int, scheduler: str | None = None) -> Backend:
    """Serial for one worker, local processes otherwise, or Dask when a scheduler is given."""
    if scheduler is not None:
        return DaskBackend(scheduler, workers)
    if workers <= 1:
        return SerialBackend()
    return ProcessBackend(workers)
