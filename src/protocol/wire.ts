/**
 * The conventions PyML adds on top of the Open Inference Protocol (V2), declared once for the
 * extension; runtime/pyml/wire.py declares the same for the runtime, and runtime/README.md describes
 * them (test/unit/protocol/wire.test.ts holds all three together). The V2 datatypes themselves are
 * src/model/dtypes.ts `V2_DATATYPES`.
 */

/** The parameter that says what a request, a response or a tensor holds. */
export const CONTENT_TYPE = 'content_type';
/** `content_type` of a DataFrame request, response or model (MLServer's pandas codec name). */
export const CONTENT_TYPE_DATAFRAME = 'pd';
/** `content_type` of a BYTES tensor that holds UTF-8 text. */
export const CONTENT_TYPE_TEXT = 'str';
/** `content_type` of a BYTES tensor that holds opaque bytes. */
export const CONTENT_TYPE_BYTES = 'bytes';

/** The tensor parameter of a validity companion: the name of the column it gives the validity of. */
export const VALIDITY_PARAM = 'validity_of';
/** The name suffix of a validity companion tensor: `<column>:valid`. */
export const VALIDITY_SUFFIX = ':valid';

/** The response parameter with the milliseconds the model's predict() took (double). */
export const PREDICT_MS_PARAM = 'pyml_predict_ms';

/** The trailing metadata key of a failed call that holds the structured error report (UTF-8 JSON). */
export const ERROR_TRAILER = 'pyml-error-bin';
/** A failed model load prints the same report as its last stderr line, after this prefix. */
export const ERROR_JSON_PREFIX = 'PYML_ERROR_JSON ';

/**
 * Initial metadata of ServerLive/ServerReady from a container serving several worker processes: the
 * worker sockets' file names, comma-separated, in the main socket's folder (runtime/pyml/supervisor.py).
 */
export const WORKERS_HEADER = 'pyml-workers';
/** Trailing metadata of a worker's error answer: the worker's index (its absence marks a worker that did not answer). */
export const WORKER_TRAILER = 'pyml-worker';
