// The preload (sandboxed, context-isolated): exposes exactly the contract as window.pushConsole.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './exposedApi.js';

contextBridge.exposeInMainWorld('pushConsole', createPreloadApi(ipcRenderer));
