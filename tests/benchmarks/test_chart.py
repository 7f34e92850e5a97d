"""The benchmark charts: each case's medians read from the result as written, drawn as
ratios to PyTorch's when it was measured."""
import pytest

pytest.importorskip("matplotlib")

from minivae.benchmarks import chart  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
VAE_STEP = {"benchmark": "vae_step", "date": "today", "machine": {"cpu": "test", "cores": 2}, "results": [
    {"batch": 128, "median_ms": {"minivae": 4.0, "numpy": 5.0, "pytorch": 8.0}, "gemm_floor_ms": 2.0},
    {"batch": 1024, "median_ms": {"minivae": 30.0, "numpy": 40.0, "pytorch": 20.0}, "gemm_floor_ms": 12.0}]}


def test_the_cases_are_the_results_medians_and_floors():
    assert chart.cases(VAE_STEP) == [("batch 128", VAE_STEP["results"][0]["median_ms"], 2.0),
                                     ("batch 1024", VAE_STEP["results"][1]["median_ms"], 12.0)]
    kernels = {"benchmark": "kernels", "ops_forward_backward": [
        {"op": "iwae_bound", "shapes": [[128, 5]], "fast_us": 400.0, "reference_us": 800.0, "torch_us": None}]}
    assert chart.cases(kernels) == [("iwae_bound [128, 5]", {"fast": 0.4, "reference": 0.8}, None)]
    conv = {"benchmark": "conv_step_gpu", "results": {"conv1": {"median_ms": {"minivae": 1.0, "gemm_floor": 0.5}}}}
    assert chart.cases(conv) == [("conv1", {"minivae": 1.0, "gemm_floor": 0.5}, 0.5)]
    assert chart.cases({"benchmark": "quality"}) == []


def test_a_chart_is_a_png_and_a_result_without_cases_draws_none(tmp_path):
    path = chart.draw(VAE_STEP, str(tmp_path / "vae_step.png"))
    with open(path, "rb") as f:
        assert f.read(8) == PNG
    assert chart.draw({"benchmark": "quality"}, str(tmp_path / "q.png")) is None
    assert not (tmp_path / "q.png").exists()
