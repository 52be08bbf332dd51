// Errors of the MSI reader: one class, a kind the caller can act on, and the
// advice the Packages window shows. Every malformed input ends here, never in a RangeError.
import { ConsoleError } from '../ipc/errors.js';

export type MsiErrorKind =
  | 'not-a-compound-file'
  | 'compound-file-corrupt'
  | 'not-an-msi'
  | 'string-pool-corrupt'
  | 'table-corrupt'
  | 'too-large';

export class MsiFormatError extends ConsoleError {
  constructor(readonly kind: MsiErrorKind, message: string) {
    super(
      'msi-format',
      message,
      kind === 'not-a-compound-file' || kind === 'not-an-msi'
        ? 'Choose a Windows Installer package (.msi). An .exe setup or a renamed file cannot be pushed as an MSI.'
        : 'The file is damaged or truncated. Copy the .msi again from its source and create the package from the new copy.',
      kind,
    );
    this.name = 'MsiFormatError';
  }
}
