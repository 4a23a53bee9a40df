import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { StoreContext } from './chat/react.js';
import { ChatStore } from './chat/store.js';
import './styles.css';

const store = new ChatStore();
store.start();
// For the end-to-end tests and debugging from the console: read-only use.
(window as unknown as { scaleChat: ChatStore }).scaleChat = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
