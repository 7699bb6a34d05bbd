"""Output names: the default template per target, the user's template, and the mistakes planning refuses.

Planning runs no go (the toolchain is tests.recorded's); only ``--version`` asks git for the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.recorded import forbid_go, recorded_toolchain

from gocross.errors import UsageError
from gocross.plan import BuildOptions, BuildPlan, make_plan

RECORDED = recorded_toolchain()


@pytest.fixture(autouse=True)
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    return forbid_go(monkeypatch)


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A one-file main package named "app", in a module of its own."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/app\n\ngo 1.21\n")
    (root / "main.go").write_text("package main\n\nfunc main() {}\n")
    return root


def plan(module: Path, *targets: str, **options: object) -> BuildPlan:
    return make_plan(RECORDED, BuildOptions(package_dir=module, targets=targets, **options), 2)  # type: ignore[arg-type]


def outputs(built: BuildPlan) -> dict[str, str]:
    return {step.target.name: step.output.name for step in built.steps}


def test_default_template_per_target(module: Path, started: list[list[str]]) -> None:
    built = plan(module, "linux/amd64", "windows/arm64", "darwin/arm64", "js/wasm", "wasip1/wasm",
                 "linux/arm/v6", "linux/arm/v7+softfloat", "linux/amd64/v3", "windows/386/softfloat")
    assert outputs(built) == {
        "linux/amd64": "app_linux_amd64",
        "windows/arm64": "app_windows_arm64.exe",
        "darwin/arm64": "app_darwin_arm64",
        "js/wasm": "app_js_wasm.wasm",
        "wasip1/wasm": "app_wasip1_wasm.wasm",
        "linux/arm/v6": "app_linux_arm_v6",
        "linux/arm/v7+softfloat": "app_linux_arm_v7+softfloat",
        "linux/amd64/v3": "app_linux_amd64_v3",
        "windows/386/softfloat": "app_windows_386_softfloat.exe",
    }
    assert all(step.output.parent == module / "dist" for step in built.steps)
    assert started == []  # planning started no process at all without --version


def test_default_targets_are_first_class(module: Path) -> None:
    built = plan(module)
    assert built.default_targets
    assert list(outputs(built).values()) == [
        "app_darwin_amd64", "app_darwin_arm64", "app_linux_386", "app_linux_amd64", "app_linux_arm",
        "app_linux_arm64", "app_windows_386.exe", "app_windows_amd64.exe"]


def test_version_and_target_fields(module: Path, started: list[list[str]]) -> None:
    built = plan(module, "linux/arm/v6", "windows/amd64", version="1.2.3",
                 name_template="{name}-{version}-{target}{ext}")
    assert outputs(built) == {"linux/arm/v6": "app-1.2.3-linux_arm_v6", "windows/amd64": "app-1.2.3-windows_amd64.exe"}
    assert [argv[:3] for argv in started] == [["git", "log", "-1"]]  # the commit stamp; never go


def test_every_field(module: Path) -> None:
    built = plan(module, "linux/mips/softfloat", version="v2",
                 name_template="{os}.{arch}.{variant}.{ext}.{version}.{target}.{name}")
    assert outputs(built) == {"linux/mips/softfloat": "linux.mips._softfloat..v2.linux_mips_softfloat.app"}


def test_version_is_empty_without_one(module: Path) -> None:
    assert outputs(plan(module, "linux/s390x", name_template="{name}{version}_{os}")) == {"linux/s390x": "app_linux"}


def test_template_from_gocross_toml_and_the_command_line_wins(module: Path) -> None:
    (module / "gocross.toml").write_text('name = "{name}-{os}-{arch}{variant}{ext}"\nout = "bin"\n')
    built = plan(module, "linux/arm/v7", "windows/amd64")
    assert outputs(built) == {"linux/arm/v7": "app-linux-arm_v7", "windows/amd64": "app-windows-amd64.exe"}
    assert all(step.output.parent == module / "bin" for step in built.steps)
    assert outputs(plan(module, "linux/arm/v7", name_template="{arch}")) == {"linux/arm/v7": "arm"}


def test_out_dir_option(module: Path, tmp_path: Path) -> None:
    built = plan(module, "linux/amd64", out_dir=tmp_path / "out" / "deeper")
    assert [step.output for step in built.steps] == [tmp_path / "out" / "deeper" / "app_linux_amd64"]
    assert (tmp_path / "out" / "deeper").is_dir()


def test_unknown_fields_are_an_error(module: Path) -> None:
    with pytest.raises(UsageError) as caught:
        plan(module, "linux/amd64", name_template="{name}_{nme}_{goos}")
    assert str(caught.value) == ("The name template '{name}_{nme}_{goos}' uses unknown field(s) goos, nme; "
                                 "use arch, ext, name, os, target, variant, version.")


def test_two_targets_with_one_name_are_an_error(module: Path) -> None:
    with pytest.raises(UsageError) as caught:
        plan(module, "linux/*", name_template="{name}_{os}")
    assert str(caught.value) == ("The name template '{name}_{os}' gives linux/386 and linux/amd64 the same file "
                                 "name; add {os}, {arch} and {variant} to it.")
    with pytest.raises(UsageError, match="gives linux/arm/v6 and linux/arm/v7 the same file name"):
        plan(module, "linux/arm/v6", "linux/arm/v7", name_template="{name}_{os}_{arch}")


def test_the_same_target_twice_is_one_output(module: Path) -> None:
    assert outputs(plan(module, "linux/arm/6", "linux/arm/v6")) == {"linux/arm/v6": "app_linux_arm_v6"}
