"""Stand-ins for dbt's cross-database macros, so SQL lints without a warehouse.

They render the DuckDB form of each macro; the real macros run at build time.
"""


def datediff(first: str, second: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first}, {second})"


def dateadd(datepart: str, interval: str, from_date: str) -> str:
    return f"({from_date} + interval ({interval}) {datepart})"


def type_string() -> str:
    return "varchar"


def type_bigint() -> str:
    return "bigint"


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def last_day(date: str, datepart: str) -> str:
    return f"last_day({date})"
