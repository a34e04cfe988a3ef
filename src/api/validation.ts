import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { IsDefined, type ValidatorOptions } from 'class-validator';
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

/**
 * A field the body must have, and what it must be: a body without it (or with null) is told so in
 * one message, "items is required: an array of 1 to 256 {keyId, data}", rather than by every check
 * its other decorators make of a missing value (see `fieldErrors`).
 */
export function Required(what: string): PropertyDecorator {
  return IsDefined({ message: `$property is required: ${what}` });
}

/**
 * Flattens nested class-validator errors into `field: messages` with dotted paths. A missing field
 * (its `Required` check failed; the value itself is not kept, VALIDATOR_OPTIONS) gets that message
 * alone, and a message two checks share (one message for a minimum and a maximum) is listed once.
 */
export function fieldErrors(
  errors: readonly ValidationError[],
  parent = '',
): { field: string; messages: string[] }[] {
  const out: { field: string; messages: string[] }[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const constraints = error.constraints ?? {};
    const required = constraints.isDefined;
    const messages = required === undefined ? [...new Set(Object.values(constraints))] : [required];
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
