import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, durationSetting } from '../../src/core/defaults';
import { parseDuration } from '../../src/core/util/duration';

// package.json is static JSON, so its setting defaults cannot import the module: this keeps them equal.
describe('default limits', () => {
  const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const setting = (key: string) => manifest.contributes.configuration.properties[`cnbook.${key}`]?.default;

  it.each([
    ['statementTimeout', DEFAULT_LIMITS.statementTimeoutMs],
    ['lockTimeout', DEFAULT_LIMITS.lockTimeoutMs],
    ['connectTimeout', DEFAULT_LIMITS.connectTimeoutMs],
  ])('the %s setting defaults to the core default', (key, ms) => {
    expect(setting(key)).toBe(durationSetting(ms));
    expect(parseDuration(String(setting(key)))).toBe(ms);
  });

  it('the maxRowsStored setting defaults to the core default', () => {
    expect(setting('maxRowsStored')).toBe(DEFAULT_LIMITS.maxRowsStored);
  });

  it('the maxValueBytes setting defaults to the core default', () => {
    expect(setting('maxValueBytes')).toBe(DEFAULT_LIMITS.maxValueBytes);
  });

  it('never lets a lock wait outlast the statement', () => {
    expect(DEFAULT_LIMITS.lockTimeoutMs).toBeLessThanOrEqual(DEFAULT_LIMITS.statementTimeoutMs);
  });
});
