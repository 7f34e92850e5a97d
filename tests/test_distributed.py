"""Data parallelism (minivae/distributed.py): what a world of one process does, the sharded
draws, and, under ``mpiexec -n 2`` (and 4) on this machine, that ranks train as one process
does, refuse a mismatched world, end the job naming a rank that fails, resume, and score
L_k in order. The MPI tests skip with a message where mpi4py or mpiexec is missing."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minivae as mv
from minivae import distributed
from minivae.backend import Generator
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit, load_model

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from distributed_job import run  # noqa: E402


class _Rank(distributed.World):
    """A world's geometry without MPI, for the pure parts."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size


@pytest.mark.parametrize("n, size", [(10, 3), (64, 2), (5, 5), (7, 4)])
def test_the_shares_partition_a_batch_in_rank_order(n, size):
    shares = [_Rank(r, size).share(n) for r in range(size)]
    covered = np.concatenate([np.arange(n)[s] for s in shares])
    np.testing.assert_array_equal(covered, np.arange(n))
    lengths = [s.stop - s.start for s in shares]
    assert max(lengths) - min(lengths) <= 1


@pytest.mark.parametrize("draw", ["normal", "uniform", "integers", "bernoulli_scalar", "bernoulli_array"])
def test_sharded_draws_are_the_whole_batchs_draws_cut_to_the_ranks_rows(draw):
    """Each rank's draw is its rows of the draw a single process makes for the whole batch,
    whichever axis holds the batch, and the generators stay in step."""
    total, part = 10, slice(4, 7)
    p = np.random.default_rng(1).random((3, 5)).astype(np.float32)
    make = {"normal": lambda g, n: g.normal((2, n, 5)), "uniform": lambda g, n: g.uniform((n, 4)),
            "integers": lambda g, n: g.integers(9, n),
            "bernoulli_scalar": lambda g, n: g.bernoulli(0.3, (n, 6)),
            "bernoulli_array": lambda g, n: g.bernoulli(p if n == 3 else np.resize(p, (n, 5)), (n, 5))}[draw]
    whole = make(Generator(5), total)
    sharded = distributed.ShardedGenerator(Generator(5))
    sharded.shard(part, total)
    mine = make(sharded, 3)
    axis = 1 if draw == "normal" else 0
    expected = whole[(slice(None),) * axis + (part,)]
    if draw == "bernoulli_array":   # same uniforms, compared with this rank's own p
        expected = (Generator(5).uniform((total, 5), dtype=np.float64)[part] < p).astype(np.float32)
    np.testing.assert_array_equal(mine, expected)
    reference = Generator(5)
    make(reference, total)
    np.testing.assert_array_equal(sharded.inner.normal(4), reference.normal(4))   # still in step


def test_a_world_of_one_trains_as_fit_alone():
    data = load_dataset("ring", n=600)
    states = []
    for world in (None, distributed.World()):
        mv.manual_seed(0)
        model = create("vae", x_dim=2, z_dim=2, hidden=(8,))
        fit(model, data.train, epochs=1, batch_size=50, progress=False, log=lambda r: None, world=world)
        states.append(model.state_dict())
    for key in states[0]:
        np.testing.assert_array_equal(states[0][key], states[1][key])


@pytest.mark.parametrize("env, expected", [({}, 1), ({"MPI_LOCALNRANKS": "2"}, 2),
                                           ({"OMPI_COMM_WORLD_LOCAL_SIZE": "4"}, 4), ({"MPI_LOCALNRANKS": ""}, 1)])
def test_the_ranks_on_this_machine_come_from_the_launcher(env, expected, monkeypatch):
    for key in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
        monkeypatch.setenv(key.replace("LOCALNRANKS", "LOCALRANKID").replace("LOCAL_SIZE", "LOCAL_RANK"),
                           str(int(value) - 1) if value else "")
    assert distributed.ranks_here() == expected and distributed.rank_here() == expected - 1


def test_outside_mpiexec_the_world_is_one_process():
    assert not distributed.launched() or os.environ.get("PMI_SIZE") == "1"
    assert distributed.world().size == 1 and distributed.world().rank == 0


# ---- under mpiexec --------------------------------------------------------------------

def _mpiexec():
    near = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return near if os.path.exists(near) else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(_mpiexec() is None or not __import__("importlib").util.find_spec("mpi4py"),
                               reason="mpi4py or mpiexec is missing (pip install 'minivae[mpi]')")


def _launch(n, *args, timeout=240):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if hasattr(os, "geteuid") and os.geteuid() == 0:   # Open MPI refuses root (a container's user) without both
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return subprocess.run([_mpiexec(), "-n", str(n), sys.executable, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=HERE)


def _cli(n, *args):
    return _launch(n, "-m", "minivae.cli", *args) if n > 1 else subprocess.run(
        [sys.executable, "-m", "minivae.cli", *map(str, args)], capture_output=True, text=True, timeout=240)


@needs_mpi
@pytest.mark.parametrize("model, ranks", [("vae", 2), ("aae", 2), ("masked-ae", 2), ("clustering-aae", 2),
                                          ("vae-32-draws", 2), ("vae", 4)])
def test_ranks_train_as_one_process_does(model, ranks, tmp_path):
    """1 and N ranks, the same global batches and seed: the same parameters and buffers
    after 2 epochs (38 steps) but for the order of float sums. The VAE draws noise, the AAE
    prior samples and labels, the masked autoencoder masks from the default generator; the
    clustering AAE's batch norm takes the global batch's statistics. With 32 draws of z per
    example, as many as each rank's rows, the draws' batch axis is not the first of length 32
    unless the batch comes first."""
    out = tmp_path / "params.npz"
    job = _launch(ranks, "distributed_job.py", "train", model, out)
    assert job.returncode == 0, job.stderr
    alone = run("train", model)
    with np.load(out) as together:
        for key, value in alone.items():
            np.testing.assert_allclose(together[key], value, rtol=1e-4, atol=1e-5, err_msg=key)


@needs_mpi
@pytest.mark.parametrize("which, named", [("train", "training data"), ("valid", "validation data")])
def test_a_rank_given_other_data_is_refused_before_training(which, named, tmp_path):
    job = _launch(2, "distributed_job.py", "train", "vae", 1, which, tmp_path / "params.npz", timeout=60)
    assert job.returncode != 0 and f"rank 1 of 2 has other {named} than rank 0" in job.stderr
    assert not (tmp_path / "params.npz").exists()


@needs_mpi
def test_ranks_whose_parameters_drift_apart_are_stopped_at_the_epochs_end(tmp_path):
    job = _launch(2, "distributed_job.py", "drift", 1, tmp_path / "params.npz", timeout=60)
    assert job.returncode != 0
    assert "rank 1 of 2 has other parameters after epoch 1 than rank 0" in job.stderr
    assert not (tmp_path / "params.npz").exists()


@needs_mpi
def test_the_ranks_stop_early_together(tmp_path):
    """Rank 0 decides: rank 1, whose validation worsens, going its own way would leave rank 0
    waiting for it in the next step's sum (the job would hang until the timeout)."""
    job = _launch(2, "distributed_job.py", "stop", 1, tmp_path / "stop.npz", timeout=60)
    assert job.returncode == 0, job.stderr
    with np.load(tmp_path / "stop.npz") as result:
        assert int(result["epochs"]) == 4


@needs_mpi
def test_a_failing_rank_ends_the_job_naming_it_and_the_checkpoint_stays(tmp_path):
    out = tmp_path / "run"
    job = _launch(2, "distributed_job.py", "fail", 1, 120, "raise", "minivae", "train", "vae", "--data", "ring",
                  "--epochs", "5", "--quiet", "--no-pictures", "--out", out, timeout=120)
    assert job.returncode != 0
    assert "minivae: rank 1 of 2: RuntimeError('rank 1 broke at step 120')" in job.stderr
    model, header = load_model(str(out / "checkpoint.npz"))
    assert header["epoch"] == 1 and np.isfinite(model.encoder[0].weight.numpy()).all()


@needs_mpi
def test_a_killed_rank_ends_the_job_and_its_pid_names_it(tmp_path):
    """SIGKILL leaves a rank nothing to say: mpiexec ends the job and names the PID, and the
    run's first line maps PIDs to ranks."""
    job = _launch(2, "distributed_job.py", "fail", 1, 5, "kill", "minivae", "train", "vae", "--data", "ring",
                  "--epochs", "2", "--quiet", "--no-pictures", "--out", tmp_path / "run", timeout=60)
    assert job.returncode != 0
    ranks = dict(part.split(": ") for part in job.stdout.splitlines()[0].split("; ")[1:])
    pid = ranks["rank 1"].split(" on ")[0].removeprefix("pid ")
    assert f"PID {pid} " in job.stdout + job.stderr


@needs_mpi
def test_resuming_under_mpi_continues_the_run(tmp_path):
    common = ["train", "vae", "--data", "ring", "--quiet", "--no-pictures", "--batch-size", "50"]
    assert _cli(2, *common, "--epochs", "3", "--out", tmp_path / "straight").returncode == 0
    assert _cli(2, *common, "--epochs", "2", "--out", tmp_path / "split").returncode == 0
    resumed = _cli(2, *common, "--epochs", "3", "--out", tmp_path / "split", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("epoch   3") == 1          # rank 0 alone speaks
    a, _ = load_model(str(tmp_path / "straight" / "checkpoint.npz"))
    b, _ = load_model(str(tmp_path / "split" / "checkpoint.npz"))
    for (key, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(p, q, err_msg=key)


@needs_mpi
def test_dr_vaes_classifier_is_trained_once_by_the_ranks_together(tmp_path):
    """On unlabelled data the command line trains DR-VAE's classifier first: the two ranks
    share its batches (each sees half the rows one process sees) and save what one process
    trains."""
    data = tmp_path / "digits.npz"
    np.savez(data, x=(np.random.default_rng(0).random((128, 784)) < 0.2).astype(np.float32))
    rows, classifiers = {}, {}
    for n in (1, 2):
        out = tmp_path / f"run{n}"
        job = _launch(n, "distributed_job.py", "rows", "minivae", "train", "dr-vae", "--data", data, "--data-dir",
                      tmp_path, "--epochs", "1", "--latent-dim", "4", "--set", "channels=[4,8]", "--set",
                      "classifier_channels=[4,8]", "--set", "classifier_epochs=1", "--quiet", "--no-pictures",
                      "--out", out)
        assert job.returncode == 0, job.stderr
        rows[n] = sorted(int((out / f"classifier-rows-{r}").read_text()) for r in range(n))
        with np.load(out / "classifier.npz") as f:
            classifiers[n] = dict(f)
    assert len(rows[2]) == 2 and rows[2][0] == rows[2][1] and 0.45 * rows[1][0] <= rows[2][0] <= 0.5 * rows[1][0]
    for key, value in classifiers[1].items():
        np.testing.assert_allclose(classifiers[2][key], value, rtol=1e-4, atol=1e-5, err_msg=key)


@needs_mpi
def test_l_k_is_scored_in_shares_and_gathered_in_order(tmp_path):
    """Per example, the same estimates from 1, 2 and 4 ranks (each batch's draws seeded by
    its index); at the command line the same mean; and `sample`, with nothing to share, run
    by rank 0 alone."""
    alone = run("eval")["L_k"]
    for ranks in (2, 4):
        job = _launch(ranks, "distributed_job.py", "eval", tmp_path / f"lk{ranks}.npz")
        assert job.returncode == 0, job.stderr
        with np.load(tmp_path / f"lk{ranks}.npz") as together:
            np.testing.assert_array_equal(together["L_k"], alone)
    assert _cli(1, "train", "vae", "--data", "ring", "--epochs", "1", "--quiet", "--no-pictures",
                "--out", tmp_path / "r").returncode == 0
    means = []
    for ranks in (1, 2):
        job = _cli(ranks, "eval", tmp_path / "r" / "checkpoint.npz", "--k", "20", "--quiet", "--limit", "300",
                   "--out", tmp_path / f"eval{ranks}.json")
        assert job.returncode == 0, job.stderr
        with open(tmp_path / f"eval{ranks}.json") as f:
            means.append(json.load(f)["L_20"])
    assert means[0] == pytest.approx(means[1], rel=1e-6)
    drawn = _cli(2, "sample", tmp_path / "r" / "checkpoint.npz", "-n", "8", "--out", tmp_path / "s.npy")
    assert drawn.returncode == 0 and drawn.stdout.count("wrote") == 1, drawn.stderr   # rank 0 alone
    assert np.load(tmp_path / "s.npy").shape == (8, 2)


@pytest.mark.cuda
@needs_mpi
def test_device_arrays_are_summed_by_nccl():
    """A world of one through NCCL's all-reduce on the device: the flat buffer's round trip
    (gradients out and back, the loss, a gradient no rank has) on the GPU."""
    if not mv.cuda_available():
        pytest.skip("needs CuPy and a GPU")
    from mpi4py import MPI
    world = distributed.MPIWorld(MPI.COMM_WORLD)
    a = mv.backend.to_device(np.arange(6, dtype=np.float32), "cuda")
    np.testing.assert_array_equal(mv.backend.to_device(world.sum_(a), "cpu"), np.arange(6))
    params = [mv.nn.Parameter(mv.tensor(np.ones((2, 3), np.float32), device="cuda").data) for _ in range(2)]
    params[0].grad = mv.tensor(np.full((2, 3), 2.0, np.float32), device="cuda")
    assert world.sum_gradients(params, 1.5) == 1.5
    np.testing.assert_array_equal(params[0].grad.numpy(), np.full((2, 3), 2.0))
    assert params[1].grad is None


def test_more_ranks_than_gpus_on_a_machine_are_refused_in_one_line():
    from minivae.distributed import one_gpu_per_rank
    one_gpu_per_rank(1, 1)
    one_gpu_per_rank(2, 8)
    with pytest.raises(ValueError, match="^4 ranks on this machine share 1 GPU: summing on the device takes one "
                                         "GPU per rank; start at most 1 per machine, or train on the cpu$"):
        one_gpu_per_rank(4, 1)


@needs_mpi
def test_ranks_asked_for_other_epochs_are_refused_before_the_first_step(tmp_path):
    """Issue 35, row 10: two ranks given different --epochs once hung for ever (the one with
    more waited in a sum the other never joined)."""
    job = _launch(2, "distributed_job.py", "epochs", 1, tmp_path / "params.npz", timeout=60)
    assert job.returncode != 0 and "rank 1 of 2 has other run settings than rank 0" in job.stderr, job.stderr
    assert not (tmp_path / "params.npz").exists()
