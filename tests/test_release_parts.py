"""The parts of `gocross release`, each on real files: archives, checksums, version, SBOM, package arches,
signatures with throwaway keys, and the [release] configuration."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from tests.conftest import REPO, write_module

from gocross import platforms
from gocross.config import load_config
from gocross.errors import ConfigError, UsageError
from gocross.executor import Executor
from gocross.release import archives, checksums, sign
from gocross.release.packages import PackageFormat, plan_packages
from gocross.release.version import resolve_source

EPOCH = 1704164645  # 2024-01-02T03:04:05Z
SBOM_FIXTURE = REPO / "tests" / "fixtures" / "sbom"


def _tree(root: Path) -> list[archives.Entry]:
    root.mkdir(parents=True)
    (root / "prog").write_bytes(os.urandom(0) + b"\x7fELF" + bytes(range(256)) * 400)
    (root / "README.md").write_text("# prog\n")
    (root / "LICENSE").write_text("MIT\n")
    (root / "prog").chmod(0o700)
    (root / "README.md").chmod(0o600)
    return [archives.Entry("prog", root / "prog", executable=True), archives.Entry("README.md", root / "README.md"),
            archives.Entry("LICENSE", root / "LICENSE")]


def test_tar_gz_is_byte_reproducible_with_pinned_metadata(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    archives.write_archive(a, archives.ArchiveFormat.TAR_GZ, _tree(tmp_path / "one"), epoch=EPOCH)
    entries = _tree(tmp_path / "elsewhere" / "two")
    os.utime(entries[0].source, (0, 12345))  # different mtimes and modes on disk change nothing
    archives.write_archive(b, archives.ArchiveFormat.TAR_GZ, list(reversed(entries)), epoch=EPOCH)
    assert a.read_bytes() == b.read_bytes()
    raw = a.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip header time 0
    assert not raw[3] & 0x08  # and no file name in it
    with tarfile.open(a) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["LICENSE", "README.md", "prog"]
        for m in members:
            assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", EPOCH)
        assert {m.name: m.mode for m in members} == {"LICENSE": 0o644, "README.md": 0o644, "prog": 0o755}
        extracted = tar.extractfile("prog")
        assert extracted is not None and extracted.read() == entries[0].source.read_bytes()
    assert gzip.decompress(raw)  # a valid stream end to end


def test_zip_is_reproducible_with_unix_modes_and_wrap_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    archives.write_archive(a, archives.ArchiveFormat.ZIP, _tree(tmp_path / "one"), epoch=EPOCH, prefix="p_1/")
    archives.write_archive(b, archives.ArchiveFormat.ZIP, _tree(tmp_path / "two"), epoch=EPOCH, prefix="p_1/")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["p_1/", "p_1/LICENSE", "p_1/README.md", "p_1/prog"]
        modes = {i.filename: i.external_attr >> 16 for i in infos[1:]}
        assert modes == {"p_1/LICENSE": 0o100644, "p_1/README.md": 0o100644, "p_1/prog": 0o100755}
        assert all(i.date_time == (2024, 1, 2, 3, 4, 4) for i in infos)  # DOS time: 2-second steps


def test_name_template_formats_and_extra_files(tmp_path: Path) -> None:
    name = archives.render_name(archives.DEFAULT_NAME, name="hello", version="1.2.3", goos="linux",
                                goarch="arm", variant_token="v6", target="linux/arm/v6")
    assert name == "hello_1.2.3_linux_arm_v6"
    with pytest.raises(UsageError, match="unknown field"):
        archives.render_name("{name}_{nope}", name="h", version="1", goos="l", goarch="a", variant_token="",
                             target="l/a")
    assert archives.archive_format("windows", {}) == archives.ArchiveFormat.ZIP
    assert archives.archive_format("linux", {}) == archives.ArchiveFormat.TAR_GZ
    assert archives.archive_format("darwin", {"darwin": "zip"}) == archives.ArchiveFormat.ZIP
    with pytest.raises(UsageError, match="'rar'"):
        archives.archive_format("linux", {"linux": "rar"})
    for name in ("README.md", "LICENSE", "CHANGELOG.md", "main.go"):
        (tmp_path / name).write_text("x")
    (tmp_path / "README.link").symlink_to(tmp_path / "main.go")
    found = archives.extra_files(tmp_path, archives.DEFAULT_FILES)
    assert [p.name for p in found] == ["CHANGELOG.md", "LICENSE", "README.md"]


def test_checksums_file_passes_sha256sum_check(tmp_path: Path) -> None:
    from gocross.artifacts import sha256_file

    for name in ("b.tar.gz", "a.zip", "c.deb"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    path = tmp_path / checksums.checksums_name("hello", "1.2.3")
    checksums.write_checksums(path, [(p.name, sha256_file(p)) for p in tmp_path.iterdir()])
    assert path.name == "hello_1.2.3_checksums.txt"
    assert [ln.split("  ")[1] for ln in path.read_text().splitlines()] == ["a.zip", "b.tar.gz", "c.deb"]
    done = subprocess.run(["sha256sum", "-c", path.name], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "a.zip").write_bytes(b"tampered")
    assert subprocess.run(["sha256sum", "-c", "--quiet", path.name], cwd=tmp_path, capture_output=True,
                          check=False).returncode != 0


def test_package_architecture_names_per_format() -> None:
    expected = {"amd64": ("amd64", "x86_64", "x86_64"), "arm64": ("arm64", "aarch64", "aarch64"),
                "arm": ("armhf", "armv7hl", "armv7"), "ppc64le": ("ppc64el", "ppc64le", "ppc64le"),
                "s390x": ("s390x", "s390x", "s390x"), "riscv64": ("riscv64", "riscv64", "riscv64"),
                "386": ("i386", "i386", "x86"), "ppc64": ("ppc64", "ppc64", None)}
    for goarch, names in expected.items():
        record = platforms.ARCHES[goarch]
        assert tuple(record.package_arch(f) for f in ("deb", "rpm", "apk")) == names, goarch
    assert platforms.ARCHES["arm"].package_arch("deb", "5") == "armel"
    assert platforms.ARCHES["arm"].package_arch("rpm", "6") == "armv6hl"
    for record in platforms.ARCHES.values():  # every Linux ELF architecture has at least a deb and an rpm name
        if record.elf is not None:
            assert record.deb and record.rpm, record.goarch
    jobs = plan_packages("hello", "1.2.3", [("linux/ppc64", "ppc64", None, Path("/x"))], tuple(PackageFormat))
    assert [j.file_name for j in jobs] == ["hello_1.2.3_ppc64.deb", "hello-1.2.3-1.ppc64.rpm"]  # Alpine: none
    with pytest.raises(UsageError, match="both give the package"):
        plan_packages("h", "1", [("linux/arm/v6", "arm", "6", Path("/x")), ("linux/arm/v7", "arm", "7", Path("/y"))],
                      (PackageFormat.DEB,))


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z"}
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, env=env,
                   check=True, capture_output=True)


def test_version_from_tag_commit_time_and_dirty_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = write_module(tmp_path / "repo", {"main.go": "package main\nfunc main() {}\n", ".gitignore": "dist/\n"})
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    with pytest.raises(UsageError, match=re.escape("no tag like v1.2.3")):
        resolve_source(repo, repo / "dist", None, allow_dirty=False)
    _git(repo, "tag", "v1.2.3")
    source = resolve_source(repo, repo / "dist", None, allow_dirty=False)
    assert (source.version, source.epoch, len(source.commit or "")) == ("1.2.3", EPOCH, 40)
    assert resolve_source(repo, repo / "dist", "v2.0.0", allow_dirty=False).version == "2.0.0"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000")
    assert resolve_source(repo, repo / "dist", None, allow_dirty=False).epoch == 1000
    (repo / "dist").mkdir()
    (repo / "dist" / "x").write_text("output is not dirt")
    resolve_source(repo, repo / "dist", None, allow_dirty=False)
    (repo / "main.go").write_text("package main\nfunc main() { }\n")
    with pytest.raises(UsageError, match=r"uncommitted changes \(main.go\).*--allow-dirty"):
        resolve_source(repo, repo / "dist", None, allow_dirty=False)
    assert resolve_source(repo, repo / "dist", None, allow_dirty=True).dirty == ("main.go",)


def test_release_config_section(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.go": "package main\nfunc main() {}\n", "gocross.toml": """
        [release]
        name = "{name}-{version}-{target}"
        formats = { linux = "zip" }
        files = ["NOTES*"]
        packages = ["deb"]
        sign = "ssh"

        [release.package]
        maintainer = "Jane <jane@example.com>"
        depends = ["ca-certificates"]
        contents = [{ src = "hello.service", dst = "/lib/systemd/system/hello.service" }]
        """})
    config = load_config(tmp_path).release
    assert (config.name, config.formats, config.files, config.packages, config.sign) == (
        "{name}-{version}-{target}", {"linux": "zip"}, ("NOTES*",), ("deb",), "ssh")
    assert config.package.depends == ("ca-certificates",)
    assert config.package.contents == (("hello.service", "/lib/systemd/system/hello.service"),)
    (tmp_path / "gocross.toml").write_text('[release]\nformat = "zip"\n')
    with pytest.raises(ConfigError, match=re.escape("unknown key 'release.format'")):
        load_config(tmp_path)
    (tmp_path / "gocross.toml").write_text('[release.package]\nmaintainer = 3\n')
    with pytest.raises(ConfigError, match=re.escape("'release.package.maintainer' has the wrong type")):
        load_config(tmp_path)


@pytest.fixture
def gnupg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A throwaway GnuPG home with one passphrase-less ed25519 key; returns its fingerprint."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Release Test <rel@example.com>",
                    "ed25519", "sign", "never"], check=True, capture_output=True)
    out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], check=True, capture_output=True,
                         text=True).stdout
    fingerprint = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
    yield fingerprint
    subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gnupg is installed by scripts/test.sh")
def test_gpg_signature_verifies_and_a_bad_key_is_one_sentence(tmp_path: Path, gnupg_home: str) -> None:
    data = tmp_path / "sums.txt"
    data.write_text("abc  file\n")
    with Executor(1) as ex:
        sign.sign(ex, sign.SignMethod.GPG, gnupg_home, data, tmp_path / "sums.txt.asc")
        with pytest.raises(UsageError, match=re.escape("could not sign with the key nobody@example.invalid")):
            sign.sign(ex, sign.SignMethod.GPG, "nobody@example.invalid", data, tmp_path / "bad.asc")
    sign.check_key(sign.SignMethod.GPG, gnupg_home)
    with pytest.raises(UsageError, match=re.escape("gpg cannot sign with the key nobody@example.invalid")):
        sign.check_key(sign.SignMethod.GPG, "nobody@example.invalid")
    assert not (tmp_path / "bad.asc").exists()
    ok = subprocess.run(["gpg", "--batch", "--verify", str(tmp_path / "sums.txt.asc"), str(data)],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "Good signature" in ok.stderr, ok.stderr
    data.write_text("tampered\n")
    assert subprocess.run(["gpg", "--batch", "--verify", str(tmp_path / "sums.txt.asc"), str(data)],
                          capture_output=True, check=False).returncode != 0


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gnupg is installed by scripts/test.sh")
def test_gpg_signature_is_reproducible_from_the_epoch(tmp_path: Path, gnupg_home: str) -> None:
    """Two signings a second apart (wall clock) give the same bytes; an epoch older than the key signs at the
    key's creation time, so the signature still verifies."""
    data = tmp_path / "sums.txt"
    data.write_text("abc  file\n")
    created = sign.key_created(gnupg_home)
    assert created > 1_600_000_000
    with Executor(1) as ex:
        for epoch in (created + 100, 1_500_000_000):
            outs = [tmp_path / f"{epoch}-{i}.asc" for i in range(2)]
            for out in outs:
                sign.sign(ex, sign.SignMethod.GPG, gnupg_home, data, out, epoch=epoch)
                time.sleep(1.1)
            assert outs[0].read_bytes() == outs[1].read_bytes()
            ok = subprocess.run(["gpg", "--batch", "--verify", str(outs[0]), str(data)], capture_output=True,
                                text=True, check=False)
            assert ok.returncode == 0 and "Good signature" in ok.stderr, ok.stderr
    assert (tmp_path / f"{created + 100}-0.asc").read_bytes() != (tmp_path / "1500000000-0.asc").read_bytes()


def _ssh_key(tmp_path: Path) -> Path:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rel@example.com", "-f", str(key)],
                   check=True)
    return key


def test_ssh_signature_verifies_and_is_deterministic(tmp_path: Path) -> None:
    key = _ssh_key(tmp_path)
    data = tmp_path / "sums.txt"
    data.write_text("abc  file\n")
    with Executor(1) as ex:
        sign.sign(ex, sign.SignMethod.SSH, str(key), data, tmp_path / "sums.txt.sig")
        first = (tmp_path / "sums.txt.sig").read_bytes()
        sign.sign(ex, sign.SignMethod.SSH, str(key), data, tmp_path / "sums.txt.sig")
    assert (tmp_path / "sums.txt.sig").read_bytes() == first
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"rel@example.com {Path(f'{key}.pub').read_text()}")
    verify = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "rel@example.com", "-n", sign.SSH_NAMESPACE,
              "-s", str(tmp_path / "sums.txt.sig")]
    ok = subprocess.run(verify, input=data.read_bytes(), capture_output=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert subprocess.run(verify, input=b"tampered", capture_output=True, check=False).returncode != 0
    with pytest.raises(UsageError, match="not a file"):
        sign.signing_key(sign.SignMethod.SSH, str(tmp_path / "missing"))
    sign.check_key(sign.SignMethod.SSH, str(key))
    locked = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(locked)], check=True)
    with pytest.raises(UsageError, match="ssh-keygen cannot sign with the key"):
        sign.check_key(sign.SignMethod.SSH, str(locked))


def test_sbom_lists_exactly_what_go_version_m_prints(toolchain: object, tmp_path: Path) -> None:
    """A module with two real (local, replaced) dependencies: the SBOM names each, as `go version -m` does."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from gocross.artifacts import sha256_file
    from gocross.binary import inspect, to_json
    from gocross.release.sbom import sbom_json

    src = tmp_path / "sbom"
    shutil.copytree(SBOM_FIXTURE, src)
    binary = tmp_path / "app"
    go = str(toolchain.go)  # type: ignore[attr-defined]
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run([go, "build", "-trimpath", "-o", str(binary), "."], cwd=src / "app", env=env, check=True)
    listing = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=True).stdout
    lines = [ln.strip().split("\t") for ln in listing.splitlines()[1:]]
    deps = {(f[1], f[2]) for f in lines if f[0] == "dep"}
    replaced = [f[1] for f in lines if f[0] == "=>"]
    assert deps == {("example.com/greet", "v1.4.0"), ("example.com/words", "v0.2.1")}
    text = sbom_json(to_json(inspect(binary, runs_here=False)), binary_sha256=sha256_file(binary),
                     version="1.2.3", epoch=EPOCH)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert {(c["name"], c["version"]) for c in doc["components"]} == deps
    replaces = sorted(p["value"] for c in doc["components"] for p in c["properties"] if p["name"] == "go:replace")
    assert replaces == sorted(f"{r} (devel)" for r in replaced)
    main = doc["metadata"]["component"]
    assert (main["name"], main["version"], main["hashes"][0]["content"]) == ("example.com/app", "1.2.3",
                                                                              sha256_file(binary))
    props = {p["name"]: p["value"] for p in main["properties"]}
    assert props["go:version"] == listing.splitlines()[0].split()[-1]
    assert props["go:build:GOOS"] == "linux" and props["go:build:-trimpath"] == "true"
    assert doc["metadata"]["timestamp"].startswith("2024-01-02T03:04:05")
    again = sbom_json(to_json(inspect(binary, runs_here=False)), binary_sha256=sha256_file(binary),
                      version="1.2.3", epoch=EPOCH)
    assert again == text  # no clock, no random serial number
    assert doc["serialNumber"].startswith("urn:uuid:")


def test_spdx_sbom_is_valid_deterministic_and_lists_exactly_what_go_version_m_prints(toolchain: object,
                                                                                       tmp_path: Path) -> None:
    """The same module as the CycloneDX test: spdx-tools' own parser and validator accept the document, whose
    packages are the main module plus exactly `go version -m`'s deps; no clock, no random namespace."""
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    from gocross.artifacts import sha256_file
    from gocross.binary import inspect, to_json
    from gocross.release.sbom import spdx_json

    src = tmp_path / "sbom"
    shutil.copytree(SBOM_FIXTURE, src)
    binary = tmp_path / "app"
    go = str(toolchain.go)  # type: ignore[attr-defined]
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run([go, "build", "-trimpath", "-o", str(binary), "."], cwd=src / "app", env=env, check=True)
    listing = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=True).stdout
    lines = [ln.strip().split("\t") for ln in listing.splitlines()[1:]]
    deps = {(f[1], f[2]) for f in lines if f[0] == "dep"}
    assert len(deps) == 2
    text = spdx_json(to_json(inspect(binary, runs_here=False)), name="app", binary_sha256=sha256_file(binary),
                     version="1.2.3", epoch=EPOCH)
    path = tmp_path / "app.spdx.json"
    path.write_text(text)
    assert validate_full_spdx_document(parse_file(str(path))) == []
    doc = json.loads(text)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["creationInfo"]["created"] == "2024-01-02T03:04:05Z"
    main_id = doc["documentDescribes"][0] if "documentDescribes" in doc else next(
        r["relatedSpdxElement"] for r in doc["relationships"] if r["relationshipType"] == "DESCRIBES")
    packages = {p["SPDXID"]: p for p in doc["packages"]}
    main = packages.pop(main_id)
    assert (main["name"], main["versionInfo"]) == ("example.com/app", "1.2.3")
    assert main["checksums"] == [{"algorithm": "SHA256", "checksumValue": sha256_file(binary)}]
    assert {(p["name"], p["versionInfo"]) for p in packages.values()} == deps
    depends = {r["relatedSpdxElement"] for r in doc["relationships"] if r["relationshipType"] == "DEPENDS_ON"}
    assert depends == set(packages)
    again = spdx_json(to_json(inspect(binary, runs_here=False)), name="app", binary_sha256=sha256_file(binary),
                      version="1.2.3", epoch=EPOCH)
    assert again == text
    other = spdx_json(to_json(inspect(binary, runs_here=False)), name="app", binary_sha256=sha256_file(binary),
                      version="1.2.4", epoch=EPOCH)
    assert json.loads(other)["documentNamespace"] != doc["documentNamespace"]
