"""Check the project's conventions on the compiled manifest and the catalog.

In the spirit of dbt-project-evaluator (which needs the dbt package hub), it
fails with a list of everything missing:

- every model and every column (as built in the warehouse) has a description;
- every model has a primary-key test: unique + not_null on one column, or
  unique_combination_of_columns (models may opt out with
  ``meta: {primary_key: none, primary_key_reason: ...}``, e.g. raw mirrors);
- marts never read sources directly;
- staging models read exactly one source or one staging/base model (plus lookup
  seeds): staging never joins two models (a model that only stacks several
  staging models with union all says so with ``meta: {combines: union}``);
- models never read a model of a later layer (staging < intermediate < marts).

Usage: python scripts/check_project_conventions.py [target_dir]
(run after `dbt build` and `dbt docs generate`, which write manifest.json and
catalog.json).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

LAYERS = {"staging": 0, "intermediate": 1, "marts": 2}


def layer_of(node: dict) -> str | None:
    parts = Path(node["original_file_path"]).parts
    for part in parts:
        if part in LAYERS:
            return part
    return None


def primary_key_tests(manifest: dict) -> dict[str, set[str]]:
    """Model unique_id -> kinds of key tests found ('unique:col', 'not_null:col',
    'combination')."""
    found: dict[str, set[str]] = defaultdict(set)
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        meta = node.get("test_metadata") or {}
        name = meta.get("name")
        attached = node.get("attached_node")
        if not attached or name is None:
            continue
        column = node.get("column_name")
        if name in ("unique", "not_null") and column:
            found[attached].add(f"{name}:{column}")
        elif name == "unique_combination_of_columns":
            found[attached].add("combination")
    return found


def check(target: Path) -> list[str]:
    manifest = json.loads((target / "manifest.json").read_text())
    catalog_path = target / "catalog.json"
    catalog = json.loads(catalog_path.read_text()) if catalog_path.exists() else None
    problems: list[str] = []
    keys = primary_key_tests(manifest)
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["package_name"]
        == manifest["metadata"].get("project_name", node["package_name"])
    }
    for uid, node in sorted(models.items()):
        name = node["name"]
        if not (node.get("description") or "").strip():
            problems.append(f"{name}: model has no description")
        documented = {
            column_name.lower()
            for column_name, column in node["columns"].items()
            if (column.get("description") or "").strip()
        }
        declared = {column_name.lower() for column_name in node["columns"]}
        for column_name in sorted(declared - documented):
            problems.append(f"{name}.{column_name}: column has no description")
        if catalog is not None:
            built = catalog["nodes"].get(uid)
            if built is None:
                problems.append(f"{name}: not in the catalog (was it built?)")
            else:
                for column_name in sorted(built["columns"]):
                    if column_name.lower() not in documented:
                        problems.append(
                            f"{name}.{column_name}: built column is not documented"
                        )
        meta = node.get("meta") or node.get("config", {}).get("meta") or {}
        found = keys.get(uid, set())
        has_key = "combination" in found or any(
            f"not_null:{kind.split(':', 1)[1]}" in found
            for kind in found
            if kind.startswith("unique:")
        )
        if not has_key and meta.get("primary_key", "") != "none":
            problems.append(
                f"{name}: no primary-key test (unique + not_null on one column, or "
                "unique_combination_of_columns)"
            )
        if (
            not has_key
            and meta.get("primary_key", "") == "none"
            and not meta.get("primary_key_reason")
        ):
            problems.append(f"{name}: primary_key none without primary_key_reason")

        layer = layer_of(node)
        parents = node["depends_on"]["nodes"]
        sources = [p for p in parents if p.startswith("source.")]
        parent_models = [p for p in parents if p.startswith("model.")]
        if layer == "marts" and sources:
            problems.append(f"{name}: mart reads a source directly ({sources})")
        if (
            layer == "staging"
            and len(sources) + len(parent_models) > 1
            and meta.get("combines") != "union"
        ):
            problems.append(
                f"{name}: staging model joins several inputs "
                f"({sources + parent_models}); only seeds may be looked up"
            )
        for parent in parent_models:
            parent_layer = layer_of(manifest["nodes"][parent])
            if layer and parent_layer and LAYERS[parent_layer] > LAYERS[layer]:
                problems.append(
                    f"{name}: {layer} model reads {parent_layer} model "
                    f"{manifest['nodes'][parent]['name']}"
                )
    return problems


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "target")
    problems = check(target)
    if problems:
        print(f"Project conventions: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(
        "Project conventions: every model and column documented, keys tested, "
        "layers respected."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
