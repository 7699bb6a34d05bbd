"""`gocross release`: reproducible archives, checksums, SBOMs, Linux packages and signatures from a build.

Small modules, one concept each: ``version`` (tag, commit time, clean tree), ``archives`` (tar.gz/zip),
``checksums``, ``sbom`` (CycloneDX from Go build info), ``packages`` (nfpm), ``sign`` (gpg/ssh), and
``pipeline`` which runs them on the executor and publishes the result atomically.
"""

from __future__ import annotations

from gocross.release.pipeline import ReleaseOptions, ReleaseProgress, ReleaseResult, release
from gocross.release.sign import SignMethod

__all__ = ["ReleaseOptions", "ReleaseProgress", "ReleaseResult", "SignMethod", "release"]
