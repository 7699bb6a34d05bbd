"""`gocross release` end to end: the post's server released for real, packages inspected and installed with
the distributions' own tools, two releases from two clones compared byte for byte, and every bad input."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from tests.conftest import HELLO, POST_TARGETS, write_module
from tests.helpers import assert_clean_error, gocross

from gocross.artifacts import ReleaseKind, read_manifest, sha256_file

COMMIT_DATE = "2024-01-02T03:04:05Z"
EPOCH = 1704164645
RELEASE_TARGETS = (*POST_TARGETS, "windows/amd64", "darwin/arm64")  # the post's five linux arches + two more


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE}
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    *args], cwd=cwd, env=env, check=True, capture_output=True)


def _hello_repo(path: Path, tag: str | None = "v1.2.3", extra: dict[str, str] | None = None) -> Path:
    """examples/hello with a README, a LICENSE and a gitignored dist/, committed (at a fixed time) and tagged."""
    shutil.copytree(HELLO, path, ignore=shutil.ignore_patterns("dist"))
    (path / "README.md").write_text("# hello\n\nThe post's server.\n")
    (path / "LICENSE").write_text("MIT License\n")
    (path / ".gitignore").write_text("dist/\n")
    for name, text in (extra or {}).items():
        (path / name).write_text(text)
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "release me")
    if tag:
        _git(path, "tag", tag)
    return path


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()} if folder.is_dir() else {}


def _release_files(folder: Path) -> dict[str, bytes]:
    """Every file in dist except gocross's own records (artifacts.json holds the build folder and timings)."""
    return {k: v for k, v in _listing(folder).items() if k not in ("artifacts.json", ".gocross-state.json")}


@pytest.fixture(scope="module")
def amd64_release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The post's server released for linux/amd64 (the host: its standard library is in the test GOCACHE)."""
    config = ('[release.package]\ndepends = ["ca-certificates"]\n'
              'contents = [{ src = "hello.service", dst = "/lib/systemd/system/hello.service" }]\n')
    repo = _hello_repo(tmp_path_factory.mktemp("rel") / "hello",
                       extra={"gocross.toml": config, "hello.service": "[Service]\nExecStart=/usr/bin/hello\n"})
    proc = gocross("release", repo, "--target", "linux/amd64", "--json")
    assert proc.returncode == 0, proc.stderr
    return repo / "dist", json.loads(proc.stdout)


def test_release_json_and_manifest_list_every_file(amd64_release: tuple[Path, dict[str, object]]) -> None:
    dist, printed = amd64_release
    manifest = read_manifest(dist)
    names = sorted(f.path.name for f in manifest.release)
    assert names == ["hello-1.2.3-1.x86_64.rpm", "hello_1.2.3_amd64.deb", "hello_1.2.3_checksums.txt",
                     "hello_1.2.3_linux_amd64.cdx.json", "hello_1.2.3_linux_amd64.spdx.json",
                     "hello_1.2.3_linux_amd64.tar.gz", "hello_1.2.3_x86_64.apk"]
    for f in manifest.release:  # the manifest claims nothing that is not on disk, byte for byte
        assert f.path.is_file() and f.path.stat().st_size == f.size and sha256_file(f.path) == f.sha256
        assert f.target == (None if f.kind == ReleaseKind.CHECKSUMS else "linux/amd64")
    assert {str(f.kind) for f in manifest.release} == {"archive", "sbom", "package", "checksums"}
    assert printed["version"] == "1.2.3"
    assert [e["path"] for e in printed["release"]] == names  # type: ignore[index]
    assert not list(dist.glob(".gocross-release-*"))
    binary = manifest.built[0].path
    assert binary is not None
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1.2.3"  # the version is stamped into the binary


def test_deb_and_rpm_read_by_their_own_tools(amd64_release: tuple[Path, dict[str, object]]) -> None:
    dist, _ = amd64_release
    info = subprocess.run(["dpkg-deb", "--info", str(dist / "hello_1.2.3_amd64.deb")], capture_output=True,
                          text=True, check=True).stdout
    assert " Package: hello" in info and " Version: 1.2.3" in info and " Architecture: amd64" in info
    assert " Depends: ca-certificates" in info
    contents = subprocess.run(["dpkg-deb", "--contents", str(dist / "hello_1.2.3_amd64.deb")],
                              capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in contents.splitlines() if ln.endswith("./usr/bin/hello"))
    assert line.startswith("-rwxr-xr-x root/root"), line
    unit = next(ln for ln in contents.splitlines() if ln.endswith("./lib/systemd/system/hello.service"))
    assert unit.startswith("-rw-r--r-- root/root"), unit
    rpm = subprocess.run(["rpm", "-qip", str(dist / "hello-1.2.3-1.x86_64.rpm")], capture_output=True, text=True,
                         check=True).stdout
    fields = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in rpm.splitlines()) if v}
    assert (fields["Name"], fields["Version"], fields["Architecture"]) == ("hello", "1.2.3", "x86_64")
    assert fields["Build Host"] == "gocross"  # not this machine's name: two machines give the same rpm
    files = subprocess.run(["rpm", "-qlp", str(dist / "hello-1.2.3-1.x86_64.rpm")], capture_output=True, text=True,
                           check=True).stdout.split()
    assert files == ["/lib/systemd/system/hello.service", "/usr/bin/hello"]


def test_release_from_a_build_reuses_it_and_is_identical(amd64_release: tuple[Path, dict[str, object]],
                                                          tmp_path: Path) -> None:
    dist, _ = amd64_release
    before = _release_files(dist)
    proc = gocross("release", "--from", dist, "--out", tmp_path / "again", "--no-packages")
    assert proc.returncode == 0, proc.stderr
    again = _release_files(tmp_path / "again")
    assert sorted(again) == ["hello_1.2.3_checksums.txt", "hello_1.2.3_linux_amd64.cdx.json",
                             "hello_1.2.3_linux_amd64.spdx.json",
                             "hello_1.2.3_linux_amd64.tar.gz", "hello_linux_amd64"]  # not rebuilt; binary copied
    for name in ("hello_1.2.3_linux_amd64.cdx.json", "hello_1.2.3_linux_amd64.spdx.json",
                 "hello_1.2.3_linux_amd64.tar.gz"):
        assert again[name] == before[name]
    assert "hello_1.2.3_checksums.txt" in proc.stdout  # the summary table
    subprocess.run(["sha256sum", "-c", "--strict", "hello_1.2.3_checksums.txt"], cwd=tmp_path / "again", check=True,
                   capture_output=True)
    moved = read_manifest(tmp_path / "again")  # the binary the archive was made from came along: nothing claimed
    for artifact in moved.built:  # is missing from that folder
        assert artifact.path is not None and artifact.path.parent == (tmp_path / "again").resolve()
        assert sha256_file(artifact.path) == artifact.sha256 and os.access(artifact.path, os.X_OK)
    assert [a.target for a in moved.built] == ["linux/amd64"]
    for f in moved.release:
        assert f.path.is_file() and sha256_file(f.path) == f.sha256


def test_bad_inputs_are_one_sentence_and_write_nothing(amd64_release: tuple[Path, dict[str, object]],
                                                       tmp_path: Path) -> None:
    dist, _ = amd64_release
    before = _listing(dist)
    cases = [
        ((), {"GOCROSS_NFPM": str(tmp_path / "no-nfpm")}, 8, "nfpm"),
        (("--sign", "ssh", "--key", str(tmp_path / "missing-key")), {}, 2, "SSH signing key"),
        (("--sign", "gpg", "--key", "nobody@example.invalid"), {"GNUPGHOME": str(tmp_path)}, 2,
         "cannot sign with the key nobody@example.invalid"),
        (("--version", "bad version"), {}, 2, "is not a version"),
    ]
    for args, env, code, needle in cases:
        proc = gocross("release", "--from", dist, *args, env={**os.environ, **env})
        assert_clean_error(proc, code, needle)
        assert _listing(dist) == before, args  # nothing half written, nothing replaced
        assert not list(dist.glob(".gocross-release-*"))
    changed = tmp_path / "changed"
    shutil.copytree(dist, changed)
    (changed / "hello_linux_amd64").write_bytes(b"not the binary that was built")
    assert_clean_error(gocross("release", "--from", changed, "--no-packages"), 5, "changed since it was built")
    assert not [p for p in changed.iterdir() if p.name.startswith(".gocross-release-")]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert_clean_error(gocross("release", "--from", dist, "--out", blocker / "dist"), 4, "Cannot write")


def test_release_builds_with_the_build_flags(tmp_path: Path) -> None:
    """release builds as `gocross build` does, with its flags: a name template, --strip, and a shared cache
    folder that the build fills; with --from, a build flag is refused by name."""
    repo = _hello_repo(tmp_path / "repo")
    shared = tmp_path / "shared-cache"
    proc = gocross("release", repo, "-t", "linux/amd64", "--no-packages", "--no-sbom", "--strip",
                   "--name", "srv-{os}-{arch}", "--cache", shared, "--json")
    assert proc.returncode == 0, proc.stderr
    binary = repo / "dist" / "srv-linux-amd64"
    info = json.loads(gocross("inspect", "--json", binary).stdout)[0]
    assert info["stripped"] is True and info["main_module"]["version"] == "v1.2.3"
    assert any(p.is_file() for p in shared.rglob("*")), "the shared cache folder got no entries"
    with tarfile.open(repo / "dist" / "repo_1.2.3_linux_amd64.tar.gz") as tar:  # the binary as the program's name
        member = tar.extractfile("repo")
        assert member is not None and member.read() == binary.read_bytes()
    assert_clean_error(gocross("release", "--from", repo / "dist", "--strip", "--cache", "off"), 2,
                       "drop --strip/--cache")


def test_missing_version_and_dirty_tree_are_refused(tmp_path: Path) -> None:
    untagged = _hello_repo(tmp_path / "untagged", tag=None)
    assert_clean_error(gocross("release", untagged, "-t", "linux/amd64"), 2, "no tag like v1.2.3", "--version")
    assert not (untagged / "dist").exists()  # refused before building anything
    dirty = _hello_repo(tmp_path / "dirty")
    (dirty / "main.go").write_text((dirty / "main.go").read_text() + "\n// edited\n")
    assert_clean_error(gocross("release", dirty, "-t", "linux/amd64"), 2, "uncommitted changes (main.go)",
                       "--allow-dirty")
    assert not (dirty / "dist").exists()


def test_a_failed_target_releases_nothing(tmp_path: Path) -> None:
    repo = write_module(tmp_path / "broken", {
        "main.go": "package main\n\nfunc main() { hello() }\n",
        "hello_linux.go": "package main\n\nfunc hello() {}\n",  # no hello() for windows: that target fails
    })
    (repo / ".gitignore").write_text("dist/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "x")
    proc = gocross("release", repo, "-t", "linux/amd64,windows/amd64", "--version", "1.0.0")
    assert proc.returncode == 5 and "Traceback" not in proc.stderr
    assert " failed  windows/amd64" in proc.stderr  # the build's progress line
    assert proc.stderr.splitlines()[-1].startswith("gocross: error: Nothing was released: 1 target(s) did not "
                                                   "build (windows/amd64) — windows/amd64: ")
    assert "undefined: hello" in proc.stderr.splitlines()[-1]
    made = sorted(p.name for p in (repo / "dist").iterdir())
    assert not [n for n in made if n.endswith((".tar.gz", ".zip", ".deb", ".rpm", ".apk", ".txt", ".json"))
                and n not in ("artifacts.json", ".gocross-state.json")], made
    assert not read_manifest(repo / "dist").release


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_installed(port: int) -> str:
    proc = subprocess.Popen(["/usr/bin/hello"], env={**os.environ, "PORT": str(port)}, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    return str(response.read().decode())
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow  # seven targets built twice (two clones), and nfpm for five linux arches × three formats
def test_post_release_is_reproducible_installable_and_signed(tmp_path: Path) -> None:
    origin = _hello_repo(tmp_path / "origin", extra={"gocross.toml": '[release]\nsign = "ssh"\n\n'
                                                     '[release.package]\nmaintainer = "Gopher <g@example.com>"\n'
                                                     'description = "hello world server"\nlicense = "MIT"\n'})
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rel", "-f", str(key)], check=True)
    clones = [tmp_path / "a" / "hello", tmp_path / "elsewhere" / "deeper" / "hello"]
    for clone in clones:
        clone.parent.mkdir(parents=True)
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        env = {**os.environ, "GOCROSS_SSH_KEY": str(key)}
        proc = gocross("release", clone, "--target", ",".join(RELEASE_TARGETS), env=env)
        assert proc.returncode == 0, proc.stderr
    first, second = (_release_files(c / "dist") for c in clones)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []  # byte for byte, every file in dist
    dist = clones[0] / "dist"

    # archives: contents and modes
    for target in RELEASE_TARGETS:
        goos, goarch = target.split("/")
        if goos == "windows":
            with zipfile.ZipFile(dist / f"hello_1.2.3_{goos}_{goarch}.zip") as zf:
                assert zf.namelist() == ["LICENSE", "README.md", "hello.exe"]
                assert zf.getinfo("hello.exe").external_attr >> 16 == 0o100755
                assert zf.read("hello.exe")[:2] == b"MZ"
            continue
        with tarfile.open(dist / f"hello_1.2.3_{goos}_{goarch}.tar.gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            assert list(members) == ["LICENSE", "README.md", "hello"]
            assert (members["hello"].mode, members["README.md"].mode) == (0o755, 0o644)
            assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, EPOCH)}
            payload = tar.extractfile("hello")
            assert payload is not None
            assert payload.read() == (dist / f"hello_{goos}_{goarch}").read_bytes()
    subprocess.run(["sha256sum", "-c", "--strict", "hello_1.2.3_checksums.txt"], cwd=dist, check=True,
                   capture_output=True)
    listed = [ln.split("  ")[1] for ln in (dist / "hello_1.2.3_checksums.txt").read_text().splitlines()]
    # archives, deb+rpm per linux arch, apk where Alpine has the arch, a CycloneDX and an SPDX SBOM per archive
    assert len(listed) == 7 + 5 * 2 + 4 + 7 * 2
    assert "hello_1.2.3_ppc64.apk" not in listed and "hello_1.2.3_ppc64el.deb" in listed

    # the ssh signature of the checksums file verifies with the public key
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"rel {Path(f'{key}.pub').read_text()}")
    with (dist / "hello_1.2.3_checksums.txt").open("rb") as data:
        subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "rel", "-n", "file", "-s",
                        str(dist / "hello_1.2.3_checksums.txt.sig")], stdin=data, check=True, capture_output=True)

    # per-format architecture names, read back by the formats' own tools
    arm64 = subprocess.run(["dpkg-deb", "--field", str(dist / "hello_1.2.3_arm64.deb"), "Architecture",
                            "Maintainer"], capture_output=True, text=True, check=True).stdout
    assert arm64.splitlines() == ["Architecture: arm64", "Maintainer: Gopher <g@example.com>"]
    for rpm_file, arch in (("hello-1.2.3-1.aarch64.rpm", "aarch64"), ("hello-1.2.3-1.s390x.rpm", "s390x")):
        out = subprocess.run(["rpm", "-qp", "--qf", "%{ARCH} %{LICENSE} %{SUMMARY}", str(dist / rpm_file)],
                             capture_output=True, text=True, check=True).stdout
        assert out == f"{arch} MIT hello world server"

    # the CycloneDX SBOMs validate against the schema
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for sbom in dist.glob("*.cdx.json"):
        assert validator.validate_str(sbom.read_text()) is None, sbom

    # the amd64 .deb installs for real and its /usr/bin/hello serves "hello world"
    if Path("/usr/bin/hello").exists() or os.geteuid() != 0:
        pytest.skip("installing the .deb needs root and a free /usr/bin/hello")
    subprocess.run(["dpkg", "-i", str(dist / "hello_1.2.3_amd64.deb")], check=True, capture_output=True)
    try:
        assert _serve_installed(_free_port()) == "hello world\n"
    finally:
        subprocess.run(["dpkg", "-r", "hello"], check=True, capture_output=True)
    assert not Path("/usr/bin/hello").exists()
