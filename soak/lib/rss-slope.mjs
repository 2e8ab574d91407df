/**
 * The soak's memory verdict: how fast the server's resident memory grows while the load runs.
 *
 * Every SIGKILL starts a fresh process, whose RSS starts low and climbs while the heap, JIT code and caches
 * fill: one least-squares line through the whole run would fit that saw-tooth, not a leak. So the samples are
 * split into segments (one per server process, between kills), each segment's first `warmupSec` (capped at half
 * the segment, so short tries keep samples) is left out, and the slope is the pooled within-segment estimate:
 * every segment gets its own intercept, all share one slope,
 *   slope = Σ_seg Σ (t - t̄_seg)(y - ȳ_seg) / Σ_seg Σ (t - t̄_seg)²,
 * i.e. the growth per hour of a process that has warmed up, using every such sample, with its standard error
 * (residuals around the per-segment lines: GC saw-tooth is most of it). A leak shows as a positive slope in
 * every segment (perSegment lists them); a one-off step in one only.
 *
 * Besides, each segment's median RSS after warm-up, and the least-squares trend of those medians over the
 * run (per hour of run time): processes restarted later carry a larger store, so memory that grows with the
 * store (or anything carried across restarts) shows there rather than within a segment.
 */

const round1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);

function line(points) {
  const n = points.length;
  const xm = points.reduce((a, p) => a + p.x, 0) / n;
  const ym = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - xm) * (p.y - ym);
    sxx += (p.x - xm) ** 2;
  }
  return { n, xm, ym, sxy, sxx };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Pooled slope and its standard error over segments' (x, y) point sets. */
function pooled(sets) {
  const fits = sets.map(line);
  const sxy = fits.reduce((a, f) => a + f.sxy, 0);
  const sxx = fits.reduce((a, f) => a + f.sxx, 0);
  if (sxx <= 0) return { slope: null, stdErr: null };
  const slope = sxy / sxx;
  let rss = 0;
  let n = 0;
  sets.forEach((pts, i) => {
    for (const p of pts) rss += (p.y - fits[i].ym - slope * (p.x - fits[i].xm)) ** 2;
    n += pts.length;
  });
  const dof = n - sets.length - 1;
  return { slope, stdErr: dof > 0 ? Math.sqrt(rss / dof / sxx) : null };
}

/**
 * @param {Array<{t:number, segment:number, sinceStart:number, rssKib:number, anonKib:number}>} samples the load phase's samples
 * @param {number} warmupSec
 */
export function analyzeRss(samples, warmupSec) {
  const bySegment = new Map();
  for (const s of samples) {
    if (!bySegment.has(s.segment)) bySegment.set(s.segment, []);
    bySegment.get(s.segment).push(s);
  }
  const sets = { rss: [], anon: [] };
  const perSegment = [];
  const medians = [];
  let used = 0;
  for (const [segment, all] of bySegment) {
    const lengthSec = Math.max(...all.map((s) => s.sinceStart));
    const warm = Math.min(warmupSec, lengthSec / 2);
    const kept = all.filter((s) => s.sinceStart >= warm);
    const out = {
      segment,
      fromSec: Math.round(all[0].t),
      samples: all.length,
      used: kept.length,
      warmupSec: Math.round(warm),
      minMiB: round1(Math.min(...all.map((s) => s.rssKib)) / 1024),
      maxMiB: round1(Math.max(...all.map((s) => s.rssKib)) / 1024),
      medianAfterWarmupMiB: kept.length ? round1(median(kept.map((s) => s.rssKib)) / 1024) : null,
      slopeMiBPerHour: null,
      anonSlopeMiBPerHour: null,
    };
    if (kept.length >= 3) {
      used += kept.length;
      const rss = kept.map((p) => ({ x: p.sinceStart / 3600, y: p.rssKib / 1024 }));
      const anon = kept.map((p) => ({ x: p.sinceStart / 3600, y: p.anonKib / 1024 }));
      sets.rss.push(rss);
      sets.anon.push(anon);
      const fr = line(rss);
      const fa = line(anon);
      if (fr.sxx > 0) out.slopeMiBPerHour = round1(fr.sxy / fr.sxx);
      if (fa.sxx > 0) out.anonSlopeMiBPerHour = round1(fa.sxy / fa.sxx);
      medians.push({ x: median(kept.map((s) => s.t)) / 3600, y: out.medianAfterWarmupMiB });
    }
    perSegment.push(out);
  }
  const rss = pooled(sets.rss);
  const anon = pooled(sets.anon);
  const across = medians.length >= 2 ? line(medians) : null;
  const rssAll = samples.map((s) => s.rssKib / 1024);
  return {
    method: 'pooled within-segment least squares (one intercept per server process, one common slope), warm-up left out',
    warmupSec,
    samples: samples.length,
    usedSamples: used,
    slopeMiBPerHour: round1(rss.slope),
    slopeStdErrMiBPerHour: round1(rss.stdErr),
    anonSlopeMiBPerHour: round1(anon.slope),
    anonSlopeStdErrMiBPerHour: round1(anon.stdErr),
    acrossSegmentsMiBPerHour: across && across.sxx > 0 ? round1(across.sxy / across.sxx) : null,
    minMiB: rssAll.length ? round1(Math.min(...rssAll)) : null,
    maxMiB: rssAll.length ? round1(Math.max(...rssAll)) : null,
    perSegment,
  };
}
