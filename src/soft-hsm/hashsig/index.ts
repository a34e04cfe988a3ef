/** LMS/HSS hash-based signatures on SHA-256 (RFC 8554), as the Cryptech libhal "hashsig" keys. */
export * from './errors';
export * from './params';
export { lmotsCandidatePublicKey, lmotsPublicKey, lmotsSign } from './lmots';
export { lmsGenerateTree, lmsPublicKey, lmsSign, lmsVerify, type LmsTree } from './lms';
export * from './state';
export * from './hss';
export * from './hss-signature';
export * from './counts';
