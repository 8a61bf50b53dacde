"""Clocks for the runner: monotonic nanoseconds for durations, UTC wall time for display only.

The clock is injected everywhere, so tests advance a :class:`FakeClock` instead of patching ``time``.
"""

from __future__ import annotations

import asyncio
import heapq
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Timer(Protocol):
    """Work a clock runs at due times (a :class:`~drdrill.pacing.PacedLoop`): the real clock on a thread of its
    own, the fake one from its sleeps. Either way the schedule is the timer's own, so tests of a fake clock check
    the same schedule the real drill keeps."""

    def next_due_ns(self) -> int | None:
        """When it next wants to run; None once it is over."""

    def fire(self) -> None:
        """Run once, now."""


class Driven(Protocol):
    """A timer a clock is running."""

    def cancel(self) -> None:
        """Run it no more (a tick in progress finishes)."""

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait until it is over; True when it is."""


class EventLoop(Protocol):
    """Where a clock runs coroutines side by side: each started at once, none waiting for another (the
    workload's writes, so that a slow answer never delays the next write)."""

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` from now on, alongside the others; return at once."""

    def drive(self, timer: Timer, name: str) -> Driven:
        """Run ``timer`` at its due times on this loop (as :meth:`Clock.drive` does on a thread of its own)."""

    def close(self, timeout_s: float | None = None) -> bool:
        """Wait for every coroutine started to finish (at most ``timeout_s``), then stop; True when all did."""


class Clock(Protocol):
    """What the runner needs from a clock."""

    def monotonic_ns(self) -> int:
        """Nanoseconds from an arbitrary origin; never goes backwards."""

    def wall(self) -> datetime:
        """The current UTC time, for display."""

    def sleep(self, seconds: float) -> None:
        """Wait for ``seconds``."""

    def drive(self, timer: Timer, name: str) -> Driven:
        """Run ``timer`` at its due times until it says it is over or is cancelled."""

    def executor(self, workers: int, name: str) -> Executor:
        """Where a timer's work runs: a pool of ``workers`` threads (or, on a fake clock, inline)."""

    def event_loop(self, name: str) -> EventLoop:
        """Where coroutines run side by side: an asyncio loop on a thread of its own (or the fake clock's)."""

    def sleep_async(self, seconds: float) -> Awaitable[None]:
        """Wait for ``seconds`` inside a coroutine this clock's :meth:`event_loop` runs."""


class _Thread:
    """A timer on a thread of its own: it sleeps until the next due time, then fires, until the timer is over."""

    def __init__(self, clock: Clock, timer: Timer, name: str) -> None:
        self._clock = clock
        self._timer = timer
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._cancel.is_set() and (due := self._timer.next_due_ns()) is not None:
            wait_ns = due - self._clock.monotonic_ns()
            if wait_ns > 0 and self._cancel.wait(wait_ns / 1e9):
                return
            self._timer.fire()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout_s: float | None = None) -> bool:
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()


class SystemClock:
    """The real clock."""

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def drive(self, timer: Timer, name: str) -> Driven:
        return _Thread(self, timer, name)

    def executor(self, workers: int, name: str) -> Executor:
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def event_loop(self, name: str) -> EventLoop:
        return _AsyncioLoop(name)

    def sleep_async(self, seconds: float) -> Awaitable[None]:
        return asyncio.sleep(max(0.0, seconds))


class _AsyncioLoop:
    """An asyncio event loop on a thread of its own; a timer it drives fires on that thread, so the work a tick
    starts begins there at once, with no hand-over between threads."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"{name}-loop", daemon=True)
        self._thread.start()

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        if threading.current_thread() is self._thread:
            self._spawn(coro)
        else:
            self._loop.call_soon_threadsafe(self._spawn, coro)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def drive(self, timer: Timer, name: str) -> Driven:
        """Run ``timer`` at its due times on this loop's thread (see :class:`_LoopTimer`)."""
        return _LoopTimer(self._loop, timer)

    async def _all_done(self) -> None:
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def close(self, timeout_s: float | None = None) -> bool:
        done = asyncio.run_coroutine_threadsafe(self._all_done(), self._loop)
        try:
            done.result(timeout_s)
            finished = True
        except TimeoutError:
            finished = False
            done.cancel()
            for task in list(self._tasks):
                self._loop.call_soon_threadsafe(task.cancel)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self._loop.close()
        return finished


class _LoopTimer:
    """A timer run by an asyncio loop: each fire is a callback at its due time, on the loop's thread.

    The loop sleeps in whole milliseconds (epoll's resolution), so a tick fires up to about a millisecond after
    it is due; the work it starts begins on the same thread, with nothing queued in between.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timer: Timer) -> None:
        self._loop = loop
        self._timer = timer
        self._handle: asyncio.TimerHandle | None = None
        self._cancelled = False
        self._over = threading.Event()
        loop.call_soon_threadsafe(self._arm)

    def _arm(self) -> None:
        due = None if self._cancelled else self._timer.next_due_ns()
        if due is None:
            self._over.set()
            return
        self._handle = self._loop.call_later(max(0.0, (due - time.monotonic_ns()) / 1e9), self._fire)

    def _fire(self) -> None:
        if not self._cancelled:
            self._timer.fire()
        self._arm()

    def _stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._over.set()

    def cancel(self) -> None:
        self._cancelled = True
        self._loop.call_soon_threadsafe(self._stop)

    def join(self, timeout_s: float | None = None) -> bool:
        return self._over.wait(timeout_s)


class InlineExecutor(Executor):
    """Runs each submitted call at once, on the caller's thread: a fake clock's drill stays one thread.

    An error goes to the future, as a pool's would; a KeyboardInterrupt goes on up, as Ctrl-C reaches the
    main thread wherever it is, so a test can land one anywhere in a drill.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class _Fired:
    """A timer a fake clock runs from its sleeps."""

    def __init__(self, clock: FakeClock, timer: Timer) -> None:
        self._clock = clock
        self._timer = timer
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._clock.forget(self._timer)

    def join(self, timeout_s: float | None = None) -> bool:
        return self.cancelled or self._timer.next_due_ns() is None


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it at once.

    Background loops started on a fake clock get no thread: they are :class:`Timer` s the clock runs from
    ``sleep``, each at its due time, in time order. A drill on a fake clock is then one thread, and runs the
    same way every time. One thread sleeps; a sleep inside a timer only advances the clock.
    """

    def __init__(self, start_ns: int = 1_000_000_000, wall_start: datetime | None = None) -> None:
        self._origin_ns = start_ns
        self._now_ns = start_ns
        self._wall_start = wall_start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self._timers: list[Timer] = []
        self._loops: list[_FakeLoop] = []
        self._driving = False

    def monotonic_ns(self) -> int:
        with self._lock:
            return self._now_ns

    def wall(self) -> datetime:
        with self._lock:
            elapsed = self._now_ns - self._origin_ns
        return self._wall_start + timedelta(microseconds=elapsed / 1000)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now_ns += round(seconds * 1e9)

    def drive(self, timer: Timer, name: str = "timer") -> Driven:
        """Run ``timer`` from this clock's sleeps, rather than on a thread of its own."""
        with self._lock:
            self._timers.append(timer)
        return _Fired(self, timer)

    def forget(self, timer: Timer) -> None:
        """Run ``timer`` no more."""
        with self._lock:
            self._timers = [t for t in self._timers if t is not timer]

    def executor(self, workers: int, name: str) -> Executor:
        return InlineExecutor()

    def event_loop(self, name: str) -> EventLoop:
        """An event loop this clock runs from its sleeps, kept until it is closed (it may wait on nothing)."""
        loop = _FakeLoop(self)
        with self._lock:
            self._loops.append(loop)
        return loop

    def close_loop(self, loop: _FakeLoop) -> None:
        """Run ``loop`` no more."""
        with self._lock:
            self._loops = [found for found in self._loops if found is not loop]

    def sleep_async(self, seconds: float) -> Awaitable[None]:
        return _Wake(self.monotonic_ns() + round(max(0.0, seconds) * 1e9))

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds``, first running every timer due on the way at its due time."""
        target = self.monotonic_ns() + round(max(0.0, seconds) * 1e9)
        if not self._driving:
            self._driving = True
            try:
                while (found := self._next_due(target)) is not None:
                    due, timer = found
                    with self._lock:
                        self._now_ns = max(self._now_ns, due)
                    timer.fire()
            finally:
                self._driving = False
        with self._lock:
            self._now_ns = max(self._now_ns, target)

    def _next_due(self, until_ns: int) -> tuple[int, Timer] | None:
        """The earliest timer due by ``until_ns``; timers that are over are dropped. On a tie, the event loops
        first (a write answered at an instant frees its place before a write due at that instant starts), then
        the first timer started."""
        with self._lock:
            timers = list(self._timers)
            loops = list(self._loops)
        dues = [(timer.next_due_ns(), timer) for timer in timers]
        with self._lock:
            self._timers = [timer for due, timer in dues if due is not None]
        candidates: list[tuple[int | None, int, Timer]] = [(loop.next_due_ns(), 0, loop) for loop in loops]
        candidates += [(due, 1, timer) for due, timer in dues]
        ready = [(due, rank, timer) for due, rank, timer in candidates if due is not None and due <= until_ns]
        if not ready:
            return None
        due, _, timer = min(ready, key=lambda found: (found[0], found[1]))
        return due, timer


class _Wake:
    """What a coroutine on a fake clock awaits: to be resumed at ``at_ns``."""

    def __init__(self, at_ns: int) -> None:
        self.at_ns = at_ns

    def __await__(self) -> Generator[_Wake, None, None]:
        yield self


class _FakeLoop:
    """A fake clock's event loop: a :class:`Timer` the clock runs from its sleeps. A coroutine started runs at
    once, at the clock's time, up to its first ``await clock.sleep_async(...)``; it is resumed when the clock
    reaches that time, in time order with the clock's other timers (the first suspended first, on a tie)."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._waiting: list[tuple[int, int, Coroutine[Any, Any, None]]] = []  # (wake at, order, coroutine)
        self._order = 0

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        self._step(coro)

    def _step(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            awaited = coro.send(None)
        except StopIteration:
            return
        if not isinstance(awaited, _Wake):
            coro.close()
            raise RuntimeError(
                f"a coroutine on a fake clock awaited {awaited!r}: it may only await clock.sleep_async()"
            )
        self._order += 1
        heapq.heappush(self._waiting, (awaited.at_ns, self._order, coro))

    def drive(self, timer: Timer, name: str) -> Driven:
        """On a fake clock, every timer runs from the clock's sleeps, in time order, whoever drives it."""
        return self._clock.drive(timer, name)

    def next_due_ns(self) -> int | None:
        return self._waiting[0][0] if self._waiting else None

    def fire(self) -> None:
        now = self._clock.monotonic_ns()
        while self._waiting and self._waiting[0][0] <= now:
            _, _, coro = heapq.heappop(self._waiting)
            self._step(coro)

    def close(self, timeout_s: float | None = None) -> bool:
        """Run the clock until every coroutine has finished (or ``timeout_s`` of its time has passed)."""
        deadline = None if timeout_s is None else self._clock.monotonic_ns() + round(timeout_s * 1e9)
        while (due := self.next_due_ns()) is not None and (deadline is None or due <= deadline):
            self._clock.sleep(max(0, due - self._clock.monotonic_ns()) / 1e9)
            self.fire()  # the sleep ran them already, unless it was called from inside another timer
        done = not self._waiting
        for _, _, coro in self._waiting:
            coro.close()
        self._waiting.clear()
        self._clock.close_loop(self)
        return done
