"""What a model's settings may be, checked before anything is built: sizes (positive
integers, and no model too large to build), the numeric options' ranges, and the memory a
training step will take."""
import math
import numbers


SIZES = ("x_dim", "z_dim", "z_dims", "hidden", "disc_hidden", "n_classes", "k", "n_samples", "channels",
         "image_shape", "components", "prior_components", "n_clusters")
MAX_PARAMETERS = 2 ** 30   # 4 GiB of float32 weights, and Adam keeps two more copies


def _flat(value):
    return [v for item in value for v in _flat(item)] if isinstance(value, (list, tuple)) else [value]


def check_sizes(name, kwargs):
    """Refuse sizes that are not positive integers, or a model too large to build (a
    MemoryError, or a machine brought to a halt, is no way to say so)."""
    for key in SIZES:
        if key in kwargs and kwargs[key] is not None:
            for v in _flat(kwargs[key]):
                if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                    raise ValueError(f"model {name}: {key} must hold positive integers, got {kwargs[key]!r}")
    widths = [w for key in ("x_dim", "hidden", "z_dim", "z_dims") for w in _flat(kwargs.get(key) or [])]
    disc = [w for w in _flat(kwargs.get("disc_hidden") or [])]
    estimate = 2 * sum(a * b for a, b in zip(widths, widths[1:])) + sum(a * b for a, b in zip(disc, disc[1:]))
    if estimate > MAX_PARAMETERS:
        raise ValueError(f"model {name}: about {estimate:.3g} parameters ({4 * estimate / 2 ** 30:.0f} GiB "
                         f"in float32) is more than the {MAX_PARAMETERS:.3g} minivae builds")


def step_bytes(kwargs, batch_size):
    """About how many bytes one training step's arrays take, for refusing a step that
    cannot fit before it is tried: each row of the batch times its draws (``k``,
    ``n_samples``) through every layer's width (a convolution's: its channels over its
    feature map, and its input lowered into 3 x 3 windows), encoder and decoder, in float32,
    counted three times: the values the backward pass keeps, their gradients, and the
    temporaries between."""
    draws = max(kwargs.get("k") or 1, kwargs.get("n_samples") or 1)
    x_dim = kwargs.get("x_dim") or 1
    widths = [w for key in ("hidden", "z_dim", "z_dims", "disc_hidden") for w in _flat(kwargs.get(key) or [])]
    image_channels = (kwargs.get("image_shape") or [1])[0]
    channels = [image_channels] + _flat(kwargs.get("channels") or [])
    # layer i: a feature map of c_i channels over the image's area / 4^(i + 1) (stride 2), and its input lowered
    convs = [(c + 9 * c_in) * x_dim / image_channels / 4 ** (i + 1)
             for i, (c_in, c) in enumerate(zip(channels, channels[1:]))]
    per_row = x_dim * 2 + 2 * sum(widths) + 2 * sum(convs)
    return int(3 * 4 * batch_size * draws * per_row)


# The numeric settings, each with the range it must lie in, checked for every model on every
# path (the command line's flags and --set, a config's [options], the API's keyword
# arguments) before anything is built: a setting that would only fail at the first step,
# or train a model with a negative penalty, is refused with its name.
POSITIVE = ("alpha", "eta", "sigma", "equilibrium", "margin", "cluster_gain")
NON_NEGATIVE = ("beta", "lam", "level", "pixel_weight", "head_weight", "gan_epochs", "classifier_epochs")
UNIT_INTERVAL = ("gamma", "mask_ratio", "real_weight")
WORDS = {"recon_weight": ("m/n",), "feature_sigma": ("learned",)}   # a number, or one of these


def check_options(name, kwargs):
    """Refuse a numeric setting that is not a finite number in its range (``POSITIVE``,
    ``NON_NEGATIVE``, ``UNIT_INTERVAL``); None stays allowed where a model takes it."""
    for key, value in kwargs.items():
        if key in WORDS and value in WORDS[key]:
            continue
        ranged = key in POSITIVE or key in NON_NEGATIVE or key in UNIT_INTERVAL or key in WORDS
        for v in _flat(value):
            if v is None and ranged:
                continue
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                if ranged:
                    extra = " or " + " or ".join(repr(w) for w in WORDS[key]) if key in WORDS else ""
                    raise ValueError(f"model {name}: {key} must be a number{extra}, got {value!r}")
                continue
            if not math.isfinite(v):
                raise ValueError(f"model {name}: {key} must be a finite number, got {value!r}")
            if ((key in POSITIVE or key in WORDS) and v <= 0) or (key in NON_NEGATIVE and v < 0) \
                    or (key in UNIT_INTERVAL and not 0 <= v <= 1):
                rule = ("positive" if key in POSITIVE or key in WORDS else "at least 0" if key in NON_NEGATIVE
                        else "in [0, 1]")
                raise ValueError(f"model {name}: {key} must be {rule}, got {value!r}")
