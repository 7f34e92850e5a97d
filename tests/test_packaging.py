import os

import minivae


def test_kernels_folder_ships_as_minivae_kernels():
    import minivae.kernels
    path = os.path.normpath(minivae.kernels.__file__)
    assert path.endswith(os.path.join("kernels", "__init__.py"))
    assert os.path.join("minivae", "kernels") not in path   # the top-level folder, mapped in


def test_public_api():
    for name in ("Tensor", "tensor", "grad", "no_grad", "functional", "nn", "optim", "manual_seed"):
        assert hasattr(minivae, name), name
