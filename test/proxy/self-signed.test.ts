import crypto from 'node:crypto';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../../src/proxy/tls/self-signed.js';

describe('self-signed certificate made at start', () => {
  // Serials whose first byte used to make a non-minimal or negative DER INTEGER: OpenSSL refused the
  // first with "illegal padding" and the endpoint did not start (seen once in CI, one start in 256).
  const awkward = [
    Buffer.from([0x00, 0x01, 2, 3, 4, 5, 6, 7]),
    Buffer.from([0x80, 0x00, 2, 3, 4, 5, 6, 7]),
    Buffer.from([0x00, 0x00, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  ];
  it.each(awkward.map((b) => [b.toString('hex'), b]))('serial %s gives a certificate OpenSSL loads', (_hex, serial) => {
    const { certPem, keyPem } = makeSelfSigned('rocketmq-ts', Date.now(), serial as Buffer);
    expect(() => tls.createSecureContext({ cert: certPem, key: keyPem })).not.toThrow();
    const x = new crypto.X509Certificate(certPem);
    expect(x.subject).toBe('CN=rocketmq-ts');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.serialNumber.length).toBe(16);
  });

  it('random serials: 300 starts in a row all load', () => {
    for (let i = 0; i < 300; i++) {
      const { certPem, keyPem } = makeSelfSigned();
      tls.createSecureContext({ cert: certPem, key: keyPem });
    }
  });
});
