"""Opt-in detached signatures of the checksums file: GnuPG (``gpg --detach-sign``) or an SSH key
(``ssh-keygen -Y sign``). Signing the checksums file signs every archive and package it lists.

Both tools are the users' own: the key is theirs (a GnuPG key id or fingerprint, or an SSH private key
file), named in gocross.toml or the environment, never stored by gocross. An SSH ed25519 signature is
deterministic; a GnuPG signature carries its creation time, so gpg runs with a frozen clock
(``--faked-system-time``) at the release's epoch (SOURCE_DATE_EPOCH or the commit time) — or at the key's
creation time if the key is younger, since gpg cannot verify a signature older than its key — and the same
key then gives the same signature bytes on any machine, at any hour (EdDSA and RSA signatures are
deterministic; only DSA/ECDSA keys would still differ).
"""

from __future__ import annotations

import os
import shutil
from enum import StrEnum
from pathlib import Path

from gocross.errors import UsageError
from gocross.executor import Executor, execute, output_tail

KEY_ENV = {"gpg": "GOCROSS_GPG_KEY", "ssh": "GOCROSS_SSH_KEY"}
SSH_NAMESPACE = "file"  # ssh-keygen -Y's namespace for signatures of files (what `-Y verify -n file` expects)


class SignMethod(StrEnum):
    GPG = "gpg"
    SSH = "ssh"


SUFFIX = {SignMethod.GPG: ".asc", SignMethod.SSH: ".sig"}


def parse_method(name: str) -> SignMethod:
    try:
        return SignMethod(name)
    except ValueError:
        raise UsageError(f"Unknown signing method {name!r}; use gpg or ssh.") from None


def signing_key(method: SignMethod, configured: str | None) -> str:
    """The key named by --key / gocross.toml, else GOCROSS_GPG_KEY / GOCROSS_SSH_KEY; UsageError if none."""
    key = configured or os.environ.get(KEY_ENV[method])
    if not key:
        raise UsageError(f"Signing with {method} needs a key; set gpg_key/ssh_key in gocross.toml [release], "
                         f"pass --key, or set {KEY_ENV[method]}.")
    if method == SignMethod.SSH and not Path(key).expanduser().is_file():
        raise UsageError(f"The SSH signing key {key} is not a file; pass the path of a private key.")
    return key


def check_key(method: SignMethod, key: str) -> None:
    """Prove the key can sign before any work is done: the secret key is in the keyring, or the SSH key file
    opens without a passphrase prompt. UsageError naming the key otherwise."""
    tool = _tool(method)
    if method == SignMethod.GPG:
        argv = ["gpg", "--batch", "--list-secret-keys", "--", key]
    else:
        argv = ["ssh-keygen", "-y", "-P", "", "-f", str(Path(key).expanduser())]
    done = execute(argv, env=os.environ, timeout=60)
    if done.returncode != 0:
        why = output_tail([done.stdout, done.stderr], lines=1, what=tool, returncode=done.returncode, width=160)
        raise UsageError(f"{tool} cannot sign with the key {key} ({why}); check the key id or file, and that it "
                         "needs no passphrase here.")


def _tool(method: SignMethod) -> str:
    tool = "gpg" if method == SignMethod.GPG else "ssh-keygen"
    if shutil.which(tool) is None:
        raise UsageError(f"{tool} is not installed; install {'gnupg' if tool == 'gpg' else 'openssh-client'} "
                         "or release without --sign.")
    return tool


def key_created(key: str) -> int:
    """The newest creation time (seconds since 1970) of the GnuPG key and its subkeys; 0 if gpg does not say."""
    done = execute(["gpg", "--batch", "--with-colons", "--list-secret-keys", "--", key], env=os.environ, timeout=60)
    times = [int(fields[5]) for fields in (line.split(":") for line in (done.stdout or b"").decode().splitlines())
             if fields[0] in ("sec", "ssb") and len(fields) > 5 and fields[5].isdigit()]
    return max(times, default=0)


def sign(executor: Executor, method: SignMethod, key: str, path: Path, out: Path, *, epoch: int | None = None) -> None:
    """Write the detached signature of ``path`` to ``out``; UsageError naming the key when signing fails.

    With ``epoch`` a GnuPG signature is made at that time (or the key's creation time, if later), so it is
    reproducible."""
    tool = _tool(method)
    if method == SignMethod.GPG:
        frozen = [] if epoch is None else ["--faked-system-time", f"{max(epoch, key_created(key))}!"]
        argv = ["gpg", "--batch", "--yes", *frozen, "--pinentry-mode", "loopback", "--passphrase", "",
                "--local-user", key, "--armor", "--detach-sign", "--output", str(out), str(path)]
    else:
        argv = ["ssh-keygen", "-q", "-Y", "sign", "-f", str(Path(key).expanduser()), "-n", SSH_NAMESPACE,
                str(path)]
    done = executor.run(argv, env=os.environ, cwd=path.parent, merge_stderr=True, timeout=120)
    if done is None:
        raise KeyboardInterrupt
    if method == SignMethod.SSH and done.returncode == 0:
        Path(f"{path}.sig").replace(out)
    if done.returncode != 0 or not out.is_file():
        why = output_tail(done.stdout or b"", lines=2, what=tool, returncode=done.returncode, width=160)
        raise UsageError(f"{tool} could not sign with the key {key} ({why.replace(chr(10), '; ')}); check the key "
                         "or its passphrase.")
