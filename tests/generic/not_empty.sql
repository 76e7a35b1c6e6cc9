{#-
  The model has at least min_rows rows (a suite must not pass on an empty
  table). With unless_empty, an empty model passes when that upstream model is
  empty too: e.g. the cluster profile is empty exactly when nobody was
  clustered (every order cancelled).
-#}
{% test not_empty(model, min_rows=1, unless_empty=none) %}
select n_rows
from (select count(*) as n_rows from {{ model }}) as counted
where
    n_rows < {{ min_rows }}
    {%- if unless_empty is not none %}
    and exists (select 1 from {{ unless_empty }})
    {%- endif %}
{% endtest %}
