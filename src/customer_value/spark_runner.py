"""Build the whole project on a local Apache Spark session.

dbt-spark runs Python models only on Databricks. Locally this runner builds the
SQL models with dbt (target ``spark``, ``method: session``) and runs each Python
model itself, in the same process and Spark session:

1. ``dbt parse`` for the DAG (``target/manifest.json``);
2. in waves: ``dbt build`` of every SQL model, seed and test whose Python
   ancestors are built, then each Python model whose parents are built, in DAG
   order: ``model(dbt, session)`` with a stand-in for dbt's ``dbt`` object
   (:class:`DbtStandIn`) whose ``ref()``/``source()`` return the Spark tables
   dbt built; the returned frame (pandas, Arrow or Spark) becomes a table;
3. ``dbt test`` of the tests on the Python models.

    python -m customer_value.spark_runner [--vars YAML] [--select-python NAME ...]

Needs Java 17 or 21 and ``pip install -r requirements-spark.txt``.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

TARGET = "spark"
DEFAULT_TARGET_PATH = "target/spark_dbt"
SUPPORTED_JAVA = (17, 21)
NO_TESTS = ["--exclude-resource-type", "test", "unit_test"]


class SetupError(RuntimeError):
    """Something to install or fix before Spark can run; the message says what."""


# --- checks before anything starts ----------------------------------------------------


def java_major_version(java: str | None = None) -> int:
    """Major version of the Java runtime Spark will use (JAVA_HOME, else PATH)."""
    if java is None:
        home = os.environ.get("JAVA_HOME")
        java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SetupError(
            "Java was not found: Spark needs a Java 17 or 21 runtime. Install one "
            "(Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`; macOS: "
            "`brew install openjdk@17`) or point JAVA_HOME at it, then run again."
        )
    result = subprocess.run(
        [java, "-version"], capture_output=True, text=True, check=False
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if result.returncode != 0 or not match:
        raise SetupError(
            f"`{java} -version` failed; Spark needs a working Java 17 or 21 runtime."
        )
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def check_java() -> int:
    major = java_major_version()
    if major not in SUPPORTED_JAVA:
        raise SetupError(
            f"Java {major} found; Spark 4 needs Java 17 or 21. Install "
            "openjdk-17 and set JAVA_HOME to it."
        )
    return major


def check_spark_installed() -> None:
    for module, what in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        if importlib.util.find_spec(module) is None:
            raise SetupError(
                f"{what} is not installed: run `make venv-spark` "
                "(or pip install -r requirements-spark.txt)."
            )


def check_input_paths(variables: Mapping[str, Any], project_vars: Mapping) -> None:
    """Every input path matches at least one non-empty file (Spark's own error
    for a missing path is a long stack trace)."""
    for name, required in (("orders_path", True), ("customers_path", False)):
        path = str(variables.get(name, project_vars.get(name)) or "").strip()
        if not path:
            if required:
                raise SetupError(f"Input error: var {name} is empty.")
            continue
        files = sorted(glob.glob(path))
        if not files:
            raise SetupError(
                f"Input error: no file matches var {name} = '{path}' (relative paths "
                "are read from the directory dbt runs in). Run `make demo-data` for "
                "the demo set."
            )
        for file in files:
            if os.path.getsize(file) == 0:
                raise SetupError(f"Input error: file {file} (var {name}) is empty.")


# --- the DAG ----------------------------------------------------


def load_manifest(target_path: str) -> dict:
    return json.loads((Path(target_path) / "manifest.json").read_text())


def project_nodes(manifest: Mapping) -> dict[str, dict]:
    """Models, seeds, snapshots and tests of the project, by unique id."""
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed", "snapshot", "test")
    }


def python_models(manifest: Mapping) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in project_nodes(manifest).items()
        if node["resource_type"] == "model" and node.get("language") == "python"
    }


def ancestors(manifest: Mapping, uid: str, memo: dict[str, set[str]]) -> set[str]:
    if uid in memo:
        return memo[uid]
    node = manifest["nodes"].get(uid)
    result: set[str] = set()
    if node is not None:
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in manifest["nodes"]:
                result.add(parent)
                result |= ancestors(manifest, parent, memo)
    memo[uid] = result
    return result


def build_waves(manifest: Mapping) -> list[tuple[str, list[str]]]:
    """Alternating ("sql", names) and ("python", unique ids) waves in DAG order.

    A SQL wave holds every model/seed/snapshot not yet built whose Python
    ancestors are all built; a Python wave every Python model whose parents are
    all built (listed in topological order).
    """
    memo: dict[str, set[str]] = {}
    pythons = python_models(manifest)
    buildable = {
        uid: node
        for uid, node in project_nodes(manifest).items()
        if node["resource_type"] != "test"
        and node.get("config", {}).get("enabled", True)
    }
    done: set[str] = set()
    waves: list[tuple[str, list[str]]] = []
    while len(done) < len(buildable):
        sql = sorted(
            uid
            for uid in buildable
            if uid not in done
            and uid not in pythons
            and all(a in done for a in ancestors(manifest, uid, memo) if a in pythons)
        )
        if sql:
            waves.append(("sql", [buildable[uid]["name"] for uid in sql]))
            done |= set(sql)
        ready: list[str] = []
        progress = True
        while progress:
            progress = False
            for uid in sorted(pythons):
                if uid in done or uid in ready:
                    continue
                parents = [
                    p
                    for p in buildable[uid].get("depends_on", {}).get("nodes", [])
                    if p in buildable
                ]
                if all(p in done or p in ready for p in parents):
                    ready.append(uid)
                    progress = True
        if ready:
            waves.append(("python", ready))
            done |= set(ready)
        if not sql and not ready:
            missing = sorted(set(buildable) - done)
            raise RuntimeError(f"cannot order the DAG; left: {missing[:5]}")
    return waves


# --- the stand-in for dbt's `dbt` object ----------------------------------------------


class _Config:
    """``dbt.config``: callable (model-level settings, ignored here) with
    ``get`` and ``meta_get`` reading the node's resolved config as dbt would."""

    def __init__(self, config: Mapping[str, Any]):
        self._config = dict(config)

    def __call__(self, **kwargs: Any) -> str:
        return ""

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def meta_get(self, key: str, default: Any = None) -> Any:
        return (self._config.get("meta") or {}).get(key, default)


class DbtStandIn:
    """What a Python model sees as ``dbt`` on Spark, built from the manifest."""

    def __init__(self, manifest: Mapping, uid: str, session: Any):
        self._manifest = manifest
        self._node = manifest["nodes"][uid]
        self._session = session
        self.config = _Config(self._node.get("config", {}))
        self.this = relation_name(self._node)

    @staticmethod
    def is_incremental() -> bool:
        return False

    def _lookup(self, resource: str, name: str, package: str | None) -> Mapping:
        for uid in self._node.get("depends_on", {}).get("nodes", []):
            node = self._manifest[resource].get(uid)
            if node is None:
                continue
            if node["name"] == name and package in (None, node["package_name"]):
                return node
        kind = "ref" if resource == "nodes" else "source"
        raise KeyError(
            f"{self._node['name']} does not depend on {kind} '{name}' "
            "(dbt records a Python model's ref() and source() calls when it parses)"
        )

    def ref(self, *args: str, version: Any = None, v: Any = None) -> Any:
        package, name = (None, args[0]) if len(args) == 1 else args[:2]
        node = self._lookup("nodes", name, package)
        return self._session.table(relation_name(node))

    def source(self, source_name: str, table_name: str) -> Any:
        for uid in self._node.get("depends_on", {}).get("nodes", []):
            node = self._manifest["sources"].get(uid)
            if node and (node["source_name"], node["name"]) == (
                source_name,
                table_name,
            ):
                return self._session.table(relation_name(node))
        raise KeyError(f"{self._node['name']} does not depend on source {table_name}")


def relation_name(node: Mapping) -> str:
    """``schema.identifier`` of a node or source (Spark has no database level)."""
    identifier = node.get("identifier") or node.get("alias") or node["name"]
    return f"{node['schema']}.{identifier}"


# --- writing a model's result ----------------------------------------------------


def to_spark_frame(result: Any, session: Any) -> Any:
    """A Python model's return value as a Spark DataFrame."""
    if hasattr(result, "sparkSession"):
        return result
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    if isinstance(result, pa.RecordBatch):
        result = pa.Table.from_batches([result])
    if not isinstance(result, pa.Table):  # pandas
        result = pa.Table.from_pandas(result, preserve_index=False)
    result = result.cast(
        pa.schema(
            [
                f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                for f in result.schema
            ]
        )
    )
    return session.createDataFrame(result)


def run_python_model(manifest: Mapping, uid: str, session: Any) -> int:
    """Run one Python model and write its table; returns the number of rows."""
    node = manifest["nodes"][uid]
    path = (
        Path(manifest["metadata"].get("project_root", ".")) / node["original_file_path"]
    )
    if not path.exists():
        path = Path(node["original_file_path"])
    spec = importlib.util.spec_from_file_location(f"dbt_model_{node['name']}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame = to_spark_frame(
        module.model(DbtStandIn(manifest, uid, session), session), session
    )
    name = relation_name(node)
    session.sql(f"create schema if not exists {node['schema']}")
    session.sql(f"drop table if exists {name}")
    frame.write.format("parquet").mode("overwrite").saveAsTable(name)
    return session.table(name).count()


# --- dbt in this process ----------------------------------------------------


def dbt_invoke(args: list[str]) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args[:1])} failed (see the log above)")


def common_args(target_path: str, variables: str | None) -> list[str]:
    args = ["--target", TARGET, "--target-path", target_path]
    if variables:
        args += ["--vars", variables]
    return args


def log(message: str, started: float) -> None:
    print(f"[spark_runner {time.monotonic() - started:7.1f}s] {message}", flush=True)


def run(
    variables: str | None,
    target_path: str,
    fail_fast: bool = True,
    with_tests: bool = True,
) -> None:
    started = time.monotonic()
    check_spark_installed()
    log(f"Java {check_java()} found", started)
    import yaml

    project_vars = yaml.safe_load(Path("dbt_project.yml").read_text()).get("vars", {})
    check_input_paths(yaml.safe_load(variables or "{}") or {}, project_vars)
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    # pyspark logs every failed statement with its JVM stack trace; dbt reports it
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    args = common_args(target_path, variables)
    dbt_invoke(["parse", *args])
    manifest = load_manifest(target_path)
    waves = build_waves(manifest)
    log(
        f"{len(waves)} waves: " + ", ".join(f"{k} x{len(v)}" for k, v in waves), started
    )
    session = None
    for kind, members in waves:
        if kind == "sql":
            log(
                f"dbt build of {len(members)} models and seeds (and their tests)",
                started,
            )
            dbt_invoke(
                [
                    "build",
                    *args,
                    "--select",
                    *members,
                    "--indirect-selection",
                    "buildable",
                    *(["--fail-fast"] if fail_fast else []),
                    *([] if with_tests else NO_TESTS),
                ]
            )
            continue
        if session is None:
            from pyspark.sql import SparkSession

            session = (
                SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
            )
        for uid in members:
            t0 = time.monotonic()
            rows = run_python_model(manifest, uid, session)
            log(
                f"python model {manifest['nodes'][uid]['name']}: {rows} rows "
                f"in {time.monotonic() - t0:.1f}s",
                started,
            )
    if with_tests:
        names = [node["name"] for node in python_models(manifest).values()]
        log("dbt test of the tests on the Python models", started)
        dbt_invoke(["test", *args, "--select", *names])
    log("done", started)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="do not stop a dbt build at the first failure",
    )
    parser.add_argument("--vars", help="dbt --vars (YAML), e.g. '{orders_path: x.csv}'")
    parser.add_argument(
        "--target-path",
        default=DEFAULT_TARGET_PATH,
        help=f"dbt target path of the Spark build (default {DEFAULT_TARGET_PATH})",
    )
    parser.add_argument(
        "--skip-tests",
        action="store_true",
        help="build models and seeds only (no data or unit tests)",
    )
    options = parser.parse_args(list(argv) if argv is not None else None)
    os.environ.setdefault("DBT_PROFILES_DIR", os.getcwd())
    os.environ.setdefault("CUSTOMER_VALUE_PROJECT_DIR", os.getcwd())
    # Spark's Python workers (mapInArrow) must import this package: same Python.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        run(
            options.vars,
            options.target_path,
            fail_fast=not options.keep_going,
            with_tests=not options.skip_tests,
        )
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
