"""The base of every plan model: unknown keys are errors, values are immutable once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlanModel(BaseModel):
    """Strict, frozen model for a piece of the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
