"""The package's layers (docs/architecture.md): no module imports a layer above its own, scoring stays pure, and the
API reaches the store only where it did before (that list may only shrink)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "triage"
LAYERS = [["cli"], ["api"], ["runtime"], ["jobs", "evaluation"], ["service"], ["ingest"],
          ["scoring", "store", "pipeline", "vectors"],
          ["encoders", "media", "fingerprints", "lineage", "programmes", "render", "chunking", "textnorm", "numbers"],
          ["domain", "errors", "config", "metrics", "logs", "timefmt"]]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
# Known exceptions to the order: the jobs and the evaluation build their models through the composition root.
UPWARD = {("triage/jobs/handlers.py", "runtime"), ("triage/evaluation/run.py", "runtime")}
# API modules that import the store directly: none since issue 22 moved them behind service/, and none may start.
API_INTO_STORE: set[str] = set()


def imports() -> list[tuple[str, str, str]]:
    """(module file, its package, imported package) for every import of triage's own modules."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE.parent))
        package = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "triage":
                targets = [f"triage.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            found += [(name, package, t.split(".")[1]) for t in targets if t.startswith("triage.")]
    return found


def test_every_package_has_a_layer() -> None:
    packages = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
                if p.name != "__init__.py" and (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert packages - set(RANK) == set(), "put the new package in a layer here and in docs/architecture.md"


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = {(name, target) for name, package, target in imports() if RANK[target] < RANK[package]}
    assert upward == UPWARD


def test_scoring_is_pure() -> None:
    assert {target for _, package, target in imports() if package == "scoring"} <= {"scoring", "domain", "fingerprints"}


def test_the_api_reaches_the_store_only_where_it_did() -> None:
    into_store = {name for name, package, target in imports() if package == "api" and target == "store"}
    assert into_store <= API_INTO_STORE, "ask service/ instead of importing triage.store in api/"
    assert into_store == API_INTO_STORE, "a module no longer imports the store: take it off API_INTO_STORE"


def test_no_route_module_imports_another() -> None:
    # What two routes share lives beside them in api/ (page.py, programme_answers.py...), never in a route module.
    routes = {name for name, _package, _target in imports() if name.startswith("triage/api/routes/")}
    crossing = set()
    for path in sorted((PACKAGE / "api" / "routes").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("triage.api.routes"):
                crossing.add(str(path.relative_to(PACKAGE.parent)))
    assert routes and crossing == set(), f"route modules importing other routes: {sorted(crossing)}"
