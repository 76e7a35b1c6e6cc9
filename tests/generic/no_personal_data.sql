{#-
  No e-mail address or phone number in clear text in the model. Every column
  that can hold text is scanned when the test runs (macro personal_data_findings
  in macros/privacy_scan.sql); a failing row names the model, the column, the
  kind of personal data and how many values look like it, never the values.
  Every mart carries this test (assert_every_mart_scanned_for_personal_data
  fails for one that does not), so a finding is reported at the mart, and a
  build that leaves some marts out still scans the others.
-#}
{% test no_personal_data(model) %}
{{ config(severity='error') }}
{{ personal_data_findings(model) }}
{% endtest %}
