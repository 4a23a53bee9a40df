/**
 * Line-by-line CSV reading for run directory files (RFC 4180 quoting, one record per line: the
 * load generator never writes embedded newlines). Streams, so a multi-gigabyte events.csv costs
 * constant memory. Every problem becomes a ReportInputError naming the file and line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ReportInputError } from './errors.js';

/** Splits one CSV line into fields. Throws a plain Error on an unterminated quote. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ',') throw new Error(`unexpected character after a quoted field at column ${i + 1}`);
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

export interface CsvRow {
  /** 1-based line number in the file, for error messages. */
  line: number;
  /** Field values by column name. */
  get(column: string): string;
}

/**
 * Reads `file`, checks that its header is exactly `columns` (same names, same order), and calls
 * `onRow` for every non-empty record. `onRow` may throw a plain Error; it is rethrown as a
 * ReportInputError with the file name and line number.
 */
export async function readCsv(file: string, label: string, columns: readonly string[], onRow: (row: CsvRow) => void): Promise<number> {
  const index = new Map(columns.map((c, i) => [c, i]));
  let stream;
  try {
    stream = createReadStream(file, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (err) {
    throw new ReportInputError(`${label}: cannot read ${file}: ${describeFsError(err)}`);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let rows = 0;
  let fields: string[] = [];
  const row: CsvRow = {
    line: 0,
    get(column: string): string {
      const i = index.get(column);
      if (i === undefined) throw new Error(`internal: unknown column ${column}`);
      return fields[i]!;
    },
  };
  try {
    for await (const raw of lines) {
      lineNo++;
      const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (lineNo === 1) {
        const header = parseCsvLine(text.trim()).map((h) => h.trim());
        if (header.length !== columns.length || header.some((h, i) => h !== columns[i])) {
          throw new ReportInputError(
            `${label}: ${file} line 1: expected the header "${columns.join(',')}", found "${truncate(text, 200)}"`,
          );
        }
        continue;
      }
      if (text.trim() === '') continue;
      try {
        fields = parseCsvLine(text);
        if (fields.length !== columns.length) throw new Error(`expected ${columns.length} fields, found ${fields.length}`);
        row.line = lineNo;
        onRow(row);
      } catch (err) {
        if (err instanceof ReportInputError) throw err;
        throw new ReportInputError(`${label}: ${file} line ${lineNo}: ${(err as Error).message}: "${truncate(text, 200)}"`);
      }
      rows++;
    }
  } catch (err) {
    if (err instanceof ReportInputError) throw err;
    throw new ReportInputError(`${label}: cannot read ${file}: ${describeFsError(err)}`);
  } finally {
    lines.close();
    stream.destroy();
  }
  if (lineNo === 0) throw new ReportInputError(`${label}: ${file} is empty (expected the header "${columns.join(',')}")`);
  return rows;
}

/** A required finite number. */
export function num(value: string, column: string): number {
  const t = value.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) throw new Error(`column ${column}: expected a number, found "${truncate(value, 40)}"`);
  return n;
}

/** A finite number, or null for an empty field. */
export function optNum(value: string, column: string): number | null {
  return value.trim() === '' ? null : num(value, column);
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory, expected a file';
  return e?.message ?? String(err);
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}
