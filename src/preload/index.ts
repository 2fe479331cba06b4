// The sandboxed preload: exposes the contract's two verbs as window.squill and nothing else of Electron or Node.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from '../shared/rpc/channels.ts';

contextBridge.exposeInMainWorld('squill', createPreloadApi(ipcRenderer));
