"""``captions:PATH``: the CUB/flowers, COCO, CSV and JSONL layouts load; bad layouts are errors
that name the files at fault."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganforge.api import make_config
from ganforge.data import build_dataset
from ganforge.data.vocab import Vocabulary
from ganforge.errors import GanforgeError
from gf_captions import captions_of, digits, make_coco, make_cub, make_table


def _build(path: Path | str, **over):
    cfg = make_config("attngan", **{"data.name": f"captions:{path}", "data.resolution": 16,
                                    "data.options": {"test_fraction": 0.0}, **over})
    return build_dataset(cfg.data)


def _check(ds, n: int) -> None:
    _, labels = digits(n)
    assert ds.info.kind == "captioned" and len(ds) == n
    assert ds.x.shape == (n, ds.x.shape[1], 16, 16) and ds.x.min() >= -1 and ds.x.max() <= 1
    assert ds.fields["n_captions"].tolist() == [2] * n
    texts = {t for i in range(n) for t in ds.caption_texts(i)}
    assert texts == {c for label in labels for c in captions_of(label)}
    vocab = Vocabulary.from_dict(ds.info.extra["vocab"])
    assert (ds.fields["captions"] != vocab.unk_id).all()
    batch = ds.get_batch(torch.arange(n), torch.Generator().manual_seed(0))
    assert batch["caption"].shape == (n, ds.info.extra["max_len"]) and "captions" not in batch


def test_cub_layout_loads(tmp_path: Path) -> None:
    ds = _build(make_cub(tmp_path / "cub", n=6))
    _check(ds, 6)
    assert ds.x.shape[1] == 3  # RGB jpgs


def test_coco_layout_loads_from_the_json_or_its_folder(tmp_path: Path) -> None:
    jf = make_coco(tmp_path / "coco", n=4)
    _check(_build(jf), 4)
    _check(_build(tmp_path / "coco"), 4)  # the folder holding annotations/captions_*.json


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_csv_and_jsonl_load(tmp_path: Path, kind: str) -> None:
    ds = _build(make_table(tmp_path / kind, kind, n=5))
    _check(ds, 5)
    assert ds.x.shape[1] == 1  # gray PNGs


def test_splits_and_vocabulary_from_the_train_part(tmp_path: Path) -> None:
    root = make_cub(tmp_path / "cub", n=10)
    train = _build(root, **{"data.options": {"test_fraction": 0.3}})
    test = _build(root, **{"data.options": {"test_fraction": 0.3}, "data.split": "test"})
    assert len(train) == 7 and len(test) == 3
    assert train.info.extra["vocab"] == test.info.extra["vocab"]


def _error(path, match: str) -> str:
    with pytest.raises(GanforgeError, match=match) as e:
        _build(path)
    return str(e.value)


def test_cub_image_without_captions_is_named(tmp_path: Path) -> None:
    root = make_cub(tmp_path / "cub", n=4)
    victim = next((root / "text").rglob("img_2.txt"))
    victim.unlink()
    assert "img_2.jpg" in _error(root, "without captions")


def test_cub_caption_file_without_image_and_empty_captions_are_named(tmp_path: Path) -> None:
    root = make_cub(tmp_path / "cub", n=4)
    (root / "text" / "stray.txt").write_text("a lonely caption\n")
    assert "stray.txt" in _error(root, "without an image")
    (root / "text" / "stray.txt").unlink()
    next((root / "text").rglob("img_1.txt")).write_text("\n  \n")
    assert "img_1.txt" in _error(root, "hold no captions")


def test_unreadable_image_is_named(tmp_path: Path) -> None:
    root = make_cub(tmp_path / "cub", n=3)
    bad = next((root / "images").rglob("img_0.jpg"))
    bad.write_bytes(b"not a jpeg at all")
    assert "img_0.jpg" in _error(root, "img_0.jpg")


def test_coco_errors_name_the_image(tmp_path: Path) -> None:
    jf = make_coco(tmp_path / "coco", n=3)
    data = json.loads(jf.read_text())
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] != 101]
    jf.write_text(json.dumps(data))
    assert "COCO_train2014_000000000001.jpg" in _error(jf, "without captions")
    data["annotations"].append({"image_id": 999, "caption": "x"})
    jf.write_text(json.dumps(data))
    _error(jf, "image_id 999")
    jf.write_text(json.dumps({"images": []}))
    _error(jf, "'images' and 'annotations'")


def test_coco_missing_image_folder_is_named(tmp_path: Path) -> None:
    jf = make_coco(tmp_path / "coco", n=2)
    (tmp_path / "coco" / "train2014").rename(tmp_path / "elsewhere")
    _error(jf, "COCO_train2014_000000000000.jpg.*data.options.images")
    cfg = make_config("attngan", **{"data.name": f"captions:{jf}", "data.resolution": 16,
                                    "data.options": {"test_fraction": 0.0, "images": str(tmp_path / "elsewhere")}})
    assert len(build_dataset(cfg.data)) == 2


def test_table_errors_name_file_and_line(tmp_path: Path) -> None:
    path = make_table(tmp_path / "t", "csv", n=2)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + ["img/1.png,"] + lines[3:]) + "\n")
    _error(path, r"captions.csv:3: the caption of img/1.png is empty")
    path.write_text("picture,text\nimg/0.png,a zero\n")
    _error(path, "must name the columns image and caption")
    path.write_text("image,caption\nimg/0.png,a zero\nimg/nothere.png,a one\n")
    _error(path, "nothere.png")
    j = tmp_path / "t" / "c.jsonl"
    j.write_text('{"image": "img/0.png", "caption": "a zero"}\n{"picture": 1}\n')
    _error(j, r"c.jsonl:2: each line needs the keys image and caption")


def test_unknown_layout_and_options(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _error(tmp_path / "empty", "not a known layout")
    _error(tmp_path / "nothing", "no such file or folder")
    root = make_cub(tmp_path / "cub", n=2)
    cfg = make_config("attngan", **{"data.name": f"captions:{root}", "data.options": {"colour": 1}})
    with pytest.raises(GanforgeError, match="unknown data.options.*colour"):
        build_dataset(cfg.data)
