import numpy as np

import minivae as mv
from minivae import nn
from minivae.backend import Generator


def test_dropout_module_follows_train_and_eval():
    layer = nn.Dropout(0.5, generator=Generator(0))
    x = mv.tensor(np.ones((10, 10)))
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
