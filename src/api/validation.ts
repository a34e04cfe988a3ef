import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed } from './problem';

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

/**
 * Bodies are validated against their DTO: unknown properties are refused (not silently dropped),
 * and the 400 lists every field that is wrong. class-validator's messages name the property and
 * the constraint, never the value, so no PIN or blob is echoed.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
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
