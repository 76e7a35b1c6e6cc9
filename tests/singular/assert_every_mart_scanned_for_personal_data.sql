{#- Every model under models/marts carries the generic test no_personal_data
    (the scan for e-mail addresses and phone numbers in clear text), so a new
    mart cannot slip past the scan: one failing row per mart without it. A check
    of the project's graph at compile time (macro personal_data_unscanned_models):
    it reads no model, so it runs even when a build leaves marts out. -#}

{%- set unscanned = personal_data_unscanned_models('models/marts/') %}

{% if unscanned | length == 0 -%}
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as problem
    where 1 = 0
{%- else -%}
    {%- for node in unscanned %}
        select
            '{{ node.name }}' as model_name,
            '{{ node.original_file_path }}' as file_path,
            'no no_personal_data test: add it to the data_tests of this model' as problem
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endif %}
