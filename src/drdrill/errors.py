"""Errors that drdrill raises on purpose. Each says what went wrong and what to do about it."""

from __future__ import annotations


class DrdrillError(Exception):
    """Base class: a problem drdrill explains to the user without a traceback."""


class EnvironmentNotReadyError(DrdrillError):
    """A prerequisite (Docker engine, compose plugin, Toxiproxy, local images) is missing.

    The message names what is missing and the command that installs it.
    """


class StagingError(DrdrillError):
    """The staging replica could not be started, reached or torn down."""


class FaultError(DrdrillError):
    """A fault could not be applied or, worse, could not be reverted."""


class UnsupportedFaultError(DrdrillError):
    """The plan names a fault the runner cannot inject yet; raised before anything starts."""
