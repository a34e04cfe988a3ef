/**
 * LMS/HSS hash-based signatures on SHA-256 (RFC 8554), as the Cryptech libhal "hashsig" keys.
 * The wire formats and parameter sets both sides read are in src/lib (rfc8554.ts, rfc8554-params.ts).
 */
export * from './errors';
export { lmotsCandidatePublicKey, lmotsPublicKey, lmotsSign } from './lmots';
export { lmsGenerateTree, lmsPublicKey, lmsSign, lmsVerify, type LmsTree } from './lms';
export * from './state';
export * from './hss';
export { hssVerify } from './hss-verify';
export * from './counts';
