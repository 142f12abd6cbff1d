import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { tokenFromUrl } from './api.ts';
import { App } from './components/App/app.tsx';
import { AppStore } from './state/app-store.ts';
import './styles.css';

const store = new AppStore(tokenFromUrl());
store.start();
// For the browser tests and the figures: the store, read-only by convention.
(window as unknown as { imapscope: AppStore }).imapscope = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);
