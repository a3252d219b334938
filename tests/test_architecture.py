"""The layers keep their direction: shells -> services -> rules -> models; services -> workbook
-> models; services -> parallel (the process machinery; the writer's child, which forks, talks
through its channel). Imports are read with ``ast``, those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "authbook"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_in(folder: str) -> list[Path]:
    """The modules under ``folder`` of the package ("" for the whole package)."""
    return sorted((PACKAGE / folder).rglob("*.py"))


SHELLS = ("authbook.cli", "authbook.functions")  # authbook.cli* and authbook.functions.*


def shell_modules() -> list[Path]:
    """The modules of the two shells: the command line (``cli*.py``) and Excel (functions/)."""
    return sorted(PACKAGE.glob("cli*.py")) + modules_in("functions")


def is_command_line(name: str) -> bool:
    return name == "authbook.cli" or name.startswith("authbook.cli_")


#: The bottom layer every other may import: the records, and how AuthBook's classes are made.
BOTTOM = ("authbook.models", "authbook.modelbase")


def test_rules_import_only_models_and_other_rules():
    for path in modules_in("rules"):
        for name in imports_of(path):
            if name.startswith("authbook"):
                assert name.startswith(("authbook.rules", *BOTTOM)), (path.name, name)


def test_rules_do_no_io_and_never_ask_for_today():
    forbidden = {"openpyxl", "xlwings", "os", "pathlib", "shutil", "python_calamine"}
    for path in modules_in("rules"):
        assert not imports_of(path) & forbidden, path.name
        text = path.read_text(encoding="utf-8")
        assert "date.today(" not in text and "datetime.now(" not in text, path.name


#: What the workbook layer may import of the process machinery: the one channel (a leaf).
CHANNEL = "authbook.parallel.channel"


def test_workbook_layer_never_imports_rules_or_shells():
    for path in modules_in("workbook"):
        for name in imports_of(path):
            if name.startswith("authbook") and name != CHANNEL:
                assert name.startswith(("authbook.workbook", *BOTTOM)), (path.name, name)


def test_the_channel_between_processes_imports_nothing_else_of_authbook():
    """``parallel.channel`` is a leaf: the writer's child (``workbook``) and the notes
    helper (``parallel``) both talk through it."""
    path = PACKAGE / "parallel" / "channel.py"
    assert not {n for n in imports_of(path) if n.startswith("authbook")}


def test_only_the_workbook_layer_imports_spreadsheet_libraries():
    spreadsheet = ("openpyxl", "xlwings", "python_calamine")
    for path in PACKAGE.rglob("*.py"):
        if "workbook" in path.relative_to(PACKAGE).parts:
            continue
        # The Excel shell needs xlwings' decorators and Book.caller(); nothing else.
        allowed = ("xlwings",) if path.parent.name == "functions" else ()
        for name in imports_of(path):
            if not name.startswith(allowed or "\0"):
                assert not name.startswith(spreadsheet), (path.name, name)


def test_models_import_nothing_from_the_rest_of_authbook():
    """The records and how they are made (modelbase) are the bottom layer."""
    for name in imports_of(PACKAGE / "models.py"):
        assert not name.startswith("authbook") or name == "authbook.modelbase", name
    for name in imports_of(PACKAGE / "modelbase.py"):
        assert not name.startswith("authbook"), name


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(folder: str) -> dict[str, set[str]]:
    """Module -> the modules of ``folder`` it imports (at its top or inside a function),
    ``from package import module`` counted as importing that module."""
    modules = {module_name(path): path for path in modules_in(folder)}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle of ``graph`` found by a depth-first walk, as the modules in it."""
    found, state = [], {}  # state: 1 on the current path, 2 done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                found.append(path[path.index(imported) :] + [imported])
            elif imported not in state:
                walk(imported, path + [imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    return found


def test_the_workbook_layer_has_no_import_cycles():
    graph = import_graph("workbook")
    assert "authbook.workbook.xlsx.writer" in graph["authbook.workbook.xlsxfile"]
    assert cycles_in(graph) == []


def test_a_cycle_is_found_where_two_modules_import_each_other():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles_in(graph) == [["a", "b", "c", "a"]]


def test_the_store_adapters_are_found_by_their_declared_methods_never_by_probing():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for probe in ('hasattr(store, "', "type(store) is", "isinstance(store, "):
            assert probe not in text, (path.name, probe)


def test_rules_import_nothing_from_services_workbook_parallel_or_the_shells():
    for path in modules_in("rules"):
        for name in imports_of(path):
            assert not name.startswith(
                ("authbook.services", "authbook.workbook", "authbook.parallel", *SHELLS)
            ), (path.name, name)


def test_services_never_import_a_shell():
    graph = import_graph("")
    for module in (module_name(p) for p in modules_in("services")):
        for imported in graph[module]:
            assert not imported.startswith(SHELLS), (module, imported)


def test_parallel_imports_neither_services_nor_shells():
    graph = import_graph("")
    for module in (module_name(p) for p in modules_in("parallel")):
        for imported in graph[module]:
            assert not imported.startswith(("authbook.services", *SHELLS)), (module, imported)


def test_the_shells_never_import_each_other():
    """The command line and the Excel ribbon are two thin shells over the services: neither
    imports the other (``from authbook import cli`` counted)."""
    graph = import_graph("")
    for path in shell_modules():
        module = module_name(path)
        for imported in graph[module]:
            if is_command_line(module):
                assert not imported.startswith("authbook.functions"), (module, imported)
            else:
                assert not is_command_line(imported), (module, imported)


def test_the_package_has_no_import_cycles():
    graph = import_graph("")
    assert "authbook.services.refresh" in graph["authbook.services.bulk"]
    assert cycles_in(graph) == []


#: What forks, opens pipes between processes or pauses the garbage collector.
PROCESS_MACHINERY = ("os.fork", "os.pipe", "multiprocessing", "gc.disable", "gc.freeze")


def test_only_parallel_and_the_writer_child_fork_pipe_or_pause_the_collector():
    """The process machinery is in ``parallel``; the writer's child forks (it is the
    writer's own process), but talks through ``parallel.channel`` like every process."""
    allowed = {PACKAGE / "workbook" / "xlsx" / "child.py": {"os.fork"}}
    for path in PACKAGE.rglob("*.py"):
        if "parallel" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text(encoding="utf-8")
        for call in set(PROCESS_MACHINERY) - allowed.get(path, set()):
            assert call + "(" not in text and f"import {call}" not in text, (path.name, call)


def test_every_import_inside_a_function_says_why():
    """An import inside a function is there to shorten start-up (every command and every
    ribbon click is a new process) or because only one path needs it; a comment on it, or
    on the run of imports it belongs to, says which, so the next reader does not move it to
    the top (or one more down) without knowing the cost."""
    unexplained = []
    for path in modules_in(""):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                first, last = node.lineno - 1, node.end_lineno - 1
                while first > 0 and lines[first - 1].strip().startswith(("import", "from", "#")):
                    first -= 1
                while last + 1 < len(lines) and lines[last + 1].strip().startswith(
                    ("import ", "from ")
                ):
                    last += 1
                if not any("#" in line for line in lines[first : last + 1]):
                    unexplained.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not unexplained
