import type { PreloadApi } from '../../shared/rpc/channels.ts';

declare global {
  interface Window {
    /** present only in the desktop app (exposed by the preload) */
    squill?: PreloadApi;
  }
}
