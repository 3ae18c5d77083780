/**
 * Test helpers: relative tolerances and a few shorthands.
 */
import { expect } from 'vitest';
import { graphStats, type Graph } from '@mo/ir';
import { countParameters } from '../src/index.js';

/** Expects |actual - expected| <= rel * expected. */
export function expectWithin(actual: number | undefined, expected: number, rel: number, what: string): void {
  expect(actual, what).toBeDefined();
  const err = Math.abs(actual! - expected) / expected;
  expect(err, `${what}: ${actual} vs ${expected} (${(err * 100).toFixed(2)}% off, allowed ${(rel * 100).toFixed(1)}%)`).toBeLessThanOrEqual(rel);
}

/** Parameters (every initializer), learnable parameters and MACs of a graph. */
export function measure(g: Graph): { parameters: number; learnable: number; macs: number } {
  const s = graphStats(g);
  if (s.macs === undefined) throw new Error(`MACs of '${g.name}' are not countable: ${s.uncountedMacs.join(', ')}`);
  return { parameters: s.parameters, learnable: countParameters(g).learnable, macs: s.macs };
}

/** The initializer `name` of `g`, or a failed expectation. */
export function init(g: Graph, name: string) {
  const t = g.initializers.get(name);
  expect(t, `initializer '${name}'`).toBeDefined();
  return t!;
}
