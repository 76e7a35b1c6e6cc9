{#- No NaN or infinite value in a floating-point column. -#}
{% test is_finite(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and {{ is_not_finite(column_name) }}
{% endtest %}
