export { ERROR_CODES, type ErrorCode, type ErrorSource, type ErrorCodeInfo } from './codes.js';
export { ProxyError, toProxyError } from './proxy-error.js';
