"""``minigen texture``, ``matte`` and ``composite``: each --demo writes its image; every bad input is one line,
exit status 2, and leaves no file behind; nothing is overwritten unless --force."""

from __future__ import annotations

import numpy as np
import pytest

from minigen.cli import main
from minigen.imaging import matting_scene, read_image, sample_image, write_image

QUIET = ["--no-progress"]


def run(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_error(status, err, *fragments):
    lines = err.strip().splitlines()
    assert status == 2 and "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith("minigen: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small inputs on disk: a texture, a scene with its trimap, and images of other sizes."""
    folder = tmp_path_factory.mktemp("imaging-inputs")
    scene = matting_scene(48, 64, strands=6, band=3)
    paths = {"texture": folder / "gravel.png", "image": folder / "scene.png", "trimap": folder / "trimap.png",
             "alpha": folder / "alpha.png", "small": folder / "small.png", "notes": folder / "notes.png"}  # fmt: skip
    write_image(paths["texture"], sample_image("gravel")[:64, :64])
    write_image(paths["image"], scene.image)
    write_image(paths["trimap"], scene.trimap)
    write_image(paths["alpha"], scene.alpha)
    write_image(paths["small"], scene.image[:20, :30])
    paths["notes"].write_text("not an image")
    return paths


def test_texture_demo_and_a_given_source(tmp_path, files, capsys):
    out = tmp_path / "t.png"
    status, printed, _ = run(["texture", "--demo", "--size", "96x128", "--out", str(out), *QUIET], capsys)
    assert status == 0 and out.is_file() and read_image(out).shape == (96, 128)
    assert "quilted from the shipped brick texture" in printed
    status, _, err = run(["texture", "--demo", "--out", str(out), *QUIET], capsys)
    assert_error(status, err, f"--out: {out} (already exists; use --force")
    status, _, _ = run(["texture", str(files["texture"]), "--size", "100", "--patch", "16", "--seed", "3",
                        "--out", str(out), "--force", *QUIET], capsys)  # fmt: skip
    assert status == 0 and read_image(out).shape == (100, 100)


def test_texture_transfer(tmp_path, files, capsys):
    out = tmp_path / "transfer.png"
    status, printed, _ = run(["texture", str(files["texture"]), "--transfer", str(files["small"]), "--patch", "8",
                              "--out", str(out), *QUIET], capsys)  # fmt: skip
    assert status == 0 and read_image(out).shape == (20, 30), printed


def test_matte_demo_writes_alpha_and_foreground(tmp_path, capsys, monkeypatch):
    import minigen.imaging

    monkeypatch.setattr(minigen.imaging, "matting_scene", lambda: matting_scene(64, 80, strands=8, band=3))
    alpha, foreground = tmp_path / "a.png", tmp_path / "fg.png"
    status, printed, _ = run(["matte", "--demo", "--out", str(alpha), "--foreground", str(foreground), *QUIET],
                             capsys)  # fmt: skip
    assert status == 0, printed
    assert read_image(alpha).shape == (64, 80) and read_image(foreground).shape == (64, 80, 4)
    assert "SAD" in printed and "converged" in printed


def test_matte_of_files_equals_the_trimap_where_known(tmp_path, files, capsys):
    out = tmp_path / "alpha.png"
    status, _, err = run(["matte", str(files["image"]), "--trimap", str(files["trimap"]), "--out", str(out), *QUIET],
                         capsys)  # fmt: skip
    assert status == 0, err
    alpha, trimap = read_image(out), read_image(files["trimap"])
    known = (trimap == 0) | (trimap == 1)
    assert np.array_equal(alpha[known], trimap[known])


def test_composite_over_and_poisson(tmp_path, files, capsys):
    out = tmp_path / "over.png"
    background = tmp_path / "bg.png"
    write_image(background, np.full((48, 64, 3), 0.25, np.float32))
    status, _, err = run(["composite", str(files["image"]), "--alpha", str(files["alpha"]), "--background",
                          str(background), "--out", str(out), *QUIET], capsys)  # fmt: skip
    assert status == 0, err
    mask = tmp_path / "mask.png"
    write_image(mask, np.pad(np.ones((10, 16), np.float32), ((5, 5), (7, 7))))
    status, printed, err = run(["composite", str(files["small"]), "--poisson", "--mask", str(mask), "--background",
                                str(files["image"]), "--at", "10,8", "--out", str(tmp_path / "p.png"), *QUIET],
                               capsys)  # fmt: skip
    assert status == 0 and "converged" in printed, err
    status, printed, err = run(["composite", "--demo", "--out", str(tmp_path / "demo.png"), *QUIET], capsys)
    assert status == 0 and read_image(tmp_path / "demo.png").shape == (267, 400, 3), err


def test_bad_input_is_one_line_and_leaves_no_file(tmp_path, files, capsys):
    out = tmp_path / "out.png"
    missing = str(tmp_path / "missing.png")
    probes = [
        (["texture", missing], "source: ", "no such file"),
        (["texture", str(files["notes"])], "source: ", "not an image"),
        (["texture", "--demo", "--size", "0x5"], "--size: '0x5'"),
        (["texture", "--demo", "--size", "big"], "--size: 'big'"),
        (["texture", str(files["texture"]), "--patch", "500"], "patch"),
        (["texture", "--demo", "--patch", "0"], "--patch: 0"),
        (["texture", "--demo", "--seed", "-1"], "--seed: -1"),
        (["matte", str(files["image"])], "--trimap: nothing"),
        (["matte", str(files["image"]), "--trimap", str(files["small"])], "trimap", "(48, 64)"),
        (["matte", str(files["image"]), "--trimap", missing], "--trimap: ", "no such file"),
        (["composite", str(files["image"]), "--background", str(files["image"])], "--alpha: nothing"),
        (["composite", str(files["image"]), "--alpha", str(files["alpha"]), "--background", str(files["small"])],
         "background"),
        (["composite", str(files["small"]), "--poisson", "--mask", str(files["alpha"]), "--background",
          str(files["image"])], "mask"),
        (["composite", str(files["small"]), "--poisson", "--mask", str(files["trimap"])[:-4] + "-none.png",
          "--background", str(files["image"])], "--mask: ", "no such file"),
        (["composite", str(files["image"]), "--mask", str(files["alpha"]), "--alpha", str(files["alpha"]),
          "--background", str(files["image"])], "--mask: ", "without --poisson"),
        (["composite", str(files["small"]), "--poisson", "--mask", str(files["small"]), "--background",
          str(files["image"]), "--at", "1;2"], "--at: '1;2'"),
    ]  # fmt: skip
    for argv, *fragments in probes:
        status, _, err = run([*argv, "--out", str(out), *QUIET], capsys)
        assert_error(status, err, *fragments)
        assert not out.exists(), argv
    status, _, err = run(["texture", "--demo", "--out", str(tmp_path / "t.gif"), *QUIET], capsys)
    assert_error(status, err, "--out: ", ".png")
    all_trimap = tmp_path / "unknown.png"
    write_image(all_trimap, np.full((48, 64), 0.5, np.float32))
    status, _, err = run(["matte", str(files["image"]), "--trimap", str(all_trimap), "--out", str(out), *QUIET],
                         capsys)  # fmt: skip
    assert_error(status, err, "foreground")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["unknown.png"]  # no temporary left either


def test_neural_texture_and_style_with_intermediate_images(tmp_path, files, capsys):
    out = tmp_path / "gram.png"
    status, printed, err = run(["texture", str(files["texture"]), "--method", "gram", "--size", "48", "--steps", "6",
                                "--save-every", "3", "--out", str(out), *QUIET], capsys)  # fmt: skip
    assert status == 0, err
    assert read_image(out).shape == (48, 48)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gram-step3.png", "gram-step6.png", "gram.png"]
    styled = tmp_path / "styled.png"
    status, printed, err = run(["style", str(files["small"]), str(files["image"]), "--steps", "4", "--size", "40",
                                "--out", str(styled), *QUIET], capsys)  # fmt: skip
    assert status == 0 and read_image(styled).shape == (27, 40, 3), err


def test_neural_bad_input(tmp_path, files, capsys):
    out = tmp_path / "out.png"
    probes = [
        (["style", str(files["small"])], "style: nothing"),
        (["style", str(files["small"]), str(files["notes"])], "style: ", "not an image"),
        (["style", "--demo", "--steps", "0"], "--steps: 0"),
        (["style", "--demo", "--size", "0"], "--size: 0"),
        (["style", "--demo", "--device", "tpu"], "--device: tpu"),
        (["style", "--demo", "--vgg", str(tmp_path / "missing.npz")], "--vgg: "),
        (["texture", "--demo", "--steps", "5"], "--steps: 5", "not --method quilt"),
        (["texture", "--demo", "--method", "gram", "--patch", "8"], "--method: gram"),
        (["texture", "--demo", "--method", "fft"], "--method: 'fft'"),
    ]
    for argv, *fragments in probes:
        status, _, err = run([*argv, "--out", str(out), *QUIET], capsys)
        assert_error(status, err, *fragments)
        assert not out.exists(), argv
