import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from './problem';
import { REF } from './dto/limits';

const SHA256 = /^[0-9a-fA-F]{64}$/;

function refuse(field: string, expectation: string): never {
  const message = `${field} must be ${expectation}`;
  throw new ValidationFailed(`the request path is invalid: ${message}`, [{ field, messages: [message] }]);
}

/** `{keyId}` in a path: the characters a stream id allows (src/domain/streams.ts). */
@Injectable()
export class KeyIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!REF.test(value)) refuse('keyId', 'a key id (letters, digits, . _ : -, at most 128)');
    return value;
  }
}

/** `{hsm}` in a path: an HSM id or name. */
@Injectable()
export class HsmRefPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!REF.test(value)) refuse('hsm', 'an HSM id or name (letters, digits, . _ : -, at most 128)');
    return value;
  }
}

/** `{sha256}` in a path: 64 hex characters, normalised to lower case. */
@Injectable()
export class Sha256Pipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SHA256.test(value)) refuse('sha256', '64 hex characters (SHA-256 of the blob)');
    return value.toLowerCase();
  }
}

/** `{id}` of an operator or an approval: the characters a stream id allows. */
@Injectable()
export class OperatorIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!REF.test(value)) refuse('id', 'an id (letters, digits, . _ : -, at most 128)');
    return value;
  }
}
