{#- No NaN or infinite value in a floating-point column. -#}
{% test is_finite(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and ({{ column_name }} != {{ column_name }} or abs({{ column_name }}) > 1e300)
{% endtest %}
