"""Exit 0 when the image already satisfies every line of a requirements file, else 1.

    python3 satisfied.py REQUIREMENTS.txt || python3 -m pip install -r REQUIREMENTS.txt

Model images run it before pip (src/container/dockerfile.ts), so requirements the base image
already has need neither pip nor a package index. pip alone is not enough for that: it also checks
the installed packages' own dependencies, and a distribution's packages can break those (Debian 13's
python3-torch 2.6 declares sympy==1.13.1 next to Debian's sympy 1.13.3), which sends pip to the index.
Anything this script cannot judge (options, URLs, extras, an unreadable file) counts as not satisfied,
and pip decides as before. Standalone: Python 3.9+, pip's vendored `packaging`, no pyml imports.
"""

import sys
from importlib import metadata


def satisfied(lines):
    try:
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - pip without its vendored packaging
        try:
            from packaging.requirements import InvalidRequirement, Requirement  # type: ignore[assignment]
        except ImportError:
            return False
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-") or "://" in line or line.endswith("\\"):
            return False
        try:
            req = Requirement(line)
        except InvalidRequirement:
            return False
        if req.marker is not None and not req.marker.evaluate():
            continue
        if req.extras or req.url:
            return False
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return False
        if not req.specifier.contains(version, prereleases=True):
            return False
    return True


def main(argv):
    if len(argv) != 2:
        print("usage: satisfied.py REQUIREMENTS.txt", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return 1
    ok = satisfied(lines)
    print("pyml: %s: %s" % (argv[1], "every requirement is already installed" if ok else "pip installs what is missing"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
