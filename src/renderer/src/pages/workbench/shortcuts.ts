/** Keyboard shortcuts as the user's platform writes them, for button titles and hints. */
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const mod = isMac ? '⌘' : 'Ctrl+';
const shift = isMac ? '⇧' : 'Shift+';
const alt = isMac ? '⌥' : 'Alt+';

export const SHORTCUTS = {
  run: `${mod}Enter`,
  explain: `${mod}${shift}E`,
  format: `${shift}${alt}F`,
  copy: `${mod}C`,
  selectAll: `${mod}A`,
  complete: 'Ctrl+Space',
} as const;

/** The platform's "add to selection" modifier: cmd on macOS, ctrl elsewhere. */
export const hasToggleModifier = (e: { ctrlKey: boolean; metaKey: boolean }) => (isMac ? e.metaKey : e.ctrlKey);
