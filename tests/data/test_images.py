import os

import numpy as np
import pytest

from activelearn.data.datasets import LoadedData
from activelearn.data.images import LazyImages, load_image_files, load_image_folder
from activelearn.data.pool import Pool
from activelearn.data.protocol import split
from activelearn.errors import ConfigError, DataError

Image = pytest.importorskip("PIL.Image")


def save_image(path, color, size=(8, 6)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


@pytest.fixture
def class_folders(tmp_path):
    root = tmp_path / "pets"
    for i in range(3):
        save_image(root / "cat" / f"{i}.png", (255, 0, 0))
        save_image(root / "dog" / "nested" / f"{i}.jpg", (0, 0, 255))
    (root / "cat" / "notes.txt").write_text("not an image")
    return root


def test_folder_per_class(class_folders):
    data = load_image_folder(class_folders, size=(4, 5))
    assert data.classes.tolist() == ["cat", "dog"]
    assert data.ids.tolist()[:3] == ["cat/0.png", "cat/1.png", "cat/2.png"]
    assert data.ids.tolist()[3] == "dog/nested/0.jpg"
    assert data.labels.tolist() == ["cat"] * 3 + ["dog"] * 3
    assert all(os.path.isabs(p) and os.path.exists(p) for p in data.raw)
    image = data.X[0]
    assert image.shape == (4, 5, 3) and image.dtype == np.float32
    assert np.allclose(image[..., 0], 1) and np.allclose(image[..., 2], 0)
    assert data.X.shape == (6, 4, 5, 3)


def test_lazy_images_stay_lazy_through_splits_and_load_in_the_pool(class_folders):
    data = load_image_folder(class_folders, size=(4, 4), mode="L")
    splits = split(LoadedData(data), seed=0, validation_size=2, test_size=2)
    assert isinstance(splits.pool.X, LazyImages) and isinstance(splits.test.X, LazyImages)
    pool = Pool(splits.pool.X, ids=splits.pool.ids, hidden_labels=splits.pool.labels)
    batch = pool.subset(np.array([0, 1]))
    assert batch.shape == (2, 4, 4, 1) and batch.dtype == np.float32
    assert batch.min() >= 0 and batch.max() <= 1


def test_class_in_file_names(tmp_path):
    for name, color in [("cat.0.jpg", "red"), ("dog.1.jpg", "blue"), ("dog.2.png", "blue")]:
        save_image(tmp_path / name, color)
    data = load_image_files(tmp_path, size=(2, 2))
    assert data.labels.tolist() == ["cat", "dog", "dog"]
    assert data.ids.tolist() == ["cat.0.jpg", "dog.1.jpg", "dog.2.png"]
    custom = load_image_files(tmp_path, pattern=r"\.(\d)\.", size=(2, 2))
    assert custom.labels.tolist() == ["0", "1", "2"]


def test_file_names_without_a_class_are_an_error(tmp_path):
    save_image(tmp_path / "cat.0.jpg", "red")
    save_image(tmp_path / "mystery.png", "red")
    with pytest.raises(DataError, match=r"mystery.png"):
        load_image_files(tmp_path, pattern=r"^(cat|dog)\.")
    with pytest.raises(ConfigError, match="needs a group"):
        load_image_files(tmp_path, pattern=r"^cat")


def test_links_out_of_the_folder_are_refused(tmp_path):
    root = tmp_path / "data"
    save_image(root / "cat" / "0.png", "red")
    outside = save_image(tmp_path / "secret" / "x.png", "blue")
    (root / "cat" / "1.png").symlink_to(outside)
    with pytest.raises(DataError, match="outside the data set folder"):
        load_image_folder(root)
    (root / "cat" / "1.png").unlink()
    (root / "dog").symlink_to(tmp_path / "secret", target_is_directory=True)
    with pytest.raises(DataError, match="outside the data set folder"):
        load_image_folder(root)


def test_unreadable_image_names_the_file(tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "broken.png").write_bytes(b"not a png")
    data = load_image_folder(tmp_path)
    with pytest.raises(DataError, match="broken.png"):
        data.X[0]


def test_empty_folder_and_undeclared_classes(tmp_path):
    with pytest.raises(DataError, match="holds no images"):
        load_image_folder(tmp_path)
    save_image(tmp_path / "cow" / "0.png", "red")
    with pytest.raises(DataError, match=r"\['cow'\]"):
        load_image_folder(tmp_path, classes=["cat", "dog"])
    with pytest.raises(DataError, match="not a folder"):
        load_image_folder(tmp_path / "missing")


def test_lazy_images_convert_to_one_array(class_folders):
    images = load_image_folder(class_folders, size=(3, 3)).X
    array = np.asarray(images)
    assert array.shape == (6, 3, 3, 3) and array.dtype == np.float32
    assert np.array_equal(array[4], images[4])
