"""The documentation cannot drift from the code: every Python block in README.md and docs/
runs (one fresh interpreter a page, in a scratch folder), every TOML block is a config ``train``
accepts, every ``minivae`` command in a console block parses with the real command line,
every command a synopsis names exists, and every name on the lecture concordance exists."""
import importlib
import os
import re
import shlex

import pytest

from minivae import cli, config

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DOCS = os.path.join(ROOT, "docs")
PAGES = ["README.md"] + sorted(os.path.join("docs", f) for f in os.listdir(DOCS) if f.endswith(".md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(page, language):
    with open(os.path.join(ROOT, page)) as f:
        return [body for lang, body in FENCE.findall(f.read()) if lang == language]


def minivae_commands(text):
    """The ``minivae ...`` commands in shell lines (after ``&&``, ``mpiexec ... ``)."""
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        for part in line.split("&&"):
            words = shlex.split(part)
            if "minivae" in words and "..." not in words:
                yield words[words.index("minivae") + 1:]


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")])
def test_the_python_blocks_run(page, tmp_path):
    """A page's blocks, in order, in a fresh interpreter, as a reader who starts from
    ``import minivae`` runs them (this process has imported the command line, and with it
    every submodule a page might reach for without importing it)."""
    import subprocess
    import sys
    if page.endswith("api.md"):
        pytest.importorskip("sklearn")
    script = tmp_path / "page.py"
    script.write_text("\n".join(blocks(page, "python")))
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.abspath(ROOT)})
    assert run.returncode == 0, f"{page}:\n{run.stderr[-3000:]}"


@pytest.mark.parametrize("page", PAGES)
def test_the_commands_parse_and_the_configs_read(page, tmp_path):
    parser = cli.parser()
    for text in blocks(page, "console") + blocks(page, ""):
        for words in minivae_commands(text):
            parser.parse_args(words)                 # exits (SystemExit) on an unknown flag or value
    commands = set(parser._subparsers._group_actions[0].choices)
    for text in blocks(page, "text"):
        for line in text.splitlines():
            named = re.match(r"\s*minivae (\w+)", line)
            assert named is None or named.group(1) in commands or named.group(1) == "--version", line
    for i, text in enumerate(blocks(page, "toml")):
        path = tmp_path / f"{i}.toml"
        path.write_text(text)
        settings = config.read_file(str(path))
        assert settings["model"] in cli.MODELS


def resolve(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            thing = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            thing = getattr(thing, name)
        return thing
    raise ImportError(dotted)


def test_every_name_on_the_concordance_exists():
    with open(os.path.join(DOCS, "concordance.md")) as f:
        page = f.read()
    names = re.findall(r"`(minivae(?:\.\w+)+)`", page)
    tests = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page)
    assert len(names) > 60 and len(tests) > 40
    for dotted in names:
        resolve(dotted)
    for path, name in tests:
        with open(os.path.join(ROOT, path)) as f:
            assert re.search(rf"^def {name}\(", f.read(), re.M), f"{path}::{name}"
    with open(os.path.join(ROOT, "..", "shared", "seeds", "README.md")) if os.path.isdir(
            os.path.join(ROOT, "..", "shared", "seeds")) else open(os.devnull) as f:
        lectures = re.findall(r"^\| (\d{3})_\w+\.txt", f.read(), re.M)
    for number in lectures:                          # a section for each lecture
        assert f"({number})" in page, number


def test_the_readmes_demo_numbers_are_the_committed_demos():
    """The README quotes docs/demo/metrics.json, which ``minivae demo --out docs/demo --force``
    writes beside the pictures it shows: a rerun that changes them shows here."""
    import json
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = " ".join(f.read().split())
    with open(os.path.join(DOCS, "demo", "metrics.json")) as f:
        metrics = json.load(f)
    tracks = ", ".join(f"{unit} {factor}" for unit, factor in metrics["unit_tracks"].items())
    quoted = (f"validation ELBO {metrics['valid_elbo']:.1f} nats, L_100 {metrics['valid_L_100']:.1f} nats, "
              f"{metrics['active_units']} active units after {metrics['epochs']} epochs; the units track "
              f"{tracks}; MIG {metrics['mig']:.3f}")
    assert quoted in readme, quoted
