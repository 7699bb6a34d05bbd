"""A CycloneDX and an SPDX 2.3 SBOM per archive, from the binary's own Go build info: exact, unlike a scanner's guess.

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

    if any(importlib.util.find_spec(m) is None for m in ("cyclonedx", "packageurl", "spdx_tools")):
        raise ReleaseFailed("cyclonedx-python-lib or spdx-tools, which write the SBOMs, is not installed; run "
                            "`pip install 'gocross[release]'` (or pass --no-sbom).")
    # Loaded here, in one thread, before the archive threads write SBOMs: spdx-tools' model modules import
    # one another in a cycle, and two threads importing them at once failed with "cannot import name
    # 'CreationInfo' from partially initialized module" (seen in CI).
    import cyclonedx.model.bom
    import cyclonedx.model.component
    import cyclonedx.output.json  # noqa: F401
    import packageurl  # noqa: F401
    import spdx_tools.spdx.model
    import spdx_tools.spdx.writer.json.json_writer  # noqa: F401


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


SPDX_FORMAT = "spdx"
SPDX_SUFFIX = ".spdx.json"


def _spdx_id(kind: str, index: int, path: str) -> str:
    """An SPDX element id (letters, digits, '.' and '-' only), unique by index, readable by the module path."""
    return f"SPDXRef-{kind}-{index}-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in path)


def spdx_json(inspection: Mapping[str, Any], *, name: str, binary_sha256: str, version: str, epoch: int) -> str:
    """The SPDX 2.3 JSON document for one released binary, written (and validated) by spdx-tools.

    Deterministic like the CycloneDX one: ``created`` is the release's epoch and the documentNamespace a
    UUID derived from the binary's sha256 and the version (SPDX wants it unique per document, not random).
    """
    import io

    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
    from spdx_tools.spdx.model.document import CreationInfo, Document
    from spdx_tools.spdx.model.package import ExternalPackageRef, ExternalPackageRefCategory, Package
    from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    info = BinaryInfo.from_json(inspection)
    if info.deps is None:
        raise ReleaseFailed(f"{info.path} carries no readable Go build info, so its SBOM cannot list its "
                            "dependencies; rebuild it with Go 1.18 or newer, or release with --no-sbom.")
    main = info.main_module or Module(info.main_path or "main", "(devel)")

    def package(spdx_id: str, module: Module, module_version: str) -> Package:
        notes = [f"go.sum {module.sum}"] if module.sum else []
        if module.replace is not None:
            notes.append(f"replaced by {module.replace.path} {module.replace.version}".strip())
        purl = _purl(Module(module.path, module_version)).to_string()
        return Package(spdx_id, module.path, SpdxNoAssertion(), version=module_version or None,
                       files_analyzed=False, comment="; ".join(notes) or None,
                       external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl",
                                                               purl)])

    app_id = _spdx_id("Package", 0, main.path)
    application = package(app_id, Module(main.path, version, main.sum, main.replace), version)
    application.checksums = [Checksum(ChecksumAlgorithm.SHA256, binary_sha256)]
    settings = [f"go {info.go_version or ''}"] + [f"{k}={v}" for k, v in sorted(info.build_settings.items())]
    application.comment = "; ".join(filter(None, [application.comment, "build: " + ", ".join(settings)]))
    deps = [package(_spdx_id("Package", i, dep.path), dep, dep.version) for i, dep in enumerate(info.deps, 1)]
    serial = uuid.uuid5(_NAMESPACE, f"spdx:{binary_sha256}:{version}")
    creation = CreationInfo("SPDX-2.3", "SPDXRef-DOCUMENT", f"{name}-{version}",
                            f"https://spdx.org/spdxdocs/{name}-{version}-{serial}",
                            [Actor(ActorType.TOOL, "gocross")],
                            datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC))
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, app_id)]
    relationships += [Relationship(app_id, RelationshipType.DEPENDS_ON, d.spdx_id) for d in deps]
    document = Document(creation, packages=[application, *deps], relationships=relationships)
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=True)
    return stream.getvalue().rstrip("\n") + "\n"
