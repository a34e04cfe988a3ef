/**
 * Helpers shared by the custody projections: the key id of an event of `key-<keyId>`, and the
 * domain's own fold, so the read side applies exactly the custody rules the write side decides by.
 */
import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import { parseStreamName } from '../../domain/streams';
import { evolve, initialState, isKeyEvent, type KeyEvent, type KeyState } from '../../domain/key';

/** The key id of an event in a `key-<keyId>` stream, or undefined for any other stream or event. */
export function keyIdOf(event: RecordedEvent): string | undefined {
  if (!isKeyEvent(event)) return undefined;
  const parsed = parseStreamName(event.streamName);
  return parsed !== null && parsed.category === 'key' ? parsed.id : undefined;
}

/** Folds one more event into a key's custody state kept in a read-model doc. */
export function nextKeyState(previous: JsonObject | undefined, event: RecordedEvent): KeyState {
  const state = (previous as unknown as KeyState | undefined) ?? initialState();
  return evolve(state, event as unknown as KeyEvent);
}

/** libhal attribute types (PKCS#11 numbering) the catalog shows. CKA_LABEL = 3. */
export const CKA_LABEL = '3';

export function labelOf(attributes: Readonly<Record<string, string>>): string | null {
  const value = Object.hasOwn(attributes, CKA_LABEL) ? attributes[CKA_LABEL] : undefined;
  return value === undefined ? null : Buffer.from(value, 'base64').toString('utf8');
}

export function toDoc<T>(value: T): JsonObject {
  return value as unknown as JsonObject;
}
