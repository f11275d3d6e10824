"""DataFrame <-> one V2 tensor per column (request parameter content_type "pd").

Missing values (see runtime/README.md):
  * float columns: NaN is the missing value, on the wire and in pandas;
  * int, uint, bool, string and bytes columns: a companion BOOL tensor with the
    tensor parameter validity_of=<column> and the column's shape marks each row
    true (present) or false (missing). In pandas such a column is a nullable
    Int64/UInt8/... or boolean column, or an object column holding None.
    The response carries a companion, named "<column>:valid", only for a column
    that has a missing value.
"""

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
from pandas.arrays import BooleanArray, IntegerArray

from .dtypes import DType
from .manifest import TensorSpec


class OutputProblem(Exception):
    """The model's output breaks the contract (the message names the output and says how)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__("output '%s': %s" % (name, problem))


# One checked output column: (spec, values in the declared dtype, validity or None).
# validity (True = present) is set only when the column has missing values its
# dtype cannot hold.
ColumnOut = Tuple[TensorSpec, "np.ndarray", Optional["np.ndarray"]]


_SMALL_BLOCK_BYTES = 1 << 20


class RawBlock(NamedTuple):
    """Raw DataFrame columns that all have one numeric dtype: they become one
    2-D block with a single join, without decoding column by column."""

    wire: "np.dtype"
    positions: Tuple[int, ...]  # raw entry of each manifest column, in manifest order
    rows: int

    @staticmethod
    def plan(specs: Sequence[TensorSpec], entries: Sequence[Any]) -> Optional["RawBlock"]:
        """entries: the request's checked inputs (position, name, dtype, shape, validity_of)."""
        first = specs[0].dtype.wire
        if first is None or any(s.dtype.wire != first for s in specs):
            return None
        rows = {e.shape[0] for e in entries}
        if len(rows) != 1:
            return None
        position = {e.name: e.position for e in entries}
        return RawBlock(first, tuple(position[s.name] for s in specs), rows.pop())


def _rows_of_one_block(parts: Sequence[Any], size: int) -> Optional["np.ndarray"]:
    """The writable 2-D uint8 array whose rows, in order, are `parts`, or None."""
    first = parts[0] if parts else None
    base = getattr(first, "base", None)
    if not isinstance(base, np.ndarray) or base.dtype != np.uint8 or base.shape != (len(parts), size):
        return None
    if not (base.flags.c_contiguous and base.flags.writeable):
        return None
    start = base.ctypes.data
    for i, part in enumerate(parts):
        if getattr(part, "base", None) is not base or part.ctypes.data != start + i * size:
            return None
    return base


class FrameLayout:
    """A DataFrame model's columns, with what every request reuses (column indexes)."""

    def __init__(self, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec]) -> None:
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.input_index = pd.Index([s.name for s in inputs])
        out_names = [s.name for s in outputs]
        self.output_index = self.input_index if out_names == list(self.input_index) else pd.Index(out_names)
        self._ranges: Dict[int, "pd.RangeIndex"] = {}  # RangeIndex is immutable: share one per length
        self._one_block = _one_block_constructor()
        first = outputs[0].dtype.wire
        self.output_block_dtype = (
            first if first is not None and all(s.dtype.wire == first for s in outputs) else None
        )

    # ------------------------------------------------------------ inputs

    def build(self, columns: Dict[str, "np.ndarray"], validity: Dict[str, "np.ndarray"], rows: int) -> "pd.DataFrame":
        """Decoded 1-D columns, all `rows` long -> DataFrame in manifest order.

        Numeric columns are copied once, so the frame is the model's own
        (writable); columns of one numeric dtype without missing values make
        one 2-D block.
        """
        specs = self.inputs
        index = self._range_index(rows)
        first = columns[specs[0].name]
        if not validity and first.dtype != object and all(columns[s.name].dtype == first.dtype for s in specs):
            block = np.empty((len(specs), rows), dtype=first.dtype.newbyteorder("="))
            for i, spec in enumerate(specs):
                block[i] = columns[spec.name]
            if self._one_block is not None:
                return self._one_block(block, self.input_index, index)
            return pd.DataFrame(block.T, columns=self.input_index, index=index, copy=False)
        data = {s.name: _column(s.dtype, columns[s.name], validity.get(s.name)) for s in specs}
        return pd.DataFrame(data, index=index, copy=False)

    def build_from_raw(self, raw: Sequence[Any], block: RawBlock) -> Optional["pd.DataFrame"]:
        """The frame of a RawBlock request, or None when a size or a BOOL byte is wrong
        (the caller then decodes column by column, which names the problem)."""
        size = block.rows * block.wire.itemsize
        parts = [raw[p] for p in block.positions]
        for part in parts:
            if len(part) != size:
                return None
        shared = _rows_of_one_block(parts, size) if block.wire.isnative else None
        if shared is not None:
            # The rows of one block the request owns already (read from shared memory, shm.py): no copy.
            values = shared.view(block.wire).reshape(len(parts), block.rows)
        elif size * len(parts) <= _SMALL_BLOCK_BYTES:
            # One join into a writable bytearray: the least Python work for small requests.
            values = np.frombuffer(bytearray().join(parts), dtype=block.wire).reshape(len(parts), block.rows)
            if not block.wire.isnative:
                values = values.astype(block.wire.newbyteorder("="))
        else:
            # numpy's own allocation (huge pages) and copies are faster for big buffers.
            values = np.empty((len(parts), block.rows), dtype=block.wire.newbyteorder("="))
            for i, part in enumerate(parts):
                values[i] = np.frombuffer(part, dtype=block.wire)
        if block.wire.kind == "b" and block.rows and values.view(np.uint8).max() > 1:
            return None
        index = self._range_index(block.rows)
        if self._one_block is not None:
            return self._one_block(values, self.input_index, index)
        return pd.DataFrame(values.T, columns=self.input_index, index=index, copy=False)

    def _range_index(self, rows: int) -> "pd.RangeIndex":
        index = self._ranges.get(rows)
        if index is None:
            if len(self._ranges) > 64:
                self._ranges.clear()
            index = self._ranges[rows] = pd.RangeIndex(rows)
        return index

    # ------------------------------------------------------------ outputs

    def split(self, frame: Any) -> Tuple[List[ColumnOut], int]:
        """The model's DataFrame -> checked output columns in manifest order, and its row count."""
        if not isinstance(frame, pd.DataFrame):
            hint = " (return series.to_frame('name'))" if isinstance(frame, pd.Series) else ""
            raise OutputProblem("*", "predict must return a pandas DataFrame, got %s%s" % (type(frame).__name__, hint))
        fast = self._split_one_block(frame)
        if fast is not None:
            return fast, len(frame)
        names = list(frame.columns)
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise OutputProblem(str(dup), "the returned DataFrame has this column twice")
        declared = {s.name for s in self.outputs}
        extra = [str(n) for n in names if n not in declared]
        if extra:
            raise OutputProblem(
                extra[0],
                "predict returned a column that pyml.yaml `outputs` does not declare (declared: %s); drop it or declare it"
                % ", ".join(s.name for s in self.outputs),
            )
        position = {n: i for i, n in enumerate(names)}
        out: List[ColumnOut] = []
        for spec in self.outputs:
            if spec.name not in position:
                raise OutputProblem(
                    spec.name,
                    "missing from the returned DataFrame (it has: %s)" % (", ".join(map(str, names)) or "no columns"),
                )
            out.append(_check_column(spec, _column_array(frame, position[spec.name])))
        return out, len(frame)

    def _split_one_block(self, frame: "pd.DataFrame") -> Optional[List[ColumnOut]]:
        """Fast path: the declared columns in one numpy block of the declared dtype."""
        columns = frame.columns
        if self.output_block_dtype is None or not (columns is self.output_index or columns.equals(self.output_index)):
            return None
        try:
            blocks = frame._mgr.blocks
            if len(blocks) != 1:
                return None
            values = blocks[0].values
            if not isinstance(values, np.ndarray) or values.dtype != self.output_block_dtype or values.ndim != 2:
                return None
            placement = blocks[0].mgr_locs
            in_order = placement.is_slice_like and placement.as_slice == slice(0, len(self.outputs), 1)
            rows = values if in_order else values[np.argsort(placement.as_array)]
        except Exception:  # pandas internals changed: take the general path
            return None
        return [(spec, rows[i], None) for i, spec in enumerate(self.outputs)]


def _one_block_constructor() -> Any:
    """A faster way to make a DataFrame from one 2-D block, through pandas internals,
    or None. It is used only if, on this pandas, it gives the very frame that the
    public constructor gives."""
    try:
        from pandas._libs.internals import BlockPlacement
        from pandas.core.internals import BlockManager
        from pandas.core.internals.blocks import new_block

        from_mgr = getattr(pd.DataFrame, "_from_mgr", None)

        def build(block: "np.ndarray", columns: "pd.Index", index: "pd.Index") -> "pd.DataFrame":
            b = new_block(block, placement=BlockPlacement(slice(0, len(columns))), ndim=2)
            mgr = BlockManager((b,), [columns, index], verify_integrity=False)
            return from_mgr(mgr, axes=mgr.axes) if from_mgr is not None else pd.DataFrame(mgr)

        import warnings

        sample = np.arange(6, dtype=np.float64).reshape(2, 3)
        columns, index = pd.Index(["a", "b"]), pd.RangeIndex(3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a deprecation means: use the public way
            fast = build(sample.copy(), columns, index)
        public = pd.DataFrame(sample.copy().T, columns=columns, index=index, copy=False)
        fast.iloc[0, 0] = 7.0  # writable, and a real frame
        public.iloc[0, 0] = 7.0
        if not (
            fast.equals(public)
            and list(fast.dtypes) == list(public.dtypes)
            and fast.columns.equals(public.columns)
            and fast.index.equals(public.index)
            and len(fast._mgr.blocks) == 1
        ):
            return None
        return build
    except Exception:
        return None


def _column(dtype: DType, values: "np.ndarray", valid: Optional["np.ndarray"]) -> Any:
    if dtype.is_bytes:
        if valid is not None:
            values[~valid] = None
        return values
    values = values.astype(values.dtype.newbyteorder("="), copy=True)
    if valid is None:
        return values
    missing = ~valid
    if dtype.is_float:
        values[missing] = np.nan
        return values
    if dtype.datatype == "BOOL":
        return BooleanArray(values, missing)
    return IntegerArray(values, missing)


# The dtypes pandas gives a column built from an empty list.
_UNTYPED_EMPTY = (np.dtype(object), np.dtype(np.float64))


def _column_array(frame: "pd.DataFrame", i: int) -> Any:
    get = getattr(frame, "_get_column_array", None)
    if get is not None:
        try:
            return get(i)
        except Exception:  # pragma: no cover - private API changed
            pass
    return frame.iloc[:, i].array


def _check_column(spec: TensorSpec, column: Any) -> ColumnOut:
    dtype = spec.dtype
    name = spec.name
    if len(column) == 0 and getattr(column, "dtype", None) in _UNTYPED_EMPTY:
        # A column made from no values is float64 (pd.DataFrame({"y": []}), pd.Series([]) on pandas 1)
        # or object (pd.Series([]) on pandas 2): it holds nothing that could be lost: zero rows of `dtype`.
        return (spec, np.empty(0, dtype=dtype.wire if dtype.wire is not None else object), None)
    if isinstance(column, np.ndarray) and column.dtype != object:
        if dtype.is_bytes:
            kind = column.dtype.kind
            if kind == "U" and dtype.is_text or kind == "S" and not dtype.is_text:
                return (spec, column.astype(object), None)
            raise OutputProblem(name, "expected %s values, got a column of dtype %s" % (dtype.name, column.dtype))
        return (spec, cast_numeric(name, dtype, column), None)
    if isinstance(column, np.ndarray) or isinstance(getattr(column, "dtype", None), pd.StringDtype):
        values = column if isinstance(column, np.ndarray) else np.asarray(column, dtype=object)
        if dtype.is_bytes:
            return check_objects(spec, values, allow_missing=True)
        if dtype.is_float and _all_numbers(values):
            return (spec, cast_numeric(name, dtype, values.astype(np.float64)), None)
        raise OutputProblem(
            name, "expected %s, got a column of Python objects; convert it with .astype(%r)" % (dtype.name, dtype.name)
        )
    # pandas extension arrays: nullable Int64 / Float64 / boolean, categorical ...
    kind = getattr(getattr(column, "dtype", None), "kind", "O")
    if dtype.is_bytes or kind not in "biuf":
        raise OutputProblem(
            name, "expected %s, got a column of dtype %s; convert it with .astype(%r)" % (dtype.name, column.dtype, dtype.name)
        )
    na = np.asarray(pd.isna(column), dtype=bool)
    if dtype.is_float:
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        return (spec, cast_numeric(name, dtype, values, source=str(column.dtype)), None)
    fill = False if kind == "b" else 0
    values = column.to_numpy(dtype=column.dtype.numpy_dtype, na_value=fill)
    values = cast_numeric(name, dtype, values, source=str(column.dtype))
    return (spec, values, ~na if na.any() else None)


def cast_numeric(name: str, dtype: DType, values: "np.ndarray", source: Optional[str] = None) -> "np.ndarray":
    """values in the declared numeric dtype: unchanged, or cast when numpy calls it 'safe'."""
    assert dtype.wire is not None
    target = dtype.wire
    if values.dtype == target:
        return values
    if np.can_cast(values.dtype, target, casting="safe"):
        return values.astype(target)
    if values.dtype.kind == "f" and target.kind in "biu" and np.isnan(values).any():
        raise OutputProblem(
            name,
            "expected %s (pyml.yaml), predict returned floats with NaN; for missing values return a nullable "
            "column, e.g. .astype(%r), or declare a float dtype" % (dtype.name, _nullable_name(dtype)),
        )
    raise OutputProblem(
        name,
        "expected %s (pyml.yaml), predict returned %s; convert it with .astype(%r) or change the declared dtype"
        % (dtype.name, source or values.dtype, dtype.name),
    )


def check_objects(spec: TensorSpec, values: "np.ndarray", allow_missing: bool) -> ColumnOut:
    """Elements declared string (str) or bytes: check each, find missing ones (None, NaN, NA)."""
    want: Union[type, Tuple[type, ...]] = str if spec.dtype.is_text else (bytes, bytearray)
    flat = values.reshape(-1)
    missing: Optional[np.ndarray] = None
    for i, v in enumerate(flat):
        if isinstance(v, want):
            continue
        if allow_missing and (v is None or (isinstance(v, float) and v != v) or type(v).__name__ == "NAType"):
            if missing is None:
                missing = np.zeros(len(flat), dtype=bool)
            missing[i] = True
            continue
        raise OutputProblem(
            spec.name, "expected %s values, element %d is %s %s" % (spec.dtype.name, i, type(v).__name__, _short(v))
        )
    if missing is None:
        return (spec, flat, None)
    filled = flat.copy()
    filled[missing] = "" if spec.dtype.is_text else b""
    return (spec, filled, ~missing)


def _nullable_name(dtype: DType) -> str:
    if dtype.datatype == "BOOL":
        return "boolean"
    return dtype.name[0].upper() + dtype.name[1:] if dtype.name.startswith("int") else "UI" + dtype.name[2:]


def _all_numbers(values: "np.ndarray") -> bool:
    return all((isinstance(v, (int, float, np.number)) and not isinstance(v, bool)) or v is None for v in values)


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."
