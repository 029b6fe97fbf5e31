/**
 * HMAC-SHA256 as lowercase hex, for request signing (the engine's WebSocket order entry) and
 * signature checks (the simulator's wire layer).
 *
 * By its definition, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with the two padded keys prepared once per
 * secret and two one-shot `crypto.hash` calls per message: no node:crypto `Hmac` object per
 * message (each is a native handle the GC has to finalise, and an `Hmac` is single-use, so a
 * reused `KeyObject` still meant one per message). The inner pad is kept as a string so the message
 * is hashed without a copy into a buffer; that needs every byte of K ⊕ 0x36 to be ASCII, so secrets
 * that are not ASCII, or longer than the 64-byte block (HMAC hashes those first), keep `createHmac`
 * with a prepared `KeyObject`. The outer buffer is reused: `hash` is synchronous. A property test
 * (`test/unit/common/hmac.test.ts`) compares both paths with `createHmac` on random secrets and
 * UTF-8 messages.
 */
import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

/** The HMAC-SHA256 signer of one secret. */
export class HmacSha256 {
  private readonly inner: string | undefined;
  private readonly outer: Buffer | undefined;
  private readonly key: KeyObject | undefined;

  constructor(secret: string) {
    const k = Buffer.from(secret, 'utf8');
    if (k.length <= 64 && k.every((b) => b < 0x80)) {
      let inner = '';
      const outer = Buffer.alloc(96);
      for (let i = 0; i < 64; i++) {
        const b = i < k.length ? k[i]! : 0;
        inner += String.fromCharCode(b ^ 0x36);
        outer[i] = b ^ 0x5c;
      }
      this.inner = inner;
      this.outer = outer;
    } else {
      this.key = createSecretKey(k);
    }
  }

  /** Lowercase hex HMAC-SHA256 of `message` (UTF-8). */
  hex(message: string): string {
    const outer = this.outer;
    if (outer === undefined) return createHmac('sha256', this.key!).update(message).digest('hex');
    hash('sha256', this.inner + message, 'buffer').copy(outer, 64);
    return hash('sha256', outer, 'hex');
  }
}
