#!/usr/bin/env python3
"""compile_db.py OUT_DIR CFLAGS...: writes OUT_DIR/compile_commands.json for every source of
every layer, each with its own layer's include flags, as the build compiles it. The layers
come from the Makefile (`make layer-table`: one line per layer, its folder then its flags).
LINT_EXTRA (space-separated paths) adds files with the lib layer's flags, and
LINT_EXTRA_ONLY=1 leaves the tree out: the lint test's planted faults. Called by tests/lint/run.sh for cppcheck and clang-tidy."""
import glob
import json
import shlex
import os
import subprocess
import sys


def main():
    out, cflags = sys.argv[1], sys.argv[2:]
    table = subprocess.check_output(["make", "-s", "--no-print-directory", "layer-table"],
                                    text=True)
    db = []
    for n, line in enumerate(table.splitlines()):
        folder, *inc = line.split()
        extra = os.environ.get("LINT_EXTRA", "").split() if n == 0 else []
        tree = [] if os.environ.get("LINT_EXTRA_ONLY") else sorted(glob.glob(folder + "/*.c"))
        for src in tree + extra:
            # one command string: cppcheck loses the quotes of -DMXW_VERSION="..." when
            # given an argument list
            db.append({"directory": os.getcwd(), "file": src,
                       "command": shlex.join(["cc", *cflags, *inc, "-c", src])})
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "compile_commands.json"), "w") as f:
        json.dump(db, f, indent=1)
    print(len(db))


main()
