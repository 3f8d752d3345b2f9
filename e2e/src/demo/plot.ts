/**
 * `demo-out/rounds.svg` and the terminal progress bar, as pure functions of the demo summary
 * and status. The SVG is written by hand (a few dozen elements) so it needs no library and
 * nothing from a CDN: accuracy and loss per round on the left, per-digit held-out recall bars
 * on the right.
 */
import type { DemoSummary } from './report.js';

const W = 900;
const H = 360;
const PAD = { l: 50, r: 20, t: 40, b: 40 };
const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (x: number): string => x.toFixed(1);

function lineChart(rounds: DemoSummary['roundMetrics'], x0: number, w: number): string[] {
  const h = H - PAD.t - PAD.b;
  const last = Math.max(1, rounds.length);
  const xs = (i: number): number => x0 + (rounds.length <= 1 ? w / 2 : (i / (last - 1)) * w);
  const series = (key: string, max: number): { x: number; y: number }[] =>
    rounds.flatMap((r, i) => {
      const v = r.metrics?.[key];
      return v === undefined || !Number.isFinite(v)
        ? []
        : [{ x: xs(i), y: PAD.t + h - (Math.min(v, max) / max) * h }];
    });
  const maxLoss = Math.max(1e-9, ...rounds.map((r) => r.metrics?.loss ?? 0));
  const out = [
    `<rect x="${x0}" y="${PAD.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    `<text x="${x0}" y="${PAD.t - 12}" font-size="14">Accuracy (blue, 0–1) and loss (orange, 0–${esc(maxLoss.toFixed(2))}) per round</text>`,
  ];
  for (const [key, max, colour] of [
    ['accuracy', 1, '#1f77b4'],
    ['loss', maxLoss, '#ff7f0e'],
  ] as const) {
    const pts = series(key, max);
    if (pts.length === 0) continue;
    out.push(
      `<polyline class="${key}" fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}"/>`,
    );
    for (const p of pts) out.push(`<circle cx="${n(p.x)}" cy="${n(p.y)}" r="3" fill="${colour}"/>`);
  }
  rounds.forEach((r, i) =>
    out.push(
      `<text x="${n(xs(i))}" y="${H - PAD.b + 16}" font-size="11" text-anchor="middle">${r.round}</text>`,
    ),
  );
  out.push(`<text x="${x0 + w / 2}" y="${H - 6}" font-size="12" text-anchor="middle">round</text>`);
  return out;
}

function recallBars(recall: DemoSummary['perClassAccuracy'], x0: number, w: number): string[] {
  const h = H - PAD.t - PAD.b;
  const bw = w / recall.length;
  const out = [
    `<rect x="${x0}" y="${PAD.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    `<text x="${x0}" y="${PAD.t - 12}" font-size="14">Held-out recall per digit</text>`,
  ];
  recall.forEach((v, d) => {
    const bh = v === null ? 0 : Math.max(0, Math.min(1, v)) * h;
    out.push(
      `<rect class="recall" data-digit="${d}" x="${n(x0 + d * bw + 3)}" y="${n(PAD.t + h - bh)}" width="${n(bw - 6)}" height="${n(bh)}" fill="#2ca02c"/>`,
      `<text x="${n(x0 + d * bw + bw / 2)}" y="${H - PAD.b + 16}" font-size="11" text-anchor="middle">${d}</text>`,
    );
    if (v !== null)
      out.push(
        `<text x="${n(x0 + d * bw + bw / 2)}" y="${n(PAD.t + h - bh - 3)}" font-size="9" text-anchor="middle">${v.toFixed(2)}</text>`,
      );
  });
  return out;
}

export function roundsSvg(d: DemoSummary): string {
  const half = (W - PAD.l - PAD.r) / 2 - 20;
  const acc = d.accuracy === null ? 'not evaluated' : d.accuracy.toFixed(3);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<title>${esc(`Federated training: ${d.rounds} rounds on ${d.clusters.length} clusters, held-out accuracy ${acc}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    ...lineChart(d.roundMetrics, PAD.l, half),
    ...recallBars(d.perClassAccuracy, PAD.l + half + 40, half),
    '</svg>',
    '',
  ].join('\n');
}

/** `[#####-----] 5/10  ETA 42s`: the mean time per finished round times the rounds left. */
export function progressBar(done: number, total: number, elapsedSeconds: number, width = 20): string {
  const t = Math.max(1, total);
  const k = Math.max(0, Math.min(done, t));
  const filled = Math.round((k / t) * width);
  const eta = k === 0 ? '?' : k >= t ? '0s' : `${Math.round((elapsedSeconds / k) * (t - k))}s`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${k}/${t}  ETA ${eta}`;
}
