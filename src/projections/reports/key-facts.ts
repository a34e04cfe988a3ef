/** What the reports show of a key's generation facts: its parameters, with hashsig types named. */
import { hashsig } from '../../domain';
import type { KeyFacts } from '../custody';
import { CKA_LABEL } from '../custody/key-state';

/** The key's parameters as recorded, and for hashsig the LMS and LM-OTS type names (as the API shows them). */
export function reportParams(facts: KeyFacts): Record<string, unknown> {
  const params: Record<string, unknown> = { ...facts.params };
  if (facts.keyType === 'hashsig') {
    params.lms = hashsig.LMS_TYPE_NAMES[params.lmsType as number] ?? null;
    params.lmots = hashsig.LMOTS_TYPE_NAMES[params.lmotsType as number] ?? null;
  }
  return params;
}

/** `k=v` pairs separated by spaces: parameters in one CSV cell. */
export function paramsText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** The label the key was generated with (CKA_LABEL), or null. */
export function factsLabel(facts: KeyFacts): string | null {
  const value = Object.hasOwn(facts.attributes, CKA_LABEL) ? facts.attributes[CKA_LABEL] : undefined;
  return value === undefined ? null : Buffer.from(value, 'base64').toString('utf8');
}
