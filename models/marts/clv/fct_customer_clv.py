"""Per-customer CLV: BG/NBD + Gamma-Gamma predictions from the fitted
parameters (no refitting), the Pareto/NBD check, and the simple formulas."""

from customer_value.clv_marts import ClvSettings, customer_clv_frame, fits_from_params
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = ClvSettings.from_config(dbt.config.get("clv_settings"))
    fits = fits_from_params(to_pandas(dbt.ref("fct_clv_model_params")), "current")
    inputs = to_pandas(dbt.ref("int_customers_clv_inputs"))
    return customer_clv_frame(inputs, fits, settings)
