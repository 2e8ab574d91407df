// MQVersion.Version ordinals that change server behaviour (common/MQVersion.java).
export const Version = {
  V3_0_7_SNAPSHOT: 28,
  V3_0_11: 37,
  V3_1_8_SNAPSHOT: 62,
  V3_4_9: 121,
  V4_1_0_SNAPSHOT: 232,
  V4_5_2: 317,
  V4_9_4: 401,
  V4_9_8: 409,
  V5_0_0: 413,
  V5_3_3: 479,
} as const;

/** The version we report in every response: clients gate SQL92 and other features on it. */
export const CURRENT_VERSION = Version.V4_9_8;
export const CURRENT_VERSION_DESC = 'V4_9_8';
