"""Smoke test of the generated dbt docs site in a real headless browser.

Opens the single-file site (``dbt docs generate --static`` ->
``target/static_index.html``) in headless Chromium, twice:

1. the page of a mart (default ``dim_customers``): the rendered page must show
   the model's description and one row per built column (from catalog.json),
   each with its description from the manifest;
2. the lineage graph of that mart (``?g_v=1``): the graph container must hold
   cytoscape's drawing canvases and the screenshot of the graph must show
   drawn nodes, not an empty panel.

Both screenshots are kept for a reviewer (``<target>/docs_smoke/*.png``).
Chromium runs with a fresh profile and no network access of its own.

Usage: python tests/docs_smoke/check_docs_site.py [--target target]
       [--model dim_customers] [--out DIR] [--chromium PATH]
Exits 1 with the list of what is wrong.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_COLUMN_ROW = re.compile(
    r'class="column-row[^"]*"[^>]*>\s*<td>\s*<div>\s*'
    r'<span class="text-dark ng-binding">([^<]+)</span>.*?'
    r'<span ng-show="!column.expanded" class="ng-binding">([^<]*)</span>',
    re.S,
)


def find_chromium(explicit: str | None) -> str:
    candidates = [explicit] if explicit else [os.environ.get("CHROMIUM")]
    candidates += [shutil.which(name) for name in CHROMIUM_NAMES]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit(
        "docs smoke test: no Chromium found; install it "
        "(`apt-get install -y chromium`) or set CHROMIUM=/path/to/chromium"
    )


def render(chromium: str, url: str, screenshot: Path, height: int) -> str:
    """Load ``url`` in headless Chromium; return the DOM after scripts ran and
    save a screenshot."""
    profile = tempfile.mkdtemp(prefix="docs_smoke_profile_")
    try:
        completed = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size=1400,{height}",
                f"--screenshot={screenshot}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise SystemExit(
            f"docs smoke test: Chromium failed on {url} "
            f"(exit {completed.returncode}):\n{completed.stderr[-2000:]}"
        )
    return completed.stdout


def visible_markup(dom: str) -> str:
    """The DOM without scripts and styles (the site embeds the manifest in a
    script, so text found there proves nothing about rendering)."""
    dom = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S | re.I)
    return re.sub(r"<style\b.*?</style>", "", dom, flags=re.S | re.I)


def plain(text: str) -> str:
    """Text without tags and markdown marks, whitespace collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"[*`_#|]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def check_model_page(dom: str, node: dict, built_columns: list[str]) -> list[str]:
    problems = []
    markup = visible_markup(dom)
    page_text = plain(markup)
    opening = " ".join(plain(node["description"]).split()[:8])
    if not opening:
        problems.append(f"{node['name']} has no description to look for")
    elif opening not in page_text:
        problems.append(f"description not rendered: {opening!r}")
    rendered = {
        name.strip().lower(): plain(description)
        for name, description in _COLUMN_ROW.findall(markup)
    }
    documented = {
        name.lower(): plain(column.get("description") or "")
        for name, column in node["columns"].items()
    }
    for column in built_columns:
        name = column.lower()
        if name not in rendered:
            problems.append(f"column {name} not rendered in the columns table")
        elif not rendered[name]:
            problems.append(f"column {name} rendered without a description")
        elif rendered[name][:40] != documented.get(name, "")[:40]:
            problems.append(
                f"column {name}: rendered description {rendered[name][:40]!r} "
                f"differs from the manifest's {documented.get(name, '')[:40]!r}"
            )
    if not rendered:
        problems.append("no columns table rendered")
    return problems


def check_lineage(dom: str, screenshot: Path) -> list[str]:
    problems = []
    markup = visible_markup(dom)
    container = re.search(
        r'id="cy"[^>]*cytoscape_container[^>]*>(.*?)</div>\s*</div>', markup, re.S
    )
    if container is None:
        return ["lineage graph container (#cy) was not initialised by cytoscape"]
    layers = re.findall(r'<canvas[^>]*data-id="([^"]+)"[^>]*width="(\d+)"', markup)
    if len({name for name, width in layers if int(width) > 0}) < 3:
        problems.append(f"lineage graph canvases missing or empty: {layers}")
    with Image.open(screenshot) as image:
        width, height = image.size
        graph = image.convert("RGB").crop(
            (
                int(width * 0.05),
                int(height * 0.12),
                int(width * 0.95),
                int(height * 0.85),
            )
        )
        colours = graph.getcolors(maxcolors=width * height)
    if colours is None or len(colours) < 200:
        problems.append(
            "lineage screenshot shows an empty graph panel "
            f"({0 if colours is None else len(colours)} colours)"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=Path("target"))
    parser.add_argument("--model", default="dim_customers")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    began = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    site = (args.target / "static_index.html").resolve()
    if not site.exists():
        say(f"no {site}: run `dbt docs generate --static` first")
        return 1
    manifest = json.loads((args.target / "manifest.json").read_text())
    catalog = json.loads((args.target / "catalog.json").read_text())
    project = manifest["metadata"]["project_name"]
    unique_id = f"model.{project}.{args.model}"
    node = manifest["nodes"].get(unique_id)
    if node is None or unique_id not in catalog["nodes"]:
        say(f"{unique_id} is not in the manifest and the catalog")
        return 1
    built_columns = list(catalog["nodes"][unique_id]["columns"])
    out = args.out or args.target / "docs_smoke"
    out.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium(args.chromium)
    problems: list[str] = []

    page_png = out / f"{args.model}_page.png"
    say(f"opening the {args.model} page of {site.name} in {Path(chromium).name}")
    dom = render(chromium, f"{site.as_uri()}#!/model/{unique_id}", page_png, 2400)
    found = check_model_page(dom, node, built_columns)
    problems += [f"{args.model} page: {problem}" for problem in found]
    say(
        f"{args.model} page: description and {len(built_columns)} columns checked "
        f"-> {page_png}"
    )

    lineage_png = out / f"{args.model}_lineage.png"
    selector = f"%2B{args.model}%2B"
    url = f"{site.as_uri()}#!/model/{unique_id}?g_v=1&g_i={selector}"
    say(f"opening the lineage graph of {args.model}")
    dom = render(chromium, url, lineage_png, 1000)
    problems += [f"lineage: {problem}" for problem in check_lineage(dom, lineage_png)]
    say(f"lineage graph checked -> {lineage_png}")

    if problems:
        print(f"Docs site smoke test: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("Docs site smoke test: the mart page and its lineage graph render.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
