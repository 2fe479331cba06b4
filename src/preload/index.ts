// The sandboxed preload: exposes the contract's two verbs as window.squill, plus the path of a dropped file (the
// renderer cannot see paths), and nothing else of Electron or Node.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createPreloadApi, type PreloadApi } from '../shared/rpc/channels.ts';

const api: PreloadApi = {
  ...createPreloadApi(ipcRenderer),
  pathForFile: (file) => webUtils.getPathForFile(file),
};
contextBridge.exposeInMainWorld('squill', api);
