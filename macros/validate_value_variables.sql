{#
  Checks the variables of the value views before anything is built (on-run-start):
  the AHP weights of the weighted RFM score, the value-grid cut-off quantile and
  the high-value share. Stops with a message naming the variable and the fix.
#}
{% macro validate_value_variables() %}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'compile', 'show'] -%}
    {%- set weights = var('rfm_weights') -%}
    {%- if weights is not mapping or (weights.keys() | list | sort) != ['f', 'm', 'r'] -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: rfm_weights must be a mapping with keys r, f and m, e.g. {r: 0.25, f: 0.30, m: 0.45}; got " ~ weights ~ ".") }}
    {%- endif -%}
    {%- for key in ['r', 'f', 'm'] -%}
      {%- if weights[key] is not number or weights[key] < 0 -%}
        {{ exceptions.raise_compiler_error(
            "Variable error: rfm_weights." ~ key ~ " = " ~ weights[key] ~ " must be a number >= 0.") }}
      {%- endif -%}
    {%- endfor -%}
    {%- set total = weights['r'] + weights['f'] + weights['m'] -%}
    {%- if (total - 1) | abs > 1e-9 -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: rfm_weights must sum to 1 (r + f + m = " ~ total ~ "). Rescale them, e.g. {r: 0.25, f: 0.30, m: 0.45}.") }}
    {%- endif -%}
    {%- set quantile = var('value_grid_cutoff_quantile') -%}
    {%- if quantile is not number or not (0 < quantile < 1) -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: value_grid_cutoff_quantile = " ~ quantile ~ " must be strictly between 0 and 1 (0.5 = median).") }}
    {%- endif -%}
    {%- set share = var('high_value_share') -%}
    {%- if share is not number or not (0 < share <= 1) -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: high_value_share = " ~ share ~ " must be in (0, 1], e.g. 0.20 for the top 20 %.") }}
    {%- endif -%}
    {%- set window = var('value_grid_current_window_days') -%}
    {%- if window is not integer or window <= 0 -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: value_grid_current_window_days = " ~ window ~ " must be a positive whole number of days.") }}
    {%- endif -%}
  {%- endif -%}
  select 1
{% endmacro %}
