// A small SVG bar chart of what a compare benchmark measured (`--svg FILE` on bench:http, bench:tcp:compare,
// bench:udp:compare, bench:pool): one section per mode (plain / pipelined, pipeline depth, case), one horizontal bar
// per server at its median, a whisker from the min to the max over rounds, and the median written at the bar's end.
// Every section shares one scale, so bars of different modes compare by length. No dependency: plain SVG 1.1 text.

import { writeFileSync } from "node:fs";
import type { Spread } from "./stats.ts";

export interface ChartBar {
  label: string;
  value: Spread;
}

export interface ChartGroup {
  title: string;
  bars: ChartBar[];
}

export interface ChartSpec {
  title: string;
  /** What the bars measure, e.g. "requests per server-CPU-second". */
  unit: string;
  groups: ChartGroup[];
  /** A line under the chart: rounds, machine, date. */
  note?: string;
}

const WIDTH = 720;
const LABEL_W = 150;
const VALUE_W = 90;
const PLOT_W = WIDTH - LABEL_W - VALUE_W - 20;
const ROW_H = 24;
const BAR_H = 14;
const GROUP_GAP = 10;
const TITLE_H = 44;
const AXIS_H = 34;
const PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#4a5568"];

/** XML text and attribute escaping. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** 1, 2 or 5 × 10^k: a step that puts about `n` ticks on [0, max]. */
export function niceStep(max: number, n = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** 1234567 → "1.23 M", 45600 → "45.6 k". */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)} M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)} k`;
  return `${+v.toPrecision(3)}`;
}

const fin = (n: number): number => (Number.isFinite(n) ? n : 0);
const px = (n: number): string => (Math.round(n * 10) / 10).toString();

/**
 * The chart as SVG text. Within a group, bars are ordered by median, highest first; a server keeps its colour
 * across groups (colours follow the order servers first appear in).
 */
export function svgChart(spec: ChartSpec): string {
  const groups = spec.groups.map((g) => ({ title: g.title, bars: [...g.bars].sort((a, b) => fin(b.value.median) - fin(a.value.median)) }));
  const colours = new Map<string, string>();
  for (const g of spec.groups) for (const b of g.bars) if (!colours.has(b.label)) colours.set(b.label, PALETTE[colours.size % PALETTE.length]!);
  let max = 0;
  for (const g of groups) for (const b of g.bars) max = Math.max(max, fin(b.value.max), fin(b.value.median));
  const step = niceStep(max);
  const top = max > 0 ? Math.ceil(max / step) * step : 1;
  const x = (v: number) => LABEL_W + (Math.max(0, fin(v)) / top) * PLOT_W;

  const body: string[] = [];
  let y = TITLE_H;
  for (const g of groups) {
    body.push(`<text class="group" x="10" y="${px(y + 14)}">${escapeXml(g.title)}</text>`);
    y += ROW_H;
    for (const b of g.bars) {
      const mid = y + ROW_H / 2;
      const v = b.value;
      body.push(
        `<g class="bar" data-label="${escapeXml(b.label)}" data-median="${fin(v.median)}" data-min="${fin(v.min)}" data-max="${fin(v.max)}">`,
        `<text class="label" x="${LABEL_W - 8}" y="${px(mid + 4)}" text-anchor="end">${escapeXml(b.label)}</text>`,
        `<rect x="${LABEL_W}" y="${px(mid - BAR_H / 2)}" width="${px(x(v.median) - LABEL_W)}" height="${BAR_H}" fill="${colours.get(b.label)}"/>`,
      );
      if (Number.isFinite(v.min) && Number.isFinite(v.max)) {
        const x0 = px(x(v.min));
        const x1 = px(x(v.max));
        body.push(
          `<path class="range" d="M${x0} ${px(mid)}H${x1}M${x0} ${px(mid - 5)}V${px(mid + 5)}M${x1} ${px(mid - 5)}V${px(mid + 5)}" stroke="#1a202c" stroke-width="1.5" fill="none"/>`,
        );
      }
      body.push(`<text class="value" x="${px(Math.max(x(v.max), x(v.median)) + 6)}" y="${px(mid + 4)}">${shortNumber(fin(v.median))}</text>`, `</g>`);
      y += ROW_H;
    }
    y += GROUP_GAP;
  }
  const plotBottom = y;
  const grid: string[] = [];
  for (let t = 0; t <= top + step / 2; t += step) {
    const gx = px(x(t));
    grid.push(`<line x1="${gx}" y1="${TITLE_H}" x2="${gx}" y2="${px(plotBottom)}" stroke="#e2e8f0"/>`);
    grid.push(`<text class="tick" x="${gx}" y="${px(plotBottom + 14)}" text-anchor="middle">${shortNumber(t)}</text>`);
  }
  const height = plotBottom + AXIS_H + (spec.note ? 16 : 0);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${px(height)}" viewBox="0 0 ${WIDTH} ${px(height)}" font-family="sans-serif" font-size="12">`,
    `<style>.title{font-size:15px;font-weight:bold}.group{font-weight:bold}.tick,.note{fill:#4a5568;font-size:11px}</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text class="title" x="10" y="20">${escapeXml(spec.title)}</text>`,
    `<text class="note" x="10" y="36">${escapeXml(`${spec.unit}; bar = median, whisker = min–max over rounds`)}</text>`,
    ...grid,
    ...body,
    `<text class="tick" x="${LABEL_W + PLOT_W / 2}" y="${px(plotBottom + 28)}" text-anchor="middle">${escapeXml(spec.unit)}</text>`,
  ];
  if (spec.note) out.push(`<text class="note" x="10" y="${px(plotBottom + AXIS_H + 10)}">${escapeXml(spec.note)}</text>`);
  out.push(`</svg>`, "");
  return out.join("\n");
}

/** Writes the chart to `path` (for `--svg FILE`). */
export function writeSvgChart(path: string, spec: ChartSpec): void {
  writeFileSync(path, svgChart(spec));
}

/** "2026-12-01, 2 CPUs, Bun 1.x": the note every benchmark puts under its chart. */
export function chartNote(rounds: number, cpus: number): string {
  return `${new Date().toISOString().slice(0, 10)}, ${rounds} round(s), ${cpus} CPUs, Bun ${Bun.version}`;
}
