/**
 * Asking for a password on the terminal without echoing it: raw mode, keys read one by one,
 * nothing written back but the prompt and a newline. Backspace erases, Ctrl-U clears, Enter
 * accepts, Ctrl-C / Ctrl-D (on an empty line) / Escape abort. The terminal mode is restored in
 * every case.
 */

export class PromptAborted extends Error {
  override readonly name = 'PromptAborted';
}

export function promptPassword(prompt: string, stdin: NodeJS.ReadStream, out: NodeJS.WritableStream): Promise<string> {
  if (!stdin.isTTY) return Promise.reject(new Error('cannot ask for a password: standard input is not a terminal (use --password or SCALE_CHAT_PASSWORD)'));
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    out.write(prompt);
    const end = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return end();
        if (ch === '\x03' || ch === '\x1b' || (ch === '\x04' && value === '')) return end(new PromptAborted('cancelled'));
        if (ch === '\x7f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\x15') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
