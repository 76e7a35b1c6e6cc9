"""Read a warehouse relation into pandas, whichever engine handed it over.

dbt-duckdb gives Python models DuckDB relations; dbt-databricks and a local
Spark session give Spark DataFrames. Models call :func:`to_pandas` so that the
same model file runs on both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import pandas as pd
import pyarrow as pa

#: DuckDB types whose Arrow form pandas would convert differently from DuckDB
_NESTED_OR_INTERVAL = re.compile(r"^(INTERVAL|STRUCT|MAP|UNION)|\]$")


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
    if any(_NESTED_OR_INTERVAL.search(str(kind)) for kind in relation.types):
        return relation.df()  # not read by the models: DuckDB converts those
    # decimals and 128-bit integers cast by DuckDB: the same doubles as
    # relation.df() gives (Arrow would hand them over as Decimal objects)
    relation = relation.project(
        ", ".join(
            f'cast("{name}" as double) as "{name}"'
            if str(kind).startswith(("DECIMAL", "HUGEINT", "UHUGEINT"))
            else f'"{name}"'
            for name, kind in zip(relation.columns, relation.types, strict=True)
        )
    )
    return arrow_to_pandas(relation.to_arrow_table())


#: pandas' nullable dtype of each Arrow integer type (for columns with nulls).
_NULLABLE_INTEGERS = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table from DuckDB (decimals and 128-bit integers already cast
    to double) as the DataFrame DuckDB's ``relation.df()`` gives, at a fraction
    of its cost on a million rows: dates as ``datetime64[us]``, integer and
    boolean columns with nulls as pandas' nullable ``Int64`` / ``boolean``, a
    text column of nulls only as ``object``, everything else as pyarrow
    converts it (numbers zero-copy, text as pandas' Arrow-backed strings), the
    plain columns in one pass of pyarrow's own conversion."""
    special = {}
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_decimal(kind):
            raise TypeError(f"{field.name}: cast decimals to double first")
        if pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        if column.null_count and kind in _NULLABLE_INTEGERS:
            special[field.name] = column.to_pandas(types_mapper=_NULLABLE_INTEGERS.get)
        elif column.null_count and pa.types.is_boolean(kind):
            special[field.name] = column.to_pandas(
                types_mapper={pa.bool_(): pd.BooleanDtype()}.get
            )
        elif column.null_count == len(column) and pa.types.is_string(kind):
            special[field.name] = pd.Series([None] * len(column), dtype=object)
        columns.append(column)
    names = table.schema.names
    plain = pa.table(
        [c for n, c in zip(names, columns, strict=True) if n not in special],
        names=[n for n in names if n not in special],
    )
    frame = (
        plain.to_pandas()
        if plain.num_columns
        else pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    )
    for name, series in special.items():
        frame[name] = series.to_numpy() if series.dtype == object else series.array
    return frame[names] if special else frame


def as_dates(values) -> pd.Series:
    """``values`` (dates, timestamps at midnight or ISO strings) as a pandas
    column of Arrow ``date32``, so that the warehouse stores a DATE column
    (not a TIMESTAMP) and marts agree on the type of ``as_of_date``."""
    series = pd.Series(values)
    if not isinstance(series.dtype, pd.ArrowDtype):
        series = pd.to_datetime(series)
    return series.astype(pd.ArrowDtype(pa.date32()))


def is_spark(relation) -> bool:
    """Whether ``relation`` is a Spark DataFrame (else a DuckDB relation)."""
    return hasattr(relation, "toPandas") and hasattr(relation, "sparkSession")


def to_arrow(
    relation,
    columns: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
) -> pa.Table:
    """The relation (optionally projected to ``columns`` and sorted by
    ``order_by``) as an Arrow table, computed by the engine."""
    if is_spark(relation):
        if columns:
            relation = relation.select(*columns)
        if order_by:
            relation = relation.orderBy(*order_by)
        return relation.toArrow()
    if columns:
        relation = relation.project(", ".join(columns))
    if order_by:
        relation = relation.order(", ".join(order_by))
    return relation.to_arrow_table()


def map_batches(
    relation,
    function: Callable[[pa.RecordBatch], pa.RecordBatch],
    batch_rows: int,
):
    """``function`` applied to every Arrow record batch of the relation.

    DuckDB: a ``pyarrow.RecordBatchReader`` streamed in this process, at most
    ``batch_rows`` rows at a time. Spark: a Spark DataFrame whose batches the
    executors compute (``mapInArrow``), so the driver never holds the rows.
    Either way memory stays bounded. Dictionary-encoded output columns become
    plain strings on Spark.
    """
    if is_spark(relation):
        from pyspark.sql.pandas.types import from_arrow_schema

        empty = pa.RecordBatch.from_pylist([], relation.limit(0).toArrow().schema)
        schema = _plain_schema(function(empty).schema)

        def spark_batches(batches: Iterator[pa.RecordBatch]):
            for batch in batches:
                if batch.num_rows:
                    yield function(batch).cast(schema)

        return relation.mapInArrow(spark_batches, from_arrow_schema(schema))
    reader = relation.to_arrow_reader(batch_rows)
    schema = function(pa.RecordBatch.from_pylist([], reader.schema)).schema

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            if batch.num_rows:
                yield function(batch)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary types replaced by their value types."""
    return pa.schema(
        [
            field.with_type(field.type.value_type)
            if pa.types.is_dictionary(field.type)
            else field
            for field in schema
        ]
    )
