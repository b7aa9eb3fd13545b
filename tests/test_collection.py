"""What a collection records of the model that made it: queries are embedded into the collection's own feature."""

import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.model.features import DEFAULT_FEATURE, Feature
from vidsearch.store import CollectionSpec, StoreError


class FakeOfFeature(FakeEmbedder):
    """The fake, claiming to embed one of I3D's features."""

    def __init__(self, feature: str):
        super().__init__()
        self.feature = feature


def test_features_parse_block_names_loosely_and_know_their_dimension():
    assert Feature.parse(None) == Feature.parse(DEFAULT_FEATURE) == Feature(("Mixed_5c", "Mixed_4d"))
    assert Feature.parse("mixed5c + mixed_4D").name == "Mixed_5c+Mixed_4d"
    assert (Feature.parse("Mixed_5c").dim, Feature.parse("Mixed_4d").dim, Feature.parse("Mixed_4e").dim) == (1024, 512, 528)
    assert Feature.parse("Mixed_5c+Mixed_4d").dim == 1536
    with pytest.raises(ValueError, match="unknown I3D feature 'Mixed_9z': blocks are Mixed_3b"):
        Feature.parse("Mixed_5c+Mixed_9z")
    with pytest.raises(ValueError, match="twice"):
        Feature.parse("Mixed_4d+mixed4d")


@pytest.fixture()
def clip(tmp_path):
    return make_video(tmp_path / "videos" / "clip.mp4", motion="pulse", seed=3, width=128, height=96, seconds=1.0)


def test_a_collection_keeps_the_feature_it_was_made_with(tmp_path, clip):
    db = str(tmp_path / "lib.db")
    with VideoSearch(settings=Settings(db=db), embedder=FakeOfFeature("Mixed_4e")) as engine:
        assert engine.feature() == DEFAULT_FEATURE  # no collection yet: the settings' choice
        engine.index(clip.parent)
        assert engine.info().feature == "Mixed_4e"
    # a later process asking for another feature still embeds queries like the library
    with VideoSearch(settings=Settings(db=db, feature="Mixed_5c")) as engine:
        assert engine.feature() == "Mixed_4e"


def test_a_model_of_another_feature_is_refused_in_one_line(tmp_path, clip):
    db = str(tmp_path / "lib.db")
    with VideoSearch(settings=Settings(db=db), embedder=FakeOfFeature("Mixed_4e")) as engine:
        engine.index(clip.parent)
    with VideoSearch(settings=Settings(db=db), embedder=FakeOfFeature("Mixed_5c+Mixed_4d")) as engine:
        with pytest.raises(StoreError, match="holds the I3D feature Mixed_4e, this model embeds Mixed_5c.Mixed_4d"):
            engine.search(clip)
        with pytest.raises(StoreError, match="--feature Mixed_4e"):
            engine.index(clip.parent)


def test_a_collection_made_before_features_were_recorded_holds_mixed_5c():
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    engine.store.create(CollectionSpec(1024, meta={"model": "i3d-kinetics400-rgb", "layout": 2, "num_frames": 16,
                                                   "segments": {"frames": 16, "fps": 8.0, "stride": 0.5},
                                                   "projection": {"method": "none", "input_dim": 1024}}))
    assert engine.feature() == "Mixed_5c" and engine.info().feature == "Mixed_5c"


def test_a_collection_keeps_the_crop_its_windows_were_cut_with(tmp_path, clip):
    from dataclasses import replace

    from vidsearch.video import DecodeOptions

    db = str(tmp_path / "crop.db")
    small = replace(DecodeOptions(), size=160, short_side=183)
    with VideoSearch(settings=Settings(db=db, decode=small), embedder=FakeEmbedder()) as engine:
        engine.index(clip.parent)
        assert (engine.info().crop, engine.info().short_side) == (160, 183)
        assert engine.embed(clip)[0].embedding.vector.shape == (1024,)
    with VideoSearch(settings=Settings(db=db), embedder=FakeEmbedder()) as engine:  # asks for the default 224
        assert (engine.decode_options().size, engine.decode_options().short_side) == (160, 183)
    legacy = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    legacy.store.create(CollectionSpec(1024, meta={"layout": 2, "segments": {"frames": 16, "fps": 8.0, "stride": 0.5},
                                                   "projection": {"method": "none", "input_dim": 1024}}))
    assert (legacy.decode_options().size, legacy.decode_options().short_side) == (224, 256)  # made before 0.6


def test_the_recorded_meta_reads_typed_and_writes_back_the_same_json():
    from vidsearch.collection import CollectionMeta
    from vidsearch.reduce import Projection

    written = {"model": "i3d-kinetics400-rgb", "layout": 2, "num_frames": 16,
               "segments": {"frames": 16, "fps": 8.0, "stride": 0.5}, "precision": "int8",
               "crop": {"size": 160, "short_side": 183}, "projection": Projection(1024, 1024).to_json(),
               "feature": "Mixed_5c+Mixed_4d", "context": "stream", "actions": 20}
    meta = CollectionMeta.from_json(written)
    assert (meta.frames, meta.stride, meta.crop, meta.context, meta.action_classes) == (16, 0.5, 160, "stream", 20)
    assert meta.to_json() == written and meta.projection.output_dim == 1024
    old = CollectionMeta.from_json({k: v for k, v in written.items() if k not in ("crop", "feature", "context", "actions")})
    assert (old.crop, old.short_side, old.feature, old.context, old.action_classes) == (224, 256, "Mixed_5c", "window", None)
