import pytest

from vidsearch.sources import SourceError, fingerprint, read_source, stable_id


def test_csv_paths_are_relative_to_the_csv(tmp_path):
    (tmp_path / "data" / "train").mkdir(parents=True)
    (tmp_path / "data" / "reverse_video_search.csv").write_text(
        "id,path,label\n0,./train/a.mp4,archery\n1,/abs/b.mp4,bowling\n"
    )
    items = read_source(tmp_path / "data" / "reverse_video_search.csv")
    assert [(i.id, i.label) for i in items] == [(0, "archery"), (1, "bowling")]
    assert items[0].path == tmp_path / "data" / "train" / "a.mp4"
    assert str(items[1].path) == "/abs/b.mp4"


@pytest.mark.parametrize("text,message", [
    ("name,path\nx,y\n", "missing id, label"),
    ("id,path,label\nseven,a.mp4,x\n", "not an integer"),
    ("id,path,label\n-1,a.mp4,x\n", "outside"),
])
def test_bad_csv_says_where(tmp_path, text, message):
    (tmp_path / "s.csv").write_text(text)
    with pytest.raises(SourceError, match=message):
        read_source(tmp_path / "s.csv")


def test_folder_labels_from_parent_and_stable_ids(tmp_path):
    for name in ["cats/a.mp4", "cats/b.MKV", "dogs/c.webm", "notes.txt", "top.avi"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    items = read_source(tmp_path)
    assert [(i.path.name, i.label) for i in items] == [("a.mp4", "cats"), ("b.MKV", "cats"), ("c.webm", "dogs"), ("top.avi", "")]
    assert items[0].id == stable_id("cats/a.mp4") == read_source(tmp_path)[0].id
    assert 0 <= stable_id("x") < 2**53


def test_not_a_source(tmp_path):
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(SourceError):
        read_source(tmp_path / "x.txt")


def test_fingerprint_changes_with_content(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(b"a" * 200_000)
    first = fingerprint(path)
    assert fingerprint(path) == first
    path.write_bytes(b"a" * 199_999 + b"b")
    assert fingerprint(path) != first
