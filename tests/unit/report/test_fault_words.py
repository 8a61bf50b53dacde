"""The client page says what each fault did in a client's words, never in the journal's labels."""

from __future__ import annotations

import typing

import pytest

from drdrill.plan.faults import Fault
from drdrill.report.words import FAULT_WORDS, fault_words


def test_every_kind_a_plan_may_declare_has_words() -> None:
    union = typing.get_args(Fault)[0]
    kinds = {typing.get_args(model.model_fields["kind"].annotation)[0] for model in typing.get_args(union)}
    assert kinds == set(FAULT_WORDS)


@pytest.mark.parametrize(
    ("label", "said"),
    [
        ("down primary-provider", "cut primary-provider off the network"),
        ("latency llm-main (latency=2000)", "slowed every exchange with llm-main"),
        ("kill worker (SIGKILL)", "crashed worker"),
        ("zone_loss zone-a (power: worker, postgres)", "took down availability zone zone-a"),
        (
            "leak_secret claims-db (DB_PASSWORD, from CLAIMS_DB_PASSWORD; used at intake)",
            "treated a credential used by claims-db as leaked",
        ),
    ],
)
def test_a_label_in_a_clients_words(label: str, said: str) -> None:
    assert fault_words(label) == said


@pytest.mark.parametrize("label", ["", "down", "explode reactor", "latency"])
def test_a_label_of_another_shape_is_given_as_it_is(label: str) -> None:
    assert fault_words(label) == label
