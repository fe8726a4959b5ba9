"""Real accuracy end to end through the CLI (``python -m workloads evaluate``) on data and a model the test makes:
ten classes of synthetic 16x16 images (a fixed smooth random prototype per class plus pixel noise and a random
shift), written as PNG ImageFolders; a tiny timm ViT (vit_tiny_patch16_224 with 4x4 patches, width 32, depth 2)
trained here for a few seconds and saved as a vitsim checkpoint (state dict + model_kwargs + data_config).
W8A8 must stay within 1 point of FP32 and W2A2 must fall clearly below (by 10 points or more). Nothing is
downloaded. One thread (torch.set_num_threads(1)); the module's fixture trains once."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("torchvision")

pytestmark = pytest.mark.trace

CLASSES, TRAIN_PER_CLASS, VAL_PER_CLASS, SIZE = 10, 48, 30, 16
MODEL = "vit_tiny_patch16_224"
KWARGS = {"img_size": SIZE, "patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 2, "mlp_ratio": 2.0,
          "num_classes": CLASSES}
DATA_CONFIG = {"input_size": (3, SIZE, SIZE), "crop_pct": 1.0, "interpolation": "bilinear",
               "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "crop_mode": "center"}


def make_images(root, per_class: int, seed: int) -> None:
    """Class c: prototype_c (seeded smooth field, shared by train and val) rolled by up to 2 pixels, plus noise."""
    from PIL import Image

    g_proto = torch.Generator().manual_seed(1234)
    protos = torch.nn.functional.interpolate(torch.randn(CLASSES, 3, 4, 4, generator=g_proto), size=(SIZE, SIZE),
                                             mode="bilinear", align_corners=False)
    g = torch.Generator().manual_seed(seed)
    for c in range(CLASSES):
        d = root / f"class_{c:02d}"
        d.mkdir(parents=True)
        for i in range(per_class):
            dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
            x = protos[c].roll((dy, dx), dims=(1, 2)) + 1.2 * torch.randn(3, SIZE, SIZE, generator=g)
            img = ((x * 0.25 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
            Image.fromarray(img).save(d / f"{i:03d}.png")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(train dir, val dir, checkpoint) with a tiny ViT trained on the train dir."""
    import timm
    from timm.data import create_transform
    from torchvision.datasets import ImageFolder

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tinyvit")
    make_images(root / "train", TRAIN_PER_CLASS, seed=1)
    make_images(root / "val", VAL_PER_CLASS, seed=2)
    torch.manual_seed(0)
    model = timm.create_model(MODEL, pretrained=False, **KWARGS)
    ds = ImageFolder(str(root / "train"), transform=create_transform(**DATA_CONFIG, is_training=False))
    xs = torch.stack([ds[i][0] for i in range(len(ds))])
    ys = torch.tensor([ds[i][1] for i in range(len(ds))])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    model.train()
    g = torch.Generator().manual_seed(0)
    for _ in range(40):
        perm = torch.randperm(len(xs), generator=g)
        for j in range(0, len(xs), 48):
            idx = perm[j:j + 48]
            loss = torch.nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    ckpt = root / "tiny.pth"
    torch.save({"model_kwargs": KWARGS, "data_config": DATA_CONFIG, "state_dict": model.state_dict()}, ckpt)
    w2a2 = root / "w2a2.yaml"
    w2a2.write_text("name: w2a2\ndescription: 2-bit weights and activations\n"
                    "default: {dtype: int, w_bits: 2, a_bits: 2, w_granularity: channel}\n")
    return root / "train", root / "val", ckpt, w2a2


def _evaluate(tiny, recipe, tmp_path, *extra):
    from workloads.cli import main

    train, val, ckpt, _ = tiny
    out = tmp_path / f"{str(recipe).replace('/', '_')}.json"
    assert main(["evaluate", MODEL, "--recipe", str(recipe), "--data", str(val), "--checkpoint", str(ckpt),
                 "--calib", "64", "--calib-data", str(train), "--no-progress", "--format", "json", "-o", str(out),
                 *extra]) == 0
    return json.loads(out.read_text())


def test_w8a8_within_one_point_and_w2a2_clearly_below(tiny, tmp_path):
    w8 = _evaluate(tiny, "w8a8", tmp_path, "--save-workload", str(tmp_path / "w8.yaml"))
    w2 = _evaluate(tiny, tiny[3], tmp_path)
    fp32 = w8["fp32"]["top1"]
    print(f"\ntiny ViT on {w8['images']} val images: FP32 {fp32:.2f}  W8A8 {w8['quantized']['top1']:.2f}  "
          f"W2A2 {w2['quantized']['top1']:.2f}")
    assert w8["images"] == CLASSES * VAL_PER_CLASS and w8["calib_images"] == 64
    assert fp32 >= 80.0, "the tiny model did not learn the synthetic task"
    assert w2["fp32"]["top1"] == fp32
    assert abs(w8["quantized"]["top1"] - fp32) <= 1.0
    assert w2["quantized"]["top1"] <= fp32 - 10.0
    from workloads.model import Workload

    saved = Workload.load(tmp_path / "w8.yaml")
    assert saved.accuracy["kind"] == "measured" and saved.accuracy["top1"] == w8["quantized"]["top1"]
    assert saved.recipe == "w8a8" and any(x.op == "matmul" for x in saved.layers)


def test_evaluate_errors_are_one_line(tiny, tmp_path, capsys):
    from workloads.cli import main
    from workloads.cli_common import run_main

    _, val, ckpt, _ = tiny
    assert run_main(main, ["evaluate", MODEL, "--recipe", "w8a8", "--data", str(tmp_path / "nope"),
                           "--checkpoint", str(ckpt), "--no-progress"]) == 2
    assert run_main(main, ["evaluate", MODEL, "--recipe", "w8a8", "--data", str(val),
                           "--checkpoint", str(tmp_path / "missing.pth"), "--no-progress"]) == 2
    assert run_main(main, ["evaluate", "resnet18", "--recipe", "w8a8", "--data", str(val),
                           "--checkpoint", str(ckpt), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
