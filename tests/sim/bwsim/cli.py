# Command line of bwsim: parse options, build the data set, start the API and signed
# origins, write the ready file atomically, and shut down cleanly on SIGTERM / SIGINT.
"""python3 -m bwsim [options] (docs/simulator.md, "Command line")."""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading

from . import faults as faultmod
from .data import Store
from .server import Sim, SimServer


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bwsim", description="Simulator of Bandwidth's reports API")
    p.add_argument("--port", type=int, default=0, help="port of the API origin (0: a free one)")
    p.add_argument("--redirect-port", type=int, default=0,
                   help="port of the origin of signed (307) download URLs")
    p.add_argument("--base", default="/api", help="base path of every API call")
    p.add_argument("--token-path", default="/api/v1/oauth2/token",
                   help="path of the OAuth2 token endpoint")
    p.add_argument("--tls", action="store_true", help="HTTPS with a self-signed certificate")
    p.add_argument("--state-dir", help="certificate and materialised files (default: a temp dir)")
    p.add_argument("--ready-file", help="write the info JSON there once listening")
    p.add_argument("--demo", action="store_true", help="the demo data set")
    p.add_argument("--accounts", type=int, default=2)
    p.add_argument("--types", type=int, default=18)
    p.add_argument("--instances", type=int, default=6, help="instances per (account, type)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ready-delay", type=float, default=2.0)
    p.add_argument("--progress-word", default="Processing")
    p.add_argument("--token-ttl", type=float, default=3600)
    p.add_argument("--user", action="append", default=[], help="NAME:PASSWORD[:ACCT,...]")
    p.add_argument("--client", action="append", default=[], help="ID:SECRET[:ACCT,...]")
    p.add_argument("--no-range", action="store_true", help="ignore Range headers")
    p.add_argument("--page-size", type=int, default=0)
    p.add_argument("--location-base", default="https://api.test.inetwork.com:443/v1.0")
    p.add_argument("--fault", action="append", default=[], help="NAME[:key=value...]")
    p.add_argument("--log-requests", action="store_true")
    args = p.parse_args(argv)
    if args.accounts < 1 or args.types < 1 or args.instances < 0:
        p.error("--accounts and --types must be >= 1, --instances >= 0")
    if args.progress_word in ("", "Ready", "Expired", "Error"):
        p.error("--progress-word must be another word than Ready, Expired or Error")
    return args, p


def write_ready_file(path, obj):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bwsim-ready-", dir=directory)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    args, parser = parse_args(sys.argv[1:] if argv is None else argv)
    own_state = args.state_dir is None
    state_dir = tempfile.mkdtemp(prefix="bwsim-") if own_state else os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    servers = []
    try:
        try:
            store = Store(seed=args.seed, accounts=args.accounts, types=args.types,
                          instances=args.instances, demo=args.demo, users=args.user,
                          clients=args.client, ready_delay=args.ready_delay,
                          progress_word=args.progress_word, token_ttl=args.token_ttl,
                          range_ok=not args.no_range, page_size=args.page_size)
            fault_specs = [faultmod.parse_cli(text) for text in args.fault]
        except (ValueError, faultmod.FaultError) as exc:
            parser.error(str(exc))
        ssl_ctx = None
        sim = Sim(store, base=args.base, token_path=args.token_path,
                  location_base=args.location_base, state_dir=state_dir, tls=args.tls,
                  log_requests=args.log_requests)
        for spec in fault_specs:
            sim.faults.add(spec)
        if args.tls:
            from .tls import make_context
            ssl_ctx, sim.cafile = make_context(state_dir)
        try:
            api = SimServer(args.port, sim, "api", ssl_ctx)
            servers.append(api)
            signed = SimServer(args.redirect_port, sim, "signed", ssl_ctx)
            servers.append(signed)
        except OSError as exc:
            print(f"bwsim: cannot listen: {exc}", file=sys.stderr)
            return 1
        sim.port, sim.redirect_port = api.server_port, signed.server_port
        return run(sim, servers, args.ready_file)
    finally:
        for srv in servers:
            srv.server_close()
        if own_state:
            shutil.rmtree(state_dir, ignore_errors=True)


def run(sim, servers, ready_file):
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = [threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                                name=f"bwsim-{srv.origin}", daemon=True) for srv in servers]
    for t in threads:
        t.start()
    info = sim.info()
    if ready_file:
        write_ready_file(ready_file, info)
    print(f"bwsim: API {info['api']} (token {info['token_url']}), signed origin "
          f"{info['signed_root']}, {len(info['accounts'])} accounts, ready", file=sys.stderr,
          flush=True)
    while not stop.wait(0.2):
        pass
    sim.stopping.set()
    for srv in servers:
        srv.shutdown()
    if ready_file:
        try:
            os.unlink(ready_file)
        except OSError:
            pass
    print("bwsim: stopped", file=sys.stderr, flush=True)
    return 0
