/** The account panel: the change-password form's checks, and what guests and accounts are offered. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ChatStore } from '../chat/store.js';
import { StoreContext } from '../chat/react.js';
import { AccountPanel, passwordFormProblem } from './AccountPanel.js';

describe('passwordFormProblem', () => {
  it('accepts a valid change and names each problem', () => {
    expect(passwordFormProblem('old password', 'new password 1', 'new password 1')).toBeNull();
    expect(passwordFormProblem('', 'new password 1', 'new password 1')).toMatch(/current password/);
    expect(passwordFormProblem('old password', 'short', 'short')).toMatch(/8-256/);
    expect(passwordFormProblem('old password', 'x'.repeat(257), 'x'.repeat(257))).toMatch(/8-256/);
    expect(passwordFormProblem('old password', 'new password 1', 'new password 2')).toMatch(/differ/);
    expect(passwordFormProblem('same password', 'same password', 'same password')).toMatch(/same/);
  });
});

describe('AccountPanel', () => {
  const render = (account: boolean) => {
    const store = new ChatStore({});
    (store as unknown as { state: { me: unknown } }).state.me = { id: 'u1', name: 'ann', account };
    return renderToStaticMarkup(
      <StoreContext.Provider value={store}>
        <AccountPanel onClose={() => {}} />
      </StoreContext.Provider>,
    );
  };
  it('an account gets change password, sign out everywhere and delete with a warning', () => {
    const html = render(true);
    expect(html).toContain('Change password');
    expect(html).toContain('Confirm new password');
    expect(html).toContain('Sign out everywhere');
    expect(html).toContain('Delete my account');
    expect(html).toContain('cannot be undone');
  });
  it('a guest gets only sign out everywhere', () => {
    const html = render(false);
    expect(html).not.toContain('Change password');
    expect(html).not.toContain('Delete my account');
    expect(html).toContain('Sign out everywhere');
    expect(html).toContain('Guests have no password');
  });
});
