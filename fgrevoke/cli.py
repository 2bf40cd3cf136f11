"""The ``fgrevoke`` command: developer tooling around the functions."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="fgrevoke", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("demo", help="run the main jobs against the embedded emulator")

    serve = commands.add_parser("emulator", help="serve the local Huawei Cloud emulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--access-key", required=True, help="access key the emulator accepts")
    serve.add_argument("--secret-key", required=True, help="its secret key")
    serve.add_argument("--security-token", help="the security token requests must carry, if any")

    args = parser.parse_args(argv)
    if args.command == "demo":
        from fgrevoke import demo

        return demo.run()
    if args.command == "emulator":
        from fgrevoke.emulator import Emulator

        emulator = Emulator(args.host, args.port)
        emulator.add_credentials(args.access_key, args.secret_key, args.security_token)
        print(f"emulator listening on {emulator.endpoint}; set HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> to it",
              file=sys.stderr, flush=True)
        try:
            emulator.serve_forever()
        except KeyboardInterrupt:
            return 130
        return 0
    return 2
