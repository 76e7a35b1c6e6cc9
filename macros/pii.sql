{#
  Personal data (e-mail, phone) is pseudonymised in staging: the normalised
  value is hashed with SHA-256 together with a secret salt, so marts can still
  join and de-duplicate on it but never show it. The salt comes from the
  environment variable PII_HASH_SALT; without it a public development salt is
  used and every run warns.
#}

{% macro pii_development_salt() -%}
  customer-value-development-salt
{%- endmacro %}


{% macro pii_salt() -%}
  {#- an empty PII_HASH_SALT counts as unset: an empty salt is no secret -#}
  {{ return(env_var('PII_HASH_SALT', '') or (pii_development_salt() | trim)) }}
{%- endmacro %}


{% macro warn_if_development_salt() %}
  {%- if env_var('PII_HASH_SALT', '') == '' -%}
    {{ log("\n" ~ "!" * 78 ~ "\nWARNING: PII_HASH_SALT is not set. E-mail and phone hashes use the public\n"
        ~ "development salt, so anyone can recompute them from a known address.\n"
        ~ "Set a long random secret before building on real data:\n"
        ~ "    export PII_HASH_SALT=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\"\n"
        ~ "!" * 78, info=true) }}
  {%- endif -%}
{% endmacro %}


{#- SHA-256 (hex) of salt || '|' || value; null stays null. -#}
{% macro hash_pii(expression) -%}
  {{ return(adapter.dispatch('hash_pii', 'customer_value')(expression)) }}
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
  case when {{ expression }} is not null
    then sha256({{ dbt.concat(["'" ~ pii_salt() ~ "|'", expression]) }})
  end
{%- endmacro %}

{% macro spark__hash_pii(expression) -%}
  case when {{ expression }} is not null
    then sha2({{ dbt.concat(["'" ~ pii_salt() ~ "|'", expression]) }}, 256)
  end
{%- endmacro %}


{#- E-mail normal form: trimmed, lower case; blank becomes null. -#}
{% macro normalize_email(column) -%}
  nullif(lower(trim({{ column }})), '')
{%- endmacro %}


{#- Phone normal form: digits only, with a leading + for international numbers
    ('00' prefixes become '+'); blank or digit-free becomes null. -#}
{% macro normalize_phone(column) -%}
  {%- set digits = regexp_replace_all(column, '[^0-9]', '') -%}
  nullif(
    case
      when trim({{ column }}) like '+%'
        then '+' || {{ digits }}
      when {{ digits }} like '00%'
        then '+' || substr({{ digits }}, 3)
      else {{ digits }}
    end,
    ''
  )
{%- endmacro %}
