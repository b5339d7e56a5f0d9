import { hkdfSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

// Dashboard sessions travel as a JWT (HS256) in a cookie, signed with a key derived from TAIFA_SECRET by HKDF
// under a purpose of its own, so that no session signature can pass for a tracking or unsubscribe token, or the
// other way round. The header's `kid` names the secret (8 hex digits derived from it, not the key): while
// TAIFA_SECRET_PREVIOUS is set, sessions signed before the change keep working.

const SALT = 'taifa-mail dashboard sessions';
const ISSUER = 'taifa-mail';
const AUDIENCE = 'taifa-mail dashboard';
/** Longer is not one of ours (ours are about 300 characters): refused unread. */
const MAX_TOKEN_CHARS = 2048;

/** What a session token says: whose session it is, which one (the sessions row), and until when. */
export interface SessionClaims {
  userId: string;
  sessionId: string;
  /** Epoch milliseconds, whole seconds (a JWT's times are seconds). */
  expiresAt: number;
}

interface Key {
  id: string;
  bytes: Uint8Array;
}

function deriveKey(secret: string): Key {
  return {
    id: Buffer.from(hkdfSync('sha256', secret, SALT, 'key id v1', 4)).toString('hex'),
    bytes: new Uint8Array(hkdfSync('sha256', secret, SALT, 'hs256 v1', 32)),
  };
}

/** Signs and verifies dashboard session tokens. */
export class SessionTokens {
  private readonly keys: Key[];

  /** `previous`: the secret before TAIFA_SECRET was changed, whose sessions still verify while it is set. */
  constructor(secret: string, previous: string | null = null) {
    this.keys = [deriveKey(secret), ...(previous ? [deriveKey(previous)] : [])];
  }

  /** A token for a session, valid until `expiresAt` (epoch ms, rounded down to a second). */
  async sign(claims: SessionClaims, issuedAt = Date.now()): Promise<string> {
    const key = this.keys[0]!;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id })
      .setSubject(claims.userId)
      .setJti(claims.sessionId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt / 1000))
      .sign(key.bytes);
  }

  /** What a genuine, unexpired token says, or null for anything else (altered, expired, another key or kind). */
  async verify(token: string): Promise<SessionClaims | null> {
    if (token.length > MAX_TOKEN_CHARS) return null;
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = this.keys.find((k) => k.id === header.kid);
          if (!key) throw new Error('unknown key');
          return key.bytes;
        },
        { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['sub', 'jti', 'exp'] },
      );
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number')
        return null;
      return { userId: payload.sub, sessionId: payload.jti, expiresAt: payload.exp * 1000 };
    } catch {
      return null;
    }
  }
}
