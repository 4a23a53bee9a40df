/** React bindings of the chat store: a context holding it, and a selector hook over its state. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatStore } from './store.js';
import type { ChatState } from './types.js';

export const StoreContext = createContext<ChatStore | null>(null);

export function useStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext.Provider>');
  return store;
}

/** Reads a slice of the state; `select` must return a part of the state (not a new object) to stay stable. */
export function useChat<T>(select: (s: ChatState) => T): T {
  const store = useStore();
  const get = () => select(store.getState());
  return useSyncExternalStore(store.subscribe, get, get); // the same snapshot when rendered to a string (tests)
}
