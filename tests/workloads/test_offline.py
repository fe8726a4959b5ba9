"""The offline promise (issue 25): ``workloads evaluate`` never makes a network request; its weights come from
``--checkpoint`` or a file already in the local Hugging Face / torch-hub cache, looked up on disk only. Every
test here runs with sockets forbidden (``socket.socket.connect`` raises and records the attempt)."""

from __future__ import annotations

import socket

import pytest
from conftest import require_module

require_module("torch")  # the offline promise is checked in CI: VITSIM_REQUIRE_CROSSCHECKS=1 fails without them
timm = require_module("timm")
require_module("torchvision")

MODEL = "deit_tiny_patch16_224"


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Sockets refuse to connect (each attempt recorded); empty hub caches; the hub library itself *online*, so
    that only vitsim's own lookup can keep the promise."""
    import huggingface_hub.constants as const

    attempts = []

    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise OSError(f"network forbidden by the test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(const, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(const, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    return attempts


def _cli(*argv):
    import contextlib
    import io

    from workloads.cli import main
    from workloads.cli_common import run_main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = run_main(main, list(map(str, argv)))
    return rc, err.getvalue()


def _images(tmp_path):
    from PIL import Image

    d = tmp_path / "val" / "class_a"
    d.mkdir(parents=True)
    Image.new("RGB", (32, 32), (120, 30, 200)).save(d / "0.png")
    return tmp_path / "val"


def test_no_network_request_without_local_weights_or_with_a_missing_data_dir(no_network, tmp_path):
    """No local weights: one line naming the model and ``weights``, exit 2, no connection tried. A missing
    --data (or --calib-data) directory: one line naming it, before torch or a model is loaded."""
    rc, err = _cli("evaluate", MODEL, "--recipe", "w8a8", "--data", _images(tmp_path), "--no-progress")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert f"{MODEL}: weights: no local weights" in err and "nothing is downloaded" in err
    for argv, needle in ((["--data", tmp_path / "absent"], "absent: data: no such directory"),
                         (["--data", tmp_path / "val", "--calib-data", tmp_path / "nope"], "nope: calib_data")):
        rc, err = _cli("evaluate", MODEL, "--recipe", "w8a8", *argv, "--no-progress")
        assert rc == 2 and len(err.strip().splitlines()) == 1 and needle in err, err
    assert no_network == []


def test_cached_weights_load_from_disk_with_sockets_forbidden(no_network, tmp_path):
    """Weights planted in the Hugging Face cache layout (refs/main -> snapshots/<rev>/model.safetensors) are
    found and loaded, bit for bit, with no connection tried."""
    import torch
    from safetensors.torch import save_file

    from workloads.accuracy.evaluate import load_model, local_weights

    assert local_weights(timm, MODEL) is None
    ref = timm.create_model(MODEL, pretrained=False)
    with torch.no_grad():
        ref.head.bias.fill_(0.25)
    repo = tmp_path / "hf" / "models--timm--deit_tiny_patch16_224.fb_in1k"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    snap = repo / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(snap / "model.safetensors"))
    assert local_weights(timm, MODEL) == str(snap / "model.safetensors")
    model, _ = load_model(MODEL)
    got, want = model.state_dict(), ref.state_dict()
    assert set(got) == set(want) and all(torch.equal(got[k], want[k]) for k in want)
    assert no_network == []
