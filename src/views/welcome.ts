/**
 * The getting-started walkthrough, opened once per installation on the first activation.
 *
 * VS Code opens an extension's walkthrough itself only when the extension is installed from the gallery
 * while the window is open; an extension installed any other way (a .vsix on the command line, a
 * provisioned profile) would never show it. We open it once, remembered in globalState, unless
 * `pyml.welcome.openWalkthrough` is off (test profiles turn it off).
 */
import * as vscode from 'vscode';

export const WALKTHROUGH_ID = 'pyml.pyml-vscode#gettingStarted';
const SHOWN_KEY = 'pyml.walkthroughShown';

export function openWalkthroughOnce(extension: vscode.ExtensionContext): void {
  if (extension.globalState.get<boolean>(SHOWN_KEY)) return;
  const wanted = vscode.workspace.getConfiguration('pyml').get<boolean>('welcome.openWalkthrough', true);
  if (!wanted) return;
  void extension.globalState.update(SHOWN_KEY, true);
  void vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
}
