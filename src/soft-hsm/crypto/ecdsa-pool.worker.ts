/**
 * The ECDSA nonce worker of EcdsaNoncePool: answers each batch request with its precomputed
 * (r, k⁻¹) tuples and wipes the seed bytes it was sent.
 */
import { parentPort } from 'node:worker_threads';
import type { NonceBatchRequest } from './ecdsa-pool';
import { precomputeNonces } from './ecdsa';

const port = parentPort;
if (!port) throw new Error('ecdsa-pool.worker runs as a worker thread only');

port.on('message', (request: NonceBatchRequest) => {
  try {
    port.postMessage(precomputeNonces(request.curve, request.key, request.batch, request.seeds));
  } finally {
    request.seeds.fill(0);
    request.key.fill(0);
  }
});
