import numpy as np
from hypothesis import given

import minivae.functional as F
from strategies import arrays, check


@given(arrays())
def test_exp(a):
    check(F.exp, np.exp, a)


@given(arrays(low=0.2, high=3.0))
def test_log(a):
    check(F.log, np.log, a)


@given(arrays(low=-0.8, high=3.0))
def test_log1p(a):
    check(F.log1p, np.log1p, a)


@given(arrays(low=0.2, high=3.0))
def test_sqrt(a):
    check(F.sqrt, np.sqrt, a)


@given(arrays())
def test_abs(a):
    a = np.where(np.abs(a) < 1e-3, 0.5, a)  # |x| has no derivative at 0
    check(F.abs, np.abs, a)
