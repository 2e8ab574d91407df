/** The part of fs-native-extensions (a CommonJS package without typings) the store lock uses. */
declare module 'fs-native-extensions' {
  /**
   * Non-blocking byte-range lock on an open fd (fcntl F_OFD_SETLK on Linux): true when taken, false when
   * another holder has a conflicting lock (EAGAIN); other errors are thrown. Exclusive unless shared is set.
   */
  export function tryLock(fd: number, offset?: number, length?: number, opts?: { shared?: boolean }): boolean;
}
