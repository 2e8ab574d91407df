/**
 * Reads the Prometheus text exposition format (what a /metrics endpoint prints) into families: each
 * `# TYPE` name with its type and the label keys (and values) its samples carry. Used to compare our
 * exporter's names, types and labels with the Apache 5.3.3 broker's. No vitest imports.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  /** Label keys seen on the family's samples (without `le`, which only histogram buckets carry), sorted. */
  labelKeys: string[];
  /** Sample names printed for the family (name + unit + _bucket/_sum/_count), sorted. */
  sampleNames: string[];
  samples: PromSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  return out;
}

/**
 * The family a sample line belongs to: the longest `# TYPE` name the sample name starts with. Samples
 * add _bucket/_sum/_count (histograms) and, from the OpenTelemetry exporter, a unit (`_milliseconds`,
 * `_bytes`) the TYPE line does not carry.
 */
function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  let best: PromFamily | undefined;
  for (const f of families.values()) {
    if (sample.startsWith(`${f.name}_`) && (!best || f.name.length > best.name.length)) best = f;
  }
  return best;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const help = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      help.set(name, sp < 0 ? '' : rest.slice(sp + 1));
      // The OpenTelemetry exporter prints # TYPE before # HELP.
      const f = families.get(name);
      if (f) f.help = help.get(name)!;
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(/\s+/);
      families.set(name, { name, type, help: help.get(name) ?? '', labelKeys: [], sampleNames: [], samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = m[3] ? parseLabels(m[3]) : {};
    let fam = familyOf(m[1], families);
    if (!fam) {
      fam = { name: m[1], type: 'untyped', help: '', labelKeys: [], sampleNames: [], samples: [] };
      families.set(m[1], fam);
    }
    fam.samples.push({ name: m[1], labels, value: Number(m[4]) });
    for (const k of Object.keys(labels)) if (k !== 'le' && !fam.labelKeys.includes(k)) fam.labelKeys.push(k);
    if (!fam.sampleNames.includes(m[1])) fam.sampleNames.push(m[1]);
  }
  for (const f of families.values()) {
    f.labelKeys.sort();
    f.sampleNames.sort();
  }
  return families;
}

/** One line per family: `name type sample names label keys`; what the fixture keeps and the tests diff. */
export function familySignature(f: PromFamily): string {
  return `${f.name} ${f.type} [${f.sampleNames.join(' ')}] ${f.labelKeys.join(',')}`;
}

/** The families of several scrapes together (a family seen in any; label keys and sample names merged). */
export function mergeFamilies(scrapes: Array<Map<string, PromFamily>>): Map<string, PromFamily> {
  const out = new Map<string, PromFamily>();
  for (const fams of scrapes) {
    for (const f of fams.values()) {
      const m = out.get(f.name);
      if (!m) {
        out.set(f.name, { ...f, labelKeys: [...f.labelKeys], sampleNames: [...f.sampleNames], samples: [...f.samples] });
        continue;
      }
      for (const k of f.labelKeys) if (!m.labelKeys.includes(k)) m.labelKeys.push(k);
      for (const n of f.sampleNames) if (!m.sampleNames.includes(n)) m.sampleNames.push(n);
      m.labelKeys.sort();
      m.sampleNames.sort();
    }
  }
  return out;
}

/** Sum of a family's sample values whose labels include `match` (sample names as printed, e.g. x_total). */
export function sumSamples(families: Map<string, PromFamily>, sample: string, match: Record<string, string> = {}): number {
  const f = familyOf(sample, families);
  if (!f) return 0;
  let sum = 0;
  for (const s of f.samples) {
    if (s.name !== sample) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
