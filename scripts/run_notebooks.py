"""Execute the notebooks top to bottom and write them back WITH their outputs, so the code host shows the plots.

Usage: .venv/bin/python scripts/run_notebooks.py [notebooks/tour.ipynb ...]   (default: every notebook)

No Jupyter needed: like tests/test_notebooks.py, the code cells run in order in one namespace, started from
notebooks/ (where Jupyter starts them), with the models of your settings (the bundled ones by default). What a
Jupyter kernel would show is kept per cell: printed text, the last expression's value (its HTML when it has
one), and each matplotlib figure the cell left open, as a small PNG. A cell that fails stops the run and writes
nothing.
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DPI = 80  # small figures: each notebook stays well under 1.5 MB


def run_cell(source: str, name: str, namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one cell; its outputs in nbformat 4."""
    import matplotlib.pyplot as plt

    tree = ast.parse(source, name)
    quiet = source.rstrip().endswith(";")  # as in Jupyter: a trailing semicolon hides the value
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out, err = io.StringIO(), io.StringIO()
    value = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(tree, name, "exec"), namespace)  # noqa: S102
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)  # noqa: S307
    outputs: list[dict[str, Any]] = []
    for stream, text in (("stdout", out.getvalue()), ("stderr", err.getvalue())):
        if text:
            outputs.append({"output_type": "stream", "name": stream, "text": text.splitlines(keepends=True)})
    if value is not None and not quiet:
        data = {"text/plain": repr(value).splitlines(keepends=True)}
        if hasattr(value, "_repr_html_"):
            data["text/html"] = value._repr_html_().splitlines(keepends=True)
        outputs.append({"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": None})
    for number in plt.get_fignums():
        fig = plt.figure(number)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI, bbox_inches="tight")
        plt.close(fig)
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"image/png": base64.b64encode(png.getvalue()).decode("ascii"),
                                 "text/plain": [f"<Figure {fig.get_figwidth():g}x{fig.get_figheight():g} in>"]}})
    return outputs


def run_notebook(path: Path) -> None:
    notebook = json.loads(path.read_text())
    namespace: dict[str, Any] = {"__name__": "__main__"}
    count = 0
    for number, cell in enumerate(notebook["cells"]):  # nbformat 4.5 wants an id on every cell
        cell.setdefault("id", f"{number:02d}-{hashlib.sha256(''.join(cell['source']).encode()).hexdigest()[:8]}")
    notebook["nbformat"], notebook["nbformat_minor"] = 4, 5
    before = Path.cwd()
    os.chdir(path.parent)  # where Jupyter starts a notebook
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            count += 1
            started = time.perf_counter()
            outputs = run_cell("".join(cell["source"]), f"{path.name}[{count - 1}]", namespace)
            for output in outputs:
                if output["output_type"] == "execute_result":
                    output["execution_count"] = count
            cell["outputs"], cell["execution_count"] = outputs, count
            print(f"{path.name} cell {count}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        os.chdir(before)
    notebook.setdefault("metadata", {}).setdefault("language_info", {}).update(
        {"name": "python", "version": ".".join(map(str, sys.version_info[:3]))})
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    print(f"{path}: {len(text.encode()) / 1024:.0f} KB with outputs", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="the notebooks to run (default: every notebook)")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go into the notebook, never a window
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        run_notebook(path)


if __name__ == "__main__":
    main()
