"""How users get the tool: the wheel and sdist (PyPI), the conda recipe (conda-forge, `pixi global
install`) and the pixi manifest developers run tasks from. Each is checked by the tool that reads
it: `build` + `twine check`, rattler-build's renderer, and TOML parsing plus a look at every task."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.test_project import clean_copy

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIXI = tomllib.loads((ROOT / "pixi.toml").read_text())

# PyPI name → conda-forge name, for every run dependency of the wheel (recipe/recipe.yaml says
# where each was checked). A dependency missing here fails the test: it has to be looked up.
CONDA_NAME = {
    "textual": "textual",
    "keyring": "keyring",
    "secretstorage": "secretstorage",
    "jeepney": "jeepney",
    "platformdirs": "platformdirs",
    "httpx": "httpx",
    "sniffio": "sniffio",
    "filelock": "filelock",
    "authlib": "authlib",
    "segno": "segno",
    "pyahocorasick": "pyahocorasick",
    "idna": "idna",
}
LINUX_ONLY = {"secretstorage", "jeepney"}


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def rendered_run_requirements(platform: str) -> tuple[dict, set[str]]:
    from rattler_build import PlatformConfig, RenderConfig, Stage0Recipe, VariantConfig

    recipe = Stage0Recipe.from_file(str(ROOT / "recipe" / "recipe.yaml"))
    variants = VariantConfig.from_file(str(ROOT / "recipe" / "variants.yaml"))
    (rendered,) = recipe.render(variants, RenderConfig(platform=PlatformConfig(target_platform=platform)))
    data = rendered.recipe.to_dict()
    return data, {requirement_name(spec) for spec in data["requirements"]["run"]}


@pytest.mark.parametrize("platform", ["linux-64", "osx-arm64", "win-64"])
def test_the_conda_recipe_renders_with_every_run_dependency_of_the_wheel(platform):
    data, run = rendered_run_requirements(platform)
    assert data["package"] == {"name": PYPROJECT["project"]["name"], "version": PYPROJECT["project"]["version"]}
    wanted = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = requirement_name(requirement)
        assert name in CONDA_NAME, f"{name}: look up its conda-forge name and add it to the recipe"
        if name in LINUX_ONLY and not platform.startswith("linux"):
            assert CONDA_NAME[name] not in run, (name, platform)
            continue
        wanted.add(CONDA_NAME[name])
    assert wanted <= run, wanted - run
    # the extras are run constraints (a conda package has no extras): allowed, never installed
    constrained = {requirement_name(spec) for spec in data["requirements"].get("run_constraints", [])}
    assert {"botocore", "py-rattler"} <= constrained
    # the package runs its own command in the recipe's test
    scripts = [line for test in data["tests"] for line in test.get("script", [])]
    assert "pixi-auth-tui --help" in scripts and "pixi-auth-tui --demo list" in scripts


def test_the_recipe_names_the_command_the_wheel_installs():
    text = (ROOT / "recipe" / "recipe.yaml").read_text()
    (entry,) = PYPROJECT["project"]["scripts"].items()
    assert f"- {entry[0]} = {entry[1]}" in text


def commands_of(task: str | dict) -> list[list[str]]:
    line = task if isinstance(task, str) else task["cmd"]
    return [shlex.split(part) for part in line.split("&&")]


def test_every_pixi_task_names_a_command_that_exists():
    """`pixi run X` must not end in "command not found": each command of each task is Python
    running a file or module that exists, our own command, or a tool the task's feature installs."""
    features = {"": PIXI, **PIXI.get("feature", {})}
    checked = set()
    for feature_name, feature in features.items():
        provided = set(feature.get("dependencies", {})) | {"python", "pixi-auth-tui"}
        for name, task in feature.get("tasks", {}).items():
            checked.add(name)
            for argv in commands_of(task):
                program = argv[0]
                if program == "python" and argv[1] == "-m":
                    assert find_spec(argv[2]) is not None, (feature_name, name, argv)
                elif program == "python":
                    assert (ROOT / argv[1]).is_file(), (feature_name, name, argv)
                elif program not in provided:
                    # a console script of the test extra, installed here as it is by pixi
                    assert shutil.which(program, path=str(Path(sys.executable).parent)), (feature_name, name, argv)
    assert {"test", "lint", "typecheck", "bench", "screenshots"} <= checked
    for environment in PIXI["environments"].values():
        assert set(environment["features"]) <= set(features)


def test_wheel_and_sdist_build_and_pass_twine_check(tmp_path):
    source = clean_copy(tmp_path / "src")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    artefacts = [str(sdist), str(wheel)]
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *artefacts], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "Keywords: " in metadata and "Classifier: Environment :: Console" in metadata
    assert "Provides-Extra: s3" in metadata and "Provides-Extra: lock" in metadata
