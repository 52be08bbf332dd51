/** The Electron executable's path, or null when it is not installed (see electronBinary.mjs). */
export function electronBinaryPath(): string | null;
