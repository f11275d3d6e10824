/** The test-prediction panel's fixed names, declared once (activation, the panel, the Test Explorer). */

/** The panel's webview type (package.json's `onWebviewPanel:` activation event names it too). */
export const PANEL_VIEW_TYPE = 'pyml.predictPanel';

/** Where the panel keeps the addresses it connected to, newest first (the Test Explorer tries them). */
export const RECENT_ADDRESSES_KEY = 'pyml.predict.recentAddresses';
