"""A CycloneDX SBOM per archive, from the binary's own Go build info: exact, unlike a scanner's guess.

The build info the builder recorded (``Artifact.inspection``) already lists the main module, every
dependency with its version and go.sum hash, replacements, the Go version and the build settings; the SBOM
says exactly that. cyclonedx-python-lib writes the document (and validates it in the tests). It is
deterministic: the timestamp is the release's (commit time or SOURCE_DATE_EPOCH) and the serial number a
UUID derived from the binary's sha256 and the version, never the clock or a random number.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from gocross.binary.model import BinaryInfo, Module
from gocross.errors import ReleaseFailed

# One fixed namespace for gocross's serial numbers (uuid5 of it and the released binary's hash).
_NAMESPACE = uuid.UUID("7b2f4d52-2a4c-4a51-9d2e-6f1c2f9e1a01")
SBOM_FORMAT = "cyclonedx"
SBOM_SUFFIX = ".cdx.json"


def require_cyclonedx() -> None:
    """ReleaseFailed, before any work, when the SBOM library is missing (it comes with gocross[release])."""
    import importlib.util

    if importlib.util.find_spec("cyclonedx") is None or importlib.util.find_spec("packageurl") is None:
        raise ReleaseFailed("cyclonedx-python-lib, which writes the SBOMs, is not installed; run "
                            "`pip install 'gocross[release]'` (or pass --no-sbom).")


def _purl(module: Module) -> Any:
    from packageurl import PackageURL

    namespace, _, name = module.path.rpartition("/")
    version = module.version if module.version and module.version != "(devel)" else None
    return PackageURL("golang", namespace or None, name, version)


def _component(module: Module, kind: Any, bom_ref: str | None = None) -> Any:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component

    properties = []
    if module.sum:
        properties.append(Property(name="go:sum", value=module.sum))
    if module.replace is not None:
        properties.append(Property(name="go:replace",
                                   value=f"{module.replace.path} {module.replace.version}".strip()))
        if module.replace.sum:
            properties.append(Property(name="go:replace:sum", value=module.replace.sum))
    purl = _purl(module)
    return Component(name=module.path, version=module.version or None, type=kind, purl=purl,
                     bom_ref=bom_ref or purl.to_string(), properties=properties)


def sbom_json(inspection: Mapping[str, Any], *, binary_sha256: str, version: str, epoch: int) -> str:
    """The CycloneDX 1.6 JSON document for one released binary (from its recorded inspection)."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    info = BinaryInfo.from_json(inspection)
    if info.deps is None:  # no Go build info was read: an SBOM listing no dependencies would be a guess
        raise ReleaseFailed(f"{info.path} carries no readable Go build info, so its SBOM cannot list its "
                            "dependencies; rebuild it with Go 1.18 or newer, or release with --no-sbom.")
    main = info.main_module or Module(info.main_path or "main", "(devel)")
    application = _component(Module(main.path, version, main.sum, main.replace), ComponentType.APPLICATION,
                             bom_ref=f"{_purl(Module(main.path, version)).to_string()}")
    application.hashes.add(HashType(alg=HashAlgorithm.SHA_256, content=binary_sha256))
    settings = [("go:version", info.go_version or "")]
    settings += [(f"go:build:{k}", v) for k, v in sorted(info.build_settings.items())]
    for key, value in settings:
        application.properties.add(Property(name=key, value=value))
    bom = Bom(serial_number=uuid.uuid5(_NAMESPACE, f"{binary_sha256}:{version}"))
    bom.metadata.timestamp = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    bom.metadata.component = application
    deps = [_component(dep, ComponentType.LIBRARY) for dep in info.deps]
    for dep in deps:
        bom.components.add(dep)
    bom.register_dependency(application, deps)
    text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    return text + "\n"
