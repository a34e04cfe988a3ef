/** The read side of operators and approvals (docs/architecture.md §5). */
import type { Projection } from '../projection';
import { approvalCatalogProjection } from './approval-catalog.projection';
import { operatorCatalogProjection } from './operator-catalog.projection';

export { approvalCatalogProjection, type ApprovalCatalogDoc } from './approval-catalog.projection';
export { operatorCatalogProjection, type OperatorCatalogDoc } from './operator-catalog.projection';

export const OPERATOR_PROJECTIONS: readonly Projection[] = [
  operatorCatalogProjection,
  approvalCatalogProjection,
];
