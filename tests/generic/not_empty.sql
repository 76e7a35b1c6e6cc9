{#- The model has at least min_rows rows (a suite must not pass on an empty table). -#}
{% test not_empty(model, min_rows=1) %}
select n_rows
from (select count(*) as n_rows from {{ model }}) as counted
where n_rows < {{ min_rows }}
{% endtest %}
