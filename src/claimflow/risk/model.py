"""The denial-risk model: LightGBM on the point-in-time features, calibrated, with reasons.

Training (``train``) takes the claims whose outcome is known and splits them **by submission
month**: the earlier months train, the next month(s) calibrate, the latest month(s) test. No
class rebalancing: the output is a probability. Two boosters:

- **denial**: binary, early-stopped on the calibration months, then Platt-scaled on them
  (calibrated log-odds = a·margin + b, so the per-feature contributions of exact TreeSHAP stay
  additive after calibration: each is multiplied by a);
- **category**: multiclass on the denied training claims: the most likely denial category
  (the categories of docs/denials.md) given that the claim is denied.

Categorical features are integer codes from a vocabulary learned on the training claims
(values seen at least ``MIN_CATEGORY_CLAIMS`` times; rarer and unseen values share one code,
missing is NaN): LightGBM's native categorical splits, no one-hot. Everything a prediction
needs (vocabularies, boosters as LightGBM text, calibration, reference profiles for drift) is
one JSON document, written by ``claimflow.risk.registry``. Deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize

from claimflow.errors import ClaimflowError
from claimflow.risk import metrics
from claimflow.risk.explain import Factor, explain, factor_contributions
from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION
from claimflow.schema import FEATURES, Kind

MIN_OUTCOMES = 500
"""Fewer claims with a known outcome than this, and training is refused."""
MATURE = 0.9
"""A submission month is used once this share of its claims has an outcome."""
MIN_CATEGORY_CLAIMS = 20
"""A categorical value (or a denial category) needs this many training claims of its own."""
BANDS: tuple[tuple[float, str], ...] = ((0.0, "low"), (0.15, "medium"), (0.40, "high"))
"""Lowest calibrated probability of each risk band."""
EXPLAIN_FROM = BANDS[1][0]
"""A run explains (factors and actions) the claims from the medium band up: exact TreeSHAP
costs about a hundred predictions per claim, and a low-risk claim needs no action."""
FORMAT = "claimflow-risk-model/1"

CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FEATURES if f.column.kind is Kind.CODE)
BOOLEAN: frozenset[str] = frozenset(f.name for f in FEATURES if f.column.kind is Kind.BOOLEAN)

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 10.0,
    "min_data_per_group": 40,
    "max_cat_to_onehot": 4,
    "max_depth": 6,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}
"""LightGBM's parameters for the denial booster (the category booster changes the objective)."""
CATEGORY_PARAMS: dict[str, Any] = {"learning_rate": 0.15, "num_leaves": 15, "max_depth": 5}
"""The category booster predicts every claim of a run, once per category: kept small."""
MAX_ROUNDS = 1000
EARLY_STOP = 50


class RiskTrainingError(ClaimflowError):
    """Training cannot give a trustworthy model (too few outcomes, one class, too few months)."""


def band_of(probability: float) -> str:
    """The risk band of a calibrated probability."""
    band = BANDS[0][1]
    for low, name in BANDS:
        if probability >= low:
            band = name
    return band


@dataclass(frozen=True)
class Encoder:
    """Features → the float matrix LightGBM reads: categorical values as vocabulary codes."""

    vocab: dict[str, list[str]]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Encoder:
        """Learn each categorical feature's vocabulary (by count, then value) from ``frame``."""
        vocab: dict[str, list[str]] = {}
        for name in CATEGORICAL:
            counts = frame[name].dropna().astype(str).value_counts()
            kept = counts[counts >= MIN_CATEGORY_CLAIMS]
            vocab[name] = sorted(kept.index, key=lambda v: (-int(kept[v]), v))
        return cls(vocab)

    def other_code(self, name: str) -> int:
        """The code shared by values too rare for the vocabulary, and unseen ones."""
        return len(self.vocab[name])

    def matrix(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """One row per claim, one column per feature (``FEATURE_NAMES`` order)."""
        out = np.empty((len(frame), len(FEATURE_NAMES)), dtype=np.float64)
        for j, name in enumerate(FEATURE_NAMES):
            col = frame[name]
            if name in self.vocab:
                codes = pd.Index(self.vocab[name], dtype="object").get_indexer(
                    col.astype("object").where(col.notna(), None)
                )
                values = np.where(codes >= 0, codes, self.other_code(name)).astype(np.float64)
                values[col.isna().to_numpy()] = np.nan
                out[:, j] = values
            else:
                out[:, j] = pd.to_numeric(col.astype("object"), errors="coerce").astype(float)
        return out

    def rows(self, rows: Sequence[Mapping[str, object]]) -> npt.NDArray[np.float64]:
        """The same matrix for feature mappings (one claim at a time, as the API has them)."""
        index = {n: {v: i for i, v in enumerate(vs)} for n, vs in self.vocab.items()}
        out = np.full((len(rows), len(FEATURE_NAMES)), np.nan, dtype=np.float64)
        for i, row in enumerate(rows):
            for j, name in enumerate(FEATURE_NAMES):
                value = row.get(name)
                if value is None:
                    continue
                if name in index:
                    out[i, j] = index[name].get(str(value), self.other_code(name))
                else:
                    out[i, j] = float(value)  # type: ignore[arg-type]
        return out


@dataclass(frozen=True)
class Split:
    """Submission months of each part, and the claims in each."""

    train: pd.DataFrame
    calibration: pd.DataFrame
    test: pd.DataFrame

    def window(self, part: str) -> tuple[Any, Any]:
        """First and last submission date of a part."""
        frame: pd.DataFrame = getattr(self, part)
        return frame["submission_date"].min(), frame["submission_date"].max()


def mature_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims with a known outcome, of the submission months whose outcomes have come.

    A month is mature when at least ``MATURE`` of its claims have been answered (their outcome,
    or a 999 that rejected their set: they wait for their next submission); from the first
    month that is not, every later month is left out: the outcomes known there are the fast
    ones (a rejection comes in a day, a payment in weeks), and learning or testing on them would
    skew the rate.
    """
    month = pd.to_datetime(claims["submission_date"]).dt.to_period("M")
    share = claims["answered"].groupby(month).mean().sort_index()
    young = share[share < MATURE]
    keep = (month < young.index[0]) if len(young) else pd.Series(True, index=claims.index)
    return claims[keep.to_numpy() & claims["known"].to_numpy()]


def split_by_month(
    labelled: pd.DataFrame, *, test_months: int = 1, calibration_months: int = 1
) -> Split:
    """Train on the earlier submission months, calibrate on the next, test on the latest
    (``labelled``: ``mature_claims``)."""
    if len(labelled) < MIN_OUTCOMES:
        raise RiskTrainingError(
            f"only {len(labelled):,} claims have a known outcome (835 or rejection) in the"
            f" submission months whose outcomes have come (at least {MATURE:.0%} of a month's"
            f" claims answered); training needs at least {MIN_OUTCOMES:,}"
        )
    if labelled["denied"].nunique() < 2:
        only = "denied" if bool(labelled["denied"].iloc[0]) else "not denied"
        raise RiskTrainingError(
            f"every one of the {len(labelled):,} claims with a known outcome was {only}:"
            " a model needs both outcomes"
        )
    month = pd.to_datetime(labelled["submission_date"]).dt.to_period("M")
    months = sorted(month.unique())
    need = test_months + calibration_months + 1
    if len(months) < need:
        raise RiskTrainingError(
            f"the claims with a known outcome span {len(months)} submission month(s) whose"
            f" outcomes have come (at least {MATURE:.0%} of their claims answered);"
            f" training needs {need} ({test_months} to test, {calibration_months} to calibrate,"
            " at least one to train on)"
        )
    test_set = set(months[-test_months:])
    cal_set = set(months[-need + 1 : -test_months])
    is_test = month.isin(test_set).to_numpy()
    is_cal = month.isin(cal_set).to_numpy()
    return Split(labelled[~is_test & ~is_cal], labelled[is_cal], labelled[is_test])


def fingerprint(frame: pd.DataFrame, seed: int) -> str:
    """SHA-256 of the training claims (ids, features, outcomes, categories), the feature-set
    version and the seed: the same data and seed give the same fingerprint (and model)."""
    digest = hashlib.sha256(
        f"{FEATURE_SET_VERSION}|{seed}|{json.dumps([PARAMS, CATEGORY_PARAMS], sort_keys=True)}".encode()
    )
    columns = ["claim_id", *FEATURE_NAMES, "denied", "category", "submission_date"]
    hashed = pd.util.hash_pandas_object(frame[columns].astype("string"), index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def _platt(margin: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Fit p = 1 / (1 + exp(−(a·margin + b))) on held-out claims (maximum likelihood)."""

    def loss(ab: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        z = ab[0] * margin + ab[1]
        p = 1.0 / (1.0 + np.exp(-z))
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
        g = p - y
        return nll, np.array([float(np.sum(g * margin)), float(np.sum(g))])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


@dataclass(frozen=True)
class Prediction:
    """One claim's score: calibrated probability, band, most likely category, reasons."""

    probability: float
    band: str
    category: str
    factors: tuple[Factor, ...]
    actions: tuple[str, ...]
    model_version: str = ""

    def as_json(self) -> dict[str, Any]:
        """The prediction as JSON-ready values (what the API answers and risk_scores holds)."""
        return {
            "probability": round(self.probability, 6),
            "risk_band": self.band,
            "predicted_category": self.category,
            "factors": [f.as_json() for f in self.factors],
            "actions": list(self.actions),
            "model_version": self.model_version,
        }


@dataclass
class RiskModel:
    """A trained model: what it needs to predict, and what it was trained on."""

    version: str
    encoder: Encoder
    denial: lgb.Booster
    calibration: tuple[float, float]
    categories: list[str]
    category: lgb.Booster | None
    info: dict[str, Any] = field(default_factory=dict)
    feature_set_version: str = FEATURE_SET_VERSION

    # -- predicting -----------------------------------------------------------------------

    def probability(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Calibrated denial probability of each row of an encoded matrix."""
        a, b = self.calibration
        margin = self.denial.predict(x, raw_score=True, num_threads=1 if len(x) < 100 else 0)
        return _sigmoid(a * np.asarray(margin, dtype=np.float64) + b)

    def category_of(self, x: npt.NDArray[np.float64]) -> list[str]:
        """The most likely denial category of each row."""
        if self.category is None:
            return [self.categories[0]] * len(x)
        proba = np.asarray(self.category.predict(x, num_threads=1 if len(x) < 100 else 0))
        if proba.ndim == 1:  # two classes: LightGBM answers P(class 1)
            proba = np.column_stack([1.0 - proba, proba])
        return [self.categories[i] for i in np.argmax(proba, axis=1)]

    def contributions(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Exact TreeSHAP per feature in calibrated log-odds (LightGBM ``pred_contrib``, the
        bias column dropped): each row's contributions plus the bias sum to its log-odds."""
        raw = np.asarray(
            self.denial.predict(x, pred_contrib=True, num_threads=1 if len(x) < 100 else 0)
        )
        return raw[:, : len(FEATURE_NAMES)] * self.calibration[0]

    def predict(self, rows: Sequence[Mapping[str, object]]) -> list[Prediction]:
        """Score feature mappings (keys: ``FEATURE_NAMES``), each with factors and actions (the
        API's claims: every one is explained, whatever its band)."""
        return self.predict_matrix(self.encoder.rows(rows), rows, explain_all=True)

    def predict_frame(self, frame: pd.DataFrame) -> list[Prediction]:
        """Score the claims of a features frame (``risk_features`` columns)."""
        features = frame[list(FEATURE_NAMES)].astype(object)
        rows = features.where(features.notna(), None).to_dict("records")
        return self.predict_matrix(self.encoder.matrix(frame), rows)

    def predict_matrix(
        self,
        x: npt.NDArray[np.float64],
        rows: Sequence[Mapping[str, object]],
        *,
        explain_all: bool = False,
    ) -> list[Prediction]:
        """Score an encoded matrix whose rows are ``rows`` (for the factors' values).

        Factors and actions are computed for the claims at ``EXPLAIN_FROM`` or above (the
        medium and high bands), or for every claim with ``explain_all``.
        """
        if len(x) == 0:
            return []
        prob = self.probability(x)
        categories = self.category_of(x)
        # exact TreeSHAP costs a hundred predictions: only the claims worth a biller's look
        explained = (
            np.flatnonzero(prob >= EXPLAIN_FROM) if explain_all is False else np.arange(len(x))
        )
        by_factor, by_modifiable = factor_contributions(self.contributions(x[explained]))
        slot = {int(i): k for k, i in enumerate(explained)}
        out: list[Prediction] = []
        for i, row in enumerate(rows):
            k = slot.get(i)
            factors, actions = (
                ((), ()) if k is None else explain(row, by_factor[k], by_modifiable[k])
            )
            out.append(
                Prediction(
                    float(prob[i]),
                    band_of(float(prob[i])),
                    categories[i],
                    factors,
                    actions,
                    self.version,
                )
            )
        return out

    # -- storing ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Everything the model is, as one JSON document."""
        return {
            "format": FORMAT,
            "version": self.version,
            "feature_set_version": self.feature_set_version,
            "features": list(FEATURE_NAMES),
            "vocab": self.encoder.vocab,
            "calibration": {"method": "platt", "a": self.calibration[0], "b": self.calibration[1]},
            "categories": self.categories,
            "denial_model": self.denial.model_to_string(),
            "category_model": None if self.category is None else self.category.model_to_string(),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RiskModel:
        """Rebuild a model from ``to_json``'s document.

        Raises:
            ValueError: Not a claimflow risk model of this format.
        """
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a claimflow risk model ({FORMAT})")
        if list(doc["features"]) != list(FEATURE_NAMES):
            raise ValueError(
                f"trained on feature set {doc.get('feature_set_version')}, whose features differ"
                f" from this claimflow's ({FEATURE_SET_VERSION})"
            )
        cal = doc["calibration"]
        category = doc.get("category_model")
        return cls(
            version=str(doc["version"]),
            encoder=Encoder({k: list(v) for k, v in doc["vocab"].items()}),
            denial=lgb.Booster(model_str=doc["denial_model"]),
            calibration=(float(cal["a"]), float(cal["b"])),
            categories=list(doc["categories"]),
            category=None if category is None else lgb.Booster(model_str=category),
            info=dict(doc.get("info", {})),
            feature_set_version=str(doc["feature_set_version"]),
        )


# -- training ---------------------------------------------------------------------------------


def _dataset(
    enc: Encoder, frame: pd.DataFrame, label: npt.ArrayLike, ref: lgb.Dataset | None = None
) -> lgb.Dataset:
    return lgb.Dataset(
        enc.matrix(frame),
        label=np.asarray(label, dtype=np.float64),
        feature_name=list(FEATURE_NAMES),
        categorical_feature=list(CATEGORICAL),
        reference=ref,
        free_raw_data=True,
        params={"verbosity": -1, "max_bin": 255, "seed": 0},
    )


def _fit_category(
    enc: Encoder, split: Split, seed: int, threads: int
) -> tuple[list[str], lgb.Booster | None]:
    denied = split.train[split.train["denied"]]
    counts = denied["category"].fillna("other").value_counts()
    classes = sorted(c for c, n in counts.items() if n >= MIN_CATEGORY_CLAIMS)
    if "other" not in classes:
        classes.append("other")
    if len(classes) < 2:
        return classes, None
    index = {c: i for i, c in enumerate(classes)}

    def labels(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        return np.asarray(
            [index.get(c, index["other"]) for c in frame["category"].fillna("other")],
            dtype=np.float64,
        )

    cal = split.calibration[split.calibration["denied"]]
    train_set = _dataset(enc, denied, labels(denied))
    valid = _dataset(enc, cal, labels(cal), train_set) if len(cal) else None
    params = {
        **PARAMS,
        **CATEGORY_PARAMS,
        "objective": "multiclass",
        "num_class": len(classes),
        "seed": seed,
        "num_threads": threads,
    }
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid] if valid is not None else None,
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)] if valid is not None else None,
    )
    return classes, booster


def train(
    claims: pd.DataFrame,
    *,
    seed: int = 7,
    test_months: int = 1,
    calibration_months: int = 1,
    threads: int = 0,
) -> tuple[RiskModel, Split]:
    """Train, calibrate and test a model on the claims with a known outcome, of the submission
    months whose outcomes have come (``mature_claims``).

    Args:
        claims: ``claimflow.risk.dataset.Claims.frame`` (every claim, outcome known or not).
        seed: The random seed (same data and seed: the same model, byte for byte).
        test_months: Latest submission months to test on.
        calibration_months: The months before them, to stop early and calibrate on.
        threads: LightGBM threads (0: its default, every core).

    Raises:
        RiskTrainingError: Too few outcomes, one class only, or too few months.
    """
    labelled = mature_claims(claims).sort_values("claim_id", kind="mergesort")
    split = split_by_month(labelled, test_months=test_months, calibration_months=calibration_months)
    if split.train["denied"].nunique() < 2:
        raise RiskTrainingError("the training months hold one outcome only: no model can learn")
    enc = Encoder.fit(split.train)
    train_set = _dataset(enc, split.train, split.train["denied"])
    cal_set = _dataset(enc, split.calibration, split.calibration["denied"], train_set)
    params = {**PARAMS, "seed": seed, "num_threads": threads}
    denial = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[cal_set],
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
    )
    margin = np.asarray(denial.predict(enc.matrix(split.calibration), raw_score=True))
    calibration = _platt(margin, split.calibration["denied"].to_numpy(dtype=np.float64))
    classes, category = _fit_category(enc, split, seed, threads)
    print_ = fingerprint(split.train, seed)
    model = RiskModel(
        version="",
        encoder=enc,
        denial=denial,
        calibration=calibration,
        categories=classes,
        category=category,
    )
    info = _describe(model, split, seed, print_)
    test_to = split.window("test")[1]
    model.version = f"{test_to:%Y%m%d}-{print_[:10]}"
    model.info = info
    return model, split


def _describe(model: RiskModel, split: Split, seed: int, print_: str) -> dict[str, Any]:
    """Training window, sizes, test metrics, calibration curve and drift references."""
    x_test = model.encoder.matrix(split.test)
    y = split.test["denied"].to_numpy(dtype=np.float64)
    prob = model.probability(x_test)
    denied = split.test["denied"].to_numpy()
    predicted = np.asarray(model.category_of(x_test[denied])) if denied.any() else np.array([])
    truth = split.test.loc[denied, "category"].fillna("other").to_numpy()
    x_train = model.encoder.matrix(split.train)
    windows = {
        part: [str(d) for d in split.window(part)] for part in ("train", "calibration", "test")
    }
    return {
        "seed": seed,
        "fingerprint": print_,
        "params": {"denial": PARAMS, "category": CATEGORY_PARAMS},
        "rounds": model.denial.best_iteration or model.denial.current_iteration(),
        "windows": windows,
        "claims": {
            "train": len(split.train),
            "calibration": len(split.calibration),
            "test": len(split.test),
        },
        "metrics": test_metrics(y, prob, predicted, truth),
        "calibration_curve": metrics.calibration_curve(y, prob),
        "reference": {
            "probability": metrics.profile(model.probability(x_train), numeric=True),
            "features": {
                name: metrics.profile(
                    split.train[name].to_numpy() if name in CATEGORICAL else x_train[:, j],
                    numeric=name not in CATEGORICAL,
                )
                for j, name in enumerate(FEATURE_NAMES)
            },
        },
    }


def test_metrics(
    y: npt.NDArray[np.float64],
    prob: npt.NDArray[np.float64],
    predicted: npt.ArrayLike,
    truth: npt.ArrayLike,
) -> dict[str, Any]:
    """AUC (with its standard error), ECE, Brier, rates and category accuracy on claims."""
    a = metrics.auc(y, prob)
    pos, neg = float(y.sum()), float(len(y) - y.sum())
    se = None
    if a is not None:  # Hanley & McNeil (1982)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        se = math.sqrt(
            (a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg)
        )
    pred, true = np.asarray(predicted), np.asarray(truth)
    return {
        "claims": len(y),
        "denied": int(pos),
        "auc": a,
        "auc_se": se,
        "expected_auc": metrics.expected_auc(prob, prob),
        "ece": metrics.ece(y, prob),
        "brier": metrics.brier(y, prob),
        "mean_predicted": float(prob.mean()) if len(prob) else None,
        "observed_rate": float(y.mean()) if len(y) else None,
        "category_accuracy": float((pred == true).mean()) if len(true) else None,
    }
