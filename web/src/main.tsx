// First: configures zod for the page's CSP before any schema exists (see csp.ts).
import './csp.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { AdminPage } from './admin/AdminPage.js';
import { StoreContext } from './chat/react.js';
import { ChatStore } from './chat/store.js';
import './styles.css';

const store = new ChatStore();
store.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      {location.pathname.replace(/\/+$/, '') === '/admin' ? <AdminPage /> : <App />}
    </StoreContext.Provider>
  </StrictMode>,
);
