#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""JSON-RPC client for USK services (usk_tgt): one subcommand per method.

Only Python's standard library is used, so it runs on any machine that has
python3. Prints the reply's result as JSON; on a JSON-RPC error, prints the
error to stderr and exits with 1.
"""

import argparse
import json
import socket
import sys

DEFAULT_SOCKET = "/var/tmp/usk.sock"


class RpcError(Exception):
    """The server answered with a JSON-RPC error, or could not be reached."""


class Client:
    """A connection to a USK JSON-RPC server over a Unix socket."""

    def __init__(self, path, timeout, verbose=False):
        self.path = path
        self.verbose = verbose
        self.next_id = 1
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            raise RpcError(f"cannot connect to {path}: {e.strerror} "
                           "(is usk_tgt running? -s chooses the socket)") from e
        self.decoder = json.JSONDecoder()
        self.buf = ""

    def call(self, method, params=None):
        """Sends one request and returns its result; raises RpcError on an error."""
        request = {"jsonrpc": "2.0", "method": method, "id": self.next_id}
        self.next_id += 1
        if params:
            request["params"] = params
        text = json.dumps(request)
        if self.verbose:
            print(f"request: {text}", file=sys.stderr)
        self.sock.sendall(text.encode())
        reply = self.read_reply()
        if self.verbose:
            print(f"reply: {json.dumps(reply)}", file=sys.stderr)
        if "error" in reply:
            err = reply["error"]
            raise RpcError(f"{method}: error {err.get('code')}: {err.get('message')}")
        return reply.get("result")

    def read_reply(self):
        """Reads until one whole JSON value has arrived, and returns it."""
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    value, end = self.decoder.raw_decode(text)
                    self.buf = text[end:]
                    return value
                except json.JSONDecodeError:
                    pass
            try:
                data = self.sock.recv(65536)
            except socket.timeout as e:
                raise RpcError("no answer in time (-t sets the timeout)") from e
            if not data:
                raise RpcError("the server closed the connection")
            self.buf += data.decode()

    def close(self):
        self.sock.close()


def add_method(sub, name, help_text, params=()):
    """Adds a subcommand for a method; params are (flag, dest, kwargs) tuples."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    for flag, dest, kwargs in params:
        if flag.startswith("-"):
            p.add_argument(flag, dest=dest, **kwargs)
        else:
            p.add_argument(dest, **kwargs)
    p.set_defaults(method=name, param_names=[dest for _, dest, _ in params])
    return p


def build_parser():
    parser = argparse.ArgumentParser(
        description="Call a USK service's JSON-RPC methods.",
        epilog="'%(prog)s METHOD -h' describes a method's parameters.")
    parser.add_argument("-s", "--socket", default=DEFAULT_SOCKET,
                        help=f"the server's Unix socket (default {DEFAULT_SOCKET})")
    parser.add_argument("-t", "--timeout", type=float, default=60.0,
                        help="seconds to wait for an answer (default 60)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the requests and replies on stderr")
    sub = parser.add_subparsers(title="methods", metavar="METHOD")
    sub.required = True

    add_method(sub, "rpc_get_methods", "List the methods the server has.")
    add_method(sub, "framework_get_reactors",
               "Show each reactor: its core, busy and idle ticks, and its threads.")
    add_method(sub, "thread_get_stats",
               "Show each thread's busy and idle ticks, messages and pollers.")
    add_method(sub, "thread_get_pollers",
               "Show each thread's pollers: period, state, runs and busy runs.")
    add_method(sub, "save_config",
               "Print the running configuration, in the shape --json reads.")
    add_method(sub, "spdk_kill_instance", "Stop the service in an orderly way.",
               [("sig_name", "sig_name",
                 {"nargs": "?", "default": "SIGTERM", "choices": ["SIGINT", "SIGTERM"],
                  "help": "the signal to act as (default SIGTERM)"})])
    add_method(sub, "log_set_level", "Set the most verbose level that is logged.",
               [("level", "level",
                 {"choices": ["error", "warn", "notice", "info", "debug"]})])
    add_method(sub, "log_get_level", "Show the most verbose level that is logged.")
    add_method(sub, "log_set_flag", "Turn on a component's debug messages.",
               [("flag", "flag", {"help": "a component (log_get_flags lists them) or all"})])
    add_method(sub, "log_clear_flag", "Turn off a component's debug messages.",
               [("flag", "flag", {"help": "a component (log_get_flags lists them) or all"})])
    add_method(sub, "log_get_flags", "Show every component's debug flag.")

    add_method(sub, "bdev_get_bdevs", "Show the bdevs, or one.",
               [("-b", "name", {"help": "only this bdev"})])
    add_method(sub, "bdev_get_iostat", "Show the bdevs' I/O counters, or one's.",
               [("-b", "name", {"help": "only this bdev"})])
    for kind, what in (("malloc", "a memory-backed bdev"), ("null", "a bdev that keeps no data")):
        p = add_method(sub, f"bdev_{kind}_create", f"Create {what}.",
                       [("-b", "name", {"required": True, "help": "its name"}),
                        ("total_size", "total_size",
                         {"type": int, "help": "its size in MiB"}),
                        ("block_size", "block_size",
                         {"type": int, "nargs": "?", "default": 512,
                          "help": "bytes per block (default 512)"})])
        p.set_defaults(size_to_blocks=True)
        add_method(sub, f"bdev_{kind}_delete", f"Delete {what}.",
                   [("name", "name", {"help": "its name"})])

    add_method(sub, "bdev_uring_create", "Create a bdev on a file or block device, through io_uring.",
               [("filename", "filename", {"help": "the file or block device"}),
                ("name", "name", {"help": "the bdev's name"}),
                ("block_size", "block_size", {"type": int, "nargs": "?", "default": 512,
                                              "help": "bytes per block (default 512)"})])
    add_method(sub, "bdev_uring_set_options",
               "Set the uring module's options; before the first uring bdev is created.",
               [("--sqpoll", "sqpoll", {"action": "store_true", "default": None,
                                        "help": "a kernel thread polls each ring's submissions"}),
                ("--sqpoll-idle-ms", "sqpoll_idle_ms",
                 {"type": int, "help": "idle time before that thread sleeps (default 1000)"})])
    add_method(sub, "bdev_uring_delete", "Delete a uring bdev.",
               [("name", "name", {"help": "its name"})])
    add_method(sub, "bdev_nvme_attach_controller",
               "Attach an NVMe controller (on vfio-pci); each namespace becomes <name>n<nsid>.",
               [("-b", "name", {"required": True, "help": "the controller's name, e.g. Nvme0"}),
                ("-t", "trtype", {"default": "PCIe", "help": "transport type (PCIe)"}),
                ("-a", "traddr", {"required": True,
                                  "help": "the controller's PCI address, e.g. 0000:01:00.0"})])
    add_method(sub, "bdev_nvme_detach_controller",
               "Remove an NVMe controller's bdevs and detach it.",
               [("name", "name", {"help": "the controller's name"})])
    add_method(sub, "bdev_set_qos_limit", "Limit a bdev's IOPS and bandwidth (0 lifts a limit).",
               [("name", "name", {"help": "the bdev"}),
                ("--rw_ios_per_sec", "rw_ios_per_sec", {"type": int,
                                                        "help": "reads and writes per second"}),
                ("--rw_mbytes_per_sec", "rw_mbytes_per_sec",
                 {"type": int, "help": "MiB per second, reads and writes"})])
    add_method(sub, "bdev_split_create", "Cut a bdev into equal parts <base>p0, <base>p1...",
               [("base_bdev", "base_bdev", {"help": "the bdev to cut"}),
                ("split_count", "split_count", {"type": int, "help": "how many parts"})])
    add_method(sub, "bdev_split_delete", "Remove the parts of a split bdev.",
               [("base_bdev", "base_bdev", {"help": "the bdev that was cut"})])

    raw = sub.add_parser("call", help="Call any method with JSON params.",
                         description="Call any method with JSON params.")
    raw.add_argument("raw_method", metavar="METHOD", help="the method's name")
    raw.add_argument("raw_params", metavar="PARAMS", nargs="?",
                     help="its params, a JSON object")
    raw.set_defaults(method=None, param_names=[])
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.method is None:
        method = args.raw_method
        try:
            params = json.loads(args.raw_params) if args.raw_params else None
        except json.JSONDecodeError as e:
            print(f"rpc.py: PARAMS is not JSON: {e}", file=sys.stderr)
            return 2
    else:
        method = args.method
        params = {name: getattr(args, name) for name in args.param_names
                  if getattr(args, name) is not None}
        if getattr(args, "size_to_blocks", False):
            size = params.pop("total_size") << 20
            if size % params["block_size"]:
                print(f"rpc.py: total_size is not a multiple of block_size "
                      f"({params['block_size']})", file=sys.stderr)
                return 2
            params["num_blocks"] = size // params["block_size"]
    try:
        client = Client(args.socket, args.timeout, args.verbose)
        try:
            result = client.call(method, params)
        finally:
            client.close()
    except RpcError as e:
        print(f"rpc.py: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
