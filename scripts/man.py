#!/usr/bin/env python3
"""man.py - the scdoc source of two man pages, from their one source

  man.py conf docs/ledgerd.md OUT       ledgerd.conf(5): the "Configuration"
                                        table of docs/ledgerd.md
  man.py ledgerctl path/to/ledgerctl OUT  ledgerctl(1): every command's
                                        --help, as the binary prints it

So the man pages cannot drift from the documentation and the --help text
they repeat: meson runs this at build time and scdoc renders the result.
"""
import re
import subprocess
import sys


def inline(md):
    """Markdown cell text -> scdoc text."""
    md = md.replace("\\|", "|")
    md = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", md)      # links
    md = md.replace("*", "\\*").replace("_", "\\_")
    md = re.sub(r"`([^`]+)`", lambda m: "*" + m.group(1) + "*", md)
    return md


def split_row(line):
    cells, cur, i = [], "", 1
    while i < len(line) - 1:
        if line[i] == "\\" and line[i + 1] == "|":
            cur += "\\|"
            i += 2
            continue
        if line[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += line[i]
        i += 1
    cells.append(cur.strip())
    return cells


def conf(src, out):
    text = open(src, encoding="utf-8").read()
    sec = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [l for l in sec.splitlines() if l.startswith("| `")]
    if not rows:
        sys.exit("man.py: no configuration table in " + src)
    after = sec.split(rows[-1], 1)[1].strip()
    o = ["ledgerd.conf(5)", "", "# NAME", "",
         "ledgerd.conf - the configuration of *ledgerd*(8)", "",
         "# DESCRIPTION", "",
         "A JSON object read with *ledgerd -f* _file_. It is strict: "
         "unknown keys, wrong types, values out of range and duplicate "
         "keys are errors, each reported with its line and column, and "
         "*ledgerd* does not start (or, on *SIGHUP*, keeps the running "
         "configuration). *ledgerd -n -f* _file_ checks a file.", "",
         "# KEYS", ""]
    for r in rows:
        key, default, meaning = (split_row(r) + ["", "", ""])[:3]
        o.append(inline(key))
        o.append("\tDefault: " + inline(default) + ". " + inline(meaning))
        o.append("")
    o += ["# RELOADING", ""]
    for para in after.split("\n\n"):
        o.append(inline(" ".join(para.split())))
        o.append("")
    o += ["# EXAMPLE", "", "```",
          '{"listen": "0.0.0.0:8443",',
          ' "data_dir": "/var/lib/ledgerd",',
          ' "tls": {"cert_file": "/etc/ledgerd/tls/server.pem",',
          '         "key_file": "/etc/ledgerd/tls/server.key",',
          '         "client_ca_file": "/etc/ledgerd/tls/clients-ca.pem",',
          '         "client_auth": "optional"},',
          ' "sources": [{"name": "github", "type": "github",',
          '              "secret_file": "github.secret"}]}',
          "```", "", "# SEE ALSO", "",
          "*ledgerd*(8), *ledgerctl*(1); _docs/ledgerd.md_ and "
          "_docs/sources.md_ in the source tree.", ""]
    open(out, "w", encoding="utf-8").write("\n".join(o))


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       check=False)
    return r.stdout.decode("utf-8")


def literal(text):
    return ["```"] + [l.rstrip() for l in text.rstrip().splitlines()] + \
        ["```"]


def ledgerctl(binary, out):
    top = run([binary, "--help"])
    cmds = re.findall(r"^  ([a-z][a-z-]+) {2,}(.*)$", top, re.M)
    if len(cmds) < 10:
        sys.exit("man.py: '%s --help' lists %d commands" % (binary,
                                                             len(cmds)))
    tail = top.split("\n\n")[-1].strip()
    o = ["ledgerctl(1)", "", "# NAME", "",
         "ledgerctl - query, prove and verify a ledgerd log", "",
         "# SYNOPSIS", "",
         "*ledgerctl* [*--version*] [*--help*] _command_ [_options_] "
         "[_args_]", "",
         "# DESCRIPTION", "",
         "*ledgerctl* serves auditors and incident responders: it reads a "
         "*ledgerd*(8) log from its data directory (*-d* _DIR_) or over "
         "HTTP(S) from a running *ledgerd* (*--url* _URL_ with a read "
         "token), answers the questions an audit or an incident asks, "
         "proves entries against signed checkpoints and verifies the whole "
         "log, naming the first entry tampered with.", ""]
    o += literal(tail)
    o += ["", "# COMMANDS", ""]
    for name, summary in cmds:
        o.append("## " + name)
        o.append("")
        o.append(inline(summary.strip()) + ".")
        o.append("")
        o += literal(run([binary, name, "--help"]))
        o.append("")
    o += ["# ENVIRONMENT", "",
          "*LEDGER_DIR*, *LEDGER_URL*, *LEDGER_TOKEN*",
          "\tDefaults for *-d*, *--url* and *--token*.", "",
          "*LEDGER_CACERT*, *LEDGER_CERT*, *LEDGER_CLIENT_KEY*",
          "\tDefaults for *--cacert*, *--cert* and *--client-key*.", "",
          "*HTTPS_PROXY*, *https_proxy*, *http_proxy*, *NO_PROXY*",
          "\tProxies, as libcurl reads them.", "",
          "*XDG_STATE_HOME*",
          "\tWhere pins of verified checkpoints are kept "
          "(_ledgerctl/pins_).", "",
          "# EXIT STATUS", "",
          "0: yes, intact, allowed. 1: no, tampered, denied. 2: could not "
          "check (bad usage, unreadable input, no connection).", "",
          "# SEE ALSO", "", "*ledgerd*(8), *ledgerd.conf*(5)", ""]
    open(out, "w", encoding="utf-8").write("\n".join(o))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("conf", "ledgerctl"):
        sys.exit(__doc__)
    (conf if sys.argv[1] == "conf" else ledgerctl)(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
