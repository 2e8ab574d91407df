// Micro-benchmark of the remoting codecs on the send hot path: decode a SEND_MESSAGE_V2 request
// frame (binary header, as the official benchmark sends it) and encode its response.
// Usage: npm run build && node bench/codec-micro.mjs
import { encodeFrameToBuffer, encodeFrame, decodeFrameContent } from '../dist/remoting/frame.js';
import { parseSendHeader } from '../dist/codec/send-header.js';

const props = 'UNIQ_KEY\u0001C0A8000100002A9F00000000000000000001\u0002WAIT\u0001true\u0002TAGS\u0001TagA';
const request = {
  code: 310, language: 'JAVA', version: 409, opaque: 12345, flag: 0, serializeType: 1,
  extFields: { a: 'benchmark_producer', b: 'BenchmarkTest', c: 'TBW102', d: '4', e: '3', f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', l: '16', m: 'false', n: 'broker-a' },
  body: Buffer.alloc(128, 7),
};
const response = {
  code: 0, language: 'JAVA', version: 409, opaque: 12345, flag: 1, serializeType: 1,
  extFields: { MSG_REGION: 'DefaultRegion', TRACE_ON: 'true', msgId: '7F00000100002A9F0000000000123456', queueId: '3', queueOffset: '123456' },
};
const frame = encodeFrameToBuffer(request).subarray(4);

function time(name, n, fn) {
  for (let i = 0; i < n / 10; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns/op`);
}

const N = 300_000;
time('decode request frame (binary)', N, () => decodeFrameContent(frame));
time('decode + parseSendHeader', N, () => parseSendHeader(decodeFrameContent(frame)));
time('encode response frame (binary)', N, () => encodeFrame(response));
time('encode response frame (JSON)', N, () => encodeFrame({ ...response, serializeType: 0 }));
