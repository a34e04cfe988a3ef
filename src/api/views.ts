/** Port views to JSON: binary fields become base64 (issue 4 item 5); nothing else changes. */
import type { BlobView, KeyView, ObservedSignatureResult, SignResult } from '../app/custody/views';

/**
 * A list of keys as JSON text. Views are immutable values and the read side hands out the same
 * view until the key changes, so each key is serialized once: a list of 10,000 keys is mostly
 * text written before.
 */
const keyTexts = new WeakMap<KeyView, string>();

export function keyListJson(views: readonly KeyView[]): string {
  const parts = views.map((view) => {
    let text = keyTexts.get(view);
    if (text === undefined) keyTexts.set(view, (text = JSON.stringify(keyJson(view))));
    return text;
  });
  return `[${parts.join(',')}]`;
}

export function keyJson(view: KeyView): Record<string, unknown> {
  const { publicKey, publicKeyRfc8554, ...rest } = view;
  return {
    ...rest,
    publicKey: publicKey.toString('base64'),
    ...(publicKeyRfc8554 === undefined ? {} : { publicKeyRfc8554: publicKeyRfc8554.toString('base64') }),
  };
}

export function signJson(result: SignResult): Record<string, unknown> {
  return {
    signature: result.signature.toString('base64'),
    hsm: result.hsm,
    ...(result.q === undefined ? {} : { q: result.q }),
  };
}

export function blobJson(view: BlobView): Record<string, unknown> {
  return { sha256: view.sha256, keyId: view.keyId, status: view.status, blob: view.blob.toString('base64') };
}

export function observedSignatureJson(result: ObservedSignatureResult): Record<string, unknown> {
  return { ...result, indexPath: result.indexPath.map((l) => ({ q: l.q, I: l.I })) };
}
