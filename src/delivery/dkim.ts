import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

// mailauth's DKIM signer canonicalises and hashes (relaxed/relaxed, rsa-sha256); we only replace its
// last step. mailauth parses the PEM key for every message, which was a third of the delivery
// worker's CPU, so the key is parsed once per domain and the signature made with that KeyObject.
const require = createRequire(import.meta.url);

interface ParsedHeaders {
  parsed: unknown[];
}
interface SignatureData {
  privateKey: string;
  maxBodyLength: number | '';
  type?: string;
}
interface DkimSignerBase {
  headers: ParsedHeaders | null;
  headerList: string[] | undefined;
  signatureData: SignatureData[];
  bodyHashes: Map<string, { hash: string }>;
  signatureHeaders: string[];
  signTime: Date;
  expires: Date | undefined;
  errors: unknown[];
}
type DkimSignerClass = new (options: Record<string, unknown>) => DkimSignerBase & NodeJS.WritableStream;

const { DkimSigner } = require('mailauth/lib/dkim/dkim-signer.js') as { DkimSigner: DkimSignerClass };
const { getSigningHeaderLines, formatSignatureHeaderLine, writeToStream } = require('mailauth/lib/tools.js') as {
  getSigningHeaderLines: (parsed: unknown[], headerList: string[] | undefined) => unknown;
  formatSignatureHeaderLine: (type: string, opts: Record<string, unknown>, folded: boolean) => string;
  writeToStream: (stream: NodeJS.WritableStream, input: Buffer) => Promise<void>;
};
const { generateCanonicalizedHeader } = require('mailauth/lib/dkim/header/index.js') as {
  generateCanonicalizedHeader: (
    type: string,
    lines: unknown,
    opts: Record<string, unknown>,
  ) => { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
};

class KeyObjectSigner extends DkimSigner {
  constructor(
    options: Record<string, unknown>,
    private readonly key: KeyObject,
  ) {
    super(options);
  }

  async finalize(): Promise<void> {
    const data = this.signatureData[0]!;
    const lines = getSigningHeaderLines(this.headers!.parsed, this.headerList);
    const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', lines, {
      ...data,
      algorithm: 'rsa-sha256',
      canonicalization: 'relaxed/relaxed',
      signTime: this.signTime,
      expires: this.expires,
      bodyHash: this.bodyHashes.get(`relaxed:sha256:${data.maxBodyLength}`)?.hash ?? null,
    });
    // The RSA operation (the largest single cost of a delivery) runs on libuv's thread pool, beside the event loop.
    const signature = await new Promise<Buffer>((resolve, reject) =>
      sign('rsa-sha256', canonicalizedHeader, this.key, (error, s) => (error ? reject(error) : resolve(s))),
    );
    dkimHeaderOpts.b = signature.toString('base64');
    this.signatureHeaders.push(formatSignatureHeaderLine('DKIM', dkimHeaderOpts, true));
  }
}

/** A domain's signing key, parsed once. */
export interface DkimKey {
  domain: string;
  selector: string;
  pem: string;
  key: KeyObject;
}

/** Parses a domain's PEM private key for signing. */
export function dkimKey(domain: string, selector: string, pem: string): DkimKey {
  return { domain, selector, pem, key: createPrivateKey(pem) };
}

/** The DKIM-Signature header (relaxed/relaxed, rsa-sha256) for a message, ending in CRLF. */
export async function dkimSignature(message: Buffer, k: DkimKey): Promise<string> {
  const signer = new KeyObjectSigner(
    {
      canonicalization: 'relaxed/relaxed',
      algorithm: 'rsa-sha256',
      signTime: new Date(),
      signatureData: [
        {
          signingDomain: k.domain,
          selector: k.selector,
          privateKey: k.pem,
          algorithm: 'rsa-sha256',
          canonicalization: 'relaxed/relaxed',
        },
      ],
    },
    k.key,
  );
  await writeToStream(signer, message);
  if (signer.errors.length || signer.signatureHeaders.length === 0)
    throw new Error(`DKIM signing failed: ${JSON.stringify(signer.errors).slice(0, 300)}`);
  return signer.signatureHeaders.join('\r\n') + '\r\n';
}
