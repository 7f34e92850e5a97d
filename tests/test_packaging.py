import os

import pytest

import minivae


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_kernels_folder_is_minivae_kernels():
    import minivae.kernels
    assert os.path.realpath(minivae.kernels.__file__) == os.path.realpath(os.path.join(ROOT, "kernels", "__init__.py"))


def test_a_plain_checkout_imports_without_an_install(tmp_path):
    """The tracked files alone, copied as git has them (minivae/kernels a link to the top-level
    kernels/), import from their folder: no install and no package_dir mapping needed."""
    import shutil
    import subprocess
    import sys
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if files.returncode != 0:
        pytest.skip("not a git checkout")
    for name in files.stdout.decode().split("\0"):
        if name.startswith(("minivae/", "kernels/")):
            source, target = os.path.join(ROOT, name), tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
            else:
                shutil.copyfile(source, target)
    code = ("import importlib.util, minivae, minivae.kernels.cpu.dense; "   # the CUDA kernels found, not imported: no CuPy
            "print(minivae.__file__); print(minivae.kernels.cpu.dense.__file__); "
            "print(importlib.util.find_spec('minivae.kernels.cuda').origin)")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert all(line.startswith(str(tmp_path)) for line in run.stdout.split()), run.stdout


def test_public_api():
    for name in ("Tensor", "tensor", "grad", "no_grad", "functional", "nn", "optim", "manual_seed"):
        assert hasattr(minivae, name), name


def test_the_wheel_holds_every_module(tmp_path):
    """pyproject once listed packages by hand and left out minivae.train and minivae.eval:
    an installed minivae could not import. Build the wheel and compare with the tree."""
    import subprocess
    import sys
    import zipfile
    root = ROOT
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), root], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("minivae-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n for n in z.namelist() if n.endswith((".py", ".cu", ".cuh"))}
    expected = set()
    for top, prefix in (("minivae", "minivae"), ("kernels", "minivae/kernels")):
        for folder, _, names in os.walk(os.path.join(root, top)):
            rel = os.path.relpath(folder, os.path.join(root, top)).replace(os.sep, "/")
            where = prefix if rel == "." else f"{prefix}/{rel}"
            expected |= {f"{where}/{n}" for n in names if n.endswith((".py", ".cu", ".cuh"))}
    assert expected - shipped == set()


def test_every_layer_is_reachable_from_the_package_and_imported_only_when_named():
    import subprocess
    import sys
    code = ("import sys, minivae\n"
            "names = minivae._SUBMODULES\n"
            "assert not {'minivae.train', 'minivae.models', 'minivae.data', 'minivae.figures'} & set(sys.modules)\n"
            "for name in names:\n"
            "    assert getattr(minivae, name).__name__ == 'minivae.' + name, name\n"
            "minivae.train.fit, minivae.eval, minivae.latent, minivae.models.create, minivae.data.load_dataset\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        minivae.nonesuch
