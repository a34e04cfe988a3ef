/**
 * HSS verification of signatures from outside (RFC 8554 §6.3): the service's verifier in
 * src/lib/rfc8554-verify.ts, which the simulator shares (the service may not import the simulator).
 */
export { hssVerify } from '../../lib/rfc8554-verify';
