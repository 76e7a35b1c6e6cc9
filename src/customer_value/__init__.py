"""Customer value analytics: the maths and data tools behind the dbt project."""
