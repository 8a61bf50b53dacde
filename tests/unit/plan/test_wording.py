"""The "what not to say" rules shared by the plan's template lints and the notices a system sends."""

from __future__ import annotations

from datetime import timedelta

from drdrill.plan.wording import WordingProblem, plan_rules, wording_problems

RULES = plan_rules(["Acme AI"], ["classifier-worker", "api"], rto=timedelta(hours=4))


def test_a_clean_notice_has_no_problem() -> None:
    text = (
        "We are experiencing a provider outage and have activated our failover procedures. "
        "Claims are stored safely; we expect recovery within 2-4 hours."
    )
    assert wording_problems(text, "first_notice", RULES) == []


def test_each_rule_names_the_words() -> None:
    text = (
        "Acme AI returned HTTP 503 to the classifier-worker due to a bad deploy; "
        "we will have it fixed in 30 minutes."
    )
    assert wording_problems(text, "first_notice", RULES) == [
        WordingProblem(
            "notice-root-cause",
            "first notice asserts a cause ('due to') before it can be confirmed; say it is being investigated",
        ),
        WordingProblem(
            "notice-blames-vendor",
            "first notice names 'Acme AI'; speak of a provider outage and the failover in place",
        ),
        WordingProblem(
            "notice-promise",
            "first notice promises a fix within 30 minutes, shorter than the recovery objective (RTO 4 hours)",
        ),
        WordingProblem(
            "notice-jargon",
            "first notice uses internal jargon ('HTTP 503', 'classifier-worker'); say what it means to the client",
        ),
    ]


def test_a_plain_word_component_name_is_not_jargon_and_a_cause_is_allowed_in_the_report() -> None:
    assert (
        wording_problems("Our api of thanks: it was caused by a storm.", "post_incident_report", RULES) == []
    )
    assert [p.code for p in wording_problems("The pods were OOMKilled.", "updates", RULES)] == [
        "notice-jargon"
    ]
