"""dbt-duckdb plugin that loads the scientific stack once, up front.

dbt runs Python models on several threads; two models importing scipy or
scikit-learn for the first time at the same moment can fail with a
"partially initialized module" error. profiles.yml lists this module as a
plugin, so the imports happen while the connection is set up, before any
model thread starts.
"""

from __future__ import annotations

import numpy  # noqa: F401
import pandas  # noqa: F401
import pyarrow  # noqa: F401
import scipy.optimize
import scipy.special
import scipy.stats  # noqa: F401
import sklearn.calibration
import sklearn.cluster
import sklearn.ensemble
import sklearn.inspection
import sklearn.linear_model
import sklearn.metrics
import sklearn.model_selection  # noqa: F401
import threadpoolctl  # noqa: F401
from dbt.adapters.duckdb.plugins import BasePlugin

import customer_value.churn
import customer_value.clv_marts
import customer_value.lifecycle
import customer_value.value_clusters  # noqa: F401


class Plugin(BasePlugin):
    """No configuration: importing this module is its whole job."""
