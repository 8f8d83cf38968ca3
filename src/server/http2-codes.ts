/** HTTP/2 numbers used by Barbican's HTTP/2 code, as the RFC names them. */

/** RFC 9113 §7 error codes. */
export const H2_NO_ERROR = 0x0;
export const H2_PROTOCOL_ERROR = 0x1;
export const H2_INTERNAL_ERROR = 0x2;
export const H2_CANCEL = 0x8;
export const H2_ENHANCE_YOUR_CALM = 0xb;
/** RFC 9113 §6.2: END_STREAM flag of a HEADERS frame. */
export const H2_FLAG_END_STREAM = 0x1;
