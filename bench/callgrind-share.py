#!/usr/bin/env python3
"""callgrind-share.py - what share of ledger_store_append is the Merkle tree

usage: bench/callgrind-share.py CALLGRIND_OUT BINARY

Reads a callgrind profile recorded with --dump-instr=yes of a program
statically linked with libledger (bench-append), and splits the inclusive
instruction count of ledger_store_append into its call sites.  The store's
helpers (append_one, step_done) are inlined at -O2, so a call site is named
by its inline chain (addr2line -i): the sqlite3_step of the tree INSERT is
the one whose chain passes the `insert tree hash` line.  Prints the tree
part (ledger_merkle_frontier_append + the tree INSERT steps + their binds
and resets) against ledger_store_append and the whole run.
"""
import collections
import re
import subprocess
import sys


def parse(path):
    names = {"fn": {}, "cfn": {}, "fl": {}}
    fn = None
    calls = []          # (caller fn, callee fn, call-site addr, inclusive Ir)
    self_cost = collections.Counter()
    total = None
    pending = None      # callee of a calls= line: the next line is its cost
    last_addr = 0
    positions = ["line"]
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("positions:"):
                positions = line.split()[1:]
                continue
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
                continue
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
            if m:
                kind, ident, name = m.groups()
                table = names["fn"]     # fn and cfn share one table
                if name is not None:
                    table[ident] = name
                if kind == "fn":
                    fn = table[ident]
                else:
                    cfn = table[ident]
                continue
            if line.startswith("calls="):
                pending = cfn
                continue
            if not line or not (line[0] in "0123456789+-*"):
                continue
            parts = line.split()
            # positions: instr [line]; then the event counts (Ir first)
            a = parts[0]
            if a.startswith("0x"):
                addr = int(a, 16)
            elif a[0] in "+-":
                d = int(a[1:], 0)
                addr = last_addr + (d if a[0] == "+" else -d)
            elif a == "*":
                addr = last_addr
            else:
                addr = int(a, 0)
            last_addr = addr
            cost = int(parts[len(positions)]) if len(parts) > len(positions) \
                else 0
            if pending is not None:
                calls.append((fn, pending, addr, cost))
                pending = None
            else:
                self_cost[fn] += cost
    return calls, self_cost, total


def inline_chain(binary, addrs):
    if not addrs:
        return {}
    res = {}
    for a in addrs:
        o = subprocess.run(["addr2line", "-f", "-i", "-e", binary,
                            "0x%x" % a], capture_output=True, text=True,
                           check=True).stdout.splitlines()
        res[a] = [(o[i], o[i + 1].split("/")[-1].split(" ")[0])
                  for i in range(0, len(o) - 1, 2)]
    return res


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    calls, self_cost, total = parse(sys.argv[1])
    binary = sys.argv[2]
    top = "ledger_store_append"
    own = [c for c in calls if c[0] == top]
    incl = self_cost[top] + sum(c[3] for c in own)
    chains = inline_chain(binary, sorted({c[2] for c in own}))
    # The tree block of append_one: from the frontier append to the
    # "insert tree hash" step (lines of the current lib/store.c, which
    # must be the source the binary was built from).
    store = open("lib/store.c").read().splitlines()
    lo = next(i for i, l in enumerate(store, 1)
              if "ledger_merkle_frontier_append(" in l)
    hi = next(i for i, l in enumerate(store, 1)
              if i > lo and '"insert tree hash"' in l) + 1

    def is_tree(callee, addr):
        if callee.startswith("ledger_merkle_frontier_append"):
            return True
        for fn, fl in chains.get(addr, []):
            f, _, n = fl.partition(":")
            if fn == "append_one" and f == "store.c" and n.isdigit() and \
                    lo <= int(n) <= hi:
                return True
        return False

    by_site = collections.Counter()
    site_tree = {}
    for caller, callee, addr, cost in own:
        chain = chains.get(addr, [])
        where = " <- ".join("%s %s" % (fn, fl) for fn, fl in chain[:-1])
        by_site[(callee, where)] += cost
        site_tree[(callee, where)] = is_tree(callee, addr)
    tree = 0
    print("ledger_store_append: %d Ir inclusive (%.1f%% of the run's %d)"
          % (incl, 100.0 * incl / total, total))
    print("  self (inlined append_one, binds, ...): %d Ir (%.1f%%)" %
          (self_cost[top], 100.0 * self_cost[top] / incl))
    print("\n  %-12s %6s  %-30s %s" % ("Ir", "share", "callee",
                                      "call site (inline chain)"))
    for (callee, where), cost in by_site.most_common():
        t = site_tree[(callee, where)]
        if t:
            tree += cost
        if cost * 200 >= incl or t:
            print("  %-12d %5.1f%%  %-30s %s%s" % (
                cost, 100.0 * cost / incl, callee[:30], where[:90],
                "  TREE" if t else ""))
    print("\nMerkle tree part: %d Ir = %.2f%% of ledger_store_append, "
          "%.2f%% of the whole run" % (tree, 100.0 * tree / incl,
                                       100.0 * tree / total))
    print("result tree_ir=%d append_ir=%d total_ir=%d tree_share_append=%.2f"
          " tree_share_total=%.2f" % (tree, incl, total,
                                      100.0 * tree / incl,
                                      100.0 * tree / total))


main()
