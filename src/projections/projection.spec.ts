import type { JsonObject, RecordedEvent } from '../event-store/event-store';
import { foldEvents, type Doc, type Projection } from './projection';

/** A sample projection: which keys each HSM holds. A doc per HSM; the last key leaving deletes it. */
const keysByHsm: Projection = {
  name: 'keys-by-hsm',
  version: 1,
  handles(event) {
    switch (event.type) {
      case 'KeyGenerated':
      case 'KeyRawImported':
      case 'KeyDeletedFromHsm':
        return [event.data.hsmId as string];
      default:
        return [];
    }
  },
  evolve(doc, event) {
    const keyId = event.streamName.slice('key-'.length);
    const keys = (doc?.keys as string[] | undefined) ?? [];
    if (event.type === 'KeyDeletedFromHsm') {
      const left = keys.filter((k) => k !== keyId);
      return left.length === 0 ? undefined : { keys: left };
    }
    return { keys: keys.includes(keyId) ? keys : [...keys, keyId].sort() };
  },
};

let position = 0;
const revisions = new Map<string, number>();
function recorded(streamName: string, type: string, data: JsonObject): RecordedEvent {
  const revision = revisions.get(streamName) ?? 0;
  revisions.set(streamName, revision + 1);
  position++;
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    streamName,
    revision,
    position,
    type,
    data,
    metadata: {},
    recordedAt: '2026-03-01T12:00:00.000Z',
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const history = deepFreeze([
  recorded('key-k1', 'KeyGenerated', { hsmId: 'hsm-a' }),
  recorded('key-k2', 'KeyGenerated', { hsmId: 'hsm-a' }),
  recorded('hsm-a', 'HsmReportedTamper', {}),
  recorded('key-k1', 'KeyRawExported', { hsmId: 'hsm-a' }),
  recorded('key-k1', 'KeyDeletedFromHsm', { hsmId: 'hsm-a' }),
  recorded('key-k1', 'KeyRawImported', { hsmId: 'hsm-b' }),
  recorded('key-k3', 'KeyGenerated', { hsmId: 'hsm-c' }),
  recorded('key-k3', 'KeyDeletedFromHsm', { hsmId: 'hsm-c' }),
]);

const expected = new Map<string, Doc>([
  ['hsm-a', { keys: ['k2'] }],
  ['hsm-b', { keys: ['k1'] }],
]);

describe('a projection folded over the ledger', () => {
  describe('given the custody history of three keys', () => {
    it('gives one doc per HSM holding keys, deleting the doc of an HSM left empty', () => {
      expect(foldEvents(keysByHsm, history)).toEqual(expected);
    });

    // docs/style.md §12: projections are pure and idempotent.
    it('gives the same read model when the same events are replayed a second time', () => {
      const first = foldEvents(keysByHsm, history);
      const second = foldEvents(keysByHsm, history);
      expect(second).toEqual(first);
      expect(second).not.toBe(first);
    });

    it('never mutates the events or the docs it is given (both are frozen here)', () => {
      const docs = new Map<string, Doc>();
      for (const event of history) {
        for (const id of keysByHsm.handles(event)) {
          const next = keysByHsm.evolve(docs.get(id), event);
          if (next === undefined) docs.delete(id);
          else docs.set(id, deepFreeze(next));
        }
      }
      expect(docs).toEqual(expected);
    });

    it('continues from a model folded up to a position exactly as a full fold does', () => {
      const upTo4 = foldEvents(keysByHsm, history.slice(0, 4));
      expect(upTo4).toEqual(new Map([['hsm-a', { keys: ['k1', 'k2'] }]]));
      expect(foldEvents(keysByHsm, history.slice(4), upTo4)).toEqual(expected);
    });
  });

  describe('given an event that names the same doc twice', () => {
    it('applies the event to that doc once', () => {
      const twice: Projection = {
        name: 'twice',
        version: 1,
        handles: () => ['d', 'd'],
        evolve: (doc) => ({ n: ((doc?.n as number | undefined) ?? 0) + 1 }),
      };
      expect(foldEvents(twice, history.slice(0, 3))).toEqual(new Map([['d', { n: 3 }]]));
    });
  });
});
