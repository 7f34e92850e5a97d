"""A lower layer never imports a higher one: backend, atomic, progress, trace, machine and kernels -> core -> ops -> nn, optim, distributed,
testing -> models -> data, checkpoint, train, eval -> config, run, api, figures, image_models, benchmarks, profiler -> cli -> __main__. Checked on the source, every import statement included."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = {"backend": 0, "philox": 0, "kernels": 0, "atomic": 0, "progress": 0, "trace": 0, "machine": 0, "core": 1, "ops": 2, "functional": 2, "nn": 3, "optim": 3,
          "testing": 3, "distributed": 3, "models": 4, "data": 5, "checkpoint": 5, "train": 5, "eval": 5, "plot": 5, "latent": 5, "api": 6, "config": 6, "run": 6,
          "figures": 6, "image_models": 6, "benchmarks": 6, "profiler": 6, "cli": 7, "__main__": 8}


def _layer_of(module):
    """'minivae.ops.dense' -> 2; None for the package root (its __version__ too) and for outside modules."""
    parts = module.split(".")
    if parts[0] != "minivae" or len(parts) < 2 or parts[1] in ("__init__", "__version__"):
        return None
    return LAYERS[parts[1]]


def _modules():
    for path in (ROOT / "minivae").rglob("*.py"):
        yield "minivae." + ".".join(path.relative_to(ROOT / "minivae").with_suffix("").parts), path
    for path in (ROOT / "kernels").rglob("*.py"):
        yield "minivae.kernels." + ".".join(path.relative_to(ROOT / "kernels").with_suffix("").parts), path


def _imports(module, path):
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            else:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_no_module_imports_a_higher_layer():
    violations = []
    for module, path in _modules():
        own = _layer_of(module)
        if own is None:   # the package root is the public facade, not a layer
            continue
        for target in _imports(module, path):
            layer = _layer_of(target)
            if layer is not None and layer > own:
                violations.append(f"{module} (layer {own}) imports {target} (layer {layer})")
    assert not violations, "\n".join(violations)


# Within a layer, some packages stay out of others' way: data, plotting and configuration
# write files through minivae.atomic, not through the network modules; the training loop
# knows a model only through the Model interface (a checkpoint, which rebuilds one by name,
# is its own module).
APART = {"data": {"nn", "models"}, "plot": {"nn"}, "config": {"nn"}, "train": {"models"}}


def _crosses(module, target):
    """True when ``module``'s package is kept apart from ``target``'s."""
    own, theirs = module.split(".")[1], target.split(".")
    return target.startswith("minivae.") and len(theirs) > 1 and theirs[1] in APART.get(own, ())


def test_packages_kept_apart_import_nothing_of_each_other():
    assert _crosses("minivae.train.trainer", "minivae.models.vae.kl_warmup")   # what the rule catches
    assert not _crosses("minivae.train.trainer", "minivae.checkpoint.read_header")
    found = [f"{module} imports {target}" for module, path in _modules() for target in _imports(module, path)
             if _crosses(module, target)]
    assert not found, "\n".join(found)


def test_the_check_sees_imports():
    """Guard against a check that passes because it reads nothing."""
    ops_fused = ROOT / "minivae" / "ops" / "fused.py"
    found = set(_imports("minivae.ops.fused", ops_fused))
    assert "minivae.kernels" in found and "minivae.core.Function" in found


def test_no_layer_above_the_models_branches_on_a_models_name():
    """What a run does with labels, stages and likelihoods comes from the model's own
    declarations (Model.labels, before_fit, ...), not from comparing its registered name.
    The figures and benchmarks are left out: choosing which models draw a lecture's figure, or
    which are timed, is their work."""
    from minivae.models import MODELS
    found = []
    for module, path in _modules():
        if _layer_of(module) is None or _layer_of(module) <= LAYERS["models"] or module.split(".")[1] in ("figures", "benchmarks"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                names = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and c.value in MODELS]
                if names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares with {names}")
    assert not found, "\n".join(found)


def _resolved_imports(module, path, modules):
    """The minivae modules ``module`` imports, each ``from X import name`` resolved to X.name
    where that is a module, else to X (its __init__)."""
    def known(name):
        return name if name in modules else (f"{name}.__init__" if f"{name}.__init__" in modules else None)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from filter(None, (known(alias.name) for alias in node.names))
        elif isinstance(node, ast.ImportFrom):
            base = node.module if node.level == 0 else ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                                               + ([node.module] if node.module else []))
            yield from filter(None, (known(f"{base}.{alias.name}") or known(base) for alias in node.names))


def _cycles(graph):
    """Every module that can reach itself along ``graph``'s edges."""
    looped = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                looped.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo.extend(graph.get(m, ()))
    return looped


def test_no_import_cycles():
    """Not even through an import inside a function: a loop means two files are one concept."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c"]   # what it catches
    modules = dict(_modules())
    graph = {m: set(_resolved_imports(m, path, modules)) - {m} for m, path in modules.items()}
    assert "minivae.core.node" in graph["minivae.core.function"]
    assert not _cycles(graph), _cycles(graph)
