#!/usr/bin/env python3
"""The layering check catches what it claims to: a header of a folder not on the link line, an
external package's header without the package, and a pointer to a shared folder."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")


def tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def run(root, layers):
    tsv = os.path.join(root, "layers.tsv")
    with open(tsv, "w") as f:
        for name, folder, uses in layers:
            f.write(f"{name}\t{os.path.join(root, folder)}\t{uses}\n")
    return subprocess.run([sys.executable, CHECK, tsv, root], capture_output=True, text=True)


LAYERS = [("low", "low", "PkgConfig::LIBUV"), ("high", "high", "low")]


class CheckLayers(unittest.TestCase):
    def test_clean_tree_passes(self):
        with tempfile.TemporaryDirectory() as root:
            tree(root, {"low/a.h": "", "low/a.c": '#include <uv.h>\n#include "a.h"\n',
                        "high/b.c": '#include "a.h"\n#include <stdio.h>\n'})
            r = run(root, LAYERS)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn("0 violations", r.stdout)

    def test_upward_include_fails(self):
        with tempfile.TemporaryDirectory() as root:
            tree(root, {"low/a.c": '#include "b.h"\n', "high/b.h": ""})
            r = run(root, LAYERS)
            self.assertEqual(r.returncode, 1)
            self.assertIn('low/a.c: includes "b.h" of high', r.stdout)

    def test_package_without_link_fails(self):
        with tempfile.TemporaryDirectory() as root:
            tree(root, {"high/b.c": "#include <librdkafka/rdkafka.h>\n", "low/a.h": ""})
            r = run(root, LAYERS)
            self.assertEqual(r.returncode, 1)
            self.assertIn("does not link PkgConfig::RDKAFKA", r.stdout)

    def test_shared_folder_fails(self):
        with tempfile.TemporaryDirectory() as root:
            tree(root, {"low/a.h": "/* see ../shared/DESIGN.md */\n", "high/b.h": "",
                        "README.md": "in the team's shared folder\n"})
            r = run(root, LAYERS)
            self.assertEqual(r.returncode, 1)
            self.assertIn("low/a.h:1: points at a shared folder", r.stdout)
            self.assertIn("README.md:1: points at a shared folder", r.stdout)


if __name__ == "__main__":
    unittest.main()
