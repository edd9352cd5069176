"""``python -m gdcore.engine.accel build|status|clear``: the compiled accelerator's cache.

    build [DIR]   compile and verify the loop (into DIR: what the background builder runs)
    status        where compiled code is kept, and whether this machine's build is ready
    clear         remove every compiled loop from the cache directory (not a build under way)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import PARENT_ENV, build, cache_dir, cache_root, clear, die_with_parent, key_parts, status, wait


def main(argv: list[str]) -> int:
    parent = os.environ.pop(PARENT_ENV, "")
    if parent.isdigit():  # a build child: first of all, never outlive the process that wants it
        die_with_parent(int(parent))
    command = argv[0] if argv else "status"
    if command == "build" and len(argv) == 2:
        info = build(Path(argv[1]))
        print(f"built and verified {info['verified_cases']} cases in {info['seconds']} s")
        return 0
    if command == "build":
        module = wait()
        print(status()[1])
        return 0 if module is not None else 1
    if command == "status":
        root = cache_root()
        if root is None:
            print("no writable cache directory: set GDCORE_CACHE_DIR")
            return 1
        target = cache_dir(root, key_parts())
        ready = (target / "READY.json").is_file()
        print(json.dumps({"cache_root": str(root), "this_build": str(target), "ready": ready,
                          "kept": sorted(p.name for p in root.glob("loop-*") if p.is_dir())},
                         indent=1))
        return 0
    if command == "clear":
        for path in clear():
            print(f"removed {path}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
