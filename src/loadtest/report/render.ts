/**
 * Chart rendering: a vega-lite spec -> vega -> SVG (headless, no canvas) -> PNG with resvg.
 * Text in the PNG needs a font on the machine: system fonts are loaded and DejaVu Sans /
 * Liberation Sans are preferred (Debian: fonts-dejavu-core, fonts-liberation).
 */
import { Resvg } from '@resvg/resvg-js';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', path.join(os.homedir(), '.fonts'), path.join(os.homedir(), '.local/share/fonts')];
const PREFERRED = [
  { family: 'DejaVu Sans', file: /^DejaVuSans\.ttf$/ },
  { family: 'Liberation Sans', file: /^LiberationSans-Regular\.ttf$/ },
];

export interface FontInfo {
  /** The family charts are drawn with. */
  family: string;
  /** Number of font files found in the usual font folders. */
  files: number;
}

let fontInfo: FontInfo | undefined;

function listFonts(dir: string, out: string[], depth = 0): void {
  if (depth > 6) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) listFonts(path.join(dir, e.name), out, depth + 1);
    else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(e.name);
  }
}

/** Which font the charts use; `files === 0` means text in the PNGs cannot render. */
export function chartFont(): FontInfo {
  if (!fontInfo) {
    const names: string[] = [];
    for (const d of FONT_DIRS) listFonts(d, names);
    const preferred = PREFERRED.find((p) => names.some((n) => p.file.test(n)));
    fontInfo = { family: preferred?.family ?? 'sans-serif', files: names.length };
  }
  return fontInfo;
}

/** Renders a vega-lite spec to an SVG string. */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const font = chartFont().family;
  const withConfig: TopLevelSpec = {
    ...spec,
    background: 'white',
    config: {
      font,
      title: { fontSize: 16, anchor: 'start', offset: 12, subtitleFontSize: 12, subtitleColor: '#555', limit: 820 },
      axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal' },
      legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 0, orient: 'top', direction: 'horizontal', titleOrient: 'left', titleAnchor: 'start', titlePadding: 10 },
      ...(spec.config ?? {}),
    },
  };
  const vgSpec = compile(withConfig).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG to PNG at `scale` (2 = crisp on high-density screens and in docs). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: chartFont().family },
  });
  return resvg.render().asPng();
}

export async function specToPng(spec: TopLevelSpec, scale = 2): Promise<Buffer> {
  return svgToPng(await specToSvg(spec), scale);
}
