"""The ``fgrevoke`` command: developer tooling around the functions."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from fgrevoke import deploy_cli, project_config, user_files
from fgrevoke.errors import FAILURE, ToolError, UsageError


def _template_options(parser: argparse.ArgumentParser) -> None:
    from fgrevoke.template import TEMPLATE

    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the template (default: %(default)s)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a template parameter (repeatable)")
    project_config.add_options(parser)
    _json_option(parser)


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def _load_template(args: argparse.Namespace) -> Dict[str, Any]:
    from fgrevoke import template

    return template.load(args.template, project_config.resolve(args).parameters)


def _spec(args: argparse.Namespace) -> Any:
    from fgrevoke import template

    specs = {spec.folder: spec for spec in template.functions(_load_template(args))}
    if args.function not in specs:
        raise UsageError(f"no function {args.function!r} in {args.template}; the functions are: {', '.join(specs)}")
    return specs[args.function]


def _json_argument(value: str, option: str) -> Any:
    """JSON given inline, or ``@FILE``."""
    hint = "; give a JSON object, or @FILE"
    if value.startswith("@"):
        return user_files.read_json(Path(value[1:]), option, hint)
    return user_files.parse(value, json.loads, option, "JSON", hint)


# -- event --------------------------------------------------------------------------------------------
def _event(args: argparse.Namespace) -> int:
    from fgrevoke import functions, testkit
    from shared import triggers
    from shared.errors import RevokeError

    spec = _spec(args)
    request = _json_argument(args.request, "--request") if args.request else None
    if request is not None and not isinstance(request, dict):
        raise UsageError("--request must be a JSON object, the request the function takes")
    body = None
    if args.body is not None:
        if args.kind != triggers.APIG:
            raise UsageError("--body is the HTTP body of an apig event; for other kinds give --request")
        _json_argument(args.body, "--body")
        body = user_files.read_text(Path(args.body[1:]), "--body") if args.body.startswith("@") else args.body
    event = testkit.sample_event(spec, args.kind, request, body=body, method=args.method, user_id=args.user_id,
                                 user_name=args.user_name)
    module = functions.load(spec.folder)
    try:
        for payload in triggers.parse(event).payloads:
            module.validate_request(payload)
    except RevokeError as error:
        raise UsageError(f"{spec.folder} would refuse this request: {error.message}") from None
    print(json.dumps(event, indent=2, ensure_ascii=False))
    return 0


# -- invoke -------------------------------------------------------------------------------------------
def _read_event(path: Path) -> Any:
    hint = "; make one with `fgrevoke event FUNCTION KIND > event.json`"
    if str(path) != "-":
        return user_files.read_json(path, "--event", hint)
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError as error:
        raise user_files.not_utf8("--event - (standard input)", error) from None
    return user_files.parse(text, json.loads, "--event - (standard input)", "JSON", hint)


def _invoke(args: argparse.Namespace) -> int:
    from fgrevoke import local

    spec = _spec(args)
    event = _read_event(args.event)
    env_file = local.read_env_file(args.env_file)
    local.check_env_file(env_file, [spec.folder])
    embedded = local.Embedded() if args.emulator else None
    try:
        prepared = local.prepare(spec, env_file, embedded)
        if embedded is None:
            local.confirm([prepared], event, args.yes)
        try:
            result = local.run(prepared, event)
            problem = local.problem(result, prepared)
        except Exception as error:  # what FunctionGraph would record as a failed invocation
            result, problem = {"raised": type(error).__name__, "message": str(error)}, local.raised(error, prepared)
    finally:
        if embedded is not None:
            embedded.stop()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if problem:
        print(f"fgrevoke: {problem}", file=sys.stderr)
    return FAILURE if problem else 0


# -- serve --------------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    from fgrevoke import local, serve, template

    specs = template.functions(_load_template(args))
    env_file = local.read_env_file(args.env_file)
    local.check_env_file(env_file, [spec.folder for spec in specs])
    gateway = serve.Gateway(args.host, args.port)
    embedded = local.Embedded() if args.emulator else None
    try:
        prepared = [local.prepare(spec, env_file, embedded) for spec in specs]
        if embedded is None:
            local.confirm(prepared, None, args.yes)
        gateway.routes = serve.routes(prepared)
        serve.serve(gateway, args.json)
    finally:
        gateway.stop()
        if embedded is not None:
            embedded.stop()
    return 0


# -- emulator -----------------------------------------------------------------------------------------
def _emulator(args: argparse.Namespace) -> int:
    from fgrevoke.emulator import Emulator, seed

    seeds = seed.read(args.seed) if args.seed else []
    try:
        emulator = Emulator(args.host, args.port)
    except OSError as error:
        raise ToolError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}; pick another "
                        "--port (0 picks a free one)") from None
    emulator.add_credentials(args.access_key, args.secret_key, args.security_token)
    for index, project in enumerate(seeds):
        seed.apply(emulator, project, f"{args.seed}[{index}]" if len(seeds) > 1 else str(args.seed))
    for region in seed.regions(seeds):  # each seeded region gets an endpoint of its own
        emulator.endpoint_for(region)
    faults = [seed.fault(spec, emulator) for spec in args.fault]
    if not args.quiet:
        emulator.listeners.append(_request_line)
    if args.json:
        print(json.dumps({"endpoint": emulator.endpoint, "regions": emulator.regions,
                          "routes": sorted(emulator.actions),
                          "faults": [{"route": f.route, "status": f.status, "count": f.times} for f in faults]}),
              flush=True)
    regional = "".join(f"; {region} on {url}" for region, url in emulator.regions.items())
    print(f"emulator listening on {emulator.endpoint} (every region{regional}); point "
          f"HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> at it. Seeded from {args.seed or 'nothing'}; "
          f"{len(faults)} fault(s) injected. One line per request follows.", file=sys.stderr, flush=True)
    emulator.serve_forever()
    return 0


def _request_line(entry: Dict[str, Any]) -> None:
    query = "&".join(f"{key}={value}" for key, value in entry["query"].items())
    status = entry["status"] or "dropped"
    error = (entry["response"] or {}).get("error_code") if isinstance(entry["response"], dict) else None
    print(f"{entry['method']} {entry['path']}{'?' + query if query else ''} -> {status}"
          f"{' ' + error if error else ''} [{entry['route']}{' in ' + entry['region'] if entry['region'] else ''}]",
          file=sys.stderr, flush=True)


# -- validate, package, deploy -----------------------------------------------------------------------
def _validate(args: argparse.Namespace) -> int:
    from fgrevoke import template, validate

    try:
        errors = validate.validate(_load_template(args))
    except template.ParameterError:  # the command line is wrong, not the template
        raise
    except template.TemplateError as problem:
        errors = [str(problem)]
    _report(args, {"valid": not errors, "errors": errors}, "\n".join(errors) if errors else f"{args.template}: valid")
    return 1 if errors else 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _report(args: argparse.Namespace, document: Any, text: str) -> None:
    print(json.dumps(document, indent=2) if args.json else text)


def _package(args: argparse.Namespace) -> int:
    from fgrevoke import packaging, template

    specs = [spec for spec in template.functions(_load_template(args))
             if not args.function or spec.folder in args.function]
    built = [packaging.build(spec, args.dest or packaging.DIST, _progress) for spec in specs]
    problems = [problem for package in built for problem in package.problems]
    rows = [f"{p.path}: {p.files} files, {packaging.mib(p.zip_bytes)} zipped (limit "
            f"{packaging.mib(packaging.ZIP_LIMIT)} by API, {packaging.mib(packaging.CONSOLE_LIMIT)} on the console), "
            f"{packaging.mib(p.unzipped_bytes)} unzipped (limit {packaging.mib(packaging.UNZIPPED_LIMIT)}), "
            f".pyc {'compiled by ' + p.compiled_with if p.compiled_with else 'not compiled'}" for p in built]
    document = [{"function": p.function, "zip": str(p.path), "files": p.files, "zip_bytes": p.zip_bytes,
                 "unzipped_bytes": p.unzipped_bytes, "pyc": bool(p.compiled_with)} for p in built]
    _report(args, {"packages": document, "problems": problems}, "\n".join(rows + problems))
    return 1 if problems else 0


def _demo(args: argparse.Namespace) -> int:
    from fgrevoke import demo

    return demo.run(verbose=args.verbose, log_file=args.log_file)


# -- the parser and the one place errors become messages ----------------------------------------------
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fgrevoke")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    from fgrevoke.testkit import KINDS, SAMPLE_USER_ID, SAMPLE_USER_NAME

    parser = argparse.ArgumentParser(
        prog="fgrevoke", description="Run, serve, check, package and deploy the FunctionGraph functions that revoke "
        "access. Exit codes: 0 done, 1 failed, 2 usage error.")
    parser.add_argument("--version", action="version", version=f"fgrevoke {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the three functions against the embedded emulator, as a story")
    demo.add_argument("--verbose", action="store_true", help="show the functions' JSON log lines as they come")
    demo.add_argument("--log-file", type=Path, help="where the JSON log lines go (default: a temporary file)")
    demo.set_defaults(run=_demo, json=False)

    from fgrevoke.emulator.seed import EXAMPLE_FILE

    emulator = commands.add_parser(
        "emulator", help="serve the local Huawei Cloud emulator",
        epilog=f"Seed format: {EXAMPLE_FILE} uses every field and runs as is (--seed {EXAMPLE_FILE}); "
        "docs/local-development.md explains it.")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8443, help="0 picks a free port (default: %(default)s)")
    emulator.add_argument("--access-key", required=True, help="access key the emulator accepts")
    emulator.add_argument("--secret-key", required=True, help="its secret key")
    emulator.add_argument("--security-token", help="the security token requests must carry, if any")
    emulator.add_argument("--seed", type=Path, metavar="FILE",
                          help=f"initial state (JSON); a runnable example of every field: {EXAMPLE_FILE}")
    emulator.add_argument("--fault", action="append", default=[], metavar="ROUTE:STATUS[:COUNT]",
                          help="answer ROUTE (or * for all) with STATUS, COUNT times (default: always); repeatable")
    emulator.add_argument("--quiet", action="store_true", help="no request log on stderr")
    _json_option(emulator)
    emulator.set_defaults(run=_emulator)

    check = commands.add_parser("validate", help="check template.yml against the code and FunctionGraph's limits")
    _template_options(check)
    check.set_defaults(run=_validate)

    pack = commands.add_parser("package", help="build dist/<function>.zip for each function")
    _template_options(pack)
    pack.add_argument("--function", action="append", default=[], help="only this function folder (repeatable)")
    pack.add_argument("--dest", type=Path, default=None, help="output folder (default: dist/)")
    pack.set_defaults(run=_package)

    sample = commands.add_parser("event", help="print a sample event of a trigger kind for a function")
    sample.add_argument("function", help="function folder, e.g. modelarts_delete_authorizations")
    sample.add_argument("kind", choices=KINDS, metavar="KIND", help=f"trigger kind: {', '.join(KINDS)}")
    sample.add_argument("--request", metavar="JSON|@FILE", help="the request the event carries "
                                                               "(default: a sample the function accepts)")
    sample.add_argument("--body", metavar="JSON|@FILE", help="apig: the HTTP body as plain JSON (Base64 on output)")
    sample.add_argument("--method", default="POST", choices=("POST", "DELETE"), help="apig: the HTTP method")
    sample.add_argument("--user-id", default=SAMPLE_USER_ID, help="cts: the deleted user's id")
    sample.add_argument("--user-name", default=SAMPLE_USER_NAME, help="cts: the deleted user's name")
    _template_options(sample)
    sample.set_defaults(run=_event)

    run = commands.add_parser("invoke", help="run a function's handler here with a FunctionGraph-like context")
    run.add_argument("function", help="function folder, e.g. modelarts_delete_authorizations")
    run.add_argument("--event", type=Path, required=True, help="event JSON file ('-' for standard input)")
    _local_options(run)
    run.set_defaults(run=_invoke)

    gateway = commands.add_parser("serve", help="serve the functions over HTTP as API Gateway would call them")
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--port", type=int, default=3000, help="0 picks a free port (default: %(default)s)")
    _local_options(gateway)
    gateway.set_defaults(run=_serve)

    deploy_cli.add_commands(commands)
    return parser


def _local_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE settings over the template's and the shell's "
                                                      "(function settings, SDK endpoint and proxy variables)")
    parser.add_argument("--emulator", action="store_true", help="against the embedded, seeded emulator")
    parser.add_argument("--yes", action="store_true", help="go ahead when DRY_RUN=false would revoke for real")
    _template_options(parser)


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)  # argparse's own usage errors exit 2 with its usage line
    # The command says in one line what failed; the SDK's plain-text lines (which nobody handles) would
    # repeat it. Once a function runs, shared.log sends such lines out as JSON log lines instead.
    previous, logging.lastResort = logging.lastResort, logging.NullHandler()
    try:
        return int(args.run(args))
    except ToolError as error:
        if args.json:
            print(json.dumps({"error": error.message, "exit_code": error.exit_code}))
        print(f"fgrevoke: {error.message}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file or socket the command needed
        print(f"fgrevoke: {error}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        message = _cloud_failure(error)
        if message is None:
            raise  # a defect: its traceback is what a developer needs
        if args.json:
            print(json.dumps({"error": message, "exit_code": FAILURE}))
        print(f"fgrevoke: {message}", file=sys.stderr)
        return FAILURE
    finally:
        logging.lastResort = previous


def _cloud_failure(error: Exception) -> Optional[str]:
    """One line for a call to Huawei Cloud that failed (deploy's SDK calls), None for anything else."""
    from requests.exceptions import RequestException

    module = type(error).__module__
    if isinstance(error, RequestException) or module.startswith("huaweicloudsdkcore.exceptions"):
        status = getattr(error, "status_code", None)
        if status is None:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            return (f"could not reach Huawei Cloud ({first}): check the network, any proxy (HTTPS_PROXY) and "
                    "HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>")
        hint = ("check the keys (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN) and "
                "their permissions" if status in (401, 403) else "the service's message says what to change")
        return f"Huawei Cloud answered HTTP {status} {getattr(error, 'error_code', '')}: " \
               f"{getattr(error, 'error_msg', '')}; {hint}"
    return None
