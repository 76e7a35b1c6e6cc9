"""customer_value.frames.to_pandas on DuckDB relations: the frame DuckDB's own
``relation.df()`` gives, value for value and dtype for dtype, read through
Arrow."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from customer_value.frames import arrow_to_pandas, to_pandas

#: every column type the project's models hand to Python, with and without
#: nulls, and with no rows at all
QUERIES = {
    "typed values": """
        select * from (values
            ('a', 1::bigint, 7::int, true, date '2020-01-01',
             timestamp '2020-01-01 10:00', timestamptz '2020-01-01 10:00+02',
             12.34::decimal(18, 2), 0.1234567891::decimal(38, 10),
             123456789.1234::decimal(38, 4), 3::hugeint, 2.5::double),
            (null, null, null, null, null, null, null, null, null, null, null,
             null),
            ('c', 3, 9, false, date '1999-12-31', timestamp '1999-12-31 23:59:59',
             timestamptz '2000-01-01 00:00:00+00', 0.05::decimal(18, 2),
             1e-10::decimal(38, 10), 0.0001::decimal(38, 4), 0::hugeint,
             'nan'::double)
        ) t(text, big, small, flag, day, stamp, stamp_tz, money, share, amount,
            total, ratio)
    """,
    "no nulls": """
        select 'x' || i as text, i as big, i % 2 = 0 as flag,
               (i * 1.01)::decimal(18, 2) as money, sum(i) over () as total
        from range(5) t(i)
    """,
    "nulls only": """
        select null::varchar as text, null::bigint as big, null::boolean as flag,
               null::date as day, null::decimal(18, 2) as money
        from range(3)
    """,
    "only columns with nulls": """
        select null::bigint as big, true::boolean and null as flag,
               null::varchar as text
        from range(3)
    """,
    "no rows": """
        select 'a'::varchar as text, 1::bigint as big, true as flag,
               date '2020-01-01' as day, 1.5::decimal(18, 2) as money
        where false
    """,
    "interval and nested": """
        select interval 1 day as gap, [1, null] as list, {'a': 1} as pair, 1 as n
        union all select null, null, null, 2
    """,
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_to_pandas_gives_the_frame_duckdb_gives(name):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    relation = con.sql(QUERIES[name])
    pd.testing.assert_frame_equal(to_pandas(relation), relation.df(), check_exact=True)


def test_to_pandas_filters_and_projects_in_the_engine():
    relation = duckdb.sql("select i, i * 1.5::decimal(18, 1) as m from range(10) t(i)")
    frame = to_pandas(relation, columns=["m"], where="i >= 8")
    assert list(frame.columns) == ["m"]
    assert frame["m"].tolist() == [12.0, 13.5]


def test_arrow_to_pandas_refuses_decimals_it_would_turn_into_objects():
    table = duckdb.sql("select 1.5::decimal(18, 2) as m").to_arrow_table()
    with pytest.raises(TypeError, match="cast decimals"):
        arrow_to_pandas(table)
