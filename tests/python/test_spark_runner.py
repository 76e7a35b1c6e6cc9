"""The local Spark runner: DAG waves, the stand-in for dbt's `dbt` object,
result conversion and the Java check. No Spark session is started here."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from customer_value import spark_parity, spark_runner


def _node(name, language="sql", parents=(), resource_type="model", config=None):
    suffix = "py" if language == "python" else "sql"
    return {
        "name": name,
        "alias": name,
        "schema": "customer_value",
        "package_name": "customer_value",
        "resource_type": resource_type,
        "language": language,
        "original_file_path": f"models/{name}.{suffix}",
        "depends_on": {"nodes": [f"model.customer_value.{p}" for p in parents]},
        "config": config or {"enabled": True},
    }


@pytest.fixture
def manifest():
    nodes = [
        _node("stg_a"),
        _node("int_b", parents=["stg_a"]),
        _node(
            "fct_py",
            language="python",
            parents=["int_b"],
            config={
                "enabled": True,
                "clv_settings": {"clv_time_unit": "day"},
                "meta": {"lifecycle_thresholds": {"lifecycle_new_days": 90}},
            },
        ),
        _node("fct_py2", language="python", parents=["fct_py"]),
        _node("dim_sql", parents=["fct_py2", "int_b"]),
        _node("fct_py3", language="python", parents=["dim_sql"]),
    ]
    result = {
        "nodes": {f"model.customer_value.{n['name']}": n for n in nodes},
        "sources": {
            "source.customer_value.shop.orders": {
                "name": "orders",
                "source_name": "shop",
                "schema": "customer_value_raw",
                "identifier": "orders",
                "package_name": "customer_value",
            }
        },
        "metadata": {},
    }
    result["nodes"]["model.customer_value.stg_a"]["depends_on"]["nodes"].append(
        "source.customer_value.shop.orders"
    )
    return result


def test_waves_alternate_sql_and_python_in_dag_order(manifest):
    waves = spark_runner.build_waves(manifest)
    assert waves == [
        ("sql", ["int_b", "stg_a"]),
        ("python", ["model.customer_value.fct_py", "model.customer_value.fct_py2"]),
        ("sql", ["dim_sql"]),
        ("python", ["model.customer_value.fct_py3"]),
    ]


class FakeSession:
    def table(self, name):
        return f"table:{name}"


def test_stand_in_resolves_refs_config_and_meta_like_dbt(manifest):
    dbt = spark_runner.DbtStandIn(
        manifest, "model.customer_value.fct_py", FakeSession()
    )
    assert dbt.ref("int_b") == "table:customer_value.int_b"
    assert dbt.ref("customer_value", "int_b") == "table:customer_value.int_b"
    assert dbt.config(materialized="table") == ""
    assert dbt.config.get("clv_settings") == {"clv_time_unit": "day"}
    assert dbt.config.get("missing", 7) == 7
    assert dbt.config.meta_get("lifecycle_thresholds") == {"lifecycle_new_days": 90}
    assert dbt.config.meta_get("missing") is None
    assert dbt.this == "customer_value.fct_py"
    assert dbt.is_incremental() is False


def test_stand_in_refuses_a_ref_the_model_does_not_declare(manifest):
    dbt = spark_runner.DbtStandIn(
        manifest, "model.customer_value.fct_py", FakeSession()
    )
    with pytest.raises(KeyError, match="does not depend on ref 'stg_a'"):
        dbt.ref("stg_a")


def test_stand_in_resolves_sources(manifest):
    dbt = spark_runner.DbtStandIn(manifest, "model.customer_value.stg_a", FakeSession())
    assert dbt.source("shop", "orders") == "table:customer_value_raw.orders"


class RecordingSession:
    def createDataFrame(self, table):
        return table


@pytest.mark.parametrize(
    "result",
    [
        pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        pa.table({"a": [1, 2], "b": ["x", "y"]}),
        pa.table({"a": [1, 2], "b": ["x", "y"]}).to_batches()[0],
        pa.table({"a": [1, 2], "b": ["x", "y"]}).to_reader(),
    ],
    ids=["pandas", "arrow table", "record batch", "record batch reader"],
)
def test_every_kind_of_model_result_becomes_one_arrow_table(result):
    table = spark_runner.to_spark_frame(result, RecordingSession())
    assert table.to_pydict() == {"a": [1, 2], "b": ["x", "y"]}


def test_dictionary_columns_become_plain_strings():
    stages = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0]), ["new", "active"])
    table = spark_runner.to_spark_frame(pa.table({"s": stages}), RecordingSession())
    assert table.schema.field("s").type == pa.string()


def test_missing_java_names_what_to_install(tmp_path):
    with pytest.raises(spark_runner.SetupError, match="Java 17 or 21"):
        spark_runner.java_major_version(str(tmp_path / "no-java"))


def test_missing_input_file_is_reported_before_spark_starts(tmp_path):
    with pytest.raises(
        spark_runner.SetupError, match="no file matches var orders_path"
    ):
        spark_runner.check_input_paths({"orders_path": str(tmp_path / "x.csv")}, {})


def test_parity_tolerates_float_noise_but_not_a_changed_id():
    left = pd.DataFrame(
        {"customer_id": ["a", "b"], "p_alive": [0.5, 0.25], "amount": [10.0, 20.0]}
    )
    noisy = left.assign(p_alive=left["p_alive"] * (1 + 1e-9)).iloc[::-1]
    assert spark_parity.compare_frames(left, noisy)[0] == 0
    assert spark_parity.compare_frames(left, left.assign(amount=[10.0, 20.001]))[0] == 1
    assert spark_parity.compare_frames(left, left.assign(customer_id=["a", "c"]))[0] > 0
