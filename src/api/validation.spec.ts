/**
 * What a 400 `validation-failed` lists for each field (src/api/validation.ts): a missing field once,
 * as required and what it must be; a wrong one with each of its messages, never one twice.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import * as backup from './dto/backup.dto';
import * as blob from './dto/blob.dto';
import * as hsm from './dto/hsm.dto';
import * as key from './dto/key.dto';
import * as operators from './dto/operator.dto';
import * as signBatch from './dto/sign-batch.dto';
import { VALIDATOR_OPTIONS, fieldErrors } from './validation';

const errorsOf = (dto: new () => object, body: object) =>
  fieldErrors(validateSync(plainToInstance(dto, body), VALIDATOR_OPTIONS));

/** Every request body class: the exported `…Dto` classes of the DTO files. */
const BODIES = Object.entries<unknown>({
  ...backup,
  ...blob,
  ...hsm,
  ...key,
  ...operators,
  ...signBatch,
}).filter(
  (entry): entry is [string, new () => object] => entry[0].endsWith('Dto') && typeof entry[1] === 'function',
);

describe('fieldErrors', () => {
  it('finds the body classes', () => {
    expect(BODIES.map(([name]) => name)).toEqual(
      expect.arrayContaining(['SignBatchDto', 'PrefetchDto', 'RegisterHsmDto', 'PolicyDto']),
    );
  });

  describe.each(BODIES)('an empty %s', (_name, dto) => {
    it('names each missing field once, as required and what it must be', () => {
      for (const { field, messages } of errorsOf(dto, {}))
        expect({ field, messages }).toEqual({
          field,
          messages: [expect.stringMatching(new RegExp(`^${field} is required: \\S`))],
        });
    });
  });

  it.each([
    ['SignBatchDto', {}, 'items', ['items is required: an array of 1 to 256 {keyId, data}']],
    ['SignBatchDto', { items: null }, 'items', ['items is required: an array of 1 to 256 {keyId, data}']],
    ['SignBatchDto', { items: [] }, 'items', ['items must hold 1 to 256 items']],
    ['SignBatchDto', { items: 'x' }, 'items', ['items must hold 1 to 256 items', 'items must be an array']],
    ['PrefetchDto', {}, 'keyIds', ['keyIds is required: an array of 1 to 256 key ids']],
    ['PrefetchDto', { keyIds: [] }, 'keyIds', ['keyIds must hold 1 to 256 key ids']],
    [
      'BackupExportDto',
      { hsm: 'hsm-a', setup: '{}', keyIds: [] },
      'keyIds',
      ['keyIds must hold 1 to 4096 key ids'],
    ],
    [
      'RegisterHsmDto',
      { name: 'hsm-c', endpoint: 'unix:/x' },
      'pin',
      ["pin is required: the HSM's user PIN, 4 to 4096 characters"],
    ],
  ] as const)('%s %j: %s says %j', (name, body, field, messages) => {
    expect(errorsOf(Object.fromEntries(BODIES)[name]!, body)).toEqual([{ field, messages }]);
  });

  it('keeps every distinct message of a wrong value, each once', () => {
    expect(errorsOf(hsm.RegisterHsmDto, { name: 'hsm-c', endpoint: 'unix:/x', pin: 7 })).toEqual([
      {
        field: 'pin',
        messages: [
          'pin must be shorter than or equal to 4096 characters',
          'pin must be longer than or equal to 4 characters',
          'pin must be a string',
        ],
      },
    ]);
  });
});
