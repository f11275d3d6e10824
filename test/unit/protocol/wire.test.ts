/**
 * The wire conventions are declared once per language (src/protocol/wire.ts, runtime/pyml/wire.py):
 * this holds the two together and against runtime/README.md, and every V2 message field the
 * extension names against the .proto it loads.
 */
import * as assert from 'assert';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { toV2Datatype, V2_DATATYPES } from '../../../src/model/dtypes';
import * as wire from '../../../src/protocol/wire';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const read = (...parts: string[]): string => fs.readFileSync(path.join(REPO, ...parts), 'utf8');

/** `NAME = "value"` assignments at the top level of a Python module. */
function pythonConstants(source: string): Map<string, string> {
  return new Map([...source.matchAll(/^([A-Z][A-Z0-9_]*) = "([^"]*)"/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** Every wire.ts constant with the README text that must hold it. */
const README_FORMS: Readonly<Record<keyof typeof wire, (v: string) => string>> = {
  CONTENT_TYPE: (v) => `\`${v}: "`,
  CONTENT_TYPE_DATAFRAME: (v) => `\`content_type: "${v}"\``,
  CONTENT_TYPE_TEXT: (v) => `\`content_type: "${v}"\``,
  CONTENT_TYPE_BYTES: (v) => `\`content_type: "${v}"\``,
  VALIDITY_PARAM: (v) => `\`${v}: "<column>"\``,
  VALIDITY_SUFFIX: (v) => `\`"<column>${v}"\``,
  PREDICT_MS_PARAM: (v) => `\`${v}\``,
  ERROR_TRAILER: (v) => `\`${v}\``,
  ERROR_JSON_PREFIX: (v) => `\`${v}{...}\``,
  WORKERS_HEADER: (v) => `\`${v}\``,
  WORKER_TRAILER: (v) => `\`${v}\``,
};

describe('wire conventions, declared once per language', () => {
  const python = pythonConstants(read('runtime', 'pyml', 'wire.py'));
  const readme = read('runtime', 'README.md');

  it('runtime/pyml/wire.py declares every constant of src/protocol/wire.ts, with the same value', () => {
    for (const [name, value] of Object.entries(wire)) assert.strictEqual(python.get(name), value, `wire.py ${name}`);
  });

  it('runtime/README.md documents each of them', () => {
    for (const [name, value] of Object.entries(wire)) {
      const form = README_FORMS[name as keyof typeof wire](value);
      assert.ok(readme.includes(form), `runtime/README.md does not mention ${name} as ${form}`);
    }
  });

  it('no other module of the extension or the runtime spells them out', () => {
    const literals = [wire.CONTENT_TYPE, wire.VALIDITY_PARAM, wire.VALIDITY_SUFFIX, wire.PREDICT_MS_PARAM, wire.ERROR_TRAILER, wire.ERROR_JSON_PREFIX.trim()];
    const offenders: string[] = [];
    const walk = (dir: string, ext: string, own: string): void => {
      for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel, ext, own);
        else if (entry.name.endsWith(ext) && rel !== own) {
          // Code only: comments and docstrings may name the conventions.
          const code = read(rel).replace(/\/\*[\s\S]*?\*\/|\/\/.*$|#.*$|"""[\s\S]*?"""/gm, '');
          for (const l of literals) if (code.includes(`'${l}'`) || code.includes(`"${l}"`)) offenders.push(`${rel}: ${l}`);
        }
      }
    };
    walk('src', '.ts', path.join('src', 'protocol', 'wire.ts'));
    walk(path.join('runtime', 'pyml'), '.py', path.join('runtime', 'pyml', 'wire.py'));
    assert.deepStrictEqual(offenders, []);
  });

  it('the datatypes and dtype names are the same in src/model/dtypes.ts and runtime/pyml/dtypes.py', () => {
    const py = [...read('runtime', 'pyml', 'dtypes.py').matchAll(/_d\("(\w+)", "(\w+)"/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    assert.deepStrictEqual([...new Set(py.map(([, d]) => d))].sort(), [...V2_DATATYPES].sort());
    for (const [name, datatype] of py) assert.strictEqual(toV2Datatype(name), datatype, `dtype ${name}`);
  });
});

describe('V2 field names of the extension against the .proto', () => {
  type Message = { readonly fields: Set<string>; readonly name: string };
  const messages = new Map<string, Message>();
  const definition = protoLoader.loadSync(PROTO, { keepCase: true });
  interface Descriptor {
    readonly name: string;
    readonly field: readonly { readonly name: string }[];
    readonly oneofDecl: readonly { readonly name: string }[];
    readonly nestedType: readonly Descriptor[];
  }
  const add = (d: Descriptor, prefix: string): void => {
    const name = prefix ? `${prefix}.${d.name}` : d.name;
    messages.set(name, { name, fields: new Set([...d.field.map((f) => f.name), ...d.oneofDecl.map((o) => o.name)]) });
    for (const n of d.nestedType) add(n, name);
  };
  for (const [name, def] of Object.entries(definition)) {
    if ('format' in def && def.format === 'Protocol Buffer 3 DescriptorProto' && name.split('.').length === 2) {
      add(def.type as Descriptor, '');
    }
  }
  /** The message an interface name stands for: its own name, nested or not. */
  const messageNamed = (name: string, aliases: Readonly<Record<string, string>> = {}): Message | undefined =>
    messages.get(aliases[name] ?? name) ?? [...messages.values()].find((m) => m.name.endsWith(`.${name}`));

  const parse = (file: string): ts.SourceFile => ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);

  it('every property of the message interfaces in src/protocol/v2types.ts is a field of its message', () => {
    const source = parse(path.join('src', 'protocol', 'v2types.ts'));
    const checked: string[] = [];
    const problems: string[] = [];
    for (const node of source.statements) {
      if (!ts.isInterfaceDeclaration(node)) continue;
      const name = node.name.text;
      const message = messageNamed(name, { ModelIndexEntry: 'RepositoryIndexResponse.ModelIndex', SharedMemoryRegionStatus: 'SystemSharedMemoryStatusResponse.RegionStatus' });
      if (!message) {
        problems.push(`interface ${name} is no message of the .proto`);
        continue;
      }
      checked.push(name);
      for (const member of node.members) {
        const key = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
        if (key && !message.fields.has(key)) problems.push(`${name}.${key} is not a field of ${message.name}`);
      }
    }
    assert.deepStrictEqual(problems, []);
    assert.ok(checked.length >= 10, `only ${checked.length} interfaces checked`);
  });

  it("every field src/protocol/v2client.ts sends or reads in a call is one of the method's messages", () => {
    const service = definition['inference.GRPCInferenceService'] as protoLoader.ServiceDefinition;
    const source = parse(path.join('src', 'protocol', 'v2client.ts'));
    const problems: string[] = [];
    let calls = 0;
    const keysOf = (node: ts.Node): string[] =>
      ts.isObjectLiteralExpression(node) || ts.isTypeLiteralNode(node)
        ? (ts.isObjectLiteralExpression(node) ? node.properties : node.members).flatMap((p) => (p.name && ts.isIdentifier(p.name) ? [p.name.text] : []))
        : [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'call') {
        const [method, request] = node.arguments;
        if (method && ts.isStringLiteral(method)) {
          calls++;
          const def = service[method.text];
          if (!def) problems.push(`${method.text} is no method of the service`);
          else {
            const fields = (t: { type: unknown }): Set<string> => new Set((t.type as { field: { name: string }[] }).field.map((f) => f.name));
            const requestFields = fields(def.requestType);
            for (const k of request ? keysOf(request) : []) if (!requestFields.has(k)) problems.push(`${method.text} request: '${k}' is not a field`);
            const responseFields = fields(def.responseType);
            for (const t of node.typeArguments ?? []) for (const k of keysOf(t)) if (!responseFields.has(k)) problems.push(`${method.text} response: '${k}' is not a field`);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    assert.deepStrictEqual(problems, []);
    assert.ok(calls >= 8, `only ${calls} calls found`);
  });
});
