#!/usr/bin/env python3
"""Holds every #include of the libraries' sources to their link lines.

layers.tsv (written by CMake) has one line per library: name, folder, link line. A file in a
library's folder may include: a header of its own folder, a header of a library its link line
names, a system header, or an external package's header when the link line names that package.
It also checks that no source file nor the user-facing docs point at a `shared` folder beside
the repository: users have only the repository. Exit 1 with one line per violation."""
import os
import re
import sys

# External headers (by prefix) and the CMake target a library must link to include them.
PACKAGES = [
    ("librdkafka/", "PkgConfig::RDKAFKA"),
    ("hiredis/", "PkgConfig::HIREDIS"),
    ("uv.h", "PkgConfig::LIBUV"),
    ("uv/", "PkgConfig::LIBUV"),
    ("cblas.h", "PkgConfig::OPENBLAS"),
    ("openblas", "PkgConfig::OPENBLAS"),
    ("protobuf-c/", "PkgConfig::PROTOBUFC"),
    ("cjson/", "PkgConfig::CJSON"),
]
# Headers generated into the build tree, by the library that generates them.
GENERATED = {"rtrec.pb-c.h": "rr_proto"}
SHARED = re.compile(r"\.\./shared|shared folder")
DOCS = ["README.md", "DESIGN.md", "CONFIGURATION.md"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def read_layers(path):
    layers = {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            name, folder, uses = (line.rstrip("\n").split("\t") + [""])[:3]
            layers[name] = (os.path.realpath(folder), uses.split())
    return layers


def sources(folder):
    """The .c/.h files of a folder itself (sub-folders are their own libraries)."""
    for entry in sorted(os.listdir(folder)):
        if entry.endswith((".c", ".h")) and os.path.isfile(os.path.join(folder, entry)):
            yield os.path.join(folder, entry)


def shared_refs(path, root):
    rel = os.path.relpath(path, root)
    with open(path, encoding="utf-8") as f:
        return [f"{rel}:{n}: points at a shared folder users do not have"
                for n, line in enumerate(f, 1) if SHARED.search(line)]


def main(tsv, root):
    layers = read_layers(tsv)
    owner = {}  # header file name -> library whose folder holds it
    for name, (folder, _) in layers.items():
        for path in sources(folder):
            if path.endswith(".h"):
                owner.setdefault(os.path.basename(path), name)
    owner.update(GENERATED)

    errors = []
    checked = 0
    for name, (folder, uses) in sorted(layers.items()):
        allowed = set(uses) | {name}
        for path in sources(folder):
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for quote, header in INCLUDE.findall(text):
                checked += 1
                base = os.path.basename(header)
                if quote == '"':
                    lib = owner.get(base)
                    if lib is None:
                        errors.append(f"{rel}: includes \"{header}\", which no library folder holds")
                    elif lib not in allowed:
                        errors.append(f"{rel}: includes \"{header}\" of {lib}, "
                                      f"not on {name}'s link line ({' '.join(uses)})")
                    continue
                for prefix, target in PACKAGES:
                    if header.startswith(prefix) and target not in allowed:
                        errors.append(f"{rel}: includes <{header}> but {name} does not link {target}")
    for name, (folder, _) in sorted(layers.items()):
        for path in sources(folder):
            errors += shared_refs(path, root)
    for sub in ("tests", "bench"):  # their C sources too (scripts may read a data folder)
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    errors += shared_refs(os.path.join(dirpath, f), root)
    for doc in DOCS:
        if os.path.exists(os.path.join(root, doc)):
            errors += shared_refs(os.path.join(root, doc), root)
    for e in errors:
        print(e)
    print(f"layering: {len(layers)} libraries, {checked} includes checked, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], os.path.realpath(sys.argv[2])))
