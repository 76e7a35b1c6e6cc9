"""Export the marts of the DuckDB warehouse to Parquet files for BI tools.

DuckDB lets one process write a database file at a time, and a BI tool that
opens the file blocks ``dbt build`` (and the other way round). Parquet files
have no lock: export the marts after each build and point BI tools at them.

Every file is written atomically: DuckDB writes a hidden temporary file in the
same directory (``.<name>.parquet.<pid>.tmp``, which no ``*.parquet`` glob
matches), its row count is checked against the table, it is flushed to disk
and then renamed over the previous file with :func:`os.replace`. A reader
therefore sees either the previous complete file or the new complete file,
never a partial one; an export that fails or is interrupted leaves the
previous file in place. The manifest ``_manifest.json`` is written last, the
same way: it lists every exported table with its file, row count and columns,
then the analysis date (``as_of_date``) of the build.

Usage: ``python -m customer_value.exports [--database PATH] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

MART_PREFIXES = ("fct_", "dim_")
MANIFEST_NAME = "_manifest.json"
DEFAULT_OUT = Path("exports") / "marts"
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportedTable:
    """One mart written to Parquet."""

    name: str
    file: str
    rows: int
    columns: dict[str, str]
    bytes: int


def default_database() -> Path:
    """The warehouse dbt builds: ``CUSTOMER_VALUE_DUCKDB_PATH``, as in profiles.yml,
    else ``customer_value.duckdb``."""
    return Path(os.environ.get("CUSTOMER_VALUE_DUCKDB_PATH", "customer_value.duckdb"))


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of the main schema named like marts (``fct_*``, ``dim_*``;
    a mart can be a view, e.g. fct_orders), without dbt's temporary relations."""
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = 'main' and table_type in ('BASE TABLE', 'VIEW')"
        " order by table_name"
    ).fetchall()
    return [
        name
        for (name,) in rows
        if name.startswith(MART_PREFIXES) and "__dbt_" not in name
    ]


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def temporary_path(final: Path) -> Path:
    """Hidden temporary name beside ``final``; no ``*.parquet`` glob matches it."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; when the block succeeds, flush it
    and rename it over ``final`` in one step. On any error (or interrupt) the
    temporary file is removed and ``final`` is left as it was."""
    temporary = temporary_path(final)
    try:
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, final)
        _fsync_directory(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned_temporaries(out_dir: Path) -> list[Path]:
    """Delete temporary files left by exports that were killed (their process is
    gone); temporaries of a running export are kept."""
    removed = []
    for path in out_dir.iterdir():
        match = _TEMPORARY.match(path.name)
        if match and not _process_is_running(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed.append(path)
    return removed


def write_table(
    con: duckdb.DuckDBPyConnection, table: str, destination: Path
) -> ExportedTable:
    """Write one table to ``destination`` (Parquet, zstd) atomically and return
    what was written. The file's row count is checked before it replaces the
    previous file."""
    relation = f"main.{_quote_identifier(table)}"
    (rows,) = con.execute(f"select count(*) from {relation}").fetchone()
    columns = {
        name: str(data_type)
        for name, data_type in con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'main' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    }
    with atomic_file(destination) as temporary:
        con.execute(
            f"copy (select * from {relation}) to {_quote_literal(str(temporary))}"
            " (format parquet, compression zstd)"
        )
        written = pq.read_metadata(temporary).num_rows
        if written != rows:
            raise RuntimeError(
                f"{table}: wrote {written} rows but the table has {rows}; "
                f"{destination.name} left unchanged"
            )
        size = temporary.stat().st_size
    return ExportedTable(table, destination.name, int(rows), columns, size)


def _single_value(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str], column: str
) -> str | None:
    """The one value of ``column`` across the tables that have it (e.g. the
    build's as_of_date); None when no table has the column."""
    values: set[str] = set()
    for table in tables:
        has_column = con.execute(
            "select count(*) from information_schema.columns"
            " where table_schema = 'main' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]
        if has_column:
            rows = con.execute(
                f"select distinct cast({_quote_identifier(column)} as varchar)"
                f" from main.{_quote_identifier(table)}"
                f" where {_quote_identifier(column)} is not null"
            ).fetchall()
            values.update(value for (value,) in rows)
    if len(values) > 1:
        raise RuntimeError(f"the marts disagree on {column}: {sorted(values)}")
    return values.pop() if values else None


def write_manifest(path: Path, manifest: dict) -> None:
    """Write the manifest JSON atomically."""
    with atomic_file(path) as temporary:
        temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(out_dir: Path) -> dict | None:
    """The manifest of the last complete export in ``out_dir``, if any."""
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def export_marts(
    database: Path,
    out_dir: Path = DEFAULT_OUT,
    tables: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Export the marts of ``database`` (opened read-only) to ``out_dir`` and
    return the manifest. Files of tables that an earlier export wrote and this
    one did not are removed after the new manifest is in place."""
    say = progress or (lambda message: None)
    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(f"no warehouse at {database}: run `make build` first")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in remove_abandoned_temporaries(out_dir):
        say(f"removed {path.name}, left by an interrupted export")
    previous = read_manifest(out_dir)
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException as error:
        raise RuntimeError(
            f"cannot open {database} read-only ({error}); is a dbt build running? "
            "The previous exports are unchanged."
        ) from error
    with con:
        available = mart_tables(con)
        if tables is None:
            selected = available
        else:
            missing = sorted(set(tables) - set(available))
            if missing:
                raise ValueError(f"not marts of {database}: {', '.join(missing)}")
            selected = list(tables)
        if not selected:
            raise RuntimeError(f"{database} holds no mart (fct_* / dim_*) to export")
        exported: list[ExportedTable] = []
        for number, table in enumerate(selected, start=1):
            began = time.perf_counter()
            result = write_table(con, table, out_dir / f"{table}.parquet")
            exported.append(result)
            say(
                f"[{number:>2}/{len(selected)}] {table}: {result.rows:,} rows, "
                f"{result.bytes / 1e6:.1f} MB in {time.perf_counter() - began:.1f}s"
            )
        as_of_date = _single_value(con, selected, "as_of_date")
        reporting_currency = _single_value(con, selected, "reporting_currency")
    manifest = {
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": str(database),
        "reporting_currency": reporting_currency,
        "tables": [asdict(table) for table in exported],
        "as_of_date": as_of_date,
    }
    write_manifest(out_dir / MANIFEST_NAME, manifest)
    current = {table.file for table in exported}
    for entry in (previous or {}).get("tables", []):
        stale = out_dir / entry["file"]
        if entry["file"] not in current and stale.parent == out_dir:
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
            say(f"removed {entry['file']} (no longer a mart)")
    say(
        f"wrote {len(exported)} Parquet files and {MANIFEST_NAME} to {out_dir} "
        f"(as_of_date {as_of_date})"
    )
    return manifest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_value.exports",
        description="Export the marts (fct_*, dim_*) of the DuckDB warehouse to "
        "Parquet files, atomically, with a manifest written last.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=default_database(),
        help="DuckDB file (default $CUSTOMER_VALUE_DUCKDB_PATH or "
        "customer_value.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output directory (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--tables",
        help="comma-separated marts to export (default: every fct_* and dim_* table)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    began = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    tables = (
        [name.strip() for name in args.tables.split(",") if name.strip()]
        if args.tables
        else None
    )
    say(f"exporting the marts of {args.database} to {args.out}/")
    try:
        export_marts(args.database, args.out, tables, progress=say)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
