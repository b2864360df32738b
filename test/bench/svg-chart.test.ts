// Tests for the benchmark chart (bench/lib/svg-chart.ts) with fixed data: the SVG parses as XML, bars come ordered by
// median within a section, every bar has its min–max whisker at the right place on a shared scale, and text is escaped.

import { describe, expect, test } from "bun:test";
import { escapeXml, niceStep, shortNumber, svgChart, type ChartSpec } from "../../bench/lib/svg-chart.ts";

const spec: ChartSpec = {
  title: `HTTP "Hello" <test> & co`,
  unit: "requests per server-CPU-second",
  groups: [
    {
      title: "plain",
      bars: [
        { label: "nginx", value: { median: 40_000, min: 35_000, max: 42_000, n: 5 } },
        { label: "grocketd", value: { median: 50_000, min: 48_000, max: 55_000, n: 5 } },
        { label: "Bun.serve", value: { median: 30_000, min: 29_000, max: 31_000, n: 5 } },
      ],
    },
    {
      title: "pipelined ×16",
      bars: [
        { label: "nginx", value: { median: 60_000, min: 58_000, max: 61_000, n: 5 } },
        { label: "grocketd", value: { median: 400_000, min: 380_000, max: 420_000, n: 5 } },
      ],
    },
  ],
  note: "fixed data",
};

interface Bar {
  label: string;
  median: number;
  min: number;
  max: number;
  rect: { x: number; width: number };
  range: number[];
}

/** The bars of a chart, in document order, with their rect and whisker coordinates. */
function bars(svg: string): Bar[] {
  const out: Bar[] = [];
  for (const m of svg.matchAll(/<g class="bar" data-label="([^"]*)" data-median="([^"]*)" data-min="([^"]*)" data-max="([^"]*)">([\s\S]*?)<\/g>/g)) {
    const rect = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(m[5]!)!;
    const d = /class="range" d="M([\d.]+) [\d.]+H([\d.]+)/.exec(m[5]!);
    out.push({
      label: m[1]!,
      median: Number(m[2]),
      min: Number(m[3]),
      max: Number(m[4]),
      rect: { x: Number(rect[1]), width: Number(rect[2]) },
      range: d ? [Number(d[1]), Number(d[2])] : [],
    });
  }
  return out;
}

describe("svg chart", () => {
  const svg = svgChart(spec);

  test("is well-formed XML with an svg root and escaped text", () => {
    const doc = new DOMParserLike(svg);
    expect(doc.ok).toBe(true);
    expect(svg.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"`)).toBe(true);
    expect(svg).toContain("HTTP &quot;Hello&quot; &lt;test&gt; &amp; co");
    expect(svg).not.toContain("<test>");
  });

  test("bars are ordered by median, highest first, within each section", () => {
    const b = bars(svg);
    expect(b.map((x) => x.label)).toEqual(["grocketd", "nginx", "Bun.serve", "grocketd", "nginx"]);
    expect(svg.indexOf(">plain<")).toBeLessThan(svg.indexOf(">pipelined ×16<"));
  });

  test("bar lengths follow the medians on one scale and whiskers span min–max", () => {
    const b = bars(svg);
    const scale = b[0]!.rect.width / b[0]!.median;
    for (const x of b) {
      expect(Math.abs(x.rect.width - x.median * scale)).toBeLessThan(0.2);
      expect(x.range.length).toBe(2);
      expect(Math.abs(x.range[0]! - (x.rect.x + x.min * scale))).toBeLessThan(0.2);
      expect(Math.abs(x.range[1]! - (x.rect.x + x.max * scale))).toBeLessThan(0.2);
      expect(x.range[0]!).toBeLessThanOrEqual(x.rect.x + x.rect.width + 0.1);
      expect(x.range[1]!).toBeGreaterThanOrEqual(x.rect.x + x.rect.width - 0.1);
    }
    // The longest whisker ends inside the plot: the scale's top is a round number above the largest max.
    expect(svg).toContain(">500 k<");
    expect(svg).toContain(">400 k<"); // the median label of the largest bar
  });

  test("a server keeps its colour across sections", () => {
    const fill = (label: string) => [...svg.matchAll(new RegExp(`data-label="${label}"[^>]*>\\s*<text[^>]*>[^<]*</text>\\s*<rect [^>]*fill="([^"]+)"`, "g"))].map((m) => m[1]);
    const g = fill("grocketd");
    expect(g.length).toBe(2);
    expect(g[0]).toBe(g[1]);
    expect(fill("nginx")[0]).not.toBe(g[0]);
  });

  test("empty and non-finite data still give a valid chart", () => {
    const s = svgChart({ title: "t", unit: "u", groups: [{ title: "g", bars: [{ label: "a", value: { median: NaN, min: NaN, max: NaN, n: 0 } }] }] });
    expect(new DOMParserLike(s).ok).toBe(true);
    expect(s).not.toContain("NaN");
    expect(bars(s)[0]!.range).toEqual([]);
  });

  test("helpers", () => {
    expect(niceStep(420_000)).toBe(100_000);
    expect(niceStep(9)).toBe(2);
    expect(shortNumber(1_234_567)).toBe("1.23 M");
    expect(shortNumber(45_600)).toBe("45.6 k");
    expect(escapeXml(`a<'&">`)).toBe("a&lt;&apos;&amp;&quot;&gt;");
  });
});

/** A strict enough well-formedness check: balanced tags, quoted attributes, no raw `<` or `&` in text. */
class DOMParserLike {
  readonly ok: boolean;
  constructor(text: string) {
    const stack: string[] = [];
    let ok = true;
    const body = text.replace(/^<\?xml[^?]*\?>\s*/, "");
    const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
    for (const m of body.matchAll(re)) {
      if (m[6] !== undefined) ok = false;
      else if (m[5] !== undefined) {
        if (/&(?!amp;|lt;|gt;|quot;|apos;)/.test(m[5])) ok = false;
      } else if (m[1] === "/") {
        if (stack.pop() !== m[2]) ok = false;
      } else if (m[4] !== "/") stack.push(m[2]!);
    }
    this.ok = ok && stack.length === 0 && body.trim().startsWith("<svg") && body.trim().endsWith("</svg>");
  }
}
