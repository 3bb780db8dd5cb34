"""Documentation crawler over INSTALLED Python packages: signatures and numpydoc sections -> API records.

For each public function or class of the listed modules it reads the
signature (inspect) and the numpydoc sections (numpydoc.docscrape: summary,
Parameters, Returns, Examples) and turns the doctest `>>>` examples into a
runnable script (outputs are printed, plotting is dropped because the runtime's
system prompt forbids it). Nothing is imported from the network; what is
crawled is what this environment has installed, with its version and licence.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.metadata
import inspect
import re
import warnings
from dataclasses import dataclass, field

from numpydoc.docscrape import NumpyDocString

# module -> names to crawl (None = every public callable in __all__ / dir()).
DEFAULT_TARGETS: dict[str, list[str] | None] = {
    "scipy.signal": None,
    "scipy.fft": None,
    "scipy.interpolate": None,
    "numpy.fft": None,
    "pywt": None,
    "filterpy.kalman": None,
    "statsmodels.tsa.api": None,
    "sklearn.preprocessing": None,
    "sklearn.decomposition": ["PCA", "FastICA", "IncrementalPCA", "TruncatedSVD", "NMF"],
    "sklearn.neighbors": ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "LocalOutlierFactor",
                          "NearestCentroid", "KernelDensity"],
    "sklearn.ensemble": ["RandomForestClassifier", "RandomForestRegressor", "IsolationForest",
                         "GradientBoostingClassifier", "HistGradientBoostingClassifier", "ExtraTreesClassifier"],
    "sklearn.linear_model": ["LogisticRegression", "Ridge", "Lasso", "LinearRegression", "SGDClassifier",
                             "RANSACRegressor", "HuberRegressor"],
    "sklearn.svm": ["SVC", "LinearSVC", "OneClassSVM", "SVR"],
    "sklearn.tree": ["DecisionTreeClassifier", "DecisionTreeRegressor", "export_text"],
    "sklearn.metrics": ["accuracy_score", "f1_score", "confusion_matrix", "classification_report",
                        "precision_score", "recall_score", "roc_auc_score", "mean_absolute_error",
                        "mean_squared_error", "r2_score", "balanced_accuracy_score", "precision_recall_curve",
                        "roc_curve", "matthews_corrcoef"],
    "sklearn.model_selection": ["train_test_split", "cross_val_score", "StratifiedKFold", "KFold", "GridSearchCV",
                                "TimeSeriesSplit", "GroupKFold", "cross_validate"],
    "sklearn.cluster": ["KMeans", "DBSCAN", "MiniBatchKMeans", "AgglomerativeClustering"],
    "sklearn.feature_selection": ["SelectKBest", "f_classif", "mutual_info_classif", "VarianceThreshold", "RFE"],
    "sklearn.pipeline": ["make_pipeline", "Pipeline"],
    "scipy.stats": ["skew", "kurtosis", "zscore", "iqr", "median_abs_deviation", "pearsonr", "spearmanr",
                    "linregress", "entropy", "describe", "trim_mean", "gaussian_kde", "ttest_ind", "mode",
                    "circmean", "variation", "ks_2samp"],
    "scipy.ndimage": ["median_filter", "uniform_filter1d", "gaussian_filter1d", "maximum_filter1d",
                      "minimum_filter1d", "label", "binary_closing", "binary_opening", "find_objects"],
    "scipy.optimize": ["least_squares", "curve_fit", "minimize_scalar", "brentq", "linear_sum_assignment",
                       "minimize", "nnls"],
    "scipy.spatial": ["KDTree", "ConvexHull", "Delaunay", "distance_matrix", "procrustes"],
    "scipy.integrate": ["trapezoid", "cumulative_trapezoid", "simpson", "solve_ivp"],
}

DISTRIBUTIONS = {"scipy": "scipy", "numpy": "numpy", "sklearn": "scikit-learn", "pywt": "PyWavelets",
                 "filterpy": "filterpy", "statsmodels": "statsmodels"}
_PLOTTING = re.compile(r"\bplt\b|matplotlib|\bfig\b|\bax\w*\b|\.plot\(|\.show\(|\bseaborn\b|\bpylab\b")


@dataclass(frozen=True)
class ApiParam:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class ApiDoc:
    """One documented API of an installed package."""

    package: str
    distribution: str
    version: str
    license: str
    module: str
    name: str
    kind: str
    signature: str
    summary: str
    extended: str
    parameters: tuple[ApiParam, ...]
    returns: tuple[ApiParam, ...]
    notes: str
    example_script: str
    example_comments: tuple[str, ...] = field(default_factory=tuple)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


def distribution_info(package: str) -> tuple[str, str, str]:
    """(distribution name, version, licence) of an installed top-level package."""
    dist = DISTRIBUTIONS.get(package, package)
    try:
        meta = importlib.metadata.metadata(dist)
    except importlib.metadata.PackageNotFoundError:
        return dist, "unknown", "unknown"
    licence = meta.get("License-Expression") or ""
    if not licence:
        classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        licence = classifiers[0] if classifiers else (meta.get("License") or "unknown").splitlines()[0][:60]
    return dist, meta.get("Version", "unknown"), licence


def _join(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def doctest_script(text: str) -> tuple[str, tuple[str, ...]]:
    """A runnable script from doctest examples (and the prose between them as comments).

    An example whose source is one expression and that shows an output is
    printed; examples that plot or are marked +SKIP are dropped.
    """
    parser = doctest.DocTestParser()
    try:
        parts = parser.parse(text)
    except ValueError:
        return "", ()
    lines: list[str] = []
    comments: list[str] = []
    pending: list[str] = []
    for part in parts:
        if isinstance(part, str):
            prose = " ".join(part.split())
            if prose and not prose.startswith(("...", "array(", "[")) and len(prose) < 400:
                pending.append(prose)
            continue
        source = part.source.rstrip("\n")
        if part.options.get(doctest.SKIP) or _PLOTTING.search(source):
            continue
        if pending:
            text_comment = " ".join(pending)
            comments.append(text_comment)
            lines.append("# " + text_comment[:200])
            pending = []
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        if part.want and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            lines.append(f"print({source.strip()})")
        else:
            lines.append(source)
    script = "\n".join(lines).strip()
    return (script + "\n" if script else ""), tuple(comments)


def _params(section) -> tuple[ApiParam, ...]:
    out = []
    for item in section:
        name = item.name.strip()
        if not name or not re.match(r"^\*{0,2}[A-Za-z_][A-Za-z0-9_]*$", name):
            name = ""
        out.append(ApiParam(name=name, type=item.type.strip(), description=_join(item.desc)[:400]))
    return tuple(out)


def _signature(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def api_doc(obj, module: str, name: str) -> ApiDoc | None:
    """The record of one API, or None when it has no usable numpydoc summary or is deprecated."""
    doc = inspect.getdoc(obj)
    if not doc:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = NumpyDocString(doc)
        except Exception:  # numpydoc raises plain errors on odd docstrings; skipping them is the intent
            return None
    summary = _join(parsed["Summary"])
    if not summary or "deprecated" in doc[:300].lower() or ".. deprecated" in doc:
        return None
    package = module.split(".")[0]
    dist, version, licence = distribution_info(package)
    script, comments = doctest_script("\n".join(parsed["Examples"]))
    return ApiDoc(
        package=package, distribution=dist, version=version, license=licence, module=module, name=name,
        kind="class" if inspect.isclass(obj) else "function", signature=_signature(obj), summary=summary,
        extended=_join(parsed["Extended Summary"])[:800], parameters=_params(parsed["Parameters"]),
        returns=_params(parsed["Returns"]) + _params(parsed["Yields"]), notes=_join(parsed["Notes"])[:600],
        example_script=script, example_comments=comments,
    )


def crawl_module(module_name: str, names: list[str] | None = None) -> list[ApiDoc]:
    """Every documented public function and class of one installed module, sorted by name."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return []
    if names is None:
        names = list(getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")])
    docs = []
    for name in sorted(set(names)):
        if name.startswith("_"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = getattr(module, name)
        except (AttributeError, ImportError):
            continue
        if inspect.ismodule(obj) or not callable(obj):
            continue
        record = api_doc(obj, module_name, name)
        if record is not None:
            docs.append(record)
    return docs


def crawl(targets: dict[str, list[str] | None] | None = None) -> list[ApiDoc]:
    """Crawl every target module that is installed; duplicates (re-exports) keep their first module."""
    seen: set[tuple[str, str]] = set()
    out: list[ApiDoc] = []
    for module_name, names in (targets or DEFAULT_TARGETS).items():
        for record in crawl_module(module_name, names):
            key = (record.package, record.name)
            if key not in seen:
                seen.add(key)
                out.append(record)
    return out
