"""gocross: build a Go program for every OS and architecture, tell what each binary is, run and test it here.

The public library API is re-exported here lazily, so importing gocross costs nothing until it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "find_toolchain": "gocross.toolchain",
    "Toolchain": "gocross.toolchain",
    "list_targets": "gocross.targets",
    "select_targets": "gocross.targets",
    "Target": "gocross.targets",
    "TargetInfo": "gocross.targets",
    "build": "gocross.builder",
    "BuildOptions": "gocross.plan",
    "BuildResult": "gocross.builder",
    "Artifact": "gocross.artifacts",
    "ArtifactStatus": "gocross.artifacts",
    "Manifest": "gocross.artifacts",
    "read_manifest": "gocross.artifacts",
    "inspect": "gocross.binary",
    "BinaryInfo": "gocross.binary.model",
    "run": "gocross.launch",
    "RunResult": "gocross.launch",
    "RunPlan": "gocross.launch",
    "RunOutcome": "gocross.launch",
    "plan_for": "gocross.launch",
    "plan_for_artifact": "gocross.launch",
    "choose_runner": "gocross.runners",
    "RunnerChoice": "gocross.runners",
    "smoke": "gocross.smoketest",
    "SmokeOptions": "gocross.smoketest",
    "SmokeReport": "gocross.smoketest",
    "SmokeStatus": "gocross.smoketest",
    "doctor": "gocross.checkup",
    "DoctorReport": "gocross.checkup",
    "test": "gocross.gotest",
    "TestOptions": "gocross.gotest",
    "TestRun": "gocross.gotest",
    # `gocross release` is gocross.release.release (the subpackage holds the name `gocross.release`)
    "ReleaseOptions": "gocross.release.pipeline",
    "ReleaseResult": "gocross.release.pipeline",
    "ReleaseFile": "gocross.artifacts",
    "ReleaseKind": "gocross.artifacts",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gocross' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
