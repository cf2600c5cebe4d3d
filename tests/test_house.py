"""House rules a reviewer would otherwise check by hand."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"


def test_no_module_of_the_package_is_over_400_lines():
    """Small modules, each with one job (the CLI is a package of commands, the job logic lives once)."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"


def test_manifests_resumes_and_completion_are_written_in_one_place():
    """Only the job writes a manifest's status; the commands go through it."""
    writers = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
               if '"status"' in p.read_text(encoding="utf-8")]
    assert writers == ["experiments/job.py"], writers


# Calls that write, rename or delete a file (or make a folder), by name; only simulation/files.py may make them.
_FILE_METHODS = {"write_text", "write_bytes", "unlink", "rmdir", "rmtree", "mkdir", "makedirs", "symlink_to",
                 "hardlink_to", "to_parquet", "to_feather", "to_excel", "to_pickle", "to_hdf", "to_stata",
                 "write_table", "write_dataset", "copyfile", "copytree", "copy2", "move"}
_OS_CALLS = {"replace", "rename", "renames", "remove", "removedirs", "unlink", "rmdir", "mkdir", "makedirs",
             "open", "symlink", "link", "truncate", "ftruncate"}


def file_writes(source: str) -> list[str]:
    """The calls in ``source`` that write, rename or delete a file, as ``line: call``."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        target = node.args[:1] or [k.value for k in node.keywords if k.arg in ("path_or_buf", "fname", "file", "fp")]
        if owner == "files":  # the one writer itself
            continue
        writes = (
            (owner == "os" and name == "open" and _os_open_writes(node))
            or (owner in ("os", "shutil") and name in (_OS_CALLS | _FILE_METHODS) - {"open"})
            or (name in _FILE_METHODS and owner not in ("os", "shutil"))
            # to_csv / savefig / to_json / np.save write a file when given a target, not into memory
            or (name in ("to_csv", "to_json", "savefig", "save", "savez", "dump") and bool(target)
                and not (isinstance(target[0], ast.Name) and target[0].id in ("buf", "buffer")))
            # Path.rename(target) / Path.replace(target) / Path.touch(): one positional argument, no keywords
            or (name in ("rename", "replace") and len(node.args) == 1 and not node.keywords
                and owner not in ("os", "re", "str", "text", "s"))
            or (name == "touch" and not node.args)
            or (name == "open" and isinstance(f, ast.Name) and _opens_for_writing(node))
        )
        if writes:
            found.append(f"{node.lineno}: {ast.unparse(f)}")
    return found


def _os_open_writes(node) -> bool:
    """os.open with flags that may write (a flag read from a variable counts: it cannot be told apart)."""
    import ast

    flags = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
    return "O_RDONLY" not in flags or any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC",
                                                                 "O_APPEND"))


def _opens_for_writing(node) -> bool:
    import ast

    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def test_only_the_one_writer_writes_renames_or_deletes_files():
    """Every file a job writes or deletes goes through simulation/files.py, which refuses symlinks and names
    leaving the folder: a module writing a file itself could be led out of its folder by a doctored one."""
    offenders = {str(p.relative_to(PACKAGE)): calls for p in sorted(PACKAGE.rglob("*.py"))
                 if p.name != "files.py" or p.parent != PACKAGE
                 if (calls := file_writes(p.read_text(encoding="utf-8")))}
    assert not offenders, f"write, rename or delete files only through simulation.files: {offenders}"


def test_the_house_rule_catches_each_kind_of_write():
    """The scan above is a test: each way of writing a file is caught, and in-memory calls are not."""
    caught = ["Path(p).write_text('x')", "p.unlink()", "shutil.rmtree(d)", "os.replace(a, b)", "os.remove(p)",
              "table.to_csv(folder / 'a.csv')", "table.to_parquet(p)", "fig.savefig('a.png')", "p.mkdir()",
              "open(p, 'w')", "open(p, mode='ab')", "p.rename(q)", "p.touch()", "os.open(p, flags)"]
    for code in caught:
        assert file_writes(code), code
    fine = ["table.to_csv(index=False)", "fig.savefig(buf, format='png')", "frame.rename(columns={'a': 'b'})",
            "open(p)", "open(p, 'rb')", "ix.touch(rows)", "os.open(p, os.O_RDONLY | os.O_NOFOLLOW)",
            "files.write_text(folder, 'a.txt', text)", "text.replace('a', 'b')", "s.replace(a, b)"]
    for code in fine:
        assert not file_writes(code), code
