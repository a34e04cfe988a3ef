/** The custody read side (issue 4 item 4): pure projections run by the `ProjectionRunner`. */
import type { Projection } from '../projection';
import { blobCurrencyProjection } from './blob-currency.projection';
import { hashsigStateProjection } from './hashsig-state.projection';
import { keyCatalogProjection } from './key-catalog.projection';
import { residencyProjection } from './residency.projection';

export { blobCurrencyProjection, type BlobCurrencyDoc } from './blob-currency.projection';
export { hashsigStateProjection, type HashsigStateDoc, type ReuseAlarm } from './hashsig-state.projection';
export { keyCatalogProjection, type KeyCatalogDoc } from './key-catalog.projection';
export { residencyProjection, type ResidencyDoc, type ResidentKey } from './residency.projection';

export const CUSTODY_PROJECTIONS: readonly Projection[] = [
  keyCatalogProjection,
  residencyProjection,
  blobCurrencyProjection,
  hashsigStateProjection,
];
