"""Personal data never reaches a model downstream of staging in clear text.

E-mail addresses, phone numbers and names are planted in the customers file
(in the contract columns and in extra columns) and in an extra column of the
orders file; after a full build no relation other than the view of the raw
customers (base_shop__customers, read only by stg_shop__customers_parsed, which
hashes) holds any of them, and the scan of every mart (the generic test
no_personal_data, one per mart) passes. The scan of a mart fails, naming that
mart, the column and a count but never the value, when it does hold an address
or a number; a build that leaves some marts out still scans the others; and a
mart without the scan fails the coverage test. Hashes use PII_HASH_SALT, and
the build warns loudly when it is unset.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import PROJECT_DIR, DbtResult, run_dbt, write_demo_data

CLEAR_TEXT_RELATIONS = {"base_shop__customers"}
DEVELOPMENT_SALT = "customer-value-development-salt"
SALT_WARNING = "WARNING: PII_HASH_SALT is not set"
SCAN_TEST = "no_personal_data"
COVERAGE_TEST = "assert_every_mart_scanned_for_personal_data"
MARTS_FOLDER = "models/marts/"


def _planted_inputs(directory: Path) -> dict[str, list[str]]:
    """Demo data with personal data added in extra columns; returns the clear
    text a downstream relation must not hold (lower-cased): the e-mail and the
    phone digits of each customer, and markers that every planted extra value
    carries ("planted" in names and addresses, the planted mobile numbers'
    prefix as written and as digits)."""
    write_demo_data(directory, customers=200, orders=2000, seed=5)
    with open(directory / "customers.csv", newline="", encoding="utf-8") as handle:
        customers = list(csv.DictReader(handle))
    emails, phones = [], []
    for number, row in enumerate(customers):
        row["full_name"] = f"Plantedname Person{number}"
        row["secondary_email"] = f"second.{number}@planted.example"
        row["mobile"] = f"+1 (202) 555-{number:04d}"
        emails.append(row["email"].strip().lower())
        phones.append("".join(ch for ch in row["phone"] if ch.isdigit()))
    with open(directory / "customers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(customers[0]))
        writer.writeheader()
        writer.writerows(customers)
    with open(directory / "orders.csv", newline="", encoding="utf-8") as handle:
        orders = list(csv.DictReader(handle))
    for row in orders:
        row["buyer_email"] = f"buyer.{row['customer_id'].lower()}@planted.example"
    with open(directory / "orders.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(orders[0]))
        writer.writeheader()
        writer.writerows(orders)
    return {
        "emails": sorted(set(filter(None, emails))),
        "phones": sorted({phone for phone in phones if len(phone) >= 7}),
        "markers": ["planted", "(202) 555-", "1202555"],
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, dict[str, list[str]], dict]:
    base = tmp_path_factory.mktemp("privacy")
    values = _planted_inputs(base / "data")
    variables = {
        "orders_path": str(base / "data" / "orders.csv"),
        "customers_path": str(base / "data" / "customers.csv"),
    }
    return base, values, variables


@pytest.fixture(scope="module")
def build(planted) -> DbtResult:
    """The full build (every model and test), without PII_HASH_SALT."""
    base, _, variables = planted
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PII_HASH_SALT", raising=False)
        result = run_dbt(["build"], base / "build", variables)
    assert result.ok, result.output
    return result


def _relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = current_database() and table_schema = 'main'"
            " order by table_name"
        ).fetchall()
    ]


def _clear_text_pattern(values: dict[str, list[str]]) -> str:
    """One regular expression matching any of the planted values."""
    return "|".join(re.escape(value) for kind in values.values() for value in kind)


def _manifest(target: Path) -> dict:
    return json.loads((target / "manifest.json").read_text())


def _marts(target: Path) -> set[str]:
    """Names of the project's models under models/marts in that build."""
    return {
        node["name"]
        for node in _manifest(target)["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith(MARTS_FOLDER)
    }


def _statuses(target: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Statuses of the last run: of each mart's scan, by the mart's name, and of
    every other node, by its name."""
    nodes = _manifest(target)["nodes"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    scans, others = {}, {}
    for result in results:
        uid = result["unique_id"]
        node = nodes.get(uid, {})  # unit tests and exposures are kept elsewhere
        if (node.get("test_metadata") or {}).get("name") == SCAN_TEST:
            scans[nodes[node["attached_node"]]["name"]] = result["status"]
        else:
            others[node.get("name", uid.split(".")[2])] = result["status"]
    return scans, others


def _scan_table(mart: str) -> str:
    """The table --store-failures writes for a mart's scan."""
    return f"main_dbt_test__audit.{SCAN_TEST}_{mart}_"


def test_no_relation_after_staging_holds_planted_personal_data(build, planted):
    _, values, _ = planted
    pattern = _clear_text_pattern(values)
    found = {}
    with duckdb.connect(str(build.database), read_only=True) as con:
        relations = _relations(con)
        scanned = [r for r in relations if r not in CLEAR_TEXT_RELATIONS]
        assert {"dim_customers", "stg_shop__customers", "stg_shop__rejected_rows"} <= (
            set(scanned)
        )
        for relation in scanned:
            (hits,) = con.execute(
                f'select count(*) from "{relation}" as t'
                " where regexp_matches(lower(cast(t as varchar)), ?)",
                [pattern],
            ).fetchone()
            if hits:
                found[relation] = hits
        # the same scan does find the clear text where it is allowed
        (raw,) = con.execute(
            "select count(*) from base_shop__customers as t"
            " where regexp_matches(lower(cast(t as varchar)), ?)",
            [pattern],
        ).fetchone()
    assert found == {}, f"personal data in clear text after staging: {found}"
    assert raw >= 150


def test_base_relation_holds_clear_text_so_the_scan_can_find_it(build, planted):
    """A control for the scan above: the one relation that must hold the raw
    e-mail addresses does hold them."""
    _, values, _ = planted
    with duckdb.connect(str(build.database), read_only=True) as con:
        (hits,) = con.execute(
            "select count(*) from base_shop__customers"
            " where lower(trim(email_raw)) in (select unnest(?::varchar[]))",
            [values["emails"]],
        ).fetchone()
    assert hits >= 150


def test_every_mart_scan_passes_on_the_build_and_warns_about_the_salt(build):
    target = build.database.parent / "target"
    marts = _marts(target)
    scans, others = _statuses(target)
    assert len(marts) >= 26
    assert scans == dict.fromkeys(marts, "pass")
    assert others[COVERAGE_TEST] == "pass"
    assert SALT_WARNING in build.output


def test_mart_scan_fails_naming_table_column_and_count_never_the_value(build, planted):
    base, _, variables = planted
    workdir = base / "leaky"
    workdir.mkdir()
    shutil.copy(build.database, workdir / "warehouse.duckdb")
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        con.execute(
            "create or replace table fct_segment_summary as"
            " select *, 'Leaky.Address@Example.com ' as contact"
            " from fct_segment_summary"
        )
        con.execute(
            "update dim_customers set rfm_segment = 'call (757) 555 0139'"
            " where customer_id = (select min(customer_id) from dim_customers)"
        )
        segments = con.execute("select count(*) from fct_segment_summary").fetchone()[0]
    result = run_dbt(
        ["test", "--select", f"test_name:{SCAN_TEST}", "--store-failures"],
        workdir,
        variables,
    )
    assert not result.ok, result.output
    assert "Leaky.Address" not in result.output
    assert "555 0139" not in result.output
    # the scans of these two marts fail, every other mart's passes
    scans, _ = _statuses(workdir / "target")
    leaky = {"dim_customers", "fct_segment_summary"}
    assert scans == {
        mart: "fail" if mart in leaky else "pass" for mart in _marts(workdir / "target")
    }
    for mart in leaky:
        assert f"Failure in test {SCAN_TEST}_{mart}_ " in result.output
    with duckdb.connect(str(result.database), read_only=True) as con:
        findings = {
            mart: con.execute(f"select * from {_scan_table(mart)}").fetchall()
            for mart in leaky
        }
    assert findings == {
        "dim_customers": [("dim_customers", "rfm_segment", "phone numbers", 1)],
        "fct_segment_summary": [
            ("fct_segment_summary", "contact", "e-mail addresses", segments)
        ],
    }


def test_a_build_without_some_marts_still_scans_the_others(build, planted):
    """Leaving the churn models and everything downstream of them out of a build
    leaves out the scans of those marts only; the other marts are scanned, and
    the coverage test (which reads no model) runs too."""
    base, _, variables = planted
    result = run_dbt(
        ["build", "--exclude", "int_purchase_days_bucketed+"],
        base / "partial",
        variables,
    )
    assert result.ok, result.output
    target = base / "partial" / "target"
    marts = _marts(target)
    scans, others = _statuses(target)
    left_out = {mart for mart in marts if mart not in others}
    assert {"fct_customer_churn_risk", "fct_churn_backtest"} <= left_out
    assert {"dim_customers", "fct_orders", "fct_customer_clv"} <= set(scans)
    assert set(scans) == marts - left_out
    assert set(scans.values()) == {"pass"}
    assert others[COVERAGE_TEST] == "pass"


def test_a_mart_without_the_scan_fails_the_coverage_test(planted, tmp_path):
    """A copy of the project with one more mart, which has no no_personal_data
    test: the coverage test fails and names it (and no other)."""
    _, _, variables = planted
    project = tmp_path / "project"
    project.mkdir()
    for entry in (
        "dbt_project.yml",
        "profiles.yml",
        "macros",
        "seeds",
        "tests",
        "analyses",
    ):
        (project / entry).symlink_to(PROJECT_DIR / entry)
    shutil.copytree(
        PROJECT_DIR / "models",
        project / "models",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    (project / "models" / "marts" / "core" / "fct_new_contacts.sql").write_text(
        "select 1 as contact_id\n"
    )
    workdir = tmp_path / "run"
    result = run_dbt(
        [
            "test",
            "--project-dir",
            str(project),
            "--select",
            COVERAGE_TEST,
            "--store-failures",
        ],
        workdir,
        variables,
    )
    assert not result.ok, result.output
    assert f"Failure in test {COVERAGE_TEST} " in result.output
    with duckdb.connect(str(result.database), read_only=True) as con:
        unscanned = con.execute(
            f"select model_name, file_path from main_dbt_test__audit.{COVERAGE_TEST}"
        ).fetchall()
    assert unscanned == [("fct_new_contacts", "models/marts/core/fct_new_contacts.sql")]


def test_salt_comes_from_the_environment_and_silences_the_warning(build, planted):
    base, _, variables = planted
    with duckdb.connect(str(build.database), read_only=True) as con:
        customer_id, development_hash = con.execute(
            "select customer_id, email_hash from stg_shop__customers"
            " where email_hash is not null order by customer_id limit 1"
        ).fetchone()
    with open(base / "data" / "customers.csv", newline="", encoding="utf-8") as handle:
        email = next(
            row["email"].strip().lower()
            for row in csv.DictReader(handle)
            if row["customer_id"] == customer_id
        )
    salt = "a-test-secret-" + os.urandom(8).hex()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_HASH_SALT", salt)
        salted = run_dbt(
            [
                "build",
                "--select",
                "+stg_shop__customers",
                "--exclude-resource-type",
                "test",
                "unit_test",
            ],
            base / "salted",
            variables,
        )
    assert salted.ok, salted.output
    assert SALT_WARNING not in salted.output
    with duckdb.connect(str(salted.database), read_only=True) as con:
        (salted_hash,) = con.execute(
            "select email_hash from stg_shop__customers where customer_id = ?",
            [customer_id],
        ).fetchone()

    def sha256(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    assert development_hash == sha256(f"{DEVELOPMENT_SALT}|{email}")
    assert salted_hash == sha256(f"{salt}|{email}")


def test_an_empty_salt_counts_as_unset(tmp_path):
    """PII_HASH_SALT set to an empty string hashes with the development salt,
    as when it is unset (and the build warns the same way): an empty salt is no
    secret."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_HASH_SALT", "")
        compiled = run_dbt(
            ["compile", "--select", "stg_shop__customers_parsed"], tmp_path
        )
    assert compiled.ok, compiled.output
    sql = next(
        (tmp_path / "target" / "compiled").rglob("stg_shop__customers_parsed.sql")
    )
    assert DEVELOPMENT_SALT in sql.read_text()
