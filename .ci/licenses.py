#!/usr/bin/env python3
"""Fails when a dependency's licence is not known to be compatible with
AGPL-3.0-or-later, the project's licence. Reads `cargo metadata`; needs nothing
else installed. An SPDX expression passes when each AND-term has an accepted
alternative."""
import json
import re
import subprocess
import sys

# Permissive licences and the copyleft ones that combine with the AGPL v3 (the
# GPL v3 explicitly, by section 13 of both).
ACCEPTED = {
    "GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later",
    "0BSD", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0",
    "CC0-1.0", "CDLA-Permissive-2.0", "ISC", "LGPL-3.0-or-later", "MIT", "MIT-0",
    "MPL-2.0", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "Zlib",
}


def accepted(expression: str) -> bool:
    expression = expression.replace("/", " OR ").replace("(", " ").replace(")", " ")
    for conjunct in re.split(r"\s+AND\s+", expression):
        options = [o.strip() for o in re.split(r"\s+OR\s+", conjunct) if o.strip()]
        if not any(o in ACCEPTED for o in options):
            return False
    return True


def main() -> int:
    metadata = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked"]))
    bad = []
    for package in metadata["packages"]:
        licence = package.get("license")
        if not licence or not accepted(licence):
            bad.append(f"{package['name']} {package['version']}: {licence!r}")
    if bad:
        print("dependencies with licences not known to be AGPL-compatible:")
        print("\n".join(f"  {line}" for line in sorted(bad)))
        return 1
    print(f"licences: {len(metadata['packages'])} packages, all AGPL-3.0-or-later compatible")
    return 0


if __name__ == "__main__":
    sys.exit(main())
