// Saving what main exported (CSV text, a ZIP sent as base64) as a browser download, which works the
// same in the browser shell and in Electron.

/** Saves text or bytes as a download (the browser shell and Electron alike). */
export function saveFile(fileName: string, content: string | Uint8Array, type: string): void {
  const blob = new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
