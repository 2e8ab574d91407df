/**
 * The soak's memory verdict: how fast the server's resident memory grows while the load runs.
 *
 * Every SIGKILL starts a fresh process, whose RSS starts low and climbs while the heap, JIT code and caches
 * fill: one least-squares line through the whole run would fit that saw-tooth, not a leak. So the samples are
 * split into segments (one per server process, between kills), each segment's first `warmupSec` (capped at half
 * the segment, so short tries keep samples) is left out, and the slope is the pooled within-segment estimate:
 * every segment gets its own intercept, all share one slope,
 *   slope = Σ_seg Σ (t - t̄_seg)(y - ȳ_seg) / Σ_seg Σ (t - t̄_seg)²,
 * i.e. the growth per hour of a process that has warmed up, using every such sample. A leak shows as a
 * positive slope in every segment (perSegment lists them); a one-off step shows in one only.
 */

/** Least-squares sums of one segment's (hours, MiB) points. */
function sums(points) {
  const n = points.length;
  const tm = points.reduce((a, p) => a + p.x, 0) / n;
  const ym = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - tm) * (p.y - ym);
    sxx += (p.x - tm) ** 2;
  }
  return { sxy, sxx };
}

const round1 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);

/**
 * @param {Array<{segment:number, sinceStart:number, rssKib:number, anonKib:number}>} samples the load phase's samples
 * @param {number} warmupSec
 */
export function analyzeRss(samples, warmupSec) {
  const bySegment = new Map();
  for (const s of samples) {
    if (!bySegment.has(s.segment)) bySegment.set(s.segment, []);
    bySegment.get(s.segment).push(s);
  }
  const pooled = { rss: { sxy: 0, sxx: 0 }, anon: { sxy: 0, sxx: 0 } };
  const perSegment = [];
  let used = 0;
  for (const [segment, all] of bySegment) {
    const lengthSec = Math.max(...all.map((s) => s.sinceStart));
    const warm = Math.min(warmupSec, lengthSec / 2);
    const kept = all.filter((s) => s.sinceStart >= warm);
    const out = {
      segment,
      samples: all.length,
      used: kept.length,
      warmupSec: Math.round(warm),
      minMiB: round1(Math.min(...all.map((s) => s.rssKib)) / 1024),
      maxMiB: round1(Math.max(...all.map((s) => s.rssKib)) / 1024),
      lastMiB: round1(all.at(-1).rssKib / 1024),
      slopeMiBPerHour: null,
      anonSlopeMiBPerHour: null,
    };
    if (kept.length >= 3) {
      used += kept.length;
      for (const [key, field] of [['rss', 'rssKib'], ['anon', 'anonKib']]) {
        const s = sums(kept.map((p) => ({ x: p.sinceStart / 3600, y: p[field] / 1024 })));
        pooled[key].sxy += s.sxy;
        pooled[key].sxx += s.sxx;
        if (s.sxx > 0) out[key === 'rss' ? 'slopeMiBPerHour' : 'anonSlopeMiBPerHour'] = round1(s.sxy / s.sxx);
      }
    }
    perSegment.push(out);
  }
  const rssAll = samples.map((s) => s.rssKib / 1024);
  return {
    method: 'pooled within-segment least squares (one intercept per server process, one common slope), warm-up left out',
    warmupSec,
    samples: samples.length,
    usedSamples: used,
    slopeMiBPerHour: pooled.rss.sxx > 0 ? round1(pooled.rss.sxy / pooled.rss.sxx) : null,
    anonSlopeMiBPerHour: pooled.anon.sxx > 0 ? round1(pooled.anon.sxy / pooled.anon.sxx) : null,
    minMiB: rssAll.length ? round1(Math.min(...rssAll)) : null,
    maxMiB: rssAll.length ? round1(Math.max(...rssAll)) : null,
    perSegment,
  };
}
