#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""JSON-RPC client for USK services (usk_tgt): one subcommand per method.

Every method USK shares with SPDK takes SPDK's command line (the same
positional arguments and option names, and the same JSON params sent), so a
shell history written for SPDK's rpc.py works here. Only Python's standard
library is used. Prints the reply's result as JSON. A bad command line exits
with 2, a failed call (no server, no answer, a JSON-RPC error) with 1; either
way with one line on stderr.
"""

import argparse
import codecs
import collections
import difflib
import json
import math
import os
import re
import socket
import sys
import time

DEFAULT_SOCKET = "/var/tmp/usk.sock"
DEFAULT_TIMEOUT = 60.0
# Python's socket timeouts end near 9.2e9 s (int64 nanoseconds); a year is plenty.
MAX_TIMEOUT = 365 * 86400
RETRY_INTERVAL = 0.2
VERBOSE_LEVELS = ("DEBUG", "INFO", "ERROR")


class RpcError(Exception):
    """The server answered with a JSON-RPC error, or could not be reached.

    code is the JSON-RPC error code, None when there was no answer at all."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class ConnectionClosed(RpcError):
    """The server closed the connection before its answer was whole."""


class UsageError(Exception):
    """A command line that parses but does not make a request."""


class Client:
    """A connection to a USK JSON-RPC server over a Unix socket."""

    def __init__(self, path, timeout=DEFAULT_TIMEOUT, verbose=False, retries=0):
        self.path = path
        self.timeout = timeout
        self.verbose = verbose
        self.next_id = 1
        self.sock = self.connect(path, retries)
        self.decoder = json.JSONDecoder()
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""

    @staticmethod
    def connect(path, retries):
        for attempt in range(retries + 1):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return sock
            except (OSError, ValueError) as e:  # ValueError: a NUL in the path
                sock.close()
                if attempt == retries:
                    reason = getattr(e, "strerror", None) or e
                    raise RpcError(f"cannot connect to {path}: {reason} "
                                   "(is usk_tgt running? -s chooses the socket)") from None
                time.sleep(RETRY_INTERVAL)

    def call(self, method, params=None):
        """Sends one request and returns its result; raises RpcError on an error."""
        request = {"jsonrpc": "2.0", "method": method, "id": self.next_id}
        self.next_id += 1
        if params:
            request["params"] = params
        text = json.dumps(request)
        if self.verbose:
            print(f"request: {text}", file=sys.stderr)
        deadline = time.monotonic() + self.timeout
        try:
            self.sock.settimeout(self.timeout)
            self.sock.sendall(text.encode())
        except OSError as e:
            raise RpcError(f"{method}: cannot send the request: {e.strerror or e}") from None
        reply = self.read_reply(method, deadline)
        if self.verbose:
            print(f"reply: {json.dumps(reply)}", file=sys.stderr)
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            raise RpcError(f"{method}: the answer is not a JSON-RPC response: {reply!r:.200}")
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            raise RpcError(f"{method}: error {err.get('code')}: {err.get('message')}",
                           err.get("code"))
        return reply["result"]

    def read_reply(self, method, deadline):
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
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise socket.timeout
                self.sock.settimeout(left)
                data = self.sock.recv(65536)
                self.buf += self.utf8.decode(data, final=not data)
            except socket.timeout:
                raise RpcError(f"{method}: no answer in {self.timeout:g} s "
                               "(-t sets the timeout)") from None
            except UnicodeDecodeError:
                raise RpcError(f"{method}: the answer is not UTF-8") from None
            except OSError as e:
                raise RpcError(f"{method}: connection lost: {e.strerror or e}") from None
            if not data:
                when = "in the middle of its answer" if text else "before answering"
                raise ConnectionClosed(f"{method}: the server closed the connection {when}")

    def close(self):
        self.sock.close()


# Value checks: argparse prints their message after the argument's name.

def integer(minimum=None):
    def check(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value
    return check


def positive_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text}")
    return value


def timeout_seconds(text):
    value = positive_number(text)
    if value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_TIMEOUT} (a year), not {text}")
    return value


def comma_list(text):
    return text.split(",")


POSITIVE = integer(1)
NATURAL = integer(0)
SIGNED = integer()
LOG_LEVELS = ("ERROR", "WARNING", "NOTICE", "INFO", "DEBUG",
              "error", "warn", "notice", "info", "debug")  # lower case: USK's older spelling
SIGNALS = ("SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP", "SIGKILL", "SIGUSR1")
IOSTAT_MODES = ("all", "maxmin", "error", "none")


# The method table. A method is its name, a one-line help, its arguments as
# argparse takes them, and optionally `build` (turns the parsed values into
# params) and `run` (for commands that are more than one request). Params are
# the parsed values by dest, without those that are None, as SPDK's client
# sends them: a flag that was not given is sent as false.

Method = collections.namedtuple("Method", "name help args build run", defaults=(None, None))


def arg(*flags, **kw):
    return ("arg", flags, kw)


def flag(*flags, **kw):
    """A store_true option, sent as false when absent."""
    return ("arg", flags, dict(action="store_true", **kw))


def on_off(option, dest, help, required=False, default=None):
    """--x / --no-x, as argparse.BooleanOptionalAction makes in Python 3.9+."""
    return ("on_off", (option,), dict(dest=dest, help=help, required=required, default=default))


NAME_HELP = "the bdev's name"


def size_to_blocks(params, total_mib):
    size = total_mib * (1 << 20)
    block_size = params["block_size"]
    if not math.isfinite(size):
        raise UsageError(f"total_size ({total_mib:g} MiB) is too large")
    if size != int(size) or int(size) % block_size:
        raise UsageError(f"total_size ({total_mib:g} MiB) is not a multiple of "
                         f"block_size ({block_size})")
    params["num_blocks"] = int(size) // block_size
    return params


def build_malloc_create(params):
    return size_to_blocks(params, params.pop("total_size"))


def build_null_create(params):
    # SPDK: NAME TOTAL_SIZE BLOCK_SIZE. USK before: -b NAME TOTAL_SIZE
    # [BLOCK_SIZE]; then the positionals are shifted by one.
    old_name = params.pop("old_name", None)
    if old_name is not None:
        if "block_size" in params:
            raise UsageError("with -b NAME, give TOTAL_SIZE [BLOCK_SIZE] only")
        total = params.pop("total_size", None)
        params["block_size"] = 512 if total is None else total
        try:
            params["total_size"] = POSITIVE(params["name"])
        except argparse.ArgumentTypeError as e:
            raise UsageError(f"argument total_size: {e}") from None
        params["name"] = old_name
    for what in ("total_size", "block_size"):
        if what not in params:
            raise UsageError(f"the following arguments are required: {what}")
    if params.get("dif_type") and not params.get("md_size"):
        raise UsageError("--dif-type needs --md-size above 0")
    return size_to_blocks(params, params.pop("total_size"))


def build_nvme_attach(params):
    multipath = {k: params.pop(k) for k in ("policy", "selector", "min_io") if k in params}
    if multipath:
        params["multipath_opts"] = multipath
    return params


def build_nvmf_add_ns(params):
    ns = {k: params.pop(k) for k in ("bdev_name", "nsid", "uuid", "nguid", "eui64")
          if k in params}
    params["namespace"] = ns
    return params


def build_nvmf_listener(params):
    address = {k: params.pop(k) for k in ("trtype", "adrfam", "traddr", "trsvcid")
               if k in params}
    params["listen_address"] = address
    return params


def build_raw_call(params):
    text = params.get("params_json")
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError as e:
        raise UsageError(f"PARAMS is not JSON: {e}") from None
    return {"method": params["raw_method"], "params": value}


def run_save_config(call, params):
    indent = params["indent"] if params["indent"] >= 0 else None
    config = call("save_config")
    if config is None or not params.get("subsystems"):
        return config, indent
    wanted = set(params["subsystems"].split(","))
    try:
        tree = call("framework_get_subsystems") or []
    except RpcError as e:
        if e.code is None:
            raise
        tree = []  # a server without it: the names as given, no dependencies
    depends = {s.get("subsystem"): s.get("depends_on", []) for s in tree if isinstance(s, dict)}
    todo = list(wanted)
    while todo:
        for dep in depends.get(todo.pop(), []):
            if dep not in wanted:
                wanted.add(dep)
                todo.append(dep)
    if isinstance(config, dict):
        config["subsystems"] = [s for s in config.get("subsystems", [])
                                if s.get("subsystem") in wanted]
    return config, indent


def read_config(path):
    try:
        if path is None:
            config = json.load(sys.stdin)
        else:
            with open(path) as f:
                config = json.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"{path or 'stdin'} is not JSON: {e}") from None
    if not isinstance(config, dict) or not isinstance(config.get("subsystems"), list):
        raise UsageError(f"{path or 'stdin'}: expected {{\"subsystems\": [...]}}")
    entries = []
    for s in config["subsystems"]:
        name = s.get("subsystem") if isinstance(s, dict) else None
        for i, entry in enumerate((s.get("config") or []) if isinstance(s, dict) else []):
            # SPDK may group entries as a batch (a list); USK calls them in turn.
            for item in entry if isinstance(entry, list) else [entry]:
                if not isinstance(item, dict) or not isinstance(item.get("method"), str):
                    raise UsageError(f"subsystem '{name}', config[{i}]: no method")
                entries.append((f"subsystem '{name}', config[{i}]", item))
    return entries


def build_load_config(params):
    params["entries"] = read_config(params.get("json_conf"))
    return params


def run_load_config(call, params):
    aliases = params["include_aliases"]
    known = call("rpc_get_methods", {"include_aliases": aliases})
    for where, item in params["entries"]:
        if isinstance(known, list) and item["method"] not in known:
            raise RpcError(f"load_config: {where}: method '{item['method']}' is not "
                           "one the server has")
    for where, item in params["entries"]:
        try:
            call(item["method"], item.get("params"))
        except RpcError as e:
            raise RpcError(f"load_config: {where}: {e}", e.code) from None
    return None, 2


BDEV_METHODS = [
    Method("bdev_get_bdevs", "Show the bdevs, or one.", [
        arg("-b", "--name", help="only this bdev"),
        arg("-t", "--timeout-ms", dest="timeout", type=NATURAL,
            help="with -b, how long to wait for it to appear (ms, default 0)")]),
    Method("bdev_get_iostat", "Show the bdevs' I/O counters, or some.", [
        arg("-b", "--name", help="only this bdev (USK's spelling)"),
        flag("-c", "--per-channel", help="one entry per I/O channel"),
        arg("--reset-mode", choices=IOSTAT_MODES, help="then reset these counters"),
        arg("--names", type=comma_list, help="only these bdevs: NAME,NAME,...")]),
    Method("bdev_reset_iostat", "Reset the bdevs' I/O counters, or one's.", [
        arg("-b", "--name", help="only this bdev"),
        arg("-m", "--mode", choices=IOSTAT_MODES, help="which counters (default all)")]),
    Method("bdev_wait_for_examine", "Answer once every bdev has been examined.", []),
    Method("bdev_get_histogram", "Show a bdev's latency histogram.", [
        arg("name", help=NAME_HELP)]),
    Method("bdev_enable_histogram", "Start or stop a bdev's latency histogram.", [
        on_off("--histogram", "enable", "start (--histogram) or stop (--no-histogram)",
               required=True),
        arg("-o", "--opc", help="only this I/O type (as bdev_get_bdevs names them)"),
        arg("--granularity", type=NATURAL, help="bucket granularity"),
        arg("--min-nsec", type=NATURAL, help="smallest latency counted (ns)"),
        arg("--max-nsec", type=NATURAL, help="largest latency counted (ns)"),
        arg("name", help=NAME_HELP)]),
    Method("bdev_set_qos_limit", "Limit a bdev's IOPS and bandwidth (0 lifts a limit).", [
        arg("name", help=NAME_HELP),
        arg("--rw-ios-per-sec", "--rw_ios_per_sec", type=NATURAL,
            help="reads and writes per second"),
        arg("--rw-mbytes-per-sec", "--rw_mbytes_per_sec", type=NATURAL,
            help="MiB per second, reads and writes"),
        arg("--r-mbytes-per-sec", type=NATURAL, help="MiB per second, reads"),
        arg("--w-mbytes-per-sec", type=NATURAL, help="MiB per second, writes")]),
    Method("bdev_malloc_create", "Create a bdev in memory.", [
        arg("-b", "--name", help="its name (default: the server picks one)"),
        arg("-u", "--uuid", help="its UUID"),
        arg("total_size", type=positive_number, help="its size in MiB"),
        arg("block_size", type=POSITIVE, nargs="?", default=512,
            help="bytes per block (default 512)"),
        arg("-p", "--physical-block-size", type=POSITIVE, help="bytes per physical block"),
        arg("-o", "--optimal-io-boundary", type=NATURAL,
            help="split I/O at this many blocks (default 0: never)"),
        arg("-m", "--md-size", type=NATURAL, help="metadata bytes per block"),
        flag("-i", "--md-interleave", help="metadata inside each block, not apart"),
        arg("-t", "--dif-type", type=int, choices=[0, 1, 2, 3], help="protection type"),
        flag("-d", "--dif-is-head-of-md", help="protection in the metadata's first bytes"),
        arg("-f", "--dif-pi-format", type=int, choices=[0, 1, 2],
            help="guard size: 0 16 bits, 1 32 bits, 2 64 bits"),
        arg("-n", "--numa-id", type=integer(-1), help="NUMA node of the memory (-1: any)")],
        build=build_malloc_create),
    Method("bdev_malloc_delete", "Delete a malloc bdev.", [arg("name", help=NAME_HELP)]),
    Method("bdev_null_create", "Create a bdev that keeps no data.", [
        arg("name", help=NAME_HELP),
        arg("-b", dest="old_name", metavar="NAME",
            help="USK's older spelling: -b NAME TOTAL_SIZE [BLOCK_SIZE]"),
        arg("-u", "--uuid", help="its UUID"),
        arg("total_size", type=POSITIVE, nargs="?", help="its size in MiB (required)"),
        arg("block_size", type=POSITIVE, nargs="?",
            help="bytes per block (required, but for 512 with -b)"),
        arg("-p", "--physical-block-size", type=POSITIVE, help="bytes per physical block"),
        arg("-m", "--md-size", type=NATURAL, help="metadata bytes per block"),
        arg("-t", "--dif-type", type=int, choices=[0, 1, 2, 3],
            help="protection type (needs --md-size)"),
        flag("-d", "--dif-is-head-of-md", help="protection in the metadata's first bytes"),
        arg("-f", "--dif-pi-format", type=int, choices=[0, 1, 2],
            help="guard size: 0 16 bits, 1 32 bits, 2 64 bits"),
        arg("-a", "--preferred-write-alignment", type=NATURAL, help="in blocks"),
        arg("-g", "--preferred-write-granularity", type=NATURAL, help="in blocks"),
        arg("-s", "--optimal-write-size", type=NATURAL, help="in blocks"),
        arg("-c", "--preferred-unmap-alignment", type=NATURAL, help="in blocks"),
        arg("-r", "--preferred-unmap-granularity", type=NATURAL, help="in blocks")],
        build=build_null_create),
    Method("bdev_null_delete", "Delete a null bdev.", [arg("name", help=NAME_HELP)]),
    Method("bdev_null_resize", "Change a null bdev's size.", [
        arg("name", help=NAME_HELP),
        arg("new_size", type=POSITIVE, help="the new size in MiB")]),
    Method("bdev_split_create", "Cut a bdev into equal parts <base>p0, <base>p1...", [
        arg("base_bdev", help="the bdev to cut"),
        arg("-s", "--split-size-mb", type=POSITIVE, help="each part's size in MiB "
            "(default: the base's size divided by SPLIT_COUNT)"),
        arg("split_count", type=POSITIVE, help="how many parts")]),
    Method("bdev_split_delete", "Remove the parts of a split bdev.", [
        arg("base_bdev", help="the bdev that was cut")]),
    Method("bdev_uring_create", "Create a bdev on a file or block device, through io_uring.", [
        arg("filename", help="the file or block device"),
        arg("name", help=NAME_HELP),
        arg("block_size", type=POSITIVE, nargs="?", help="bytes per block (default 512)"),
        arg("-u", "--uuid", help="its UUID")]),
    Method("bdev_uring_delete", "Delete a uring bdev.", [arg("name", help=NAME_HELP)]),
    Method("bdev_uring_set_options",
           "Set the uring module's options; before the first uring bdev is created.", [
               arg("--sqpoll", action="store_true", default=None,
                   help="a kernel thread polls each ring's submissions"),
               arg("--sqpoll-idle-ms", type=NATURAL,
                   help="idle time before that thread sleeps (default 1000)")]),
    Method("bdev_aio_create", "Create a bdev on a file or block device, through Linux AIO.", [
        arg("filename", help="the file or block device"),
        arg("name", help=NAME_HELP),
        arg("block_size", type=POSITIVE, nargs="?", help="bytes per block"),
        flag("-r", "--readonly", help="refuse writes"),
        flag("--fallocate", help="unmap and write zeroes through fallocate()"),
        arg("-u", "--uuid", help="its UUID"),
        flag("--no-wait", dest="nowait", help="submit with RWF_NOWAIT (block devices)")]),
    Method("bdev_aio_delete", "Delete an aio bdev.", [arg("name", help=NAME_HELP)]),
]

NVME_TARGET = [  # how SPDK names a controller's path, for NVMe-oF as well as PCIe
    arg("-f", "--adrfam", help="address family (NVMe-oF)"),
    arg("-s", "--trsvcid", help="service id, e.g. a port (NVMe-oF)"),
    arg("-n", "--subnqn", help="subsystem NQN (NVMe-oF)"),
    arg("-i", "--hostaddr", help="host address (NVMe-oF)"),
    arg("-c", "--hostsvcid", help="host service id (NVMe-oF)"),
]

NVME_METHODS = [
    Method("bdev_nvme_attach_controller",
           "Attach an NVMe controller; each namespace becomes bdev <name>n<nsid>.", [
               arg("-b", "--name", required=True, help="the controller's name, e.g. Nvme0"),
               arg("-t", "--trtype", default="PCIe", help="transport type: PCIe (default) or TCP"),
               arg("-a", "--traddr", required=True,
                   help="its address: for PCIe the BDF, e.g. 0000:01:00.0; for TCP an IP address"),
               *NVME_TARGET,
               arg("-p", "--priority", help="connection priority (NVMe-oF)"),
               arg("-q", "--hostnqn", help="host NQN (NVMe-oF)"),
               flag("-r", "--prchk-reftag", help="check the protection reference tag"),
               flag("-g", "--prchk-guard", help="check the protection guard"),
               flag("-e", "--hdgst", help="TCP header digest"),
               flag("-d", "--ddgst", help="TCP data digest"),
               arg("--fabrics-timeout", dest="fabrics_connect_timeout_us", type=NATURAL,
                   help="fabrics connect timeout (us)"),
               arg("-x", "--multipath", choices=["disable", "failover", "multipath"],
                   help="what a second path to the same controller does"),
               arg("--num-io-queues", type=POSITIVE, help="I/O queues to ask for"),
               on_off("--interrupts", "enable_interrupts",
                      "MSI-X interrupts, which wake a sleeping reactor (the default), or "
                      "--no-interrupts: its queues are polled only"),
               arg("-l", "--ctrlr-loss-timeout-sec", type=integer(-1),
                   help="give a lost controller up after this (-1: never)"),
               arg("-o", "--reconnect-delay-sec", type=NATURAL, help="between reconnects"),
               arg("-u", "--fast-io-fail-timeout-sec", type=NATURAL,
                   help="fail I/O to a lost controller after this"),
               arg("-k", "--psk", help="TLS pre-shared key's name (TCP)"),
               arg("-m", "--max-bdevs", type=POSITIVE, help="most namespaces to create bdevs for"),
               arg("--dhchap-key", help="DH-HMAC-CHAP key's name"),
               arg("--dhchap-ctrlr-key", help="DH-HMAC-CHAP controller key's name"),
               flag("-U", "--allow-unrecognized-csi",
                    help="attach namespaces of unknown command sets too"),
               arg("--policy", choices=["active_passive", "active_active"], help="multipath"),
               arg("--selector", choices=["round_robin", "queue_depth"], help="multipath"),
               arg("--min-io", type=POSITIVE, help="I/Os per path before the next (round_robin)"),
               flag("--disable-sq-flow-control", help="no SQ flow control (NVMe-oF)")],
           build=build_nvme_attach),
    Method("bdev_nvme_detach_controller", "Remove an NVMe controller's bdevs and detach it.", [
        arg("name", help="the controller's name"),
        arg("-t", "--trtype", help="only the path of this transport type"),
        arg("-a", "--traddr", help="only the path at this address"),
        *NVME_TARGET]),
    Method("bdev_nvme_get_controllers", "Show the NVMe controllers, or one.", [
        arg("-n", "--name", help="only this controller")]),
    Method("bdev_nvme_set_options",
           "Set the nvme module's timeouts and retries; before the first controller.", [
               arg("-a", "--action-on-timeout", choices=["none", "reset", "abort"],
                   help="abort (then reset if still late) or reset; none: timeout-us 0 only"),
               arg("-t", "--timeout-us", type=NATURAL,
                   help="I/O timeout in microseconds (0: none)"),
               arg("--timeout-admin-us", type=NATURAL,
                   help="admin command timeout in microseconds (0: 10 s)"),
               arg("-r", "--bdev-retry-count", type=integer(-1),
                   help="times a failed I/O is sent again (-1: no limit; 3); those a reset "
                        "ended go again until the controller fails, unless 0")]),
    Method("bdev_nvme_reset_controller", "Reset an NVMe controller.", [
        arg("name", help="the controller's name"),
        arg("-c", "--cntlid", type=NATURAL, help="only the path to this controller id")]),
]

APP_METHODS = [
    Method("rpc_get_methods", "List the methods the server has.", [
        flag("-c", "--current", help="only those callable in the current state"),
        flag("-i", "--include-aliases", help="with the deprecated names too")]),
    Method("spdk_get_version", "Show the server's version.", []),
    Method("spdk_kill_instance", "Stop the service in an orderly way.", [
        arg("sig_name", nargs="?", default="SIGTERM", choices=SIGNALS,
            help="the signal to act as (default SIGTERM)")]),
    Method("framework_wait_init", "Answer once the subsystems are initialised.", []),
    Method("framework_get_subsystems", "List the subsystems in start order, with what each needs.",
           []),
    Method("framework_get_config", "Show one subsystem's configuration.", [
        arg("name", help="the subsystem"),
        on_off("--with-batches", "with_batches", "keep batches as they are", default=False)]),
    Method("framework_get_reactors",
           "Show each reactor: its core, busy and idle ticks, and its threads.", []),
    Method("thread_get_stats", "Show each thread's busy and idle ticks, messages and pollers.", []),
    Method("thread_get_pollers", "Show each thread's pollers: period, state, runs and busy runs.",
           []),
    Method("thread_get_io_channels", "Show each thread's I/O channels.", []),
    Method("save_config", "Print the running configuration, in the shape --json reads.", [
        arg("-i", "--indent", type=int, default=2, help="spaces to indent by (< 0: one line)"),
        arg("-s", "--subsystems", help="only these subsystems and what they need: NAME,NAME,..."),
        on_off("--with-batches", "with_batches", "keep batches (USK writes none)",
               default=False)],
        run=run_save_config),
    Method("load_config", "Apply a configuration that save_config wrote, entry by entry.", [
        flag("-i", "--include-aliases", help="accept the methods' deprecated names"),
        arg("-j", "--json-conf", help="the file (default: stdin)")],
        build=build_load_config, run=run_load_config),
    Method("log_set_level", "Set the most verbose level that is logged.", [
        arg("level", choices=LOG_LEVELS, metavar="LEVEL",
            help="ERROR, WARNING, NOTICE, INFO or DEBUG")]),
    Method("log_get_level", "Show the most verbose level that is logged.", []),
    Method("log_set_print_level", "Set the most verbose level that is printed to stderr.", [
        arg("level", choices=LOG_LEVELS, metavar="LEVEL",
            help="ERROR, WARNING, NOTICE, INFO or DEBUG")]),
    Method("log_get_print_level", "Show the most verbose level that is printed to stderr.", []),
    Method("log_set_flag", "Turn on a component's debug messages.", [
        arg("flag", help="a component (log_get_flags lists them) or all")]),
    Method("log_clear_flag", "Turn off a component's debug messages.", [
        arg("flag", help="a component (log_get_flags lists them) or all")]),
    Method("log_get_flags", "Show every component's debug flag.", []),
    Method("call", "Call any method with JSON params.", [
        arg("raw_method", metavar="METHOD", help="the method's name"),
        arg("params_json", metavar="PARAMS", nargs="?", help="its params, a JSON object")],
        build=build_raw_call),
]

NQN_HELP = "the subsystem's NQN"
LISTENER_ARGS = [
    arg("nqn", help=NQN_HELP),
    arg("-t", "--trtype", required=True, help="the transport: tcp"),
    arg("-a", "--traddr", required=True, help="the address to listen on (IPv4 or IPv6)"),
    arg("-f", "--adrfam", help="ipv4 or ipv6 (default: what the address is)"),
    arg("-s", "--trsvcid", required=True, help="the port")]

NVMF_METHODS = [
    Method("nvmf_create_transport", "Create the NVMe-oF transport (TCP), once.", [
        arg("-t", "--trtype", required=True, help="TCP"),
        arg("-q", "--max-queue-depth", type=POSITIVE, help="entries of an I/O queue (128)"),
        arg("-m", "--max-io-qpairs-per-ctrlr", type=POSITIVE,
            help="I/O queues of one controller (127)"),
        arg("-c", "--in-capsule-data-size", type=NATURAL,
            help="data bytes a command capsule may carry (4096)"),
        arg("-i", "--max-io-size", type=POSITIVE, help="bytes of one command (131072)"),
        arg("-u", "--io-unit-size", type=POSITIVE, help="bytes of one buffer unit (131072)"),
        arg("-a", "--max-aq-depth", type=POSITIVE, help="entries of an admin queue (128)"),
        arg("-n", "--num-shared-buffers", type=POSITIVE,
            help="large data buffers, shared by the poll groups (511)"),
        arg("-b", "--buf-cache-size", type=NATURAL, help="accepted; each group keeps its own"),
        arg("-o", "--c2h-success", action="store_false", default=None,
            help="always send a response after read data (SPDK's flag: disables the "
            "SUCCESS optimization)")]),
    Method("nvmf_get_transports", "Show the transport's options.", [
        arg("--trtype", help="only this transport")]),
    Method("nvmf_create_subsystem", "Create a subsystem.", [
        arg("nqn", help=NQN_HELP),
        arg("-s", "--serial-number", help="its serial number (up to 20 characters)"),
        arg("-d", "--model-number", help="its model number (up to 40 characters)"),
        flag("-a", "--allow-any-host", help="let any host connect"),
        arg("-m", "--max-namespaces", type=NATURAL, help="at most 32 (0: 32)"),
        arg("-i", "--min-cntlid", type=POSITIVE, help="lowest controller ID (1)"),
        arg("-I", "--max-cntlid", type=POSITIVE, help="highest controller ID (65519)")]),
    Method("nvmf_delete_subsystem", "Disconnect a subsystem's hosts and delete it.", [
        arg("nqn", help=NQN_HELP)]),
    Method("nvmf_subsystem_add_ns", "Export a bdev as a namespace; prints its NSID.", [
        arg("nqn", help=NQN_HELP),
        arg("bdev_name", help=NAME_HELP),
        arg("-n", "--nsid", type=POSITIVE, help="its NSID (default: the first free)"),
        arg("-u", "--uuid", help="its UUID (default: the bdev's)")],
        build=build_nvmf_add_ns),
    Method("nvmf_subsystem_add_listener", "Listen for a subsystem's hosts on an address.",
           LISTENER_ARGS, build=build_nvmf_listener),
    Method("nvmf_subsystem_remove_listener", "Stop listening on an address.",
           LISTENER_ARGS, build=build_nvmf_listener),
    Method("nvmf_subsystem_add_host", "Let a host connect to a subsystem.", [
        arg("nqn", help=NQN_HELP), arg("host", help="the host's NQN")]),
    Method("nvmf_subsystem_remove_host", "Take a host off a subsystem's list.", [
        arg("nqn", help=NQN_HELP), arg("host", help="the host's NQN")]),
    Method("nvmf_subsystem_allow_any_host", "Let any host connect, or only those listed.", [
        arg("nqn", help=NQN_HELP),
        on_off("--allow-any-host", "allow_any_host", "any host (-e in SPDK) or listed ones",
               required=True)]),
    Method("nvmf_get_subsystems", "Show the subsystems, or one.", [
        arg("nqn", nargs="?", help=NQN_HELP)]),
]

METHODS = APP_METHODS + BDEV_METHODS + NVME_METHODS + NVMF_METHODS


class Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line, not a usage text."""

    def error(self, message):
        method = getattr(self, "method_name", None)
        where = f"{method}: " if method else ""
        hint = f" ({self.prog} -h)"
        bad = re.match(r"argument METHOD: invalid choice: '([^']*)'", message)
        if bad:
            near = difflib.get_close_matches(bad.group(1), [m.name for m in METHODS], 3)
            message = f"unknown method '{bad.group(1)}'"
            hint = f"; did you mean {' or '.join(near)}?" if near else " (rpc.py -h lists them)"
        self.exit(2, f"rpc.py: error: {where}{message}{hint}\n")


def add_method(sub, method):
    p = sub.add_parser(method.name, help=method.help, description=method.help)
    p.method_name = method.name
    dests = []
    for kind, flags, kw in method.args:
        if kind == "on_off":
            group = p.add_mutually_exclusive_group(required=kw["required"])
            name = flags[0][2:]
            group.add_argument(f"--{name}", dest=kw["dest"], action="store_const", const=True,
                               help=kw["help"])
            group.add_argument(f"--no-{name}", dest=kw["dest"], action="store_const",
                               const=False, help="the opposite")
            p.set_defaults(**{kw["dest"]: kw["default"]})
            dest = kw["dest"]
        else:
            dest = p.add_argument(*flags, **kw).dest
        dests.append(dest)
    p.set_defaults(rpc_method=method, rpc_dests=dests)


def build_parser():
    parser = Parser(
        prog="rpc.py", description="Call a USK service's JSON-RPC methods. Every method "
        "shared with SPDK takes SPDK's rpc.py arguments.",
        epilog="'%(prog)s METHOD -h' describes a method's arguments.")
    parser.add_argument("-s", "--socket", dest="rpc_socket", metavar="SOCKET",
                        default=DEFAULT_SOCKET,
                        help=f"the server's Unix socket (default {DEFAULT_SOCKET})")
    parser.add_argument("-t", "--timeout", dest="rpc_timeout", metavar="SECONDS",
                        type=timeout_seconds,
                        default=DEFAULT_TIMEOUT, help="seconds to wait for an answer (default 60)")
    parser.add_argument("-r", dest="rpc_retries", metavar="N", type=NATURAL, default=0,
                        help=f"connect attempts to retry, {RETRY_INTERVAL} s apart (default 0)")
    parser.add_argument("-v", dest="rpc_verbose", action="store_const", const="INFO",
                        default="ERROR", help="print the requests and replies on stderr")
    parser.add_argument("--verbose", dest="rpc_verbose", choices=VERBOSE_LEVELS,
                        help="ERROR (the default), or INFO or DEBUG as -v")
    parser.add_argument("--dry-run", dest="rpc_dry_run", action="store_true",
                        help="print the request instead of sending it")
    sub = parser.add_subparsers(title="methods", metavar="METHOD")
    sub.required = True
    for method in METHODS:
        add_method(sub, method)
    return parser


def fix_bare_verbose(argv):
    """USK's --verbose took no value; SPDK's takes a level. Both work."""
    out = list(argv)
    i = 0
    while i < len(out) and out[i].startswith("-"):
        if out[i] in ("-s", "--socket", "-t", "--timeout", "-r"):
            i += 1
        elif len(out[i]) > 4 and "--verbose".startswith(out[i]):
            if i + 1 >= len(out) or out[i + 1] not in VERBOSE_LEVELS:
                out[i] = "--verbose=INFO"
        i += 1
    return out


def method_params(args):
    """The params for the parsed command line."""
    params = {d: getattr(args, d) for d in args.rpc_dests if getattr(args, d) is not None}
    build = args.rpc_method.build
    return build(params) if build else params


def make_caller(args):
    """A function (method, params) -> result; it prints the request with --dry-run."""
    if args.rpc_dry_run:
        def dry(method, params=None):
            print("Request:\n" + json.dumps({"method": method, "params": params or {}}, indent=2))
        return dry, None
    client = Client(args.rpc_socket, args.rpc_timeout, args.rpc_verbose != "ERROR",
                    args.rpc_retries)
    return client.call, client


def run(method, call, params):
    if method.run:
        return method.run(call, params)
    if method.name == "call":
        return call(params["method"], params["params"]), 2
    try:
        return call(method.name, params), 2
    except ConnectionClosed:
        if method.name == "spdk_kill_instance":
            return None, 2  # gone before it answered: what was asked
        raise


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(fix_bare_verbose(sys.argv[1:] if argv is None else argv))
    client = None
    try:
        params = method_params(args)
        call, client = make_caller(args)
        result, indent = run(args.rpc_method, call, params)
        if not args.rpc_dry_run and result is not None:
            print(json.dumps(result, indent=indent))
    except UsageError as e:
        name = args.rpc_method.name
        print(f"rpc.py: error: {name}: {e} (rpc.py {name} -h)", file=sys.stderr)
        return 2
    except RpcError as e:
        print(f"rpc.py: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rpc.py: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1
    finally:
        if client:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
