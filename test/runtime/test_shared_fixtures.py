"""The shared fixtures of test/fixtures/shared, the runtime's side (the extension runs the same
tables in test/unit/tables/sharedFixtures.test.ts and test/unit/model/sharedManifests.test.ts):
values as `python3 -m pyml batch` reads them from CSV and JSON lines, and pyml.yaml manifests."""

import json
import math
from pathlib import Path
from typing import Any, Dict, List, NamedTuple

import pytest

from pyml import batch, dtypes, manifest
from pyml.errors import ManifestError

SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "shared"
VALUES = json.loads((SHARED / "values.json").read_text(encoding="utf-8"))
MANIFESTS = json.loads((SHARED / "manifests.json").read_text(encoding="utf-8"))


class _Spec(NamedTuple):
    name: str
    dtype: Any


def _plain(out: Any, valid: Any, dtype: Any) -> Any:
    """The value read, as the fixtures write it."""
    if valid is not None and not valid[0]:
        return None
    v = out[0]
    if dtype.is_float:
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if dtype.is_integer:
        return str(int(v))
    if dtype.datatype == "BOOL":
        return bool(v)
    return v.decode("utf-8") if isinstance(v, bytes) else v


def _cases(fmt: str) -> List[Dict[str, Any]]:
    return VALUES["csv" if fmt == "csv" else "jsonl"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_values_read_as_the_extension_reads_them(fmt: str) -> None:
    assert len(_cases(fmt)) > 20
    problems = []
    for case in _cases(fmt):
        dtype = dtypes.BY_NAME[case["dtype"]]
        given = case["text"] if fmt == "csv" else case["json"]
        what = "%s %r" % (case["dtype"], given)
        try:
            out, valid = batch._column(_Spec("c", dtype), [given], fmt, 0)
        except batch._ValueProblem as e:
            if "error" not in case:
                problems.append("%s: refused (%s), expected %r" % (what, e, case["value"]))
            elif case["error"] not in str(e):
                problems.append("%s: refused with %r, expected a message holding %r" % (what, str(e), case["error"]))
            continue
        if "error" in case:
            problems.append("%s: read as %r, expected it refused (%s)" % (what, _plain(out, valid, dtype), case["error"]))
            continue
        got = _plain(out, valid, dtype)
        expected = case["value"]
        if dtype.is_float and expected is None:
            expected = "nan"  # floats carry a missing value as NaN
        if got != expected:
            problems.append("%s: read as %r, expected %r" % (what, got, expected))
    assert problems == []


@pytest.mark.parametrize("case", MANIFESTS["manifests"], ids=[c["name"] for c in MANIFESTS["manifests"]])
def test_manifests_read_as_the_extension_reads_them(case: Dict[str, Any]) -> None:
    text = "\n".join(case["yaml"]) + "\n"
    if "error" in case:
        with pytest.raises(ManifestError) as raised:
            manifest.parse(text, Path("/m/pyml.yaml"))
        assert raised.value.key == case["error"]["key"], str(raised.value)
        return
    m = manifest.parse(text, Path("/m/pyml.yaml"))
    expected = case["manifest"]
    assert (m.name, m.version, m.kind) == (expected["name"], expected["version"], expected["kind"])
    assert "%s:%s" % (m.module, m.class_name) == expected["model"]
    for key in ("inputs", "outputs"):
        got = [[s.name, s.dtype.datatype, list(s.shape)] for s in getattr(m, key)]
        assert got == expected[key], key
