"""The packages, found rather than listed (pyproject.toml holds everything else): every
package under minivae/, and kernels/ with its subpackages installed as minivae.kernels
(a PyPI project already owns the top-level name "kernels")."""
from setuptools import find_packages, setup

kernels = ["minivae.kernels"] + [f"minivae.kernels.{p}" for p in find_packages("kernels")]
setup(packages=find_packages(include=["minivae", "minivae.*"]) + kernels,
      package_dir={"minivae.kernels": "kernels"})
