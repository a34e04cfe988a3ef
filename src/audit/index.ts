/**
 * The pure audit primitives (docs/architecture.md §6): the RFC 9162 §2.1 Merkle tree over the
 * ledger's event hashes and its proofs, C2SP signed notes with ECDSA P-256 (type 0x02), and the
 * tlog-checkpoint body they sign. Nothing here reads a store or talks to an HSM.
 */
export { emptyRoot, HASH_BYTES, leafHash, MerkleTree, mth, nodeHash } from './merkle';
export { verifyConsistency, verifyInclusion } from './proofs';
export { derToP1363, p1363ToDer } from './ecdsa-signature';
export {
  ecdsaKeyId,
  encodeVerifierKey,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  parseNote,
  parseVerifierKey,
  SIGNATURE_TYPE_ECDSA,
  signNote,
  verifyNote,
  type NoteSignature,
  type NoteSigner,
  type SignedNote,
  type VerifierKey,
} from './note';
export { buildCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
export {
  InvalidNoteSignature,
  MalformedCheckpoint,
  MalformedNote,
  MalformedVerifierKey,
  NoteNotVerified,
  NoteSignerFailed,
} from './errors';
