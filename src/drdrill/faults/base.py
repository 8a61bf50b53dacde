"""What every injected fault is: an object with ``apply()`` and ``revert()``, reverting twice is safe."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class InjectedFault(Protocol):
    """A disaster the runner puts in place and takes away again."""

    @property
    def label(self) -> str:
        """Short description for the journal, e.g. ``down primary-provider``."""

    @property
    def target(self) -> str:
        """The plan component it hits."""

    def apply(self) -> None:
        """Put the fault in place."""

    def revert(self) -> None:
        """Take it away; a no-op when it is not in place. Raises :class:`FaultError` when it cannot."""
