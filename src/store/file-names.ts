/** UtilAll#offset2FileName: a segment is named by its start offset, zero-padded to 20 digits. */
export function offsetToFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Parses a segment name; undefined for anything else in the directory (e.g. `.tmp`, editor files). */
export function fileNameToOffset(name: string): number | undefined {
  if (!/^\d{20}$/.test(name)) return undefined;
  const n = Number(name);
  return Number.isSafeInteger(n) ? n : undefined;
}
