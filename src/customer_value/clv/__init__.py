"""Customer lifetime value engine: BG/NBD, Pareto/NBD and Gamma-Gamma models.

Pure, vectorised numpy/scipy functions on per-customer calibration summaries
``(x, t_x, T)`` (and mean repeat spend ``m_x``), in a time unit the caller
chooses. Fits return a :class:`FitResult`; prediction and value functions
take that result and return finite arrays, also when a fit fell back to its
documented degenerate rule.

References:
    Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
    alternative to the Pareto/NBD model", Marketing Science 24(2).
    Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are
    they and what will they do next?", Management Science 33(1).
    Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
    related expressions".
    Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for
    customer base analysis", Journal of Marketing Research 42(4).
"""

from ._fit import FitResult
from ._summary import CompressedSummary, compress_summary, validate_summary
from .backtest import (
    BacktestSummary,
    backtest_summary,
    calibration_table,
    cumulative_repeat_curve,
)
from .bgnbd import (
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_p_no_purchase,
    bgnbd_unconditional_expected_purchases,
    fit_bgnbd,
)
from .gamma_gamma import (
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    gamma_gamma_log_likelihood,
)
from .pareto_nbd import (
    fit_pareto_nbd,
    pareto_nbd_expected_purchases,
    pareto_nbd_log_likelihood,
    pareto_nbd_p_alive,
    pareto_nbd_p_no_purchase,
    pareto_nbd_unconditional_expected_purchases,
)
from .predict import (
    expected_purchases,
    expected_purchases_if_alive,
    expected_spend,
    p_alive,
    p_no_purchase,
    unconditional_expected_purchases,
)
from .value import (
    DAYS_PER_MONTH,
    NullableArray,
    clv_cac_ratio,
    days_per_time_unit,
    discount_factors,
    discounted_clv,
    expected_purchases_by_month,
    historical_clv,
    month_ends,
    score_customers,
    simple_clv,
)

__all__ = [
    "DAYS_PER_MONTH",
    "BacktestSummary",
    "CompressedSummary",
    "FitResult",
    "NullableArray",
    "backtest_summary",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_no_purchase",
    "bgnbd_unconditional_expected_purchases",
    "calibration_table",
    "clv_cac_ratio",
    "compress_summary",
    "cumulative_repeat_curve",
    "days_per_time_unit",
    "discount_factors",
    "discounted_clv",
    "expected_purchases",
    "expected_purchases_by_month",
    "expected_purchases_if_alive",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "historical_clv",
    "month_ends",
    "p_alive",
    "p_no_purchase",
    "pareto_nbd_expected_purchases",
    "pareto_nbd_log_likelihood",
    "pareto_nbd_p_alive",
    "pareto_nbd_p_no_purchase",
    "pareto_nbd_unconditional_expected_purchases",
    "score_customers",
    "simple_clv",
    "unconditional_expected_purchases",
    "validate_summary",
]
