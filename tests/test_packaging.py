"""The package as a user installs it: `pip install .`, not the editable development install.

A wheel is built from this checkout and installed into a folder of its own; the command
line then runs from there, in a folder far from the checkout, with the installed package
first on the path: templates and data must come with it as package data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp.glob("compute_planner-*.whl"))
    target = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return wheel, target


def _planner(target: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import workbook; "
            "assert workbook.__file__.startswith(sys.argv[1]), workbook.__file__; "
            "from workbook.cli import main; sys.exit(main(sys.argv[2:]))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code, str(target), *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def test_the_wheel_carries_templates_data_and_licence(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for template in sorted((ROOT / "templates").glob("*.xlsx")):
        assert f"workbook/templates/files/{template.name}" in names
    assert "workbook/templates/data/chinchilla_figure4_runs.csv" in names
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_demo_runs_in_full_from_any_folder_after_a_plain_install(installed, tmp_path):
    _, target = installed
    done = _planner(target, tmp_path, "demo")
    assert done.returncode == 0, done.stderr
    assert "Cost-optimal" in done.stdout and "Your model" in done.stdout
    wb = openpyxl.load_workbook(tmp_path / "planner-demo.xlsx", data_only=True)
    assert "Plan" in wb.sheetnames


def test_templates_are_written_into_the_current_folder(installed, tmp_path):
    _, target = installed
    done = _planner(target, tmp_path, "templates")
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "templates").glob("*.xlsx"))
    assert written == sorted(p.name for p in (ROOT / "templates").glob("*.xlsx"))
    assert not list(target.rglob("templates/*.xlsx.tmp*"))


def test_version_and_python_m(installed, tmp_path):
    _, target = installed
    done = _planner(target, tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.strip().startswith("planner ")
    env = {**os.environ, "PYTHONPATH": str(target)}
    module = subprocess.run([sys.executable, "-m", "workbook", "--help"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env=env)
    assert module.returncode == 0 and "COMMAND" in module.stdout


def test_building_the_docs_registers_no_excel_functions():
    """Import-time side effects are gone: only workbook.addin.udfs defines the formulas."""
    code = ("import sys; import workbook.addin.reference, workbook.addin.lite, workbook.cli; "
            "import workbook.recalc.calc, workbook.templates.builder; "
            "assert 'workbook.addin.udfs' not in sys.modules; "
            "import workbook.addin.wrappers as w; "
            "assert not [n for n in vars(w) if hasattr(getattr(w, n), '__xlfunc__')]; "
            "import workbook.addin.udfs as u; print(len(u.FORMULAS))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import planner
    assert int(done.stdout) == len(planner.CATALOG)
