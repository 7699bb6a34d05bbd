"""inspect reads Go build info from js/wasm and wasip1/wasm binaries of a module with a replaced dependency.

`go version -m` cannot read a .wasm at all, so the oracle is the program itself: it prints what
runtime/debug.ReadBuildInfo() gives it, run under node / wasmtime, and inspect must say the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import BuildGo, write_module

from gocross.binary import inspect
from gocross.binary.model import to_json
from gocross.launch import run_captured

MAIN = """
package main

import (
    "encoding/json"
    "os"
    "runtime/debug"

    "example.com/dep"
)

type module struct {
    Path, Version string
    Replace       *module
}

func main() {
    _ = dep.Hi()
    info, _ := debug.ReadBuildInfo()
    out := map[string]any{"path": info.Path, "main": module{info.Main.Path, info.Main.Version, nil}}
    var deps []module
    for _, d := range info.Deps {
        m := module{d.Path, d.Version, nil}
        if d.Replace != nil {
            m.Replace = &module{d.Replace.Path, d.Replace.Version, nil}
        }
        deps = append(deps, m)
    }
    settings := map[string]string{}
    for _, s := range info.Settings {
        settings[s.Key] = s.Value
    }
    out["deps"], out["settings"] = deps, settings
    json.NewEncoder(os.Stdout).Encode(out)
}
"""


@pytest.fixture(scope="module")
def replaced_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wasm-replace")
    write_module(root / "dep", {"dep.go": "package dep\n\nfunc Hi() string { return \"hi\" }\n"},
                 module="example.com/dep")
    app = write_module(root / "app", {"main.go": MAIN}, module="example.com/app")
    with (app / "go.mod").open("a") as mod:
        mod.write("\nrequire example.com/dep v1.0.0\n\nreplace example.com/dep => ../dep\n")
    return app


@pytest.mark.parametrize("goos", ["js", pytest.param("wasip1", marks=pytest.mark.slow)])  # wasip1: wasmtime, ~25 s
def test_wasm_build_info_matches_what_the_program_reads(build_go: BuildGo, replaced_module: Path,
                                                        goos: str) -> None:
    wasm = build_go(replaced_module, goos, "wasm")
    ran = run_captured(wasm, timeout=300)
    assert ran.ok, (ran.reason, ran.stderr)
    oracle = json.loads(ran.stdout or "")
    info = inspect(wasm)
    assert (info.goos, info.goarch, info.format) == (goos, "wasm", "wasm")
    assert info.main_path == oracle["path"] == "example.com/app"
    assert info.main_module is not None and (info.main_module.path, info.main_module.version) == (
        oracle["main"]["Path"], oracle["main"]["Version"])
    assert info.deps is not None
    assert [(d.path, d.version, d.replace and (d.replace.path, d.replace.version)) for d in info.deps] == [
        (d["Path"], d["Version"], d["Replace"] and (d["Replace"]["Path"], d["Replace"]["Version"]))
        for d in oracle["deps"]]
    assert info.deps[0].replace is not None and info.deps[0].replace.path == "../dep"
    assert dict(info.build_settings) == oracle["settings"]
    assert info.build_settings["GOOS"] == goos
    record = to_json(info)
    assert record["deps"][0]["replace"]["path"] == "../dep"


def test_deps_are_null_when_there_is_no_build_info(tmp_path: Path) -> None:
    """Not an empty list (which would claim "no dependencies"): null, the field could not be read."""
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n")
    info = inspect(text)
    assert info.deps is None and info.main_path is None and to_json(info)["deps"] is None
