/**
 * PyML: New Model — a multi-step QuickPick/InputBox wizard with Back buttons:
 * kind -> template -> name -> folder. It writes what src/scaffold renders and opens model.py.
 *
 * `vscode.commands.executeCommand('pyml.newModel', {kind, template, name, folder})` skips every step
 * whose answer is given; with all four it runs without asking (tests, other commands).
 */
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { deriveNames } from '../scaffold/names';
import { renderTemplate } from '../scaffold/render';
import { TEMPLATES } from '../scaffold/templates/index';
import { KINDS, MODEL_CREATED_CONTEXT, TEMPLATE_IDS, type Kind, type ModelNames, type TemplateId } from '../scaffold/types';

export interface NewModelOptions {
  readonly kind?: Kind;
  readonly template?: TemplateId;
  readonly name?: string;
  /** Absolute path of the folder to create (it may exist if it is empty). */
  readonly folder?: string;
}

const TITLE = 'PyML: New Model';
const TOTAL_STEPS = 4;

interface Answers {
  kind?: Kind;
  template?: TemplateId;
  name?: string;
  folder?: string;
}

type StepResult<T> = { readonly value: T } | 'back' | 'cancel';

export async function newModel(ctx: Ctx, ...args: unknown[]): Promise<void> {
  let answers: Awaited<ReturnType<typeof ask>>;
  try {
    answers = await ask(readOptions(args[0]));
    if (answers) {
      const problem = await folderProblem(answers.folder);
      if (problem) throw new Refusal(problem);
    }
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    // Said at once and not awaited: a caller passing options (a test, another command) is not held
    // until the user dismisses the notification.
    void ctx.log.explain(err, { summary: 'New Model cannot create the model' });
    return;
  }
  if (!answers) return;
  const { kind, template, names, folder } = answers;
  const target = vscode.Uri.file(folder);
  const files = renderTemplate(kind, template, names);
  await vscode.workspace.fs.createDirectory(target);
  for (const file of files) {
    const uri = vscode.Uri.joinPath(target, ...file.path.split('/'));
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
    const bytes = typeof file.contents === 'string' ? Buffer.from(file.contents, 'utf8') : file.contents;
    await vscode.workspace.fs.writeFile(uri, bytes);
  }
  ctx.log.info(`New Model: wrote ${files.length} files of the ${template} ${kind} template to ${folder}`);
  await vscode.commands.executeCommand('setContext', MODEL_CREATED_CONTEXT, true);
  await vscode.window.showTextDocument(vscode.Uri.joinPath(target, 'model.py'), { preview: false });
  if (!vscode.workspace.getWorkspaceFolder(target)) void offerToAddFolder(target, names);
}

/** Why the given answers cannot make a model: shown to the user as it is. */
class Refusal extends Error {
  override readonly name = 'Refusal';
}

const OPTION_KEYS = new Set(['kind', 'template', 'name', 'folder']);

/**
 * The options argument as given by executeCommand. Anything that is not such an object (a tree item,
 * a URI, a menu's context) is ignored; a wrong value in an options object is refused with the reason.
 */
export function readOptions(arg: unknown): NewModelOptions {
  if (typeof arg !== 'object' || arg === null || arg instanceof vscode.Uri) return {};
  const o = arg as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0 || !keys.every((k) => OPTION_KEYS.has(k))) return {};
  const str = (key: string): string | undefined => (typeof o[key] === 'string' ? o[key] : undefined);
  const kind = str('kind');
  const template = str('template');
  if (kind !== undefined && !(KINDS as readonly string[]).includes(kind)) {
    throw new Refusal(`kind must be one of ${KINDS.join(', ')}, not '${kind}'`);
  }
  if (template !== undefined && !(TEMPLATE_IDS as readonly string[]).includes(template)) {
    throw new Refusal(`template must be one of ${TEMPLATE_IDS.join(', ')}, not '${template}'`);
  }
  const name = str('name');
  const folder = str('folder');
  return {
    ...(kind !== undefined ? { kind: kind as Kind } : {}),
    ...(template !== undefined ? { template: template as TemplateId } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(folder !== undefined ? { folder } : {}),
  };
}

/** Runs the steps that the options do not answer; undefined when the user cancelled. */
async function ask(given: NewModelOptions): Promise<{ kind: Kind; template: TemplateId; names: ModelNames; folder: string } | undefined> {
  const a: Answers = { ...given };
  if (a.kind && a.template && !TEMPLATES[a.template].kinds[a.kind]) {
    throw new Refusal(`The ${TEMPLATES[a.template].label} template has no ${a.kind} model.`);
  }
  if (a.name !== undefined) {
    const derived = deriveNames(a.name);
    if ('error' in derived) throw new Refusal(`'${a.name}' cannot name a model: ${derived.error}`);
  }
  const steps: { readonly answered: boolean; readonly run: (canBack: boolean) => Promise<StepResult<unknown>> }[] = [
    { answered: given.kind !== undefined, run: async (canBack) => assign(await pickKind(a.kind, canBack), (v) => (a.kind = v)) },
    {
      answered: given.template !== undefined,
      run: async (canBack) => assign(await pickTemplate(a.kind ?? 'dataframe', a.template, canBack), (v) => (a.template = v)),
    },
    { answered: given.name !== undefined, run: async (canBack) => assign(await askName(a.name, canBack), (v) => (a.name = v)) },
    {
      answered: given.folder !== undefined,
      run: async (canBack) => assign(await askFolder(namesOf(a.name ?? ''), a.folder, canBack), (v) => (a.folder = v)),
    },
  ];
  const open = steps.map((s, i) => (s.answered ? -1 : i)).filter((i) => i >= 0);
  let at = 0;
  while (at < open.length) {
    const step = steps[open[at] ?? 0];
    if (!step) break;
    const result = await step.run(at > 0);
    if (result === 'cancel') return undefined;
    at = result === 'back' ? Math.max(0, at - 1) : at + 1;
  }
  const { kind, template, name, folder } = a;
  if (!kind || !template || name === undefined || folder === undefined) return undefined;
  if (!TEMPLATES[template].kinds[kind]) throw new Refusal(`The ${TEMPLATES[template].label} template has no ${kind} model.`);
  return { kind, template, names: namesOf(name), folder: path.resolve(folder) };
}

function assign<T>(result: StepResult<T>, set: (value: T) => void): StepResult<T> {
  if (typeof result === 'object') set(result.value);
  return result;
}

function namesOf(name: string): ModelNames {
  const derived = deriveNames(name);
  if ('error' in derived) throw new Error(derived.error);
  return derived.names;
}

// ---------------------------------------------------------------------------------------------
// The steps

type Item<T> = vscode.QuickPickItem & { readonly value: T };

function pickKind(current: Kind | undefined, canBack: boolean): Promise<StepResult<Kind>> {
  const items: Item<Kind>[] = [
    {
      value: 'dataframe',
      label: '$(table) DataFrame model',
      description: 'rows and named columns',
      detail: 'predict(self, df: pd.DataFrame) -> pd.DataFrame',
    },
    {
      value: 'tensor',
      label: '$(symbol-array) Tensor model',
      description: 'named n-dimensional arrays',
      detail: 'predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]',
    },
  ];
  return pick(1, 'What does the model take and return?', items, current, canBack);
}

function pickTemplate(kind: Kind, current: TemplateId | undefined, canBack: boolean): Promise<StepResult<TemplateId>> {
  const items = TEMPLATE_IDS.flatMap((id): Item<TemplateId>[] => {
    const spec = TEMPLATES[id];
    const t = spec.kinds[kind];
    return t ? [{ value: id, label: spec.label, description: spec.description, detail: t.summary }] : [];
  });
  return pick(2, 'Which template? Each builds and answers its sample request as it is.', items, current, canBack);
}

function askName(current: string | undefined, canBack: boolean): Promise<StepResult<string>> {
  return input({
    step: 3,
    value: current ?? '',
    placeholder: 'e.g. churn, house prices, digits',
    prompt: "The model's name: letters, digits, spaces, '-', '_' or '.'. It names the manifest, the image and the Python class.",
    canBack,
    validate: (value) => {
      if (value.trim() === '') return undefined;
      const derived = deriveNames(value);
      if ('error' in derived) return { message: derived.error, severity: vscode.InputBoxValidationSeverity.Error };
      const { className, manifestName } = derived.names;
      return {
        message: `Python class ${className} · manifest name ${manifestName} · folder ${manifestName}/`,
        severity: vscode.InputBoxValidationSeverity.Info,
      };
    },
    accept: (value) => {
      const derived = deriveNames(value);
      return 'error' in derived ? derived.error : undefined;
    },
  });
}

function askFolder(names: ModelNames, current: string | undefined, canBack: boolean): Promise<StepResult<string>> {
  const browse: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: 'Choose the parent folder…' };
  return input({
    step: 4,
    value: current ?? defaultFolder(names.manifestName),
    prompt: `The folder to create for ${names.className}; it must not exist yet, or be empty.`,
    canBack,
    buttons: [
      {
        button: browse,
        run: async (box) => {
          const chosen = await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            canSelectMany: false,
            openLabel: 'Create the model folder here',
            defaultUri: vscode.Uri.file(path.dirname(box.value || defaultFolder(names.manifestName))),
          });
          const parent = chosen?.[0];
          if (parent) box.value = path.join(parent.fsPath, names.manifestName);
        },
      },
    ],
    validate: async (value) => {
      const problem = await folderProblem(value);
      return problem ? { message: problem, severity: vscode.InputBoxValidationSeverity.Error } : undefined;
    },
    accept: folderProblem,
  });
}

/** The workspace folder (of the active editor, else the first) joined with the name; else the home folder. */
function defaultFolder(manifestName: string): string {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder = (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  const parent = folder?.uri.scheme === 'file' ? folder.uri.fsPath : os.homedir();
  return path.join(parent, manifestName);
}

/** Why the folder cannot receive a new model, or undefined when it can. */
export async function folderProblem(folder: string): Promise<string | undefined> {
  if (folder.trim() === '') return 'Type the path of the folder to create.';
  if (!path.isAbsolute(folder)) return `'${folder}' is not an absolute path: type the full path of the folder to create.`;
  const uri = vscode.Uri.file(folder);
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch {
    return undefined; // does not exist: it will be created
  }
  if (!(stat.type & vscode.FileType.Directory)) return `${folder} is a file, not a folder: choose another path.`;
  const entries = await vscode.workspace.fs.readDirectory(uri);
  if (entries.length > 0) {
    return `${folder} already exists and is not empty (${entries.length} entries): choose a new folder, or empty this one first. A model folder holds only its own files.`;
  }
  return undefined;
}

async function offerToAddFolder(folder: vscode.Uri, names: ModelNames): Promise<void> {
  const add = 'Add Folder to Workspace';
  const choice = await vscode.window.showInformationMessage(
    `PyML: ${names.className} was created in ${folder.fsPath}, outside the workspace. Build, run and diagnostics work on model folders in the workspace.`,
    add,
  );
  if (choice === add) {
    vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri: folder });
  }
}

// ---------------------------------------------------------------------------------------------
// QuickPick / InputBox with Back

function pick<T>(step: number, placeholder: string, items: readonly Item<T>[], current: T | undefined, canBack: boolean): Promise<StepResult<T>> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item<T>>();
    qp.title = TITLE;
    qp.step = step;
    qp.totalSteps = TOTAL_STEPS;
    qp.placeholder = placeholder;
    qp.items = items;
    qp.matchOnDetail = true;
    qp.ignoreFocusOut = true;
    qp.buttons = canBack ? [vscode.QuickInputButtons.Back] : [];
    const active = items.find((i) => i.value === current);
    if (active) qp.activeItems = [active];
    let settled = false;
    const finish = (result: StepResult<T>): void => {
      if (settled) return;
      settled = true;
      resolve(result);
      qp.dispose();
    };
    qp.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish('back');
    });
    qp.onDidAccept(() => {
      const chosen = qp.selectedItems[0] ?? qp.activeItems[0];
      if (chosen) finish({ value: chosen.value });
    });
    qp.onDidHide(() => {
      finish('cancel');
    });
    qp.show();
  });
}

interface InputOptions {
  readonly step: number;
  readonly value: string;
  readonly prompt: string;
  readonly placeholder?: string;
  readonly canBack: boolean;
  readonly buttons?: readonly { readonly button: vscode.QuickInputButton; readonly run: (box: vscode.InputBox) => Promise<void> }[];
  /** Shown while typing (an Info message may describe what the value will give). */
  readonly validate: (value: string) => vscode.InputBoxValidationMessage | undefined | Promise<vscode.InputBoxValidationMessage | undefined>;
  /** Checked on Enter: a message keeps the box open and shows why. */
  readonly accept: (value: string) => string | undefined | Promise<string | undefined>;
}

function input(opts: InputOptions): Promise<StepResult<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = TITLE;
    box.step = opts.step;
    box.totalSteps = TOTAL_STEPS;
    box.value = opts.value;
    box.prompt = opts.prompt;
    box.placeholder = opts.placeholder;
    box.ignoreFocusOut = true;
    box.buttons = [...(opts.canBack ? [vscode.QuickInputButtons.Back] : []), ...(opts.buttons ?? []).map((b) => b.button)];
    let settled = false;
    let validation = 0;
    // A button's open dialog hides the box for a while; that hide must not cancel the step.
    let dialogOpen = false;
    const finish = (result: StepResult<string>): void => {
      if (settled) return;
      settled = true;
      resolve(result);
      box.dispose();
    };
    const revalidate = async (value: string): Promise<void> => {
      const mine = ++validation;
      const message = await opts.validate(value);
      if (mine === validation && !settled) box.validationMessage = message;
    };
    box.onDidChangeValue((value) => void revalidate(value));
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) {
        finish('back');
        return;
      }
      const extra = opts.buttons?.find((x) => x.button === b);
      if (extra) {
        dialogOpen = true;
        void extra.run(box).finally(() => {
          dialogOpen = false;
          if (!settled) {
            box.show();
            void revalidate(box.value);
          }
        });
      }
    });
    box.onDidAccept(() => {
      const value = box.value;
      box.busy = true;
      box.enabled = false;
      void Promise.resolve(opts.accept(value)).then((problem) => {
        box.busy = false;
        box.enabled = true;
        if (problem) box.validationMessage = { message: problem, severity: vscode.InputBoxValidationSeverity.Error };
        else finish({ value });
      });
    });
    box.onDidHide(() => {
      if (!dialogOpen) finish('cancel');
    });
    box.show();
    void revalidate(box.value);
  });
}
