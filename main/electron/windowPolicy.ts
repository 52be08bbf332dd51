// The console window's security policy, apart from main.ts so it is testable without
// Electron: the webPreferences (context isolation, sandbox, no Node, no <webview>), and the
// handlers that keep the window on the console's one page — no navigation, no redirects, no
// popups (http/https links go to the system browser), no <webview>, no permissions but the
// clipboard write of the console's own Copy buttons.
//
// The content security policy of Electron's window is the <meta> of renderer/index.html: the
// page is loaded with loadFile, and file: responses have no headers to set (onHeadersReceived
// sees http/https only). The browser shell sends the same policy, tightened to its own origin,
// as a header (main/browser/bridgeServer.ts).
import type { WebPreferences } from 'electron';

/** An Electron event: only preventDefault is used. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** The slice of Electron's Session the policy sets. */
export interface SessionLike {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void) | null,
  ): void;
  setPermissionCheckHandler(
    handler: ((webContents: unknown, permission: string, requestingOrigin: string, details: { requestingUrl?: string }) => boolean) | null,
  ): void;
}

/** The slice of Electron's WebContents the policy registers on (main.ts passes the real one). */
export interface WebContentsLike {
  on(event: 'will-navigate', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  readonly session: SessionLike;
}

export interface WindowPolicyOptions {
  /** Opens a URL in the system's browser (Electron's shell.openExternal). */
  readonly openExternal: (url: string) => unknown;
  /** The console page's own URL (file:///…/index.html): the only page granted the clipboard write. */
  readonly appUrl: string;
}

/** The one permission the console uses: Copy in the log viewer writes text to the clipboard. */
export const ALLOWED_PERMISSION = 'clipboard-sanitized-write';

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    // Chromium's spellchecker downloads its dictionaries from Google: no remote content.
    spellcheck: false,
  };
}

/** Whether a link may go to the system browser: http and https only, never file:, javascript:, data: or an app's scheme. */
export function isExternalWebUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '';
}

/** The URL without its fragment and query, for comparing with the console page's own. */
function pageOf(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/**
 * Registers the window's handlers. The console is a single page loaded by loadFile: it never
 * navigates (a reload is not a navigation event; in-page hash changes do not fire will-navigate),
 * so every navigation — to a remote site, a file:, javascript: or data: URL, and to the console's
 * own URL too — and every redirect is prevented.
 */
export function attachWindowPolicy(contents: WebContentsLike, options: WindowPolicyOptions): void {
  const prevent = (event: PreventableEvent) => event.preventDefault();
  contents.on('will-navigate', prevent);
  contents.on('will-frame-navigate', prevent);
  contents.on('will-redirect', prevent);
  contents.on('will-attach-webview', prevent);
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) void Promise.resolve(options.openExternal(url)).catch(() => undefined);
    return { action: 'deny' };
  });
  const appPage = pageOf(options.appUrl);
  const allowed = (permission: string, requestingUrl: string | undefined) =>
    permission === ALLOWED_PERMISSION && appPage !== null && pageOf(requestingUrl) === appPage;
  contents.session.setPermissionRequestHandler((_webContents, permission, callback, details) =>
    callback(allowed(permission, details.requestingUrl)),
  );
  contents.session.setPermissionCheckHandler((_webContents, permission, _origin, details) => allowed(permission, details.requestingUrl));
}
