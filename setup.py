"""The packages, found rather than listed (pyproject.toml holds everything else): every
package under minivae/, kernels/ among them through the link minivae/kernels, so that a plain
checkout imports as the installed package does (a PyPI project already owns the top-level
name "kernels")."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["minivae", "minivae.*"]))
