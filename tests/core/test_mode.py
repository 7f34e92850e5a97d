import minivae as mv


def test_no_grad_nests_and_restores():
    from minivae.core import is_grad_enabled
    with mv.no_grad():
        assert not is_grad_enabled()
        with mv.enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_restores_after_an_exception():
    from minivae.core import is_grad_enabled
    try:
        with mv.no_grad():
            raise KeyError
    except KeyError:
        pass
    assert is_grad_enabled()
