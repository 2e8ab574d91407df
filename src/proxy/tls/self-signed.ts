/**
 * A self-signed certificate made at start, for TLS without configured certificate files: what the
 * Apache proxy does in tls.test.mode.enable (Netty's SelfSignedCertificate), so the SDKs that dial TLS
 * by default (Java rocketmq-client-java: sslEnabled=true; Go golang/v5: always) connect to an endpoint
 * nobody gave a certificate. They do not verify it (InsecureTrustManagerFactory, InsecureSkipVerify);
 * nobody else should trust it either. An EC P-256 key, an X.509 v1 certificate (CN=rocketmq-ts, valid one
 * year), DER written here because Node's crypto signs but does not build certificates.
 */
import crypto from 'node:crypto';

const OID_ECDSA_SHA256 = Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const OID_COMMON_NAME = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const VALIDITY_MS = 365 * 24 * 3600_000;

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...parts: Buffer[]): Buffer => der(0x30, ...parts);

function utcTime(ms: number): Buffer {
  const d = new Date(ms);
  const p = (v: number): string => String(v).padStart(2, '0');
  const text = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(text, 'ascii'));
}

function name(cn: string): Buffer {
  return seq(der(0x31, seq(OID_COMMON_NAME, der(0x0c, Buffer.from(cn, 'utf8')))));
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

export function makeSelfSigned(
  commonName = 'rocketmq-ts',
  nowMs = Date.now(),
  serial: Buffer = crypto.randomBytes(8),
): SelfSigned {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // DER wants a positive INTEGER in its fewest bytes: top bit clear (else it reads negative) and first
  // byte not zero (else the zero is padding OpenSSL refuses: "illegal padding", one start in 256).
  const sn = Buffer.from(serial);
  sn[0] = (sn[0] & 0x7f) | 0x01;
  const algorithm = seq(OID_ECDSA_SHA256);
  const tbs = seq(
    der(0x02, sn),
    algorithm,
    name(commonName),
    seq(utcTime(nowMs - 3600_000), utcTime(nowMs + VALIDITY_MS)),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const cert = seq(tbs, algorithm, der(0x03, Buffer.from([0]), signature));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
