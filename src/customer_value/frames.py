"""Read a warehouse relation into pandas, whichever engine handed it over.

dbt-duckdb gives Python models DuckDB relations; dbt-databricks and a local
Spark session give Spark DataFrames. Models call :func:`to_pandas` so that the
same model file runs on both.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa


def to_pandas(
    relation, columns: Sequence[str] | None = None, where: str | None = None
) -> pd.DataFrame:
    """The relation (optionally filtered by a SQL predicate and projected to
    ``columns``) as a pandas DataFrame, computed by the engine."""
    if hasattr(relation, "toPandas"):  # Spark DataFrame
        if where:
            relation = relation.filter(where)
        if columns:
            relation = relation.select(*columns)
        return relation.toPandas()
    if where:  # DuckDB relation
        relation = relation.filter(where)
    if columns:
        relation = relation.project(", ".join(columns))
    return relation.df()


def as_dates(values) -> pd.Series:
    """``values`` (dates, timestamps at midnight or ISO strings) as a pandas
    column of Arrow ``date32``, so that the warehouse stores a DATE column
    (not a TIMESTAMP) and marts agree on the type of ``as_of_date``."""
    series = pd.Series(values)
    if not isinstance(series.dtype, pd.ArrowDtype):
        series = pd.to_datetime(series)
    return series.astype(pd.ArrowDtype(pa.date32()))
