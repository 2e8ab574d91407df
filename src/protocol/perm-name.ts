// Topic and broker permission bits (common/constant/PermName.java).
export const PermName = {
  PERM_PRIORITY: 0x8,
  PERM_READ: 0x4,
  PERM_WRITE: 0x2,
  PERM_INHERIT: 0x1,
} as const;

export const isReadable = (perm: number): boolean => (perm & PermName.PERM_READ) !== 0;
export const isWriteable = (perm: number): boolean => (perm & PermName.PERM_WRITE) !== 0;
export const isInherited = (perm: number): boolean => (perm & PermName.PERM_INHERIT) !== 0;
