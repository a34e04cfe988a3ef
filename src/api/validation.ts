import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { ValidationFailed } from './problem';

/**
 * Unknown properties are refused (not silently dropped); class-validator's messages name the
 * property and the constraint, never the value, so no PIN or blob is echoed. Also what the items
 * of a sign batch are validated with, one by one (src/api/sign-batch.controller.ts).
 */
export const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const satisfies ValidatorOptions;

/** Flattens nested class-validator errors into `field: messages` with dotted paths. */
export function fieldErrors(
  errors: readonly ValidationError[],
  parent = '',
): { field: string; messages: string[] }[] {
  const out: { field: string; messages: string[] }[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) out.push({ field, messages });
    if (error.children?.length) out.push(...fieldErrors(error.children, field));
  }
  return out;
}

/** Bodies are validated against their DTO (VALIDATOR_OPTIONS), and the 400 lists every field that is wrong. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = fieldErrors(errors);
      const detail =
        fields.length === 0
          ? 'the request body is invalid'
          : `the request body is invalid: ${fields.map((f) => f.messages.join(', ')).join('; ')}`;
      return new ValidationFailed(detail, fields);
    },
  });
}
