#!/usr/bin/env python3
"""Sends QMP commands to a running QEMU and prints each reply.

Usage: qmp.py SOCKET COMMAND_JSON [COMMAND_JSON ...]
Exit status 0 when every command returned "return", 1 otherwise.
"""
import json
import socket
import sys


def read_message(stream):
    """Returns the next reply or event; events are skipped by the caller."""
    line = stream.readline()
    if not line:
        raise ConnectionError("QEMU closed the QMP socket")
    return json.loads(line)


def execute(stream, sock, command):
    sock.sendall(json.dumps(command).encode() + b"\n")
    while True:
        message = read_message(stream)
        if "event" not in message:
            return message


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(argv[1])
    stream = sock.makefile("r")
    read_message(stream)  # the greeting
    ok = "return" in execute(stream, sock, {"execute": "qmp_capabilities"})
    for text in argv[2:]:
        reply = execute(stream, sock, json.loads(text))
        print(json.dumps(reply))
        ok = ok and "return" in reply
    sock.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
