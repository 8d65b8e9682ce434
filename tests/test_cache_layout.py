"""The data layer's shape, checked from the source: no import circle anywhere in application/,
data_access flows one way, and only the invalidation module clears cache entries."""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "application"
DA = "application.data.data_access"
# Top to bottom: a module may import only modules on its own level or below (never above).
LEVELS = [
    {"articles", "accounts", "comments", "follows", "likes"},
    {"invalidate"},
    {"cached"},
    {"store"},
    {"keys", "queries", "search", "serialize", "visibility", "local_tier"},
    {"listing_counts", "keyset", "week_likes"},  # counters (session events), cursors, weekly tally: models only
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every application module this file imports, anywhere in it (function-local imports included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("application")}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in APP.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in files and m != name} for name, path in files.items()}


def test_no_import_circle_in_application():
    graph = _graph()
    # A package's __init__ re-exporting its submodules is not a circle; a submodule importing a sibling
    # through the package face would be, so edges into a package __init__ from its own children are kept.
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph[node]:
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodule
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"
    for node in graph:
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_data_access_imports_flow_one_way():
    level = {m: i for i, names in enumerate(LEVELS) for m in names}
    for name, targets in _graph().items():
        if not name.startswith(DA + ".") or name.rsplit(".", 1)[1] not in level:
            continue
        own = level[name.rsplit(".", 1)[1]]
        for target in targets:
            short = target.removeprefix(DA + ".")
            if short in level:
                assert level[short] >= own, f"{name} imports {target}, which is above it"


def test_only_the_invalidation_module_clears_entries():
    clearing = ("delete_memoized", "delete_many", "store.revoke", "store.bump", "cache.delete(", "cache.clear(")
    offenders = []
    for path in APP.rglob("*.py"):
        if path.name in ("invalidate.py", "store.py", "cache_backend.py"):
            continue
        text = path.read_text()
        offenders += [f"{path.relative_to(APP)}: {c}" for c in clearing if c in text]
    assert offenders == []
