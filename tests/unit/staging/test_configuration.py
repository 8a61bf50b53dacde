"""What shaped the system under drill: compose's variables with their origin, secrets masked, digests."""

from __future__ import annotations

from pathlib import Path

from drdrill.staging.configuration import (
    GENERATED,
    MASKED,
    digest,
    dotenv,
    parse_variables,
    plan_digest,
    substituted,
)

TABLE = """\
NAME                 REQUIRED            DEFAULT VALUE       ALTERNATE VALUE
REQUEST_TIMEOUT      false               1.0
CLAIMS_DB_PASSWORD   false               claims-dev
H1_FALLBACK_URL      false
API_TOKEN            true
FAILOVER_AFTER       false               3
"""


def test_the_variables_table_is_read_by_its_columns() -> None:
    assert parse_variables(TABLE) == {
        "REQUEST_TIMEOUT": (False, "1.0"),
        "CLAIMS_DB_PASSWORD": (False, "claims-dev"),
        "H1_FALLBACK_URL": (False, ""),
        "API_TOKEN": (True, ""),
        "FAILOVER_AFTER": (False, "3"),
    }
    assert parse_variables("") == {}


def test_each_value_says_where_it_came_from_and_no_secret_shows(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# local\nFAILOVER_AFTER=5\nAPI_TOKEN='sk-live-123'\n")
    shown = substituted(
        parse_variables(TABLE),
        environ={"H1_FALLBACK_URL": "", "CLAIMS_DB_PASSWORD": "run-secret"},
        dotenv_values=dotenv(tmp_path / ".env"),
        generated=["CLAIMS_DB_PASSWORD"],
    )
    assert shown == {
        "API_TOKEN": f"{MASKED} (.env)",
        "CLAIMS_DB_PASSWORD": GENERATED,
        "FAILOVER_AFTER": "5 (.env)",
        "H1_FALLBACK_URL": " (environment)",  # set empty on purpose: a different system from the default
        "REQUEST_TIMEOUT": "1.0 (default)",
    }
    assert "sk-live" not in str(shown) and "run-secret" not in str(shown)


def test_digests_change_with_a_byte_and_a_name(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: a\n")
    (tmp_path / "outage.yaml").write_text("title: b\n")
    first = plan_digest(tmp_path)
    assert first.startswith("sha256:") and first == plan_digest(tmp_path)
    (tmp_path / "outage.yaml").write_text("title: c\n")
    assert plan_digest(tmp_path) != first
    assert digest([tmp_path / "plan.yaml"]) != digest([tmp_path / "outage.yaml"])
