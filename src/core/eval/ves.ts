/**
 * VES and R-VES as bird-bench's evaluation_ves.py computes them: per correct example, timed runs of prediction and
 * gold give ratios gold/pred; ratios outside mean ± 3σ (population σ, strict bounds) are dropped; the example's time
 * ratio is the mean of the rest. VES = 100 · mean over all examples of sqrt(ratio) (wrong = 0); R-VES rewards
 * ratio tiers (≥2: 1.25, [1,2): 1, [0.5,1): 0.75, [0.25,0.5): 0.5, below: 0.25) and averages 100 · sqrt(reward).
 */
import type { Reason } from '../../shared/contract/index.ts';

export function cleanAbnormal(values: number[]): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return values.filter((x) => x < mean + 3 * std && x > mean - 3 * std);
}

export function timeRatio(goldMs: number[], predMs: number[]): { ratio: number; quirk?: string } {
  const ratios = goldMs.map((g, i) => g / predMs[i]!);
  const kept = cleanAbnormal(ratios);
  if (kept.length === 0) {
    // every ratio identical: σ = 0 and the strict bounds keep nothing
    return {
      ratio: ratios.reduce((a, b) => a + b, 0) / ratios.length,
      quirk:
        "All timed ratios were identical, so evaluation_ves.py's clean_abnormal keeps none (strict bounds with σ = 0) and the official script divides by zero. Squill uses the plain mean here.",
    };
  }
  return { ratio: kept.reduce((a, b) => a + b, 0) / kept.length };
}

export function rvesReward(ratio: number): number {
  if (ratio <= 0) return 0;
  if (ratio >= 2) return 1.25;
  if (ratio >= 1) return 1;
  if (ratio >= 0.5) return 0.75;
  if (ratio >= 0.25) return 0.5;
  return 0.25;
}

export function vesScores(goldMs: number[], predMs: number[]): { ves: number; rves: number; reason: Reason } {
  const { ratio, quirk } = timeRatio(goldMs, predMs);
  const reward = rvesReward(ratio);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const reason: Reason = {
    code: ratio >= 1 ? 'faster_or_equal' : 'slower',
    detail: `time ratio gold/pred ${ratio.toFixed(3)} over ${goldMs.length} runs (median gold ${median(goldMs).toFixed(3)} ms, pred ${median(predMs).toFixed(3)} ms); R-VES reward ${reward}`,
  };
  if (quirk) reason.quirk = quirk;
  return { ves: 100 * Math.sqrt(ratio), rves: 100 * Math.sqrt(reward), reason };
}
