/**
 * Bad input to `scale-chat report`: a missing, unreadable or corrupt run directory file, or bad arguments.
 * The CLI prints the message (which names the file and, for CSV, the line) and exits with code 2.
 */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}
