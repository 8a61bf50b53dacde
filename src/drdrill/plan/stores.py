"""Data stores as plan data: a Postgres or Redis of the replica that drdrill reaches itself.

Data faults (``corrupt_rows``, ``drop_table``), the scenario's ``data_checks`` and a declarative final read go
through them, so a system whose data sits in Postgres or Redis needs no Python for any of it. A store is
reached at a ``service:port`` of the replica, or wherever a link leads now (``link``), so that it follows a
recovery that repointed the link to a promoted standby or a restored copy.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from drdrill.plan.base import PlanModel
from drdrill.plan.system import UPSTREAM

StoreKind = Literal["postgres", "redis"]


class DataStore(PlanModel):
    """One data store of the replica."""

    kind: StoreKind
    component: str | None = Field(
        default=None, description="The plan component it is; a data fault on that component goes through it."
    )
    at: str | None = Field(default=None, description="service:port where it listens, e.g. postgres:5432.")
    link: str | None = Field(
        default=None, description="A link whose upstream it is: reached where the link leads now."
    )
    database: str | None = Field(default=None, description="Postgres database name (default postgres).")
    user: str | None = Field(default=None, description="Postgres user (default postgres).")
    password_from: str | None = Field(
        default=None, description="A variable of generated_secrets that holds its password."
    )

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value is not None and not UPSTREAM.match(value):
            raise ValueError(f"at must be service:port, e.g. postgres:5432; got {value!r}")
        return value

    @field_validator("password_from")
    @classmethod
    def _variable(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @model_validator(mode="after")
    def _where(self) -> DataStore:
        if (self.at is None) == (self.link is None):
            raise ValueError("give `at` (service:port) or `link` (a link it stands behind), not both")
        if self.kind == "redis" and (self.database is not None or self.user is not None):
            raise ValueError("a redis store takes no database or user")
        return self

    @property
    def service(self) -> str | None:
        """The compose service of ``at``."""
        return None if self.at is None else self.at.rsplit(":", 1)[0]

    @property
    def port(self) -> int | None:
        return None if self.at is None else int(self.at.rsplit(":", 1)[1])

    @property
    def sql(self) -> bool:
        """It speaks SQL."""
        return self.kind == "postgres"
