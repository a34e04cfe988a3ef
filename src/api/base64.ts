import { registerDecorator, type ValidationOptions } from 'class-validator';

/** RFC 4648 §4 base64 with padding; canonical (the unused bits of the last group are zero). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64, or returns undefined: Node's own decoder silently skips bad characters. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** A strict base64 string of 1..`maxBytes` decoded bytes. */
export function IsStrictBase64(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isStrictBase64',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [maxBytes],
      options: {
        message: `$property must be standard base64 (RFC 4648, padded) of 1 to ${maxBytes} bytes`,
        ...options,
      },
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string' || value.length === 0 || value.length > Math.ceil(maxBytes / 3) * 4)
            return false;
          const bytes = decodeBase64Strict(value);
          return bytes !== undefined && bytes.length >= 1 && bytes.length <= maxBytes;
        },
      },
    });
}
