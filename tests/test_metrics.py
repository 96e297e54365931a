"""minigen.metrics: each score against a case computed by hand (or by scipy), the likelihood's bounds, the
shipped judge's stated accuracy, and ``minigen eval`` end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import minigen
from minigen.metrics import (
    Judge,
    binarize,
    bits_per_dim,
    class_coverage,
    frechet_distance,
    gaussian_fit,
    importance_weighted,
    judge_score,
    memorisation,
    nearest_distances,
    precision_recall,
)

# ------------------------------------------------------------------ judge score and class coverage


def test_judge_score_by_hand():
    assert judge_score(np.eye(10)) == pytest.approx(10), "ten confident, distinct classes"
    assert judge_score(np.tile(np.eye(10)[3], (7, 1))) == pytest.approx(1), "one class only: mode collapse"
    assert judge_score(np.full((5, 4), 0.25)) == pytest.approx(1), "every sample unsure"
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    mean = probs.mean(0)
    by_hand = math.exp((0.9 * math.log(0.9 / mean[0]) + 0.1 * math.log(0.1 / mean[1])
                        + 0.2 * math.log(0.2 / mean[0]) + 0.8 * math.log(0.8 / mean[1])) / 2)  # fmt: skip
    assert judge_score(probs) == pytest.approx(by_hand, rel=1e-12)


def test_judge_score_refuses_what_is_not_probabilities():
    with pytest.raises(ValueError, match="softmax"):
        judge_score(np.array([[2.0, -1.0]]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        judge_score(np.ones(3) / 3)


def test_class_coverage_by_hand():
    covered, kl, histogram = class_coverage(np.eye(10)[np.arange(100) % 10])
    assert covered == 10 and kl == pytest.approx(0, abs=1e-12) and list(histogram) == [10] * 10
    labels = np.array([3] * 98 + [4, 4])  # 4 holds exactly 2%: covered; KL = sum p log(10 p)
    covered, kl, histogram = class_coverage(np.eye(10)[labels])
    assert covered == 2 and histogram[3] == 98
    assert kl == pytest.approx(0.98 * math.log(9.8) + 0.02 * math.log(0.2), rel=1e-12)
    covered, kl, _ = class_coverage(np.eye(10)[[3] * 99 + [4]])
    assert covered == 1, "one sample in 100 is less than 2%"
    assert class_coverage(np.eye(10)[[0] * 50], min_share=0)[0] == 10, "min_share 0 counts every class"
    assert class_coverage(np.eye(10)[[0] * 50])[1] == pytest.approx(math.log(10)), "all in one class: log K"


# ------------------------------------------------------------------ Fréchet distance


def test_frechet_on_diagonal_covariances_matches_the_closed_form():
    """With diagonal covariances the matrix square root is elementwise: sum (sqrt(a) - sqrt(b))^2."""
    rng = np.random.default_rng(0)
    mu_1, mu_2 = rng.normal(size=6), rng.normal(size=6)
    a, b = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    closed = ((mu_1 - mu_2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance((mu_1, np.diag(a)), (mu_2, np.diag(b))) == pytest.approx(closed, rel=1e-10)
    assert frechet_distance((mu_1, np.diag(a)), (mu_1, np.diag(a))) == pytest.approx(0, abs=1e-10)


def test_frechet_on_random_spd_matrices_matches_scipy():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(1)
    for size in (2, 8, 32):
        a, b = rng.normal(size=(size, size)), rng.normal(size=(size, size + 3))
        cov_1, cov_2 = a @ a.T + 0.1 * np.eye(size), b @ b.T / size
        mu_1, mu_2 = rng.normal(size=size), rng.normal(size=size)
        root = linalg.sqrtm(cov_1 @ cov_2).real  # the direct formula, fine for well-conditioned matrices
        expected = ((mu_1 - mu_2) ** 2).sum() + np.trace(cov_1 + cov_2 - 2 * root)
        assert frechet_distance((mu_1, cov_1), (mu_2, cov_2)) == pytest.approx(expected, rel=1e-8)


def test_frechet_of_feature_sets_and_singular_covariances():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(500, 4))
    mean, covariance = gaussian_fit(features)
    np.testing.assert_allclose(covariance, np.cov(features, rowvar=False), rtol=1e-12)
    assert frechet_distance(features, features) == pytest.approx(0, abs=1e-9)
    shifted = features + np.array([3.0, 0, 0, 0])
    assert frechet_distance(features, shifted) == pytest.approx(9, rel=1e-9), "a shift by 3 adds 3^2"
    few = rng.normal(size=(3, 16))  # rank 2 covariance: no NaN from the square root of a singular matrix
    assert np.isfinite(frechet_distance(few, rng.normal(size=(5, 16))))
    with pytest.raises(ValueError, match="one feature size"):
        frechet_distance(features, rng.normal(size=(10, 5)))


# ------------------------------------------------------------------ precision, recall, nearest neighbours


def test_nearest_distances_against_a_loop():
    rng = np.random.default_rng(3)
    a, b = rng.random((70, 5)).astype(np.float32), rng.random((110, 5)).astype(np.float32)
    expected = np.array([min(np.linalg.norm(x - y) for y in b) for x in a])
    np.testing.assert_allclose(nearest_distances(a, b), expected, rtol=1e-4, atol=1e-4)


def test_precision_recall_by_hand():
    """Real points on a line 0..9, k = 1: each ball reaches the neighbour at distance 1."""
    real = np.stack([np.arange(10.0), np.zeros(10)], axis=1)
    near = real + np.array([0.0, 0.5])  # every fake within 0.5 of a real point
    assert precision_recall(real, near, k=1) == (1.0, 1.0)
    half_far = near.copy()
    half_far[5:, 1] = 10.0  # five fakes far away: precision 0.5; the near five cover only real 0-4 (and 5 from 4)
    precision, recall = precision_recall(real, half_far, k=1)
    assert precision == 0.5
    # fake manifold: near fakes 0..4 have radius 1 (their neighbour), so real 0..4 are in it; real 5..9 are not
    # within 1 of a near fake except none (real 5 is sqrt(1 + 0.25) from fake 4); the far fakes' radius is 1.
    assert recall == 0.5
    collapsed = np.tile(real[:1] + 0.1, (10, 1))  # every fake on one point: precise, and balls of radius 0
    precision, recall = precision_recall(real, collapsed, k=3)
    assert precision == 1.0 and recall == 0.0


def test_precision_recall_cut_to_the_smaller_set_and_errors():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(300, 8)), rng.normal(size=(1000, 8))
    precision, recall = precision_recall(real, fake)
    assert 0.7 < precision <= 1 and 0.7 < recall <= 1, "two samples of one Gaussian overlap"
    assert precision_recall(real, fake) == precision_recall(real, fake[:300])
    with pytest.raises(ValueError, match="same D"):
        precision_recall(real, fake[:, :4])
    with pytest.raises(ValueError, match="k: 0"):
        precision_recall(real, fake, k=0)


def test_memorisation_sees_copies():
    rng = np.random.default_rng(5)
    train, test = rng.random((200, 6, 6)), rng.random((100, 6, 6))
    honest = memorisation(rng.random((300, 6, 6)), train, test)
    copied = memorisation(train[rng.integers(0, 200, 300)] + 1e-3, train, test)
    assert honest["copies"] < 0.05 and copied["copies"] == 1.0
    assert copied["samples_median"] < 0.01 < honest["samples_median"]
    assert honest["test_median"] == copied["test_median"] and len(honest["samples"]) == 300


# ------------------------------------------------------------------ likelihood


def test_bits_per_dim_by_hand():
    assert bits_per_dim(0.0, 4) == pytest.approx(8), "a density of 1 over [0, 1]^D: 8 bits for 256 levels"
    assert bits_per_dim(-4 * math.log(256), 4) == pytest.approx(0)


def test_binarize_draws_each_pixel_with_its_value():
    images = np.tile(np.linspace(0, 1, 11, dtype=np.float32), (2000, 1))
    drawn = binarize(images, seed=3)
    assert set(np.unique(drawn)) <= {0.0, 1.0} and drawn.dtype == np.float32
    np.testing.assert_allclose(drawn.mean(0), np.linspace(0, 1, 11), atol=0.04)
    assert np.array_equal(drawn, binarize(images, seed=3)) and not np.array_equal(drawn, binarize(images, seed=4))
    with pytest.raises(ValueError, match=r"expected \[0, 1\]"):
        binarize(images * 2 - 1)


def _trained_vae(steps: int = 150):
    from minigen import optim
    from minigen.data import load_dataset
    from minigen.models import MLPVAE

    images, _ = load_dataset("mnist-embedded", "train")
    x = images[:1024, None].astype(np.float32) / 255
    minigen.manual_seed(0)
    model = MLPVAE((1, 28, 28), latent_dim=8)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        total, _, _ = model.loss(minigen.tensor(x[rng.integers(0, len(x), 64)]))
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    return model


def test_importance_weighted_estimate_rises_with_k_and_bounds_the_elbo():
    from minigen.data import load_dataset

    model = _trained_vae()
    test, _ = load_dataset("mnist-embedded", "test")
    x = binarize(test[:60, None].astype(np.float32) / 255)
    estimates = {k: importance_weighted(model, x, k=k) for k in (1, 10, 100)}
    means = {k: float(found["iwae"].mean()) for k, found in estimates.items()}
    assert means[1] < means[10] < means[100], f"L_K must rise with K: {means}"
    elbo = float(estimates[100]["elbo"].mean())
    assert means[100] > elbo + 0.5, "the 100-sample bound lies above the ELBO"
    np.testing.assert_allclose(estimates[1]["iwae"], estimates[1]["elbo"], rtol=1e-6), "K = 1 is one ELBO sample"
    _, reconstruction, kl = model.loss(minigen.tensor(x))  # the analytic-KL ELBO agrees with the K-sample mean
    assert -(reconstruction.item() + kl.item()) == pytest.approx(elbo, rel=0.01)
    state = minigen.random.get_rng_state()
    importance_weighted(model, x[:5], k=3)
    assert minigen.random.get_rng_state() == state, "measuring leaves the caller's generator where it was"


def test_importance_weighted_gaussian_decoder_and_errors():
    model = _trained_vae(steps=20)
    x = np.random.default_rng(0).random((8, 1, 28, 28)).astype(np.float32)
    found = importance_weighted(model, x, k=5, likelihood="gaussian", sigma=0.25)
    assert found["sigma"] == 0.25 and np.all(np.isfinite(found["iwae"]))
    fitted = importance_weighted(model, x, k=5, likelihood="gaussian")
    assert 0.2 < fitted["sigma"] < 0.6, "uniform noise images: the reconstructions miss by about 0.3"
    with pytest.raises(ValueError, match="k: 0"):
        importance_weighted(model, x, k=0)
    with pytest.raises(ValueError, match="likelihood: 'poisson'"):
        importance_weighted(model, x, likelihood="poisson")


# ------------------------------------------------------------------ the judge


def test_shipped_judge_reaches_its_stated_accuracy():
    """The README and lesson 13 state 98.8% on the embedded test digits and a judge score of 9.39 of them (the
    issue asked >= 9.5: a judge that confident read generated digits far worse; bench/QUALITY.md says why)."""
    from minigen.data import load_dataset
    from minigen.metrics import class_accuracy, judge_outputs, load_judge

    judge, facts = load_judge("mnist-embedded")
    images, labels = load_dataset("mnist-embedded", "test")
    accuracy, per_class = class_accuracy(judge, images, labels)
    assert accuracy >= 0.98 and accuracy == pytest.approx(facts["test_accuracy"], abs=1e-9)
    assert per_class.min() >= 0.9
    probs, features = judge_outputs(judge, images)
    assert judge_score(probs) >= 9.35 and judge_score(probs) == pytest.approx(facts["test_judge_score"], rel=1e-5)
    assert features.shape == (500, 128)
    from minigen.metrics.judge import SHIPPED

    assert SHIPPED["mnist-embedded"].stat().st_size <= 1_000_000, "the issue's limit on the shipped weights"


def test_judge_file_round_trip_and_refusals(tmp_path):
    minigen.manual_seed(0)
    judge = Judge(3, (1, 16, 16)).eval()
    x = np.random.default_rng(0).random((4, 1, 16, 16)).astype(np.float32)
    judge.save(tmp_path / "j.npz", test_accuracy=0.5)
    loaded, facts = Judge.load(tmp_path / "j.npz")
    assert facts == {"test_accuracy": 0.5} and loaded.image_shape == (1, 16, 16)
    np.testing.assert_array_equal(loaded(minigen.tensor(x)).numpy(), judge(minigen.tensor(x)).numpy())
    minigen.save({"model": judge.state_dict()}, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="not a minigen judge"):
        Judge.load(tmp_path / "other.npz")
    from minigen.metrics import judge_outputs

    with pytest.raises(ValueError, match=r"expected \[0, 1\]"):
        judge_outputs(judge, x * 2 - 1)
    with pytest.raises(ValueError, match="16x16"):
        judge_outputs(judge, np.zeros((2, 28, 28), np.float32))


def test_jitter_moves_pixels_and_keeps_shape():
    from minigen.metrics.judge import jitter

    images = np.zeros((3, 1, 28, 28), np.float32)
    images[:, :, 10:18, 12:16] = 1
    rng = np.random.default_rng(0)
    same = jitter(images, rng, degrees=0, shift=0, scale=0, nuisance=False)
    np.testing.assert_allclose(same, images, atol=1e-6)
    moved = jitter(images, rng)
    assert moved.shape == images.shape and moved.dtype == np.float32
    assert not np.allclose(moved, images) and 0 <= moved.min() and moved.max() <= 1
    shifted = jitter(images, np.random.default_rng(1), degrees=0, shift=0, scale=0, nuisance=False)
    assert np.array_equal(shifted, same)
    rolled = jitter(images, np.random.default_rng(2), degrees=0, shift=0, scale=0)  # only the nuisance
    assert np.abs(rolled - images).max() > 0.1 and rolled[images == 0].mean() > 0, "blur and speckles"


# ------------------------------------------------------------------ minigen eval and --eval-every

EVAL_KEYS = ("model", "dataset", "n", "judge_score", "classes_covered", "frechet", "precision", "recall")
TINY = ["--subset", "256", "--batch-size", "64", "--epochs", "2", "--no-progress"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny VAE and a tiny GAN run through the command, the VAE's with --eval-every 1."""
    from minigen.cli import main

    folder = tmp_path_factory.mktemp("eval-runs")
    assert main(["train", "vae", *TINY, "--eval-every", "1", "--out", str(folder / "vae")]) == 0
    assert main(["train", "gan", *TINY, "--out", str(folder / "gan")]) == 0
    return folder


def test_eval_json_has_every_key_finite(runs, capsys):
    from minigen.cli import main

    for model, extra in (("vae", ("elbo_nats", "nll_nats")), ("gan", ())):
        capsys.readouterr()
        assert main(["eval", str(runs / model / "checkpoint.npz"), "--n", "200", "--k", "20", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        for key in (*EVAL_KEYS, *extra):
            assert key in result and (isinstance(result[key], str) or math.isfinite(result[key])), key
        assert result["model"] == model and result["dataset"] == "mnist-embedded" and result["n"] == 200
        assert 1 <= result["judge_score"] <= 10 and 0 <= result["precision"] <= 1 and result["frechet"] > 0
        if model == "vae":
            assert result["nll_nats"] <= result["elbo_nats"] + 1e-6, "the K-sample bound is the tighter one"
        else:
            assert "nll_nats" not in result, "a GAN has no likelihood"


def test_eval_real_is_the_reference_row(capsys):
    from minigen.cli import main

    assert main(["eval", "--real", "mnist-embedded"]) == 0
    table = capsys.readouterr().out
    assert "real test images on mnist-embedded: 500 images against 4500 training images" in table
    assert "| judge score" in table and "| precision (k = 3) |" in table


def test_eval_every_adds_the_metrics_to_the_run(runs):
    from minigen.train.metrics import MetricsLog

    records = MetricsLog.read(runs / "vae" / "metrics.jsonl")
    assert len(records) == 2
    for record in records:
        for key in ("judge_score", "classes_covered", "frechet", "precision", "recall", "elbo_nats", "nll_nats"):
            assert math.isfinite(record[key]), key
    assert "judge_score" not in MetricsLog.read(runs / "gan" / "metrics.jsonl")[0]


def test_eval_every_leaves_training_unchanged(tmp_path):
    """Measuring draws samples under fork_rng: the losses of a run are those of a run that does not measure."""
    from minigen.train import TrainConfig, Trainer

    records = []
    for name, every in (("plain", None), ("measured", 1)):
        config = TrainConfig(model="vae", subset=128, batch_size=64, epochs=2, eval_every=every,
                             out=str(tmp_path / name))  # fmt: skip
        records.append(Trainer(config, log=lambda message: None, progress=False).fit())
    assert records[0]["loss"] == records[1]["loss"] and records[0]["test_loss"] == records[1]["test_loss"]


def _one_line_error(capsys, argv, *fragments, status=2):
    from minigen.cli import main

    capsys.readouterr()
    assert main(argv) == status
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    for fragment in fragments:
        assert fragment in error, error


def test_eval_bad_input(runs, tmp_path, capsys, monkeypatch):
    checkpoint = str(runs / "vae" / "checkpoint.npz")
    _one_line_error(capsys, ["eval"], "checkpoint: neither", "expected exactly one")
    _one_line_error(capsys, ["eval", checkpoint, "--real", "mnist-embedded"], "checkpoint: both")
    _one_line_error(capsys, ["eval", str(tmp_path / "none.npz")], "no such file")
    _one_line_error(capsys, ["eval", str(runs / "vae")], "a folder", "did you mean")
    _one_line_error(capsys, ["eval", "a" * 300 + ".npz"], "checkpoint:", "too long")
    _one_line_error(capsys, ["eval", "", "--real", "mnist-embedded"], "checkpoint: both")
    not_a_checkpoint = tmp_path / "weights.npz"
    minigen.save({"w": np.zeros(3)}, not_a_checkpoint)
    _one_line_error(capsys, ["eval", str(not_a_checkpoint)], "not a minigen training checkpoint")
    text = tmp_path / "text.npz"
    text.write_text("hello")
    _one_line_error(capsys, ["eval", str(text)], "cannot read it")
    _one_line_error(capsys, ["eval", checkpoint, "--n", "5"], "--n: 5")
    _one_line_error(capsys, ["eval", checkpoint, "--k", "0"], "--k: 0")
    _one_line_error(capsys, ["eval", checkpoint, "--device", "tpu"], "--device: tpu")
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path / "empty-cache"))  # no Fashion-MNIST here, nothing downloaded
    _one_line_error(capsys, ["eval", "--real", "fashion-mnist"], "dataset: fashion-mnist", "never downloads")
    _one_line_error(capsys, ["train", "vae", "--eval-every", "0"], "--eval-every: 0")


def test_conditional_likelihood_reads_each_image_with_its_own_label():
    """Labels as a NumPy array, blocks of several images: the same numbers as one image at a time."""
    from minigen.models import CVAE

    minigen.manual_seed(0)
    model = CVAE((1, 28, 28))
    x = binarize(np.random.default_rng(0).random((6, 1, 28, 28)).astype(np.float32))
    labels = np.array([0, 3, 5, 7, 9, 1])
    blocks = importance_weighted(model, x, k=4, labels=labels, batch_size=3)["iwae"]
    one_by_one = [importance_weighted(model, x[i : i + 1], k=4, labels=labels[i : i + 1])["iwae"][0] for i in range(6)]
    swapped = importance_weighted(model, x, k=4, labels=labels[::-1].copy(), batch_size=3)["iwae"]
    assert not np.allclose(blocks, swapped), "the decoder is told the label: another label, another likelihood"
    # the draws of a block differ from one image's draws, so compare the estimates loosely, label by label
    np.testing.assert_allclose(blocks, one_by_one, rtol=0.02)
    with pytest.raises(ValueError, match="is not conditional"):
        importance_weighted(_trained_vae(steps=1), x, labels=labels)


def test_importance_weighted_refuses_bad_input():
    model = _trained_vae(steps=1)
    x = np.zeros((2, 1, 28, 28), np.float32)
    for bad, match in (({"sigma": 0.0, "likelihood": "gaussian"}, "sigma: 0.0"), ({"batch_size": 0}, "batch_size"),
                       ({"k": True}, "k: True")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            importance_weighted(model, x, **bad)
    for images in (np.zeros((0, 1, 28, 28), np.float32), np.full((2, 1, 28, 28), 255, np.uint8), x + 2):
        with pytest.raises(ValueError, match="pixels in"):
            importance_weighted(model, images)


def test_judging_leaves_the_random_stream_alone():
    from minigen.metrics import load_judge

    minigen.manual_seed(5)
    state = minigen.random.get_rng_state()
    load_judge("mnist-embedded")
    assert minigen.random.get_rng_state() == state


def test_scores_refuse_non_finite_and_malformed_input():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(20, 3))
    broken = features.copy()
    broken[4, 1] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        frechet_distance(features, broken)
    with pytest.raises(ValueError, match="not finite"):
        precision_recall(features, broken)
    with pytest.raises(ValueError, match="a tuple of 3"):
        frechet_distance((features[0], np.eye(3), 1), features)
    with pytest.raises(ValueError, match=r"k: '3'"):
        precision_recall(features, features, k="3")
    assert precision_recall(features, features, k=np.int64(2)) == (1.0, 1.0)
    from minigen.metrics import judge_outputs, load_judge

    with pytest.raises(ValueError, match="finite"):
        judge_outputs(load_judge("mnist-embedded")[0], np.full((2, 28, 28), np.nan, np.float32))


def test_eval_real_refuses_sample_options(capsys):
    _one_line_error(capsys, ["eval", "--real", "mnist-embedded", "--n", "100"], "--n: 100", "no samples")


def test_a_judge_not_shipped_is_trained_once_and_cached(tmp_path, monkeypatch):
    """load_judge for a dataset without shipped weights trains on its training split, caches the judge in the data
    folder, and loads the cached one the next time (train_judge is shortened here; the logic is the same)."""
    from minigen.metrics import judge as judge_module

    calls = []

    def quick(images, labels, **kwargs):
        calls.append(len(images))
        return judge_module.train_judge.__wrapped__(images[:256], labels[:256], epochs=1, clean_epochs=0, **kwargs)

    quick.__wrapped__ = judge_module.train_judge
    monkeypatch.setattr(judge_module, "train_judge", quick)
    monkeypatch.setattr(judge_module, "SHIPPED", {})
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path / "cache"))
    state = minigen.random.get_rng_state()
    judge, facts = judge_module.load_judge("mnist-embedded")
    assert calls == [4500] and (tmp_path / "cache" / "judges" / "mnist-embedded.npz").is_file()
    assert facts["dataset"] == "mnist-embedded" and 0 <= facts["test_accuracy"] <= 1
    again, _ = judge_module.load_judge("mnist-embedded")
    assert calls == [4500], "the second call loads the cached judge"
    x = minigen.tensor(np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32))
    np.testing.assert_array_equal(judge(x).numpy(), again(x).numpy())
    assert minigen.random.get_rng_state() == state, "training the judge leaves the caller's generator alone"


def test_evaluate_a_conditional_model_reads_obedience():
    from minigen.metrics import evaluate_model
    from minigen.models import CVAE

    minigen.manual_seed(0)
    result = evaluate_model(CVAE((1, 28, 28)), "mnist-embedded", n=40, k=2)
    assert 0 <= result["label_accuracy"] <= 1 and result["n"] == 40
    assert result["nll_nats"] <= result["elbo_nats"] + 1e-6 and result["likelihood_images"] == 500


def test_a_damaged_judge_is_one_line_and_a_run_goes_on(tmp_path, capsys, monkeypatch):
    from minigen.metrics import judge as judge_module
    from minigen.train import TrainConfig, Trainer

    damaged = tmp_path / "judge.npz"
    damaged.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ValueError, match="cannot read it"):
        judge_module.Judge.load(damaged)
    monkeypatch.setitem(judge_module.SHIPPED, "mnist-embedded", damaged)
    _one_line_error(capsys, ["eval", "--real", "mnist-embedded"], "judge", "cannot read it", status=1)
    messages = []
    config = TrainConfig(model="vae", subset=128, batch_size=64, epochs=1, eval_every=1, out=str(tmp_path / "run"))
    Trainer(config, log=messages.append, progress=False).fit()
    assert any("not measured" in message for message in messages) and (tmp_path / "run" / "checkpoint.npz").is_file()


def test_bits_and_binarize_refuse_bad_arguments():
    for bad in ({"dims": 0}, {"dims": 1.5}, {"levels": 1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            bits_per_dim(100.0, **{"dims": 784, **bad})
    with pytest.raises(ValueError, match="binarize"):
        binarize(np.zeros((0, 4), np.float32))


def test_reference_images_keep_load_datasets_layouts():
    from minigen.metrics.evaluate import _unit

    colour = np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 3, 4, 4)  # CIFAR-10's (N, C, H, W)
    np.testing.assert_allclose(_unit(colour), colour / 255, rtol=1e-6)
    assert _unit(np.zeros((5, 28, 28), np.uint8)).shape == (5, 1, 28, 28)
