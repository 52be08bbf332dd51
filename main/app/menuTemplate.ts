// The application menu as data, so its shortcuts are testable without Electron. Each item names
// the contract's `menu.command` it sends to the window; main/electron/menu.ts wires the clicks.
import type { MenuCommand } from '../ipc/contract.js';

export interface MenuItemSpec {
  readonly label: string;
  readonly accelerator?: string;
  readonly command?: MenuCommand;
  readonly role?: 'quit' | 'reload' | 'toggleDevTools' | 'togglefullscreen' | 'about' | 'copy' | 'paste' | 'selectAll' | 'cut' | 'undo' | 'redo';
  readonly separator?: boolean;
}

export interface MenuSpec {
  readonly label: string;
  readonly items: readonly MenuItemSpec[];
}

export const applicationMenu: readonly MenuSpec[] = [
  {
    label: '&File',
    items: [
      { label: 'Co&nnect to Server…', accelerator: 'CmdOrCtrl+Shift+S', command: 'server.connect' },
      { label: '&Disconnect from Server', command: 'server.disconnect' },
      { label: '', separator: true },
      { label: 'E&xit', role: 'quit', accelerator: 'Alt+F4' },
    ],
  },
  {
    label: '&Edit',
    items: [
      { label: 'Undo', role: 'undo' },
      { label: 'Redo', role: 'redo' },
      { label: '', separator: true },
      { label: 'Cut', role: 'cut' },
      { label: 'Copy', role: 'copy' },
      { label: 'Paste', role: 'paste' },
      { label: 'Select All', role: 'selectAll' },
    ],
  },
  {
    label: '&View',
    items: [
      { label: '&Computers', accelerator: 'CmdOrCtrl+1', command: 'tab.computers' },
      { label: 'Installation &History', accelerator: 'CmdOrCtrl+2', command: 'tab.history' },
      { label: '&Packages', accelerator: 'CmdOrCtrl+3', command: 'tab.packages' },
      { label: 'Con&figuration', accelerator: 'CmdOrCtrl+4', command: 'tab.configuration' },
      { label: '', separator: true },
      { label: '&Properties…', accelerator: 'F4', command: 'properties' },
      { label: '&Leftovers…', accelerator: 'CmdOrCtrl+Shift+L', command: 'leftovers' },
      { label: '&Audit Trail…', accelerator: 'CmdOrCtrl+Shift+U', command: 'audit' },
      { label: 'S&ites…', command: 'sites' },
      { label: '&Workers…', command: 'workers' },
      { label: '', separator: true },
      { label: 'Reload', role: 'reload' },
      { label: 'Toggle Full Screen', role: 'togglefullscreen' },
      { label: 'Developer Tools', role: 'toggleDevTools' },
    ],
  },
  { label: '&Help', items: [{ label: 'About Push Install Console', role: 'about' }] },
];
