/** How bad a finding is (LSP's four levels, by name). */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * Every PyML diagnostic code: what the language server reports, and the two the extension reports
 * after a failed image build. Codes are stable: never reuse or renumber one.
 */
export const CODES = {
  // model.py: the contract
  PYML001: { severity: 'error', summary: 'no model class' },
  PYML002: { severity: 'error', summary: "pyml.yaml `model:` names a module or class that does not exist" },
  PYML003: { severity: 'warning', summary: 'more than one model class and no manifest to choose' },
  PYML004: { severity: 'error', summary: 'model base class used but not imported from pyml' },
  PYML010: { severity: 'error', summary: "base class does not match the manifest's kind" },
  PYML011: { severity: 'error', summary: 'model class does not derive from DataFrameModel or TensorModel' },
  PYML020: { severity: 'error', summary: 'missing predict' },
  PYML021: { severity: 'error', summary: 'predict must take exactly one argument besides self' },
  PYML022: { severity: 'error', summary: 'predict is a staticmethod, classmethod or async' },
  PYML023: { severity: 'error', summary: '__init__ has required parameters' },
  PYML024: { severity: 'hint', summary: 'no __init__: the model loads no parameters' },
  PYML030: { severity: 'error', summary: "predict's return annotation contradicts the kind" },
  PYML031: { severity: 'error', summary: "predict's parameter annotation contradicts the kind" },
  PYML032: { severity: 'error', summary: 'a path through predict returns nothing' },
  // pyml.yaml
  PYML100: { severity: 'error', summary: 'pyml.yaml is not valid YAML' },
  PYML101: { severity: 'error', summary: 'pyml.yaml does not match the manifest schema' },
  PYML102: { severity: 'error', summary: 'pyml.yaml is inconsistent (duplicate names, shapes)' },
  // model code against the folder
  PYML200: { severity: 'error', summary: 'import not provided by the standard library, the folder or requirements.txt' },
  PYML201: { severity: 'information', summary: 'import installed only as a dependency of another requirement' },
  PYML210: { severity: 'warning', summary: 'data file does not exist in the model folder' },
  PYML211: { severity: 'error', summary: 'data_path() leaves the data/ folder' },
  PYML220: { severity: 'warning', summary: "column or tensor read in predict is not declared in the manifest's inputs" },
  PYML221: { severity: 'error', summary: "column or key predict returns is not declared in the manifest's outputs" },
  PYML222: { severity: 'error', summary: "predict returns a value without an output the manifest declares" },
  // requirements.txt
  PYML300: { severity: 'error', summary: 'invalid requirements.txt line' },
  PYML301: { severity: 'error', summary: 'unknown option in requirements.txt' },
  PYML302: { severity: 'warning', summary: 'requirement listed twice' },
  PYML303: { severity: 'warning', summary: 'requirement names an import name, not the distribution' },
  PYML304: { severity: 'error', summary: 'included requirements file does not exist' },
  // packages.txt
  PYML400: { severity: 'error', summary: 'invalid Debian package name' },
  PYML401: { severity: 'warning', summary: 'Debian package listed twice' },
  // image builds: reported by the extension after a failed build (src/container/buildLog.ts), not by the language server
  PYML500: { severity: 'error', summary: 'pip install failed for this requirement' },
  PYML501: { severity: 'error', summary: 'apt-get install failed for this package' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type Code = keyof typeof CODES;

export function severityOf(code: Code): Severity {
  return CODES[code].severity;
}
