#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Splits the instructions (Ir) of a callgrind output file into named parts
per I/O, for bench/nvme_cost.sh.

    callgrind_split.py FILE --ios-from FN --part NAME=EXPR [--part ...]
    callgrind_split.py --table AFTER [BEFORE]

--ios-from FN: the number of I/Os is the number of calls to FN.
EXPR adds and subtracts terms: 'incl:FN' (FN's inclusive Ir), 'self:PREFIX'
(the self Ir of every function whose source file contains PREFIX) and '*'
(everything counted). Prints one line per part: its name, its Ir per I/O.
Needs a run with no recursion through the functions named (callgrind's
inclusive cost double-counts a cycle). --table prints what two such runs
printed (the text itself, not file names) side by side.
"""

import argparse
import collections
import re
import sys


class Profile:
    def __init__(self):
        self.total = 0
        self.self_ir = collections.Counter()  # (file, fn) -> Ir
        self.incl = collections.Counter()     # fn -> Ir, self plus calls
        self.calls = collections.Counter()    # fn -> times called


def _name(names, kind, ref):
    """Resolves callgrind's name compression: '(7) foo' defines 7, '(7)' uses it."""
    m = re.match(r"\((\d+)\)(?: (.*))?$", ref)
    if m is None:
        return ref
    if m.group(2) is not None:
        names[(kind, m.group(1))] = m.group(2)
    return names[(kind, m.group(1))]


def parse(path):
    """Reads one callgrind output file with the single event Ir."""
    p = Profile()
    names = {}
    fl = fn = cfn = fn_file = None
    call_count = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            key, _, value = line.partition("=")
            if key == "fl":
                fl = _name(names, "fl", value)
            elif key in ("fi", "fe", "cfi", "cfl"):
                _name(names, "fl", value)
            elif key == "fn":
                fn = _name(names, "fn", value)
                fn_file = fl
            elif key == "cfn":
                cfn = _name(names, "fn", value)
            elif key == "calls":
                call_count = int(value.split()[0])
            elif line[:1].isdigit() or line[:1] in "+-*":
                fields = line.split()
                ir = int(fields[-1]) if len(fields) > 1 else 0
                if call_count is not None:
                    p.incl[fn] += ir
                    p.calls[cfn] += call_count
                    call_count = None
                else:
                    p.self_ir[(fn_file, fn)] += ir
                    p.incl[fn] += ir
                    p.total += ir
    return p


def evaluate(p, expr):
    """The Ir of @expr (terms joined by + and -)."""
    total = 0
    for sign, term in re.findall(r"([+-]?)\s*([^+-]+)", expr):
        term = term.strip()
        if term == "*":
            value = p.total
        elif term.startswith("incl:"):
            value = p.incl[term[5:]]
        elif term.startswith("self:"):
            value = sum(ir for (fl, _), ir in p.self_ir.items() if term[5:] in (fl or ""))
        else:
            raise SystemExit(f"callgrind_split: '{term}' is not incl:FN, self:PREFIX or *")
        total += -value if sign == "-" else value
    return total


def table(after, before):
    """Prints the parts of @after, and of @before next to them when given."""
    a = dict(line.split() for line in after.splitlines())
    b = dict(line.split() for line in before.splitlines()) if before else {}
    print(f"{'':<10} {'before':>10} {'after':>10} {'change':>8}" if b else f"{'':<10} {'Ir':>10}")
    for name, value in a.items():
        if name == "ios":
            continue
        if b:
            was = float(b[name])
            print(f"{name:<10} {was:>10.1f} {float(value):>10.1f} {float(value) - was:>+8.1f}")
        else:
            print(f"{name:<10} {float(value):>10.1f}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--ios-from", required=True)
    parser.add_argument("--part", action="append", default=[])
    args = parser.parse_args()
    p = parse(args.file)
    ios = p.calls[args.ios_from]
    if ios == 0:
        print(f"callgrind_split: no call to {args.ios_from} was counted", file=sys.stderr)
        return 1
    print(f"ios {ios}")
    for part in args.part:
        name, _, expr = part.partition("=")
        print(f"{name} {evaluate(p, expr) / ios:.1f}")
    print(f"total {p.total / ios:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
