"""Installing a released hangar: pick the archive for this runner, download it and the
release's `SHA256SUMS` into a cache folder (kept between runs by `actions/cache`), verify the
archive's SHA-256 on every run (against `SHA256SUMS`, and against a pinned digest when one is
given), extract the binary, and check that it reports the version asked for.

Nothing is extracted from an archive that failed verification, and a download goes to a
`.partial` file first, so an interrupted run never leaves something that looks installed.
"""

import io
import os
import platform
import re
import stat
import subprocess
import sys
import tarfile
import zipfile

from . import release
from .errors import UsageError
from .rest import Client

TARGETS = {
    ("linux", "x86_64"): "x86_64-unknown-linux-musl",
    ("linux", "aarch64"): "aarch64-unknown-linux-musl",
    ("darwin", "x86_64"): "x86_64-apple-darwin",
    ("darwin", "arm64"): "aarch64-apple-darwin",
    ("windows", "x86_64"): "x86_64-pc-windows-msvc",
}
MACHINE_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}


def host_target():
    system = platform.system().lower()
    machine = MACHINE_ALIASES.get(platform.machine().lower(), platform.machine().lower())
    if system == "linux" and machine == "arm64":
        machine = "aarch64"
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    target = TARGETS.get((system, machine))
    if not target:
        raise UsageError(
            f"no hangar release for {platform.system()} on {platform.machine()}: build it with "
            "`cargo install --locked --git https://github.com/hangar-rs/hangar hangar-autopilot`"
        )
    return target


def normalise_version(version):
    version = version.strip()
    if not re.fullmatch(r"v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", version):
        raise UsageError(
            f"`{version}` is not a release version (`v1.2.3`): pin the action to a release tag or "
            "set its `version` input"
        )
    return version if version.startswith("v") else "v" + version


def install(version, cache_dir, base_url, target=None, pinned_sha256=None):
    """Returns the path of the verified, extracted binary."""
    version = normalise_version(version)
    target = target or host_target()
    name = release.archive_name(version, target)
    folder = os.path.join(cache_dir, version, target)
    os.makedirs(folder, exist_ok=True)
    downloads = Client(f"{base_url.rstrip('/')}/{version}", None)
    archive_path = os.path.join(folder, name)
    sums_path = os.path.join(folder, "SHA256SUMS")
    for path, remote in ((sums_path, "SHA256SUMS"), (archive_path, name)):
        if not os.path.isfile(path):
            print(f"downloading {downloads.url('/' + remote)}", file=sys.stderr)
            data = downloads.request("GET", "/" + remote).body
            with open(path + ".partial", "wb") as file:
                file.write(data)
            os.replace(path + ".partial", path)
    with open(sums_path, encoding="utf-8") as file:
        table = release.parse_checksums(file.read())
    actual = release.sha256_file(archive_path)
    expected = table.get(name)
    problems = []
    if not expected:
        problems.append(f"`SHA256SUMS` of {version} lists no `{name}`")
    elif actual != expected:
        problems.append(f"`{name}` has SHA-256 {actual}, `SHA256SUMS` says {expected}")
    if pinned_sha256 and actual != pinned_sha256.strip().lower():
        problems.append(f"`{name}` has SHA-256 {actual}, the pinned `checksum` is {pinned_sha256.strip()}")
    if problems:
        # Do not keep what failed: the next run downloads afresh instead of failing forever.
        for path in (archive_path, sums_path):
            if os.path.exists(path):
                os.remove(path)
        raise UsageError("refusing to install hangar: " + "; ".join(problems))
    binary_name = "hangar.exe" if release.is_windows(target) else "hangar"
    inner = f"hangar-{version}-{target}/{binary_name}"
    with open(archive_path, "rb") as file:
        data = file.read()
    program = _member(data, inner, release.is_windows(target))
    bin_dir = os.path.join(folder, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    binary = os.path.join(bin_dir, binary_name)
    with open(binary + ".partial", "wb") as file:
        file.write(program)
    os.chmod(binary + ".partial", os.stat(binary + ".partial").st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(binary + ".partial", binary)
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, stdin=subprocess.DEVNULL)
    except OSError as error:
        raise UsageError(f"the installed `{binary}` does not run here: {error}") from None
    reported = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or reported.split()[-1:] != [version[1:]]:
        raise UsageError(f"the installed `{binary}` reports `{reported}`, expected hangar {version[1:]}")
    print(f"hangar {version} ({target}) verified: SHA-256 {actual}", file=sys.stderr)
    return binary


def _member(data, inner, is_zip):
    try:
        if is_zip:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return archive.read(inner)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.getmember(inner)
            if not member.isfile():
                raise KeyError(inner)
            return archive.extractfile(member).read()
    except (KeyError, tarfile.TarError, zipfile.BadZipFile, OSError) as error:
        raise UsageError(f"the archive has no `{inner}`: {error}") from None
