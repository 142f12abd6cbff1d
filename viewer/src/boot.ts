/**
 * The viewer's store, started as the page's first module runs: main.tsx imports this before
 * React and the views, so the session list's first page and the WebSocket are on their way
 * while the rest of the bundle is evaluated and the first render is made.
 */
import { tokenFromUrl } from './api.ts';
import { AppStore } from './state/app-store.ts';

export const store = new AppStore(tokenFromUrl());
store.start();
// For the browser tests and the figures: the store, read-only by convention.
(window as unknown as { imapscope: AppStore }).imapscope = store;
