"""The layering holds: no import circle inside lakecat (imports inside functions count),
catalog_sql and formats know nothing of lakecat, and import lakecat stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every lakecat module ``path`` imports, at any depth of the file."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m not in (name, "lakecat")}


def _graph(package: str) -> dict[str, set[str]]:
    paths = list((ROOT / package).rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_circle_in_lakecat():
    cycle = _find_cycle(_graph("lakecat"))
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_lower_layers_never_import_lakecat():
    for package in ("catalog_sql", "formats"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
            names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
                a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
            ]
            assert not [m for m in names if m.split(".")[0] == "lakecat"], path


def test_import_lakecat_pulls_no_heavy_library():
    code = (
        "import sys, lakecat\n"
        "lakecat.ULabel\n"
        "heavy = ('pandas', 'pyarrow', 'numpy', 'deltalake', 'fsspec', 'click', 'sqlglot')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_a_tracked_script_with_cached_sql_imports_neither_sqlglot_nor_pandas(
    make_instance, tmp_path
):
    """A short-lived process reads its SQL from the rendered-SQL cache: once the cache is
    warm, it must not pay for importing sqlglot (~85 ms) or pandas, on either back end
    (the Postgres advisory-lock key once rendered its literal with sqlglot)."""
    env = {**__import__("os").environ, "LAKECAT_HOME": str(tmp_path / "home")}
    env.pop("LAKECAT_NO_SQL_CACHE", None)
    where = f"storage={str(tmp_path / 's')!r}"
    if make_instance.db:
        where += f", db={make_instance.db!r}, name={make_instance.new_name('noop')!r}"
    init = f"import lakecat as lc; lc.init({where})"
    subprocess.run([sys.executable, "-c", init], check=True, env=env, timeout=120)
    script = tmp_path / "noop.py"
    script.write_text(
        "import sys, lakecat as lc\nlc.track()\nlc.ULabel.filter(name='x').first()\nlc.finish()\n"
        "heavy = ('sqlglot', 'pandas', 'pyarrow', 'numpy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    first = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           env=env, timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           env=env, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1:] in ([], [""]), again.stdout
