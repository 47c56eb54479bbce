"""`python ci/hangar-ci.py COMMAND …`

    github plan|apply|drift      the GitHub Action's jobs (action.yml)
    azure-devops plan|apply|drift   the Azure Pipelines template's jobs (azure-pipelines/)
    install                       download, verify and extract a released hangar
    package                       write a release archive
    checksums                     write SHA256SUMS for a folder of release files
    check-jsonschema              print the command of the pinned check-jsonschema (for tests)
    kubernetes-validate           print the command of the pinned kubernetes-validate (for tests)

Inputs come from flags or, for the CI jobs, from `HANGAR_*` variables, so that workflow files
pass them through `env:` and never paste them into a script. Exit codes: 0 done, 1 anything
went wrong (with a message saying what and what to do).
"""

import argparse
import os
import sys

from . import flows, install, release, tools
from .azure_devops import AzureDevOps
from .errors import Refused, UsageError
from .github import GitHub
from .hangar import Hangar, HangarError
from .rest import ApiError


def _env(name, default=None):
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _parser():
    parser = argparse.ArgumentParser(prog="hangar-ci", description="hangar's CI jobs and release tools")
    commands = parser.add_subparsers(dest="command", required=True)

    for host in ("github", "azure-devops"):
        sub = commands.add_parser(host, help=f"the {host} jobs")
        sub.add_argument("job", choices=["plan", "apply", "drift"])
        sub.add_argument("--config", default=_env("HANGAR_CONFIG"), help="configuration directory (HANGAR_CONFIG)")
        sub.add_argument("--hangar", default=_env("HANGAR_BIN", "hangar"), help="the hangar binary (HANGAR_BIN)")
        sub.add_argument(
            "--out-dir",
            default=_env("HANGAR_CI_DIR"),
            help="where the plan, its metadata and the apply report go (HANGAR_CI_DIR; "
            "default: hangar-ci under the runner's temp folder)",
        )
        if host == "azure-devops":
            sub.add_argument("--work-item-type", default=_env("HANGAR_WORK_ITEM_TYPE", "Issue"))
            sub.add_argument("--closed-state", default=_env("HANGAR_CLOSED_STATE", "Done"))

    sub = commands.add_parser("install", help="install a released hangar")
    sub.add_argument("--version", default=_env("HANGAR_VERSION"), help="release tag, e.g. v0.1.0 (HANGAR_VERSION)")
    sub.add_argument("--dir", default=_env("HANGAR_INSTALL_DIR"), help="cache folder (HANGAR_INSTALL_DIR)")
    sub.add_argument(
        "--releases-url",
        default=_env("HANGAR_RELEASES_URL", "https://github.com/hangar-rs/hangar/releases/download"),
        help="where release assets are, one folder per tag (HANGAR_RELEASES_URL)",
    )
    sub.add_argument("--checksum", default=_env("HANGAR_CHECKSUM"), help="pinned SHA-256 of the archive")
    sub.add_argument("--target", default=_env("HANGAR_TARGET"), help="Rust target triple (default: this machine)")
    sub.add_argument("--print-target", action="store_true", help="only print this machine's target")

    sub = commands.add_parser("package", help="write a release archive")
    sub.add_argument("--binary", required=True)
    sub.add_argument("--target", required=True)
    sub.add_argument("--version", required=True, help="e.g. v0.1.0")
    sub.add_argument("--out-dir", required=True)
    sub.add_argument(
        "--source-dir",
        default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        help="the repository (LICENSE-*, README.md)",
    )
    sub.add_argument("--docs-binary", help="a hangar that runs here, for completions and man pages")

    sub = commands.add_parser("checksums", help="write SHA256SUMS for a folder")
    sub.add_argument("directory")

    sub = commands.add_parser("check-jsonschema", help="print the pinned check-jsonschema command")
    sub.add_argument("--venv", required=True)

    sub = commands.add_parser("kubernetes-validate", help="print the pinned kubernetes-validate command")
    sub.add_argument("--venv", required=True)
    return parser


def _host(args):
    if args.command == "github":
        return GitHub(os.environ)
    return AzureDevOps(os.environ, args.work_item_type, args.closed_state)


def _job(args):
    if not args.config:
        raise UsageError("no configuration directory: set the `config` input (HANGAR_CONFIG)")
    if not os.path.isdir(args.config) and not os.path.isfile(args.config):
        raise UsageError(f"`{args.config}` does not exist (paths are relative to {os.getcwd()})")
    # The host is set up first: a missing token fails before hangar reads the tenant.
    host = _host(args)
    out_dir = args.out_dir or os.path.join(_env("RUNNER_TEMP") or _env("AGENT_TEMPDIRECTORY") or ".", "hangar-ci")
    hangar = Hangar(args.hangar)
    if args.job == "plan":
        return flows.plan(host, hangar, args.config, out_dir)
    if args.job == "apply":
        return flows.apply(host, hangar, args.config, out_dir)
    return flows.drift(host, hangar, args.config)


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command in ("github", "azure-devops"):
            return _job(args)
        if args.command == "install":
            if args.print_target:
                print(install.host_target())
                return 0
            if not args.version:
                raise UsageError("no version: set the action's `version` input (e.g. `v0.1.0`)")
            cache = args.dir or os.path.join(_env("RUNNER_TOOL_CACHE") or _env("RUNNER_TEMP") or ".", "hangar")
            binary = install.install(args.version, cache, args.releases_url, args.target, args.checksum)
            path = os.environ.get("GITHUB_PATH")
            if path:
                with open(path, "a", encoding="utf-8") as file:
                    file.write(os.path.dirname(binary) + "\n")
            print(binary)
            return 0
        if args.command == "package":
            print(release.package(args.binary, args.target, args.version, args.out_dir, args.source_dir, args.docs_binary))
            return 0
        if args.command == "checksums":
            print(release.checksums(args.directory))
            return 0
        if args.command == "check-jsonschema":
            print("\n".join(tools.check_jsonschema(args.venv)))
            return 0
        if args.command == "kubernetes-validate":
            print("\n".join(tools.kubernetes_validate(args.venv)))
            return 0
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
    except Refused as error:
        print(f"error: refused: {error}; nothing was changed", file=sys.stderr)
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
    except HangarError as error:
        print(f"error: {error}", file=sys.stderr)
    return 1
