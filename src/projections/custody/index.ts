/** The custody read side: pure projections run by the `ProjectionRunner` (docs/architecture.md §1). */
import type { Projection } from '../projection';
import { blobCurrencyProjection } from './blob-currency.projection';
import { hashsigStateProjection } from './hashsig-state.projection';
import { hsmCatalogProjection } from './hsm-catalog.projection';
import { kekDomainCatalogProjection } from './kek-domain-catalog.projection';
import { keyCatalogProjection } from './key-catalog.projection';
import { residencyProjection } from './residency.projection';

export { blobCurrencyProjection, type BlobCurrencyDoc } from './blob-currency.projection';
export { hashsigStateProjection, type HashsigStateDoc, type ReuseAlarm } from './hashsig-state.projection';
export { hsmCatalogProjection, type HsmCatalogDoc } from './hsm-catalog.projection';
export { kekDomainCatalogProjection, type KekDomainCatalogDoc } from './kek-domain-catalog.projection';
export { keyCatalogProjection, type KeyCatalogDoc, type KeyFacts } from './key-catalog.projection';
export { residencyProjection, type ResidencyDoc, type ResidentKey } from './residency.projection';

export const CUSTODY_PROJECTIONS: readonly Projection[] = [
  keyCatalogProjection,
  residencyProjection,
  blobCurrencyProjection,
  hashsigStateProjection,
  hsmCatalogProjection,
  kekDomainCatalogProjection,
];
