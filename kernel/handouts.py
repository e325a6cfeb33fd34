"""Render executed notebooks to standalone HTML handouts (figures and tables embedded, no kernel
needed), plus an index page, into one folder a teacher can publish as it is.

Usage: python kernel/handouts.py [EXECUTED_DIR] [--out DIR]
(default: artifacts/notebooks -> artifacts/handouts; run kernel/run-notebooks first).
"""

import argparse
import base64
import html
import pathlib
import sys

import nbformat
from nbconvert import HTMLExporter


def figures_in(nb):
    """The figures in the notebook's outputs, each as the text that embeds it in the HTML
    (nbconvert writes PNG and SVG as base64 data URIs)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for mime, value in out.get("data", {}).items():
                text = "".join(value) if isinstance(value, list) else value
                if mime == "image/png":
                    found.append("data:image/png;base64," + text.strip()[:64])
                elif mime == "image/svg+xml":
                    found.append("data:image/svg+xml;base64,"
                                 + base64.b64encode(text.encode()).decode()[:64])
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("executed", nargs="?", type=pathlib.Path,
                    default=pathlib.Path("artifacts/notebooks"))
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("artifacts/handouts"))
    args = ap.parse_args()
    notebooks = sorted(args.executed.glob("*.ipynb"))
    if not notebooks:
        sys.exit(f"handouts: no executed notebooks in {args.executed}: run kernel/run-notebooks first")
    args.out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    entries = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        figures = figures_in(nb)
        if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            sys.exit(f"handouts: {path} has no outputs: it was not executed (kernel/run-notebooks)")
        body, _ = exporter.from_notebook_node(nb)
        lost = [f for f in figures if f not in body]
        if lost:
            sys.exit(f"handouts: {path}: {len(lost)} of {len(figures)} figures are not in the HTML")
        expected = len(figures)
        target = args.out / (path.stem + ".html")
        target.write_text(body, encoding="utf-8")
        title = next((c.source.splitlines()[0].lstrip("# ") for c in nb.cells
                      if c.cell_type == "markdown" and c.source.strip()), path.stem)
        entries.append((target.name, title, expected))
        print(f"   {target} ({expected} figures, {len(body) // 1024} KiB)")
    items = "\n".join(f'<li><a href="{html.escape(name)}">{html.escape(title)}</a> '
                      f"({n} figures)</li>" for name, title, n in entries)
    (args.out / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Cryptoidol handouts</title>"
        "</head><body><h1>Cryptoidol: the voice judge, proven on Ethereum</h1>"
        f"<ol>{items}</ol></body></html>\n", encoding="utf-8")
    print(f"== {len(entries)} handouts in {args.out} (open index.html)")


if __name__ == "__main__":
    main()
