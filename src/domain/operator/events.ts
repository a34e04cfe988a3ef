import type { Event } from '../message';
import type { EnrolmentBasis } from './commands';
import type { Role } from './roles';

export type OperatorEnrolled = Event<
  'OperatorEnrolled',
  {
    readonly operatorId: string;
    readonly name: string;
    readonly role: Role;
    readonly tokenHash: string;
    readonly basis: EnrolmentBasis;
    readonly at: string;
  }
>;

export type OperatorRoleChanged = Event<
  'OperatorRoleChanged',
  {
    readonly operatorId: string;
    readonly from: Role;
    readonly to: Role;
    readonly basis: EnrolmentBasis;
    readonly at: string;
  }
>;

/** The old token stops working with this event. */
export type OperatorTokenRotated = Event<
  'OperatorTokenRotated',
  { readonly operatorId: string; readonly tokenHash: string; readonly at: string }
>;

export type OperatorRevoked = Event<'OperatorRevoked', { readonly operatorId: string; readonly at: string }>;

export type OperatorEvent = OperatorEnrolled | OperatorRoleChanged | OperatorTokenRotated | OperatorRevoked;

const TYPES: Readonly<Record<OperatorEvent['type'], true>> = {
  OperatorEnrolled: true,
  OperatorRoleChanged: true,
  OperatorTokenRotated: true,
  OperatorRevoked: true,
};

export function isOperatorEvent(event: { readonly type: string }): event is OperatorEvent {
  return Object.hasOwn(TYPES, event.type);
}
