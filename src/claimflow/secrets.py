"""Managed secrets: keys claimflow needs and never reads from configuration text.

A secret has a name (``deid_key``, ``warehouse_key``, ...) and is given in exactly one of
three ways, read when it is needed:

- ``CLAIMFLOW_<NAME>``: the environment variable holds the secret itself;
- ``CLAIMFLOW_<NAME>_FILE``: the path of a file holding it, which must be readable by its
  owner only (mode ``0600`` or ``0400``; a file group or others may read or write is refused);
- ``CLAIMFLOW_<NAME>_COMMAND``: a command (split like a shell would, run without a shell)
  whose standard output is the secret, e.g. ``vault kv get -field=key secret/claimflow`` or
  ``pass show claimflow/deid``.

One trailing newline (``\\n`` or ``\\r\\n``) is removed from a file or a command's output.
Setting more than one of the three is refused (which one wins would be a guess), as are an
empty secret and one shorter than the caller's minimum. Messages name the variables and the
file or the command, never the secret (docs/security.md, "Secrets").
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from claimflow.errors import ClaimflowError

COMMAND_TIMEOUT_S = 30.0
"""How long a secret's command may take."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class SecretError(ClaimflowError):
    """A secret is missing, or given in a way claimflow refuses."""


def secret_variables(name: str) -> tuple[str, str, str]:
    """The three environment variables of secret ``name``: value, file, command."""
    if not _NAME.match(name):
        raise ValueError(f"not a secret name: {name!r} (letters, digits and _)")
    base = f"CLAIMFLOW_{name.upper()}"
    return base, f"{base}_FILE", f"{base}_COMMAND"


def read_secret(
    name: str, *, min_bytes: int = 1, environ: Mapping[str, str] | None = None
) -> bytes:
    """The secret ``name``, from the one place the environment says it is.

    Args:
        name: The secret's name; ``deid_key`` is read from ``CLAIMFLOW_DEID_KEY`` (or its
            ``_FILE`` or ``_COMMAND`` variant).
        min_bytes: Refuse a shorter secret.
        environ: The environment to read (default: the process's).

    Raises:
        SecretError: None of the three is set, more than one is, the file is missing or
            readable by group or others, the command fails, or the secret is too short.
    """
    env = os.environ if environ is None else environ
    value_var, file_var, command_var = secret_variables(name)
    given = [v for v in (value_var, file_var, command_var) if env.get(v)]
    if not given:
        raise SecretError(
            f"secret {name} is not set: give it in one of three ways: the environment variable"
            f" {value_var} (the secret itself), {file_var} (a file readable by its owner only,"
            f" chmod 600) or {command_var} (a command that prints it); never in a config file"
        )
    if len(given) > 1:
        raise SecretError(f"secret {name}: set only one of {', '.join(given)}")
    if given[0] == value_var:
        secret = env[value_var].encode("utf-8")
    elif given[0] == file_var:
        secret = _strip_newline(_read_file(name, Path(env[file_var])))
    else:
        secret = _strip_newline(_run_command(name, command_var, env[command_var]))
    if len(secret) < max(min_bytes, 1):
        raise SecretError(
            f"secret {name} ({given[0]}) is {'empty' if not secret else 'too short'}:"
            f" at least {max(min_bytes, 1)} bytes are needed (e.g. `openssl rand -hex 32`)"
        )
    return secret


def read_secret_text(
    name: str, *, min_bytes: int = 1, environ: Mapping[str, str] | None = None
) -> str:
    """The secret ``name`` as UTF-8 text (a passphrase, a key in hex); as :func:`read_secret`."""
    raw = read_secret(name, min_bytes=min_bytes, environ=environ)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(f"secret {name} is not UTF-8 text") from None


def _read_file(name: str, path: Path) -> bytes:
    try:
        info = path.stat()
    except OSError as exc:
        raise SecretError(f"secret {name}: cannot read {path} ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretError(f"secret {name}: {path} is not a regular file")
    if info.st_mode & 0o077:
        raise SecretError(
            f"secret {name}: {path} is readable or writable by group or others (mode"
            f" {stat.S_IMODE(info.st_mode):04o}); refused: make it the owner's only with"
            f" `chmod 600 {shlex.quote(str(path))}`"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise SecretError(f"secret {name}: {path} is not owned by the user running claimflow")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecretError(f"secret {name}: cannot read {path} ({exc.strerror})") from None


def _run_command(name: str, variable: str, command: str) -> bytes:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise SecretError(f"secret {name}: {variable} cannot be split ({exc})") from None
    if not argv:
        raise SecretError(f"secret {name}: {variable} is blank")
    try:
        done = subprocess.run(  # the operator's own command, split, without a shell
            argv, capture_output=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise SecretError(f"secret {name}: {variable}: no such command: {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise SecretError(
            f"secret {name}: {variable}: {argv[0]} did not finish in {COMMAND_TIMEOUT_S:.0f} s"
        ) from None
    except OSError as exc:
        raise SecretError(f"secret {name}: {variable}: {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        # its output is not quoted: it could hold the secret, or part of it
        raise SecretError(f"secret {name}: {variable}: {argv[0]} exited with {done.returncode}")
    return done.stdout


def _strip_newline(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    return raw[:-1] if raw.endswith(b"\n") else raw
