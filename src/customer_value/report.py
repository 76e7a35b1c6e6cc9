"""Visual report of the marts: PNG charts and an HTML page that embeds them.

Every chart runs one SQL file of ``analyses/`` (dbt compiles the same files as
analyses) against the marts, read either from the Parquet exports (the default;
see :mod:`customer_value.exports`) or from the DuckDB warehouse opened
read-only. Nothing is copied by hand: rebuild, export and run the report again
and every figure and caption follows the data.

Figures (file names in the output directory):

- ``segment_value.png``: customers, revenue and CLV per named RFM segment;
- ``cohort_retention.png``: cohort heatmaps of the share buying in each month
  since the first purchase and the share still active;
- ``lifecycle_flow.png``: customers by lifecycle stage at each month end and
  the stage transition matrix of the last 12 months;
- ``clv_backtest_calibration.png``: mean predicted vs actual holdout purchases
  by calibration-period frequency (Fader, Hardie & Lee 2005, figure 3);
- ``clv_backtest_tracking.png``: expected vs actual cumulative repeat purchases
  over the holdout (Fader, Hardie & Lee 2005, figure 2);
- ``churn_calibration.png``: reliability diagram of the churn backtest, the
  observed against the predicted churn rate per decile of prediction, for the
  selected model and the BTYD baseline, with their metrics;
- ``value_clusters.png``: standardised LRFMC centre of each value cluster
  (heatmap) with its label, size and share of customers and revenue.

Usage: ``python -m customer_value.report [--exports DIR | --database PATH]
[--out DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # after choosing the Agg backend
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from customer_value.exports import DEFAULT_OUT as DEFAULT_EXPORTS
from customer_value.exports import MANIFEST_NAME

DEFAULT_REPORT_DIR = Path("reports")
STAGE_ORDER = [
    "prospect",
    "new",
    "active",
    "reactivated",
    "at_risk",
    "dormant",
    "churned",
]
STAGE_COLOURS = {
    "new": "#4c9be8",
    "active": "#2a9d5c",
    "reactivated": "#8fd19e",
    "at_risk": "#f2b134",
    "dormant": "#e07b39",
    "churned": "#b23a48",
    "prospect": "#9aa0a6",
}
_REF = re.compile(r"""\{\{\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*\}\}""")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)

Progress = Callable[[str], None]


def default_analyses_dir() -> Path:
    """``analyses/`` of the project this package lives in, else of the cwd."""
    project = Path(__file__).resolve().parents[2] / "analyses"
    return project if project.is_dir() else Path("analyses")


def render_analysis(sql: str) -> tuple[str, list[str]]:
    """Replace each ``{{ ref('model') }}`` of an analysis by the relation name and
    return the SQL with the models it reads. Analyses of the report use no other
    Jinja, so anything else is refused rather than guessed."""
    models: list[str] = []

    def relation(match: re.Match[str]) -> str:
        models.append(match.group(1))
        return f'"{match.group(1)}"'

    rendered = _REF.sub(relation, _JINJA_COMMENT.sub("", sql))
    if "{{" in rendered or "{%" in rendered:
        raise ValueError("report analyses may only use {{ ref('...') }} as Jinja")
    return rendered, list(dict.fromkeys(models))


@dataclass
class MartReader:
    """Runs the report's analyses against the marts in Parquet files or DuckDB."""

    con: duckdb.DuckDBPyConnection
    source: str
    as_of_date: str | None
    reporting_currency: str | None
    analyses_dir: Path

    @classmethod
    def from_exports(cls, exports_dir: Path, analyses_dir: Path) -> MartReader:
        """Views over the Parquet files listed in the export manifest."""
        manifest_path = Path(exports_dir) / MANIFEST_NAME
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"no {MANIFEST_NAME} in {exports_dir}: run `make export` (or "
                "`make build`) first"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        con = duckdb.connect()
        for table in manifest["tables"]:
            path = (Path(exports_dir) / table["file"]).resolve()
            literal = "'" + str(path).replace("'", "''") + "'"
            name = '"' + table["name"].replace('"', '""') + '"'
            con.execute(f"create view {name} as select * from read_parquet({literal})")
        return cls(
            con,
            f"Parquet exports in {exports_dir} ({manifest['exported_at']})",
            manifest.get("as_of_date"),
            manifest.get("reporting_currency"),
            analyses_dir,
        )

    @classmethod
    def from_database(cls, database: Path, analyses_dir: Path) -> MartReader:
        """The DuckDB warehouse, opened read-only."""
        if not Path(database).exists():
            raise FileNotFoundError(f"no warehouse at {database}: run `make build`")
        con = duckdb.connect(str(database), read_only=True)
        columns = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'main' and table_name = 'dim_customers'"
            ).fetchall()
        }
        as_of, currency = None, None
        if {"as_of_date", "reporting_currency"} <= columns:
            as_of, currency = con.execute(
                "select cast(max(as_of_date) as varchar), max(reporting_currency)"
                " from dim_customers"
            ).fetchone()
        return cls(con, f"DuckDB {database} (read-only)", as_of, currency, analyses_dir)

    def relations(self) -> set[str]:
        rows = self.con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'main'"
        ).fetchall()
        return {name for (name,) in rows}

    def query(self, analysis: str) -> tuple[pd.DataFrame, list[str]]:
        """Run ``analyses/<analysis>.sql``; return its rows and the marts it read."""
        path = self.analyses_dir / f"{analysis}.sql"
        sql, models = render_analysis(path.read_text(encoding="utf-8"))
        missing = sorted(set(models) - self.relations())
        if missing:
            raise RuntimeError(
                f"{path.name} reads {', '.join(missing)}, which {self.source} lacks"
            )
        return self.con.execute(sql).df(), models

    def close(self) -> None:
        self.con.close()


@dataclass
class Chart:
    """One figure of the report: its file, title, caption and the data drawn."""

    file: str
    title: str
    caption: str
    analyses: list[str]
    marts: list[str]
    data: dict[str, pd.DataFrame]

    @classmethod
    def drawn_from(
        cls,
        file: str,
        title: str,
        caption: str,
        frames: dict[str, tuple[pd.DataFrame, list[str]]],
    ) -> Chart:
        """The chart of the analyses in ``frames`` (name: frame drawn, marts it
        read), with the marts of all of them, each once, in order."""
        marts = [mart for _, read in frames.values() for mart in read]
        return cls(
            file,
            title,
            caption,
            list(frames),
            list(dict.fromkeys(marts)),
            {name: frame for name, (frame, _) in frames.items()},
        )


def _money(value: float, currency: str | None) -> str:
    unit = f" {currency}" if currency else ""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M{unit}"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.1f} k{unit}"
    return f"{value:,.0f}{unit}"


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def segment_value_chart(reader: MartReader, out: Path) -> Chart:
    """Customers, revenue and CLV per named RFM segment."""
    data, marts = reader.query("report_segment_value")
    data = data.astype({"customers": int, "revenue": float, "clv_total": float})
    order = data.sort_values("revenue")
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    y = np.arange(len(order))
    left.barh(y, order["customers"], color="#4c72b0")
    for position, (count, share) in enumerate(
        zip(order["customers"], order["share_of_customers"], strict=True)
    ):
        left.text(count, position, f" {count:,} ({share:.0%})", va="center", fontsize=8)
    left.set_yticks(y, order["rfm_segment"])
    left.set_xlabel("customers")
    left.set_title("Segment size")
    left.margins(x=0.25)
    height = 0.4
    right.barh(y + height / 2, order["revenue"], height, label="revenue so far")
    right.barh(
        y - height / 2,
        order["clv_total"],
        height,
        label="discounted CLV (horizon)",
        color="#dd8452",
    )
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _money(v, None)))
    right.set_xlabel(f"value ({reader.reporting_currency or 'reporting currency'})")
    right.set_title("Segment value")
    right.legend(loc="lower right")
    figure.suptitle("RFM segments: size and value")
    _save(figure, out / "segment_value.png")
    top = data.iloc[0]
    caption = (
        "Customers per named RFM segment (prospects included) and, per segment, "
        "the revenue so far and the discounted CLV over the CLV horizon. "
        f"Largest by revenue: {top['rfm_segment']}, {top['share_of_customers']:.0%} "
        f"of customers with {top['share_of_revenue']:.0%} of revenue "
        f"({_money(top['revenue'], reader.reporting_currency)})."
    )
    return Chart.drawn_from(
        "segment_value.png",
        "Segment sizes and value",
        caption,
        {"report_segment_value": (data, marts)},
    )


def cohort_retention_chart(reader: MartReader, out: Path) -> Chart:
    """Heatmaps: share of each cohort buying, and active, by month since first."""
    data, marts = reader.query("report_cohort_retention")
    data["cohort"] = pd.to_datetime(data["first_purchase_month"]).dt.strftime("%Y-%m")
    panels = [
        ("purchasing_share", "Share of the cohort buying in the month"),
        ("active_share", "Share of the cohort active (new, active, reactivated)"),
    ]
    figure, axes = plt.subplots(1, 2, figsize=(15, 7), sharey=True)
    for axis, (column, title) in zip(axes, panels, strict=True):
        grid = data.pivot(
            index="cohort", columns="months_since_first_purchase", values=column
        ).astype(float)
        image = axis.imshow(
            grid.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1
        )
        axis.set_title(title)
        axis.set_xlabel("months since the first-purchase month")
        step = max(1, len(grid.index) // 18)
        axis.set_yticks(range(0, len(grid.index), step), grid.index[::step])
        figure.colorbar(image, ax=axis, fraction=0.046, pad=0.02, format="{x:.0%}")
    axes[0].set_ylabel("cohort (first-purchase month)")
    figure.suptitle("Cohort retention")
    _save(figure, out / "cohort_retention.png")
    month_one = data[data["months_since_first_purchase"] == 1]
    weights = month_one["cohort_customers"].astype(float)
    bought = float(np.average(month_one["purchasing_share"], weights=weights))
    caption = (
        "Cohorts by first-purchase month (rows) and months since that month "
        "(columns): left, the share of the cohort that bought in the month; right, "
        "the share whose stage is new, active or reactivated. Month 0 is the "
        f"first purchase itself. Across cohorts, {bought:.0%} of customers bought "
        "again in the month after their first-purchase month."
    )
    return Chart.drawn_from(
        "cohort_retention.png",
        "Cohort retention",
        caption,
        {"report_cohort_retention": (data, marts)},
    )


def lifecycle_flow_chart(reader: MartReader, out: Path) -> Chart:
    """Stage counts over time and the 12-month stage transition matrix."""
    stages, stage_marts = reader.query("report_lifecycle_stages")
    matrix_rows, matrix_marts = reader.query("report_lifecycle_transitions")
    counts = stages.pivot(
        index="month_end_date", columns="lifecycle_stage", values="customers"
    ).fillna(0)
    present = [stage for stage in STAGE_ORDER if stage in counts.columns]
    counts = counts[present]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.4, 1]}
    )
    left.stackplot(
        pd.to_datetime(counts.index),
        counts.T.to_numpy(),
        labels=present,
        colors=[STAGE_COLOURS[stage] for stage in present],
    )
    left.set_title("Customers by lifecycle stage at each month end")
    left.set_ylabel("customers")
    left.legend(loc="upper left", fontsize=8)
    from_stages = [s for s in STAGE_ORDER if s in set(matrix_rows["from_stage"])]
    to_stages = [s for s in STAGE_ORDER if s in set(matrix_rows["to_stage"])]
    shares = (
        matrix_rows.pivot(
            index="from_stage", columns="to_stage", values="share_of_from_stage"
        )
        .reindex(index=from_stages, columns=to_stages)
        .fillna(0.0)
        .astype(float)
    )
    image = right.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            value = shares.iat[i, j]
            if value > 0:
                right.text(
                    j,
                    i,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > 0.6 else "black",
                )
    right.set_xticks(range(len(to_stages)), to_stages, rotation=30, ha="right")
    right.set_yticks(range(len(from_stages)), from_stages)
    right.set_xlabel("stage at the month's snapshot")
    right.set_ylabel("stage at the previous month end")
    right.set_title("Monthly transitions, last 12 months (row shares)")
    figure.colorbar(image, ax=right, fraction=0.046, pad=0.02, format="{x:.0%}")
    figure.suptitle("Lifecycle flow")
    _save(figure, out / "lifecycle_flow.png")
    latest = counts.iloc[-1]
    at_risk = float(latest.get("at_risk", 0))
    active = sum(float(latest.get(s, 0)) for s in ("new", "active", "reactivated"))
    caption = (
        "Left: customers in each lifecycle stage at every month's snapshot. Right: "
        "of the customers in a stage at a month end, the share in each stage one "
        "month later, summed over the last 12 months (prospect = first purchase "
        f"in the month). At the latest snapshot, {active:,.0f} customers are new, "
        f"active or reactivated and {at_risk:,.0f} at risk."
    )
    return Chart.drawn_from(
        "lifecycle_flow.png",
        "Lifecycle flow",
        caption,
        {
            "report_lifecycle_stages": (stages, stage_marts),
            "report_lifecycle_transitions": (matrix_rows, matrix_marts),
        },
    )


def _backtest_summary(reader: MartReader) -> tuple[pd.DataFrame, list[str]]:
    return reader.query("report_clv_backtest_summary")


def clv_calibration_chart(reader: MartReader, out: Path) -> Chart:
    """Mean predicted vs actual holdout purchases by calibration frequency."""
    data, marts = reader.query("report_clv_backtest_calibration")
    summary, summary_marts = _backtest_summary(reader)
    figure, axis = plt.subplots(figsize=(9, 5))
    x = np.arange(len(data))
    width = 0.38
    axis.bar(x - width / 2, data["mean_actual"], width, label="actual", color="#4c72b0")
    axis.bar(
        x + width / 2, data["mean_predicted"], width, label="BG/NBD", color="#dd8452"
    )
    axis.set_xticks(
        x,
        [
            f"{label}\nn={count:,}"
            for label, count in zip(data["label"], data["n_customers"], strict=True)
        ],
    )
    axis.set_xlabel("repeat purchase periods in the calibration period (x)")
    axis.set_ylabel("mean purchase periods in the holdout")
    axis.set_title("CLV backtest: predicted vs actual by calibration frequency")
    axis.legend()
    _save(figure, out / "clv_backtest_calibration.png")
    purchases = summary.set_index("measure").loc["purchases"]
    caption = (
        "Customers of the backtest grouped by their repeat purchase periods before "
        "the calibration end: the mean number of purchase periods the BG/NBD model "
        "predicted for the holdout next to what happened. In total the model "
        f"predicted {purchases['predicted_total']:,.0f} purchase periods against "
        f"{purchases['actual_total']:,.0f} actual "
        f"({purchases['relative_error']:+.1%})."
    )
    return Chart.drawn_from(
        "clv_backtest_calibration.png",
        "CLV backtest: calibration",
        caption,
        {
            "report_clv_backtest_calibration": (data, marts),
            "report_clv_backtest_summary": (summary, summary_marts),
        },
    )


def clv_tracking_chart(reader: MartReader, out: Path) -> Chart:
    """Expected vs actual cumulative repeat purchases through the holdout."""
    data, marts = reader.query("report_clv_backtest_tracking")
    figure, axis = plt.subplots(figsize=(9, 5))
    axis.plot(data["holdout_day"], data["actual_cumulative"], label="actual", lw=2)
    axis.plot(
        data["holdout_day"],
        data["expected_cumulative"],
        label="BG/NBD expected",
        lw=2,
        ls="--",
    )
    axis.set_xlabel("day of the holdout")
    axis.set_ylabel("cumulative repeat purchase periods")
    axis.set_title("CLV backtest: cumulative repeat purchases over the holdout")
    axis.legend()
    _save(figure, out / "clv_backtest_tracking.png")
    last = data.iloc[-1]
    caption = (
        "Cumulative repeat purchase periods of the backtest customers, day by day "
        "through the holdout: the BG/NBD expectation (fitted on the calibration "
        "period only) against what happened. After "
        f"{int(last['holdout_day'])} days: {last['expected_cumulative']:,.0f} "
        f"expected, {last['actual_cumulative']:,.0f} actual."
    )
    return Chart.drawn_from(
        "clv_backtest_tracking.png",
        "CLV backtest: tracking",
        caption,
        {"report_clv_backtest_tracking": (data, marts)},
    )


MODEL_LABELS = {
    "logistic_regression": "logistic regression",
    "hist_gradient_boosting": "gradient-boosted trees",
    "btyd_bgnbd": "BG/NBD baseline",
}
#: LRFMC centre columns of dim_value_clusters, in letter order.
CLUSTER_CENTRES = {
    "L": "centroid_z_length_days",
    "R": "centroid_z_recency_days",
    "F": "centroid_z_frequency_orders",
    "M": "centroid_z_monetary_total",
    "C": "centroid_z_discount_share_avg",
}
CLUSTER_LETTERS = {
    "L": "L\nlength",
    "R": "R\nrecency",
    "F": "F\npurchases",
    "M": "M\nspend",
    "C": "C\ndiscount",
}


def _metrics_text(row: pd.Series) -> str:
    def number(column: str) -> str:
        value = row[column]
        return "n/a" if pd.isna(value) else f"{float(value):.3f}"

    return (
        f"AUC {number('roc_auc')}, AP {number('average_precision')}, "
        f"Brier {number('brier_score')}, log loss {number('log_loss')}"
    )


def churn_calibration_chart(reader: MartReader, out: Path) -> Chart:
    """Reliability diagram of the churn backtest: selected model and baseline."""
    bins, bin_marts = reader.query("report_churn_calibration")
    metrics, metric_marts = reader.query("report_churn_model_metrics")
    by_model = metrics.set_index("model")
    figure, (axis, right) = plt.subplots(
        1, 2, figsize=(14, 6.5), gridspec_kw={"width_ratios": [1.1, 1]}
    )
    axis.plot([0, 1], [0, 1], color="#9aa0a6", ls=":", lw=1.5, label="perfect")
    styles = {True: ("#c44e52", "o", "-"), False: ("#4c72b0", "s", "--")}
    models = list(dict.fromkeys(bins["model"]))
    for model in models:
        rows = bins[bins["model"] == model].sort_values("probability_decile")
        selected = bool(rows["is_selected"].iloc[0])
        colour, marker, line = styles[selected]
        name = MODEL_LABELS.get(model, model)
        role = " (selected)" if selected else ""
        legend = f"{name}{role}"
        if model in by_model.index:
            legend += "\n" + _metrics_text(by_model.loc[model])
        axis.plot(
            rows["mean_predicted_probability"].astype(float),
            rows["observed_churn_rate"].astype(float),
            color=colour,
            marker=marker,
            ls=line,
            lw=2,
            label=legend,
        )
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_aspect("equal")
    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    axis.set_xlabel("mean predicted churn probability (decile of predictions)")
    axis.set_ylabel("observed churn rate")
    axis.set_title("Churn backtest: predicted vs observed churn per decile")
    axis.legend(loc="upper left", fontsize=8)
    axis.grid(alpha=0.3)
    shown = [model for model in models if model in by_model.index]
    columns = ["roc_auc", "average_precision", "brier_score", "log_loss"]
    x = np.arange(len(columns))
    width = 0.8 / max(len(shown), 1)
    for i, model in enumerate(shown):
        colour = styles[bool(by_model.loc[model, "is_selected"])][0]
        heights = by_model.loc[model, columns].astype(float).to_numpy()
        offset = (i - (len(shown) - 1) / 2) * width
        right.bar(
            x + offset,
            heights,
            width,
            color=colour,
            label=MODEL_LABELS.get(model, model),
        )
        for position, height in zip(x + offset, heights, strict=True):
            if np.isfinite(height):
                right.text(
                    position,
                    height,
                    f"{height:.3f}",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
    right.set_xticks(
        x,
        [
            "ROC AUC\n(higher better)",
            "average precision\n(higher better)",
            "Brier score\n(lower better)",
            "log loss\n(lower better)",
        ],
    )
    right.set_title("Backtest metrics")
    right.legend(loc="upper right", fontsize=8)
    right.margins(y=0.15)
    _save(figure, out / "churn_calibration.png")
    selected_rows = metrics[metrics["is_selected"].astype(bool)]
    chosen = selected_rows.iloc[0] if len(selected_rows) else metrics.iloc[0]
    parts = []
    for model in models:
        if model in by_model.index:
            row = by_model.loc[model]
            parts.append(f"{MODEL_LABELS.get(model, model)}: {_metrics_text(row)}")
    caption = (
        "Customers at the validation cut-off (as_of_date minus the churn horizon) "
        "in ten equal-sized bins of each model's predicted churn probability: the "
        "mean prediction against the share that then made no purchase in the "
        "horizon; the dotted diagonal is perfect calibration (points above it: "
        "churn under-predicted). "
        f"Selected model: {MODEL_LABELS.get(chosen['model'], chosen['model'])}. "
        f"Observed churn rate {float(chosen['base_rate']):.1%} of "
        f"{int(chosen['n_customers']):,} customers. Backtest metrics — "
        + "; ".join(parts)
        + " (AUC = ROC AUC, AP = average precision; lower Brier and log loss are "
        "better)."
    )
    return Chart.drawn_from(
        "churn_calibration.png",
        "Churn risk: calibration on the backtest",
        caption,
        {
            "report_churn_calibration": (bins, bin_marts),
            "report_churn_model_metrics": (metrics, metric_marts),
        },
    )


def value_clusters_chart(reader: MartReader, out: Path) -> Chart:
    """LRFMC cluster centres (standardised) with cluster labels and sizes."""
    data, marts = reader.query("report_value_clusters")
    letters = [
        letter
        for letter, column in CLUSTER_CENTRES.items()
        if data[column].notna().any()
    ]
    grid = data[[CLUSTER_CENTRES[letter] for letter in letters]].astype(float)
    values = grid.to_numpy()
    bound = max(1.0, float(np.nanmax(np.abs(values)))) if values.size else 1.0
    figure, (left, right) = plt.subplots(
        1,
        2,
        figsize=(14, 1.2 + 0.75 * max(len(data), 3)),
        sharey=True,
        gridspec_kw={"width_ratios": [1.5, 1]},
    )
    image = left.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values[i, j]
            left.text(
                j,
                i,
                f"{value:+.2f}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if abs(value) > 0.6 * bound else "black",
            )
    ticks = [
        f"{cluster_id}. {label}\n{customers:,} customers"
        for cluster_id, label, customers in zip(
            data["cluster_id"], data["cluster_label"], data["customers"], strict=True
        )
    ]
    y = np.arange(len(data))
    left.set_yticks(y, ticks)
    left.set_xticks(range(len(letters)), [CLUSTER_LETTERS[x] for x in letters])
    left.set_title("Cluster centre vs the average customer (standard deviations)")
    figure.colorbar(image, ax=left, fraction=0.046, pad=0.02)
    height = 0.38
    right.barh(
        y - height / 2,
        data["customer_share"].astype(float),
        height,
        label="share of customers",
        color="#4c72b0",
    )
    right.barh(
        y + height / 2,
        data["revenue_share"].astype(float),
        height,
        label="share of revenue",
        color="#dd8452",
    )
    for position, (customers, revenue) in enumerate(
        zip(data["customer_share"], data["revenue_share"], strict=True)
    ):
        right.text(customers, position - height / 2, f" {customers:.0%}", va="center")
        right.text(revenue, position + height / 2, f" {revenue:.0%}", va="center")
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    right.set_title("Size and value")
    right.legend(loc="lower right", fontsize=8)
    right.margins(x=0.2)
    figure.suptitle("LRFMC value clusters", y=1.02)
    _save(figure, out / "value_clusters.png")
    top = data.sort_values("revenue_share", ascending=False).iloc[0]
    first = data.iloc[0]
    chosen = (
        f"k = {int(first['k'])} chosen by silhouette ({float(first['silhouette']):.2f})"
        if first["k_selected_by"] == "silhouette"
        else f"k = {int(first['k'])} set by value_clusters_k"
    )
    caption = (
        "K-means clusters of the customers with a purchase on log-transformed, "
        "standardised LRFMC (length of relationship, recency, purchases, spend, "
        "discount share): left, each cluster's centre in standard deviations from "
        "the average customer (red = above, blue = below; a high R means the last "
        "purchase was long ago); right, its share of customers and of revenue. "
        f"{chosen}. Largest revenue: {top['cluster_label']}, "
        f"{float(top['customer_share']):.0%} of customers with "
        f"{float(top['revenue_share']):.0%} of revenue."
    )
    return Chart.drawn_from(
        "value_clusters.png",
        "Value clusters: LRFMC profiles",
        caption,
        {"report_value_clusters": (data, marts)},
    )


CHARTS: list[Callable[[MartReader, Path], Chart]] = [
    segment_value_chart,
    cohort_retention_chart,
    lifecycle_flow_chart,
    clv_calibration_chart,
    clv_tracking_chart,
    churn_calibration_chart,
    value_clusters_chart,
]


def render_html(charts: Sequence[Chart], reader: MartReader) -> str:
    """The report page: each PNG with a caption naming the marts it reads."""
    figures = []
    for chart in charts:
        marts = ", ".join(f"<code>{html.escape(m)}</code>" for m in chart.marts)
        analyses = ", ".join(
            f"<code>analyses/{html.escape(a)}.sql</code>" for a in chart.analyses
        )
        figures.append(
            f'<figure id="{html.escape(Path(chart.file).stem)}">\n'
            f"  <h2>{html.escape(chart.title)}</h2>\n"
            f'  <img src="{html.escape(chart.file)}" '
            f'alt="{html.escape(chart.title)}">\n'
            f"  <figcaption>{html.escape(chart.caption)} "
            f"<br><small>Reads {marts} via {analyses}.</small></figcaption>\n"
            "</figure>"
        )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    as_of = html.escape(reader.as_of_date or "unknown")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Customer value report</title>\n"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;"
        "padding:0 1em;color:#222}img{max-width:100%;border:1px solid #ddd}"
        "figure{margin:2.5em 0}figcaption{margin-top:.5em;line-height:1.4}"
        "code{background:#f3f3f3;padding:0 .2em}</style>\n"
        "</head>\n<body>\n"
        "<h1>Customer value report</h1>\n"
        f"<p>Analysis date (as_of_date): <strong>{as_of}</strong>. "
        f"Source: {html.escape(reader.source)}. Generated {generated}.</p>\n"
        + "\n".join(figures)
        + "\n</body>\n</html>\n"
    )


def build_report(
    reader: MartReader, out_dir: Path, progress: Progress | None = None
) -> list[Chart]:
    """Draw every chart into ``out_dir`` and write ``index.html``."""
    say = progress or (lambda message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = []
    for number, draw in enumerate(CHARTS, start=1):
        began = time.perf_counter()
        chart = draw(reader, out_dir)
        charts.append(chart)
        say(
            f"[{number}/{len(CHARTS)}] {chart.file} from {', '.join(chart.marts)} "
            f"in {time.perf_counter() - began:.1f}s"
        )
    (out_dir / "index.html").write_text(render_html(charts, reader), encoding="utf-8")
    say(f"wrote {out_dir / 'index.html'}")
    return charts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_value.report",
        description="Draw the visual report (PNG charts and index.html) from the "
        "marts, read from the Parquet exports or the DuckDB warehouse.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--exports",
        type=Path,
        default=None,
        help=f"Parquet export directory with {MANIFEST_NAME} "
        f"(default {DEFAULT_EXPORTS})",
    )
    source.add_argument(
        "--database", type=Path, help="read this DuckDB file instead (read-only)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help=f"output directory (default {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument(
        "--analyses",
        type=Path,
        default=None,
        help="directory of the report's SQL (default the project's analyses/)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    began = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    analyses = args.analyses or default_analyses_dir()
    try:
        if args.database is not None:
            reader = MartReader.from_database(args.database, analyses)
        else:
            reader = MartReader.from_exports(args.exports or DEFAULT_EXPORTS, analyses)
    except (OSError, duckdb.Error) as error:
        print(f"report failed: {error}", file=sys.stderr)
        return 1
    say(f"drawing the report from {reader.source} into {args.out}/")
    try:
        build_report(reader, args.out, progress=say)
    except (OSError, RuntimeError, ValueError, duckdb.Error) as error:
        print(f"report failed: {error}", file=sys.stderr)
        return 1
    finally:
        reader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
