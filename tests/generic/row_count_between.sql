{#- The model has between min_rows and max_rows rows (either bound optional). -#}
{% test row_count_between(model, min_rows=none, max_rows=none) %}
select n_rows
from (select count(*) as n_rows from {{ model }}) as counted
where
    false
    {%- if min_rows is not none %} or n_rows < {{ min_rows }}{% endif %}
    {%- if max_rows is not none %} or n_rows > {{ max_rows }}{% endif %}
{% endtest %}
