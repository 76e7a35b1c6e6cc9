{#-
  The model has exactly as many rows as compare_model has rows matching
  compare_where: e.g. one row per customer with a purchase. Unlike not_empty it
  also passes when the input legitimately has no such rows (every order
  cancelled), and it fails when the model drops or duplicates rows.
-#}
{% test row_count_matches(model, compare_model, compare_where='true') %}
select model_rows, expected_rows
from
    (select count(*) as model_rows from {{ model }}) as counted
cross join
    (select count(*) as expected_rows from {{ compare_model }} where {{ compare_where }}) as expected
where model_rows != expected_rows
{% endtest %}
