"""The visual report: drawn from the marts of a real build (via the Parquet
exports or the warehouse), every chart's data equal to the marts, and an HTML
page that embeds each PNG with a caption naming the marts it reads."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_semantic_layer import demo_build

from customer_value.exports import export_marts
from customer_value.report import (
    CHARTS,
    MartReader,
    build_report,
    default_analyses_dir,
    main,
    render_analysis,
)

FIGURES = {
    "segment_value.png": {"fct_segment_summary", "dim_customers"},
    "cohort_retention.png": {"fct_cohort_retention"},
    "lifecycle_flow.png": {"fct_lifecycle_transitions"},
    "clv_backtest_calibration.png": {
        "fct_clv_backtest_calibration",
        "fct_clv_backtest_summary",
    },
    "clv_backtest_tracking.png": {"fct_clv_backtest_tracking"},
    "churn_calibration.png": {"fct_churn_reliability_bins", "fct_churn_model_metrics"},
    "value_clusters.png": {"dim_value_clusters"},
}


@pytest.fixture(scope="module")
def database() -> Path:
    return demo_build().database


@pytest.fixture(scope="module")
def report(database, tmp_path_factory):
    """The report drawn from the Parquet exports of the build."""
    root = tmp_path_factory.mktemp("report")
    manifest = export_marts(database, root / "exports")
    reader = MartReader.from_exports(root / "exports", default_analyses_dir())
    try:
        charts = build_report(reader, root / "out")
    finally:
        reader.close()
    return manifest, charts, root / "out"


def _sql(database: Path, query: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(query).df()


def test_every_figure_is_a_drawn_png_named_after_its_marts(report):
    _, charts, out = report
    assert {chart.file: set(chart.marts) for chart in charts} == FIGURES
    for name in FIGURES:
        with Image.open(out / name) as image:
            assert image.format == "PNG"
            assert image.width >= 800 and image.height >= 400
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
            assert colours is not None and len(colours) > 50, name


def test_html_page_embeds_each_png_with_a_caption_naming_its_marts(report):
    manifest, charts, out = report
    page = (out / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r"<figure.*?</figure>", page, flags=re.S)
    assert len(figures) == len(FIGURES)
    for figure, chart in zip(figures, charts, strict=True):
        assert f'<img src="{chart.file}"' in figure
        caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1)
        for mart in chart.marts:
            assert f"<code>{mart}</code>" in caption
        for analysis in chart.analyses:
            assert f"analyses/{analysis}.sql" in caption
    assert f"<strong>{manifest['as_of_date']}</strong>" in page


def test_segment_chart_data_adds_up_to_the_customer_dimension(report, database):
    _, charts, _ = report
    data = charts[0].data["report_segment_value"]
    totals = _sql(
        database,
        "select count(*) as customers, sum(monetary_total) as revenue,"
        " sum(coalesce(clv_discounted, 0)) as clv from dim_customers",
    ).iloc[0]
    assert data["customers"].sum() == totals["customers"]
    assert data["revenue"].astype(float).sum() == pytest.approx(
        float(totals["revenue"])
    )
    assert data["clv_total"].sum() == pytest.approx(totals["clv"])
    assert data["share_of_customers"].sum() == pytest.approx(1.0)
    assert list(data["revenue"]) == sorted(data["revenue"], reverse=True)


def test_lifecycle_chart_counts_match_the_monthly_history(report, database):
    _, charts, _ = report
    stages = charts[2].data["report_lifecycle_stages"]
    history = _sql(
        database,
        "select month_end_date, lifecycle_stage, count(*) as customers"
        " from fct_customer_lifecycle_monthly group by 1, 2",
    )
    merged = stages.merge(
        history, on=["month_end_date", "lifecycle_stage"], how="outer"
    )
    assert len(merged) == len(stages) == len(history)
    assert (merged["customers_x"] == merged["customers_y"]).all()
    matrix = charts[2].data["report_lifecycle_transitions"]
    sums = matrix.groupby("from_stage")["share_of_from_stage"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)


def test_backtest_charts_draw_the_backtest_marts_unchanged(report, database):
    _, charts, _ = report
    calibration = charts[3].data["report_clv_backtest_calibration"]
    mart = _sql(database, "select * from fct_clv_backtest_calibration order by 1")
    pd.testing.assert_frame_equal(
        calibration.reset_index(drop=True), mart[calibration.columns]
    )
    tracking = charts[4].data["report_clv_backtest_tracking"]
    days = _sql(database, "select count(*) as n from fct_clv_backtest_tracking")
    assert len(tracking) == days["n"].item() > 0
    assert tracking["holdout_day"].is_monotonic_increasing


def test_churn_calibration_chart_draws_the_selected_model_and_the_baseline(
    report, database
):
    _, charts, out = report
    chart = charts[5]
    bins = chart.data["report_churn_calibration"]
    mart = _sql(
        database,
        "select * from fct_churn_reliability_bins"
        " where is_selected or model = 'btyd_bgnbd'",
    )
    merged = bins.merge(mart, on=["model", "probability_decile"], how="outer")
    assert len(merged) == len(bins) == len(mart) > 0
    for column in ("mean_predicted_probability", "observed_churn_rate"):
        np.testing.assert_allclose(merged[f"{column}_x"], merged[f"{column}_y"])
    selected = set(bins.loc[bins["is_selected"], "model"])
    assert len(selected) == 1 and "btyd_bgnbd" in set(bins["model"])
    assert set(bins.groupby("model")["probability_decile"].count()) == {10}
    metrics = chart.data["report_churn_model_metrics"]
    assert set(metrics["model"]) == set(bins["model"])
    assert metrics["is_selected"].sum() == 1
    stored = _sql(database, "select * from fct_churn_model_metrics").set_index("model")
    for row in metrics.itertuples():
        for column in ("roc_auc", "average_precision", "brier_score", "log_loss"):
            value = getattr(row, column)
            assert value == pytest.approx(stored.loc[row.model, column])
            assert f"{value:.3f}" in chart.caption
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="churn_calibration.png"' in page


def test_cluster_chart_draws_every_cluster_with_its_label_and_size(report, database):
    _, charts, _ = report
    data = charts[6].data["report_value_clusters"]
    mart = _sql(database, "select * from dim_value_clusters order by cluster_id")
    pd.testing.assert_frame_equal(data, mart[data.columns], check_dtype=False)
    assert data["cluster_label"].is_unique
    clustered = _sql(database, "select count(*) as n from fct_customer_value_clusters")
    assert data["customers"].sum() == clustered["n"].item()
    assert data["customer_share"].sum() == pytest.approx(1.0)
    assert data["revenue_share"].sum() == pytest.approx(1.0)
    top = data.sort_values("revenue_share", ascending=False).iloc[0]
    assert top["cluster_label"] in charts[6].caption


def test_report_from_the_warehouse_equals_the_report_from_the_exports(
    report, database, tmp_path
):
    _, from_exports, _ = report
    reader = MartReader.from_database(database, default_analyses_dir())
    try:
        from_warehouse = build_report(reader, tmp_path)
    finally:
        reader.close()
    for left, right in zip(from_exports, from_warehouse, strict=True):
        assert left.data.keys() == right.data.keys()
        for name in left.data:
            pd.testing.assert_frame_equal(
                left.data[name], right.data[name], check_dtype=False
            )


def test_command_line_reports_progress_and_names_a_missing_export(
    report, tmp_path, capsys
):
    exports = tmp_path / "exports"
    export_marts(demo_build().database, exports)
    assert main(["--exports", str(exports), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    for number, name in enumerate(FIGURES, start=1):
        assert f"[{number}/{len(FIGURES)}] {name}" in printed
    assert (tmp_path / "out" / "index.html").exists()
    assert main(["--exports", str(tmp_path / "none"), "--out", str(tmp_path)]) == 1
    assert "run `make export`" in capsys.readouterr().err


def test_analyses_render_refs_to_relations_and_refuse_other_jinja():
    sql, models = render_analysis(
        "{# note #}select * from {{ ref('fct_orders') }}"
        ' join {{ ref("dim_customers") }}'
    )
    assert sql == 'select * from "fct_orders" join "dim_customers"'
    assert models == ["fct_orders", "dim_customers"]
    with pytest.raises(ValueError, match="only use"):
        render_analysis("select {{ var('as_of_date') }}")


def test_every_report_analysis_is_drawn_and_every_chart_has_its_sql(report):
    _, charts, _ = report
    used = {analysis for chart in charts for analysis in chart.analyses}
    files = {path.stem for path in default_analyses_dir().glob("report_*.sql")}
    assert used == files
    assert len(charts) == len(CHARTS)


def test_a_missing_mart_is_named(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create table dim_customers as select 1 as customer_id")
    reader = MartReader.from_database(tmp_path / "w.duckdb", default_analyses_dir())
    try:
        with pytest.raises(RuntimeError, match="fct_segment_summary"):
            build_report(reader, tmp_path / "out")
    finally:
        reader.close()
